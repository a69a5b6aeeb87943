//! Market regimes from a 4-state Gaussian HMM on (daily log return, ln VIX).
//!
//! Observations: for every session `t` with a VIX close and a previous close,
//! `(r_t, ln VIX_t)` with `r_t = ln(C_t/C_{t−1})`. The HMM ([`crate::GaussianHmm`]) has 4
//! states; each state `s` has a return mean `μ_s` and a return standard deviation `sd_s`
//! (square root of its first-dimension variance).
//!
//! **Mapping from states to regimes** ([`map_states`]), total and deterministic (ties go to
//! the lower state number; the HMM numbers states by ascending return variance):
//! 1. `HIGH_VOL_BEAR`: the state with the highest `sd` among those with `μ < 0`; if no state
//!    has `μ < 0`, the highest-`sd` state.
//! 2. `LOW_VOL_BULL`: among the remaining states, the lowest-`sd` one with `μ > 0`; if none
//!    has `μ > 0`, the lowest-`sd` remaining state.
//! 3. `TREND_FOLLOWING`: among the remaining two, the higher `|μ|/sd`.
//! 4. `SIDEWAYS_CHOP`: the last state.
//!
//! The probability of a regime today is the filtered probability (forward pass only, no
//! look-ahead) of its state at the last observation.

use serde::{Deserialize, Serialize};

use crate::history::DailyHistory;
use crate::{GaussianHmm, MlError};

/// The four market regimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Regime {
    /// Low volatility, rising market.
    LowVolBull,
    /// High volatility, falling market.
    HighVolBear,
    /// No direction, choppy.
    SidewaysChop,
    /// A persistent move relative to its volatility.
    TrendFollowing,
}

impl Regime {
    /// Every regime in a fixed order.
    pub const ALL: [Regime; 4] = [
        Regime::LowVolBull,
        Regime::HighVolBear,
        Regime::SidewaysChop,
        Regime::TrendFollowing,
    ];

    /// The label shown (`LOW_VOL_BULL`, …).
    pub fn label(self) -> &'static str {
        match self {
            Regime::LowVolBull => "LOW_VOL_BULL",
            Regime::HighVolBear => "HIGH_VOL_BEAR",
            Regime::SidewaysChop => "SIDEWAYS_CHOP",
            Regime::TrendFollowing => "TREND_FOLLOWING",
        }
    }

    /// The regime of a label.
    pub fn from_label(s: &str) -> Option<Regime> {
        Regime::ALL.into_iter().find(|r| r.label() == s)
    }
}

impl std::fmt::Display for Regime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Names of the HMM's observation dimensions (the model file's "features").
pub const OBSERVATION_NAMES: [&str; 2] = ["log_return_1d", "ln_vix"];

/// States of the regime HMM.
pub const N_STATES: usize = 4;

/// Observations `(r_t, ln VIX_t)` of every session with a VIX close and a previous close,
/// row-major, with their history rows.
pub fn observations(history: &DailyHistory) -> (Vec<f64>, Vec<usize>) {
    let r = history.log_returns();
    let mut obs = Vec::with_capacity(2 * history.len());
    let mut rows = Vec::with_capacity(history.len());
    for (t, v) in history.vix().iter().enumerate() {
        if let Some(v) = v
            && t > 0
        {
            obs.push(r[t]);
            obs.push(v.ln());
            rows.push(t);
        }
    }
    (obs, rows)
}

/// Maps each state (by number) to its regime by the rule in the module documentation.
///
/// `means[s]` and `sds[s]` are state `s`'s return mean and standard deviation.
pub fn map_states(means: &[f64], sds: &[f64]) -> Result<Vec<Regime>, MlError> {
    if means.len() != N_STATES || sds.len() != N_STATES {
        return Err(MlError::InvalidParameter {
            name: "regime states",
            reason: format!(
                "the regime mapping needs exactly {N_STATES} states, got {} means and {} sds",
                means.len(),
                sds.len()
            ),
        });
    }
    if means.iter().chain(sds).any(|v| !v.is_finite()) || sds.iter().any(|&s| s <= 0.0) {
        return Err(MlError::NonFinite {
            what: "regime state means/sds (must be finite, sds > 0)".into(),
        });
    }
    let mut out: Vec<Option<Regime>> = vec![None; N_STATES];
    let mut remaining: Vec<usize> = (0..N_STATES).collect();
    // `pick` returns the first index in `candidates` that maximises `key` (ties: lower state).
    let pick = |candidates: &[usize], key: &dyn Fn(usize) -> f64| -> usize {
        let mut best = candidates[0];
        for &s in &candidates[1..] {
            if key(s) > key(best) {
                best = s;
            }
        }
        best
    };
    let take = |remaining: &mut Vec<usize>, s: usize| remaining.retain(|&x| x != s);

    let negative: Vec<usize> = remaining
        .iter()
        .copied()
        .filter(|&s| means[s] < 0.0)
        .collect();
    let pool = if negative.is_empty() {
        remaining.clone()
    } else {
        negative
    };
    let bear = pick(&pool, &|s| sds[s]);
    out[bear] = Some(Regime::HighVolBear);
    take(&mut remaining, bear);

    let positive: Vec<usize> = remaining
        .iter()
        .copied()
        .filter(|&s| means[s] > 0.0)
        .collect();
    let pool = if positive.is_empty() {
        remaining.clone()
    } else {
        positive
    };
    let bull = pick(&pool, &|s| -sds[s]);
    out[bull] = Some(Regime::LowVolBull);
    take(&mut remaining, bull);

    let trend = pick(&remaining, &|s| means[s].abs() / sds[s]);
    out[trend] = Some(Regime::TrendFollowing);
    take(&mut remaining, trend);

    out[remaining[0]] = Some(Regime::SidewaysChop);
    Ok(out
        .into_iter()
        .map(|r| r.expect("all four assigned"))
        .collect())
}

/// The regime of every state of a fitted regime HMM.
pub fn state_regimes(hmm: &GaussianHmm) -> Result<Vec<Regime>, MlError> {
    let means: Vec<f64> = (0..hmm.n_states()).map(|s| hmm.mean(s)[0]).collect();
    let sds: Vec<f64> = (0..hmm.n_states())
        .map(|s| hmm.variance(s)[0].sqrt())
        .collect();
    map_states(&means, &sds)
}

/// Regime probabilities at the last observation (filtered: no look-ahead).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegimeForecast {
    /// The most probable regime.
    pub regime: Regime,
    /// Probability of each regime, in [`Regime::ALL`] order.
    pub probabilities: [(Regime, f64); 4],
    /// The most probable HMM state.
    pub state: usize,
}

/// Filters `obs` (row-major `n × 2`) through the HMM and names the last step's regime.
pub fn forecast(
    hmm: &GaussianHmm,
    regimes: &[Regime],
    obs: &[f64],
) -> Result<RegimeForecast, MlError> {
    let filtered = hmm.filtered_probabilities(obs)?;
    let k = hmm.n_states();
    let last = &filtered[filtered.len() - k..];
    let mut probabilities = Regime::ALL.map(|r| (r, 0.0));
    for (s, p) in last.iter().enumerate() {
        let slot = Regime::ALL
            .iter()
            .position(|r| *r == regimes[s])
            .expect("every regime is in ALL");
        probabilities[slot].1 += p;
    }
    let state = (0..k).fold(0, |best, s| if last[s] > last[best] { s } else { best });
    Ok(RegimeForecast {
        regime: regimes[state],
        probabilities,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn typical_market_states() {
        // calm up, choppy flat, trending up with moderate vol, crash.
        let means = [0.0008, 0.0001, 0.0015, -0.0030];
        let sds = [0.006, 0.009, 0.010, 0.025];
        let r = map_states(&means, &sds).unwrap();
        assert_eq!(
            r,
            vec![
                Regime::LowVolBull,
                Regime::SidewaysChop,
                Regime::TrendFollowing,
                Regime::HighVolBear
            ]
        );
    }

    #[test]
    fn fallbacks_when_signs_are_missing() {
        // No negative mean: the highest-sd state is the bear state.
        let r = map_states(&[0.001, 0.002, 0.0005, 0.003], &[0.01, 0.02, 0.03, 0.04]).unwrap();
        assert_eq!(r[3], Regime::HighVolBear);
        assert_eq!(r[0], Regime::LowVolBull);
        // |μ|/sd: state 1 = 0.1, state 2 = 0.0167 → state 1 trends.
        assert_eq!(r[1], Regime::TrendFollowing);
        assert_eq!(r[2], Regime::SidewaysChop);
        // All negative: bull falls back to the lowest-sd remaining state.
        let r = map_states(
            &[-0.001, -0.002, -0.0005, -0.003],
            &[0.01, 0.02, 0.03, 0.04],
        )
        .unwrap();
        assert_eq!(r[3], Regime::HighVolBear);
        assert_eq!(r[0], Regime::LowVolBull);
        // Ties go to the lower state number.
        let r = map_states(&[0.0; 4], &[0.01; 4]).unwrap();
        assert_eq!(
            r,
            vec![
                Regime::HighVolBear,
                Regime::LowVolBull,
                Regime::TrendFollowing,
                Regime::SidewaysChop
            ]
        );
    }

    #[test]
    fn wrong_state_count_or_bad_values_are_errors() {
        assert!(map_states(&[0.0; 3], &[1.0; 3]).is_err());
        assert!(map_states(&[0.0; 4], &[1.0, 1.0, 0.0, 1.0]).is_err());
        assert!(map_states(&[f64::NAN, 0.0, 0.0, 0.0], &[1.0; 4]).is_err());
    }

    proptest! {
        /// The mapping is a bijection onto the four regimes, and deterministic.
        #[test]
        fn mapping_is_total_and_bijective(
            means in proptest::array::uniform4(-0.01f64..0.01),
            sds in proptest::array::uniform4(0.001f64..0.05),
        ) {
            let a = map_states(&means, &sds).unwrap();
            let b = map_states(&means, &sds).unwrap();
            prop_assert_eq!(&a, &b);
            let set: BTreeSet<Regime> = a.iter().copied().collect();
            prop_assert_eq!(set.len(), 4);
            // The bear state has the largest sd among negative-mean states.
            let bear = a.iter().position(|r| *r == Regime::HighVolBear).unwrap();
            for s in 0..4 {
                if means[s] < 0.0 {
                    prop_assert!(sds[s] <= sds[bear]);
                }
            }
        }
    }
}
