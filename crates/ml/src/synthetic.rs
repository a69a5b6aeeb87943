//! Seeded synthetic data with a known ground truth, for tests and benchmarks.
//!
//! Nothing here feeds a published number: it exists so learners can be checked
//! against a truth we set, and timed on data of realistic shape.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::rng::SplitMix64;
use crate::{Dataset, DatasetParts};

/// Shape and truth of a synthetic classification dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSpec {
    /// Rows (one per weekday from 2015-01-01).
    pub n_rows: usize,
    /// Feature columns; the first five carry signal (see [`true_weights`]).
    pub n_features: usize,
    /// 2 (binary) or 3 (DOWN/NEUTRAL/UP by a dead zone on the latent score).
    pub n_classes: usize,
    /// Label horizon recorded in the dataset.
    pub label_horizon: usize,
    /// Multiplies the linear score: 1 is a strong signal (out-of-sample AUC of a
    /// logistic fit ≈ 0.81 with 30 features), 0.15 a weak one like daily market
    /// direction (≈ 0.54); see the test `signal_scale_sets_the_out_of_sample_auc`.
    pub signal_scale: f64,
    /// Strength of an `x₀·x₁` interaction in the latent score (invisible to a linear model).
    pub interaction: f64,
    /// Probability that any feature value is missing (`NaN`).
    pub missing_fraction: f64,
    /// Seed of the SplitMix64 stream.
    pub seed: u64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        Self {
            n_rows: 1250,
            n_features: 30,
            n_classes: 2,
            label_horizon: 1,
            signal_scale: 1.0,
            interaction: 0.0,
            missing_fraction: 0.0,
            seed: 42,
        }
    }
}

/// The true linear weights: `[1.0, −0.8, 0.6, −0.4, 0.2, 0, 0, …]`.
pub fn true_weights(n_features: usize) -> Vec<f64> {
    (0..n_features)
        .map(|j| match j {
            0..=4 => (1.0 - 0.2 * j as f64) * if j % 2 == 0 { 1.0 } else { -1.0 },
            _ => 0.0,
        })
        .collect()
}

/// Weekdays from 2015-01-01, `n` of them.
pub fn weekdays(n: usize) -> Vec<NaiveDate> {
    let mut d = NaiveDate::from_ymd_opt(2015, 1, 1).expect("valid date");
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d = d.succ_opt().expect("date in range");
    }
    out
}

/// A dataset whose labels follow a logistic model of AR(1) features.
///
/// Each feature is an AR(1) series with coefficient 0.3 and unit variance. The
/// latent score is `s = signal_scale·xᵀw + interaction·x₀x₁`. Binary labels are
/// `Bernoulli(σ(s))`; three-class labels put `s + logistic noise` into DOWN
/// (< −0.6), NEUTRAL, or UP (> 0.6).
pub fn logistic_dataset(spec: &SyntheticSpec) -> Dataset {
    let (n, p) = (spec.n_rows, spec.n_features);
    let mut rng = SplitMix64::new(spec.seed);
    let w = true_weights(p);
    let phi: f64 = 0.3;
    let innovation = (1.0 - phi * phi).sqrt();
    let mut state: Vec<f64> = (0..p).map(|_| rng.normal()).collect();
    let mut x = Vec::with_capacity(n * p);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        for s in state.iter_mut() {
            *s = phi * *s + innovation * rng.normal();
        }
        let mut score: f64 =
            spec.signal_scale * state.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
        if p >= 2 {
            score += spec.interaction * state[0] * state[1];
        }
        let u = rng.next_f64();
        let label = if spec.n_classes == 2 {
            usize::from(u < 1.0 / (1.0 + (-score).exp()))
        } else {
            // Logistic noise by inversion; u in [0,1) so guard the lower end.
            let u = u.max(1e-12);
            let latent = score + (u / (1.0 - u)).ln();
            if latent < -0.6 {
                0
            } else if latent > 0.6 {
                2
            } else {
                1
            }
        };
        y.push(label);
        for &v in &state {
            x.push(if rng.next_f64() < spec.missing_fraction {
                f64::NAN
            } else {
                v
            });
        }
    }
    let classes = if spec.n_classes == 2 {
        vec!["NO".to_string(), "YES".to_string()]
    } else {
        vec!["DOWN".into(), "NEUTRAL".into(), "UP".into()]
    };
    Dataset::new(DatasetParts {
        feature_names: (0..p).map(|j| format!("f{j:02}")).collect(),
        classes,
        x,
        y,
        dates: weekdays(n),
        weights: None,
        label_horizon: spec.label_horizon,
    })
    .expect("synthetic dataset is valid by construction")
}

/// Truth of the two-state regime process drawn by [`regime_observations`].
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeTruth {
    /// Per-state means of (daily return, log VIX).
    pub means: [[f64; 2]; 2],
    /// Per-state standard deviations of (daily return, log VIX).
    pub sds: [[f64; 2]; 2],
    /// Transition matrix, row = from.
    pub transition: [[f64; 2]; 2],
}

/// The regime process: a calm state and a turbulent one.
pub const REGIME_TRUTH: RegimeTruth = RegimeTruth {
    means: [[0.0008, 2.55], [-0.0015, 3.15]],
    sds: [[0.007, 0.08], [0.018, 0.15]],
    transition: [[0.98, 0.02], [0.05, 0.95]],
};

/// `n` observations (row-major `n × 2`: return, log VIX) and their hidden states,
/// drawn from [`REGIME_TRUTH`] starting in state 0.
pub fn regime_observations(n: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
    let t = &REGIME_TRUTH;
    let mut rng = SplitMix64::new(seed);
    let mut s = 0usize;
    let mut obs = Vec::with_capacity(2 * n);
    let mut states = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 && rng.next_f64() >= t.transition[s][s] {
            s = 1 - s;
        }
        states.push(s);
        for d in 0..2 {
            obs.push(t.means[s][d] + t.sds[s][d] * rng.normal());
        }
    }
    (obs, states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_classes_balanced_enough() {
        let spec = SyntheticSpec {
            n_classes: 3,
            missing_fraction: 0.05,
            ..SyntheticSpec::default()
        };
        let a = logistic_dataset(&spec);
        let b = logistic_dataset(&spec);
        assert_eq!(a.labels(), b.labels());
        assert!(
            a.features()
                .iter()
                .zip(b.features())
                .all(|(u, v)| u.to_bits() == v.to_bits())
        );
        let f = a.class_frequencies();
        assert!(f.iter().all(|&q| q > 0.15), "{f:?}");
        assert!(a.rows_with_missing() > 0);
        assert_eq!(a.dates()[0], NaiveDate::from_ymd_opt(2015, 1, 1).unwrap());
        assert_eq!(a.dates()[1], NaiveDate::from_ymd_opt(2015, 1, 2).unwrap());
        assert_eq!(a.dates()[2], NaiveDate::from_ymd_opt(2015, 1, 5).unwrap());
    }

    #[test]
    fn signal_scale_sets_the_out_of_sample_auc() {
        use crate::{Classifier, LogisticModel, LogisticParams, Metrics};
        for (scale, lo, hi) in [(1.0, 0.75, 0.95), (0.15, 0.52, 0.65)] {
            let ds = logistic_dataset(&SyntheticSpec {
                n_rows: 6000,
                signal_scale: scale,
                ..SyntheticSpec::default()
            });
            let train = ds.select(0..3000).unwrap();
            let test = ds.select(3000..6000).unwrap();
            let m = LogisticModel::fit(&train, &LogisticParams::default()).unwrap();
            let p = m.predict_proba(test.features()).unwrap();
            let auc = Metrics::compute(&p, test.labels(), &train.class_frequencies())
                .unwrap()
                .auc
                .unwrap();
            assert!(auc > lo && auc < hi, "scale {scale}: AUC {auc}");
        }
    }
}
