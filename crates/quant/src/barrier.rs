//! Touch and finish probabilities for a driftless lognormal, and their inverse.
//!
//! With `d = |ln(B/S)| / (σ√T)`, the first-passage probability of touching `B` before `T` is
//! `P_touch = 2·N(−d)` (reflection principle; capped at 1) and the probability of finishing beyond
//! `B` is `P_finish = N(−d)`. `σ` and `T` must be on the same clock: a trading-day volatility
//! (`√252` annualisation) with `T = trading days / 252` ([`Years::from_trading_days`]).
//!
//! The inverse gives the "safe short range": the log-distance `d* = −σ√T·N⁻¹(p/2)` at which the
//! touch probability is exactly `p`, as levels `S·e^{+d*}` and `S·e^{−d*}`.
//!
//! ```
//! use aegis_model::{AnnualVol, Probability};
//! use aegis_quant::{Years, barrier};
//! let (spot, vol, t) = (25_000.0, AnnualVol(0.12), Years::from_trading_days(5.0));
//! let band = barrier::touch_band(spot, vol, t, Probability::new(0.05)?)?;
//! let p = barrier::touch_probability(spot, band.up, vol, t)?;
//! assert!((p.get() - 0.05).abs() < 1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use aegis_model::{AnnualVol, Probability};
use serde::Serialize;

use crate::Years;
use crate::error::{InputError, positive};
use crate::normal;

/// The levels above and below spot at which the touch probability equals a target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TouchBand {
    /// `d* = |ln(B/S)|` at which `P_touch = p`.
    pub log_distance: f64,
    /// `S·e^{+d*}`.
    pub up: f64,
    /// `S·e^{−d*}`.
    pub down: f64,
}

/// `|ln(B/S)| / (σ√T)` after checking the inputs.
fn standardised_distance(
    spot: f64,
    barrier: f64,
    vol: AnnualVol,
    years: Years,
) -> Result<f64, InputError> {
    let s = positive("spot", spot)?;
    let b = positive("barrier", barrier)?;
    let total = positive("volatility", vol.0)? * positive("years", years.0)?.sqrt();
    Ok((b / s).ln().abs() / total)
}

/// Probability of touching `barrier` at any time before `years`: `min(1, 2·N(−d))`.
pub fn touch_probability(
    spot: f64,
    barrier: f64,
    vol: AnnualVol,
    years: Years,
) -> Result<Probability, InputError> {
    let d = standardised_distance(spot, barrier, vol, years)?;
    Ok(Probability::clamped((2.0 * normal::cdf(-d)).min(1.0)))
}

/// Probability of finishing beyond `barrier` (above it if it is above spot, below if below): `N(−d)`.
pub fn finish_beyond_probability(
    spot: f64,
    barrier: f64,
    vol: AnnualVol,
    years: Years,
) -> Result<Probability, InputError> {
    let d = standardised_distance(spot, barrier, vol, years)?;
    Ok(Probability::clamped(normal::cdf(-d)))
}

/// The band whose edges each have touch probability `p`: `d* = −σ√T·N⁻¹(p/2)`.
///
/// `p` must be > 0 (`p = 0` would need an infinite distance); `p = 1` gives a zero-width band.
pub fn touch_band(
    spot: f64,
    vol: AnnualVol,
    years: Years,
    p: Probability,
) -> Result<TouchBand, InputError> {
    let s = positive("spot", spot)?;
    let total = positive("volatility", vol.0)? * positive("years", years.0)?.sqrt();
    let p = positive("touch probability", p.get())?;
    let log_distance = (-total * normal::inv_cdf(0.5 * p)).max(0.0);
    Ok(TouchBand {
        log_distance,
        up: s * log_distance.exp(),
        down: s * (-log_distance).exp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        // One standard deviation away: finish = N(−1), touch = 2·N(−1).
        let (s, vol, t) = (100.0, AnnualVol(0.2), Years(0.25));
        let b = s * (0.2f64 * 0.5).exp();
        let finish = finish_beyond_probability(s, b, vol, t).unwrap().get();
        let touch = touch_probability(s, b, vol, t).unwrap().get();
        assert!((finish - 0.158_655_253_931_457_05).abs() < 1e-15);
        assert!((touch - 2.0 * 0.158_655_253_931_457_05).abs() < 1e-15);
        // Symmetric in log space: the barrier below at the same log distance.
        let below = touch_probability(s, s * (-0.1f64).exp(), vol, t)
            .unwrap()
            .get();
        assert!((below - touch).abs() < 1e-15);
        assert_eq!(touch_probability(s, s, vol, t).unwrap().get(), 1.0);
        let zero_width = touch_band(s, vol, t, Probability::new(1.0).unwrap()).unwrap();
        assert_eq!((zero_width.up, zero_width.down), (s, s));
    }

    #[test]
    fn bad_inputs() {
        let (vol, t) = (AnnualVol(0.2), Years(0.25));
        assert_eq!(
            touch_probability(0.0, 1.0, vol, t).unwrap_err().name,
            "spot"
        );
        assert_eq!(
            touch_probability(1.0, -1.0, vol, t).unwrap_err().name,
            "barrier"
        );
        assert_eq!(
            touch_probability(1.0, 1.1, AnnualVol(0.0), t)
                .unwrap_err()
                .name,
            "volatility"
        );
        assert_eq!(
            finish_beyond_probability(1.0, 1.1, vol, Years(0.0))
                .unwrap_err()
                .name,
            "years"
        );
        let p0 = Probability::new(0.0).unwrap();
        assert_eq!(
            touch_band(1.0, vol, t, p0).unwrap_err().name,
            "touch probability"
        );
    }

    proptest! {
        #[test]
        fn touch_at_least_finish_and_both_fall_with_distance(
            s in 1_000.0f64..50_000.0, x in 0.0f64..0.3, dx in 1e-4f64..0.1,
            vol in 0.05f64..0.8, days in 1.0f64..60.0, up in any::<bool>(),
        ) {
            let (vol, t) = (AnnualVol(vol), Years::from_trading_days(days));
            let sign = if up { 1.0 } else { -1.0 };
            let near = s * (sign * x).exp();
            let far = s * (sign * (x + dx)).exp();
            let touch = |b| touch_probability(s, b, vol, t).unwrap().get();
            let finish = |b| finish_beyond_probability(s, b, vol, t).unwrap().get();
            prop_assert!(touch(near) >= finish(near));
            prop_assert!(touch(far) <= touch(near));
            prop_assert!(finish(far) <= finish(near));
        }

        #[test]
        fn band_inverts_touch(s in 1_000.0f64..50_000.0, vol in 0.05f64..0.8,
                              days in 0.5f64..60.0, p in 1e-6f64..1.0) {
            let (vol, t) = (AnnualVol(vol), Years::from_trading_days(days));
            let band = touch_band(s, vol, t, Probability::new(p).unwrap()).unwrap();
            prop_assert!(band.down <= s && s <= band.up);
            for b in [band.up, band.down] {
                let got = touch_probability(s, b, vol, t).unwrap().get();
                prop_assert!((got - p).abs() <= 1e-12 * p.max(1e-3), "{got} vs {p}");
            }
        }
    }
}
