//! From feature rows to network inputs: sequence windows, the training-rows
//! standardiser, and the value-plus-missing-flag encoding.

use serde::{Deserialize, Serialize};

use crate::nn_interface::{DIRECTION_CLASSES, SequenceInputs};
use crate::{Dataset, DatasetParts, MlError};

/// Per-feature centre and scale, computed from training rows only.
///
/// A finite value `x` of feature `j` becomes `(x − mean_j) / sd_j`, or 0 when
/// `sd_j = 0` (the feature was constant or never observed in training: it then
/// carries only its missing flag). A missing value (`NaN`) becomes 0 with its
/// missing flag set to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Standardiser {
    /// Mean and population standard deviation of the finite values of each of
    /// the `p` columns of `rows` (each row `p` values). A column without finite
    /// values gets mean 0 and sd 0.
    pub fn fit<'a>(rows: impl Iterator<Item = &'a [f64]> + Clone, p: usize) -> Self {
        let mut sum = vec![0.0; p];
        let mut count = vec![0usize; p];
        for row in rows.clone() {
            for (j, &x) in row.iter().enumerate() {
                if x.is_finite() {
                    sum[j] += x;
                    count[j] += 1;
                }
            }
        }
        let mean: Vec<f64> = sum
            .iter()
            .zip(&count)
            .map(|(&s, &n)| if n == 0 { 0.0 } else { s / n as f64 })
            .collect();
        let mut ss = vec![0.0; p];
        for row in rows {
            for (j, &x) in row.iter().enumerate() {
                if x.is_finite() {
                    ss[j] += (x - mean[j]).powi(2);
                }
            }
        }
        let sd = ss
            .iter()
            .zip(&count)
            .map(|(&s, &n)| if n == 0 { 0.0 } else { (s / n as f64).sqrt() })
            .collect();
        Self { mean, sd }
    }

    /// Rebuilds a standardiser from stored statistics (checked by [`Standardiser::validate`]).
    pub(crate) fn from_parts(mean: Vec<f64>, sd: Vec<f64>) -> Self {
        Self { mean, sd }
    }

    /// Per-feature means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Per-feature standard deviations (0: the feature carries only its missing flag).
    pub fn sd(&self) -> &[f64] {
        &self.sd
    }

    /// The reason the statistics are unusable, if they are.
    pub(crate) fn validate(&self, p: usize) -> Result<(), String> {
        if self.mean.len() != p || self.sd.len() != p {
            return Err(format!(
                "standardiser has {} means and {} sds for {p} features",
                self.mean.len(),
                self.sd.len()
            ));
        }
        if let Some(j) = self.mean.iter().position(|m| !m.is_finite()) {
            return Err(format!("standardiser mean of feature {j} is not finite"));
        }
        if let Some(j) = self.sd.iter().position(|s| !(s.is_finite() && *s >= 0.0)) {
            return Err(format!(
                "standardiser sd of feature {j} is not a finite non-negative number"
            ));
        }
        Ok(())
    }

    /// Encodes flat windows (`n × lookback × p`, oldest step first) as network
    /// inputs `n × lookback × 2p`: per step the `p` standardised values, then
    /// the `p` missing flags.
    pub(crate) fn encode(&self, windows: &[f64]) -> Vec<f64> {
        let p = self.mean.len();
        let mut out = Vec::with_capacity(windows.len() * 2);
        for step in windows.chunks_exact(p) {
            for (j, &x) in step.iter().enumerate() {
                out.push(if x.is_nan() || self.sd[j] == 0.0 {
                    0.0
                } else {
                    (x - self.mean[j]) / self.sd[j]
                });
            }
            out.extend(step.iter().map(|x| if x.is_nan() { 1.0 } else { 0.0 }));
        }
        out
    }
}

/// The input window of frame row `t`: rows `t − lookback + 1 ..= t` of the
/// row-major `n × p` matrix `rows`, oldest first, flattened (`lookback × p`
/// values). Steps before the first row are all-missing (`NaN`).
///
/// # Panics
/// If `p == 0` or `t` is not a row of `rows`.
pub fn window(rows: &[f64], p: usize, lookback: usize, t: usize) -> Vec<f64> {
    assert!(p > 0 && (t + 1) * p <= rows.len(), "row {t} out of range");
    let mut out = Vec::with_capacity(lookback * p);
    for k in (0..lookback).rev() {
        match t.checked_sub(k) {
            Some(s) => out.extend_from_slice(&rows[s * p..(s + 1) * p]),
            None => out.extend(std::iter::repeat_n(f64::NAN, p)),
        }
    }
    out
}

/// Column name of feature `name` at `lag` steps before the row.
pub(crate) fn lagged_name(name: &str, lag: usize) -> String {
    format!("{name}[t-{lag}]")
}

/// The labelled rows of `inputs` as a dataset of flattened windows
/// (`lookback × p` columns, oldest step first), in the order of
/// [`SequenceInputs::labelled_rows`] — the rows the walk-forward plans over.
pub(crate) fn window_dataset(inputs: &SequenceInputs) -> Result<Dataset, MlError> {
    let p = inputs.n_features();
    let l = inputs.lookback;
    let labelled = inputs.labelled_rows();
    let mut x = Vec::with_capacity(labelled.len() * l * p);
    for &t in &labelled {
        x.extend(window(&inputs.rows, p, l, t));
    }
    let feature_names = (0..l)
        .rev()
        .flat_map(|lag| {
            inputs
                .feature_names
                .iter()
                .map(move |n| lagged_name(n, lag))
        })
        .collect();
    Dataset::new(DatasetParts {
        feature_names,
        classes: DIRECTION_CLASSES.iter().map(|c| c.to_string()).collect(),
        x,
        y: labelled.iter().filter_map(|&t| inputs.labels[t]).collect(),
        dates: labelled.iter().map(|&t| inputs.dates[t]).collect(),
        weights: None,
        label_horizon: inputs.horizon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// On its own training rows the encoding has mean 0 and sd 1 over the present values
        /// of each varying feature, and the flags mark exactly the missing values.
        #[test]
        fn encoding_standardises_the_training_rows(
            values in proptest::collection::vec(
                prop_oneof![4 => -1e3f64..1e3, 1 => Just(f64::NAN)], 3 * 40),
        ) {
            let p = 3;
            let s = Standardiser::fit(values.chunks(p), p);
            prop_assert!(s.validate(p).is_ok());
            let enc = s.encode(&values);
            for j in 0..p {
                let z: Vec<f64> = (0..40)
                    .filter(|r| !values[r * p + j].is_nan())
                    .map(|r| enc[r * 2 * p + j])
                    .collect();
                for r in 0..40 {
                    let flag = enc[r * 2 * p + p + j];
                    prop_assert_eq!(flag, if values[r * p + j].is_nan() { 1.0 } else { 0.0 });
                }
                if s.sd()[j] > 1e-9 {
                    let n = z.len() as f64;
                    let mean = z.iter().sum::<f64>() / n;
                    let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    prop_assert!(mean.abs() < 1e-9, "mean {}", mean);
                    prop_assert!((var - 1.0).abs() < 1e-9, "var {}", var);
                } else {
                    prop_assert!(z.iter().all(|v| *v == 0.0));
                }
            }
        }
    }

    #[test]
    fn standardiser_uses_finite_values_and_flags_missing_ones() {
        let rows = [
            [1.0, f64::NAN, 5.0],
            [3.0, f64::NAN, 5.0],
            [f64::NAN, f64::NAN, 5.0],
        ];
        let s = Standardiser::fit(rows.iter().map(|r| r.as_slice()), 3);
        assert_eq!(s.mean(), &[2.0, 0.0, 5.0]);
        assert_eq!(s.sd(), &[1.0, 0.0, 0.0]);
        assert!(s.validate(3).is_ok());
        assert!(s.validate(2).is_err());
        let enc = s.encode(&[4.0, 7.0, 9.0, f64::NAN, f64::NAN, 5.0]);
        assert_eq!(
            enc,
            vec![2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
        );
    }

    #[test]
    fn windows_look_only_backwards_and_pad_the_start_with_missing() {
        let rows: Vec<f64> = (0..10).map(f64::from).collect(); // 5 rows × 2
        assert_eq!(window(&rows, 2, 3, 4), vec![4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        let w = window(&rows, 2, 3, 0);
        assert!(w[..4].iter().all(|v| v.is_nan()));
        assert_eq!(&w[4..], &[0.0, 1.0]);
    }

    #[test]
    fn the_window_dataset_keeps_labelled_rows_in_order() {
        let inputs = SequenceInputs {
            feature_names: vec!["a".into(), "b".into()],
            rows: (0..12).map(f64::from).collect(),
            dates: crate::synthetic::weekdays(6),
            labels: vec![Some(0), None, Some(2), Some(1), None, Some(2)],
            horizon: 1,
            lookback: 2,
            initial_train_rows: 2,
            refit_every: 1,
        };
        let ds = window_dataset(&inputs).unwrap();
        assert_eq!(ds.n_rows(), 4);
        assert_eq!(ds.labels(), &[0, 2, 1, 2]);
        assert_eq!(ds.dates()[1], inputs.dates[2]);
        assert_eq!(ds.feature_names()[0], "a[t-1]");
        assert_eq!(ds.feature_names()[3], "b[t-0]");
        // Row 2 of the frame: window of frame rows 1 and 2 (row 1 is unlabelled but an input).
        assert_eq!(ds.row(1), &[2.0, 3.0, 4.0, 5.0]);
    }
}
