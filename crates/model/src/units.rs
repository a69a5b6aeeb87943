//! Units that are easy to confuse: index points, percent, annualised volatility, probability.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A distance or level in index points (e.g. 150 points, or the level 25 212.05).
#[derive(
    Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Points(pub f64);

/// A quantity in percent (12.5 means 12.5 %). India VIX is quoted this way.
#[derive(
    Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Percent(pub f64);

/// An annualised volatility as a fraction (0.125 means 12.5 % a year, over 252 trading days).
#[derive(
    Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct AnnualVol(pub f64);

impl Percent {
    /// As a fraction (12.5 % → 0.125).
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }
}

impl AnnualVol {
    /// Trading days in a year.
    pub const TRADING_DAYS: f64 = 252.0;

    /// From a percent figure such as India VIX (`14.2` → `0.142`).
    pub fn from_percent(p: Percent) -> Self {
        AnnualVol(p.fraction())
    }

    /// As a percent figure (`0.142` → `14.2`).
    pub fn percent(self) -> Percent {
        Percent(self.0 * 100.0)
    }

    /// From the standard deviation of daily log returns.
    pub fn from_daily(daily_sd: f64) -> Self {
        AnnualVol(daily_sd * Self::TRADING_DAYS.sqrt())
    }

    /// Standard deviation of log returns over `days` trading days: `σ·√(days/252)`.
    pub fn over_days(self, days: f64) -> f64 {
        self.0 * (days / Self::TRADING_DAYS).sqrt()
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} pts", self.0)
    }
}
impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}%", self.0)
    }
}
impl fmt::Display for AnnualVol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}% ann.", self.0 * 100.0)
    }
}

/// A probability in `[0, 1]`. Construction checks the range, so a `Probability` is always valid.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Probability(f64);

/// A number that is not a probability.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("{0} is not a probability (must be a finite number in [0, 1])")]
pub struct ProbabilityError(pub f64);

impl Probability {
    /// Checks that `p` is finite and in `[0, 1]`.
    pub fn new(p: f64) -> Result<Self, ProbabilityError> {
        if p.is_finite() && (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(ProbabilityError(p))
        }
    }

    /// Clamps a finite number into `[0, 1]` (for values that are probabilities up to rounding).
    ///
    /// # Panics
    /// Panics on NaN, which is always a bug upstream.
    pub fn clamped(p: f64) -> Self {
        assert!(!p.is_nan(), "probability is NaN");
        Probability(p.clamp(0.0, 1.0))
    }

    /// The value in `[0, 1]`.
    pub fn get(self) -> f64 {
        self.0
    }

    /// `1 − p`.
    pub fn complement(self) -> Self {
        Probability(1.0 - self.0)
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Probability::new(v).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Probability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}%", self.0 * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vix_percent_to_annual_vol() {
        let v = AnnualVol::from_percent(Percent(16.0));
        assert!((v.0 - 0.16).abs() < 1e-15);
        assert!((v.over_days(252.0) - 0.16).abs() < 1e-15);
        assert!((v.over_days(63.0) - 0.08).abs() < 1e-15);
        assert!((AnnualVol::from_daily(0.01).0 - 0.158_745_078_663_875_4).abs() < 1e-12);
    }

    #[test]
    fn probability_is_checked() {
        assert!(Probability::new(0.3).is_ok());
        assert!(Probability::new(1.2).is_err());
        assert!(Probability::new(f64::NAN).is_err());
        assert_eq!(Probability::clamped(1.0000001).get(), 1.0);
        assert!(serde_json::from_str::<Probability>("1.5").is_err());
        assert_eq!(
            serde_json::from_str::<Probability>("0.25").unwrap().get(),
            0.25
        );
    }
}
