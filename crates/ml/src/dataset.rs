//! Time-ordered, labelled feature matrices and class-probability matrices.
//!
//! A [`Dataset`] is what every learner trains on: one row per date (strictly
//! increasing), `p` named features per row stored row-major, a class label per
//! row and, optionally, a positive weight per row. It also carries the
//! **label horizon** `h`: the label of row `j` uses data up to row `j + h`.
//! The walk-forward engine and the early-stopping split use `h` to purge
//! training rows whose labels overlap what they are tested on.
//!
//! Missing feature values are `NaN` (never ±∞, which are rejected). How each
//! learner treats them: gradient-boosted trees route `NaN` down a learned
//! branch (forust-ml's native missing handling); logistic regression replaces
//! `NaN` by the training-window median of the feature, and stores those
//! medians in the model so prediction imputes the same values.

use std::ops::Range;

use chrono::NaiveDate;
use serde::Serialize;

use crate::MlError;

/// A time-ordered labelled dataset (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    feature_names: Vec<String>,
    classes: Vec<String>,
    x: Vec<f64>,
    y: Vec<usize>,
    dates: Vec<NaiveDate>,
    weights: Option<Vec<f64>>,
    label_horizon: usize,
}

/// The parts a [`Dataset`] is built from; checked by [`Dataset::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetParts {
    /// Feature names, unique and non-empty, one per column.
    pub feature_names: Vec<String>,
    /// Class names in label order (at least two), e.g. `["DOWN", "NEUTRAL", "UP"]`.
    pub classes: Vec<String>,
    /// Features, row-major, `dates.len() × feature_names.len()`; `NaN` marks a missing value.
    pub x: Vec<f64>,
    /// Class index per row, `< classes.len()`.
    pub y: Vec<usize>,
    /// Row dates, strictly increasing.
    pub dates: Vec<NaiveDate>,
    /// Optional positive finite weight per row.
    pub weights: Option<Vec<f64>>,
    /// Rows of future data each label uses (0 if the label is known on its own row's date).
    pub label_horizon: usize,
}

impl Dataset {
    /// Checks and assembles a dataset.
    ///
    /// Errors name the offending row, feature or field: shape mismatches,
    /// duplicate or empty feature names, fewer than two classes, a label out
    /// of range, ±∞ in a feature, dates not strictly increasing, or a weight
    /// that is not positive and finite.
    pub fn new(parts: DatasetParts) -> Result<Self, MlError> {
        let DatasetParts {
            feature_names,
            classes,
            x,
            y,
            dates,
            weights,
            label_horizon,
        } = parts;
        let bad = |reason: String| Err(MlError::InvalidDataset { reason });
        let p = feature_names.len();
        let n = dates.len();
        if p == 0 {
            return bad("no features".into());
        }
        for (j, name) in feature_names.iter().enumerate() {
            if name.trim().is_empty() {
                return bad(format!("feature {j} has an empty name"));
            }
            if feature_names[..j].contains(name) {
                return bad(format!("feature name `{name}` appears twice"));
            }
        }
        if classes.len() < 2 {
            return bad(format!("need at least two classes, got {}", classes.len()));
        }
        if y.len() != n {
            return bad(format!("{} labels for {n} dates", y.len()));
        }
        if x.len() != n * p {
            return bad(format!(
                "feature matrix has {} values, expected {n} rows × {p} features = {}",
                x.len(),
                n * p
            ));
        }
        if let Some(i) = y.iter().position(|&c| c >= classes.len()) {
            return bad(format!(
                "row {i} ({}) has label {} but there are only {} classes",
                dates[i],
                y[i],
                classes.len()
            ));
        }
        if let Some(k) = x.iter().position(|v| v.is_infinite()) {
            return bad(format!(
                "feature `{}` is infinite on row {} ({}); use NaN for a missing value",
                feature_names[k % p],
                k / p,
                dates[k / p]
            ));
        }
        if let Some(i) = dates.windows(2).position(|w| w[1] <= w[0]) {
            return bad(format!(
                "dates must be strictly increasing: row {} is {} after row {} at {}",
                i + 1,
                dates[i + 1],
                i,
                dates[i]
            ));
        }
        if let Some(w) = &weights {
            if w.len() != n {
                return bad(format!("{} weights for {n} rows", w.len()));
            }
            if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
                return bad(format!(
                    "weight on row {i} ({}) is {}; weights must be positive and finite",
                    dates[i], w[i]
                ));
            }
        }
        Ok(Self {
            feature_names,
            classes,
            x,
            y,
            dates,
            weights,
            label_horizon,
        })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.dates.len()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Feature names in column order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Class names in label order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The whole feature matrix, row-major.
    pub fn features(&self) -> &[f64] {
        &self.x
    }

    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let p = self.n_features();
        &self.x[i * p..(i + 1) * p]
    }

    /// Class label per row.
    pub fn labels(&self) -> &[usize] {
        &self.y
    }

    /// Date per row.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// Row weights, if any.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Rows of future data each label uses.
    pub fn label_horizon(&self) -> usize {
        self.label_horizon
    }

    /// A copy of the rows in `rows` (same features, classes and horizon).
    pub fn select(&self, rows: Range<usize>) -> Result<Self, MlError> {
        if rows.start > rows.end || rows.end > self.n_rows() {
            return Err(MlError::InvalidDataset {
                reason: format!(
                    "row range {}..{} is outside 0..{}",
                    rows.start,
                    rows.end,
                    self.n_rows()
                ),
            });
        }
        let p = self.n_features();
        Ok(Self {
            feature_names: self.feature_names.clone(),
            classes: self.classes.clone(),
            x: self.x[rows.start * p..rows.end * p].to_vec(),
            y: self.y[rows.clone()].to_vec(),
            dates: self.dates[rows.clone()].to_vec(),
            weights: self.weights.as_ref().map(|w| w[rows].to_vec()),
            label_horizon: self.label_horizon,
        })
    }

    /// Number of rows with at least one missing (`NaN`) feature.
    pub fn rows_with_missing(&self) -> usize {
        (0..self.n_rows())
            .filter(|&i| self.row(i).iter().any(|v| v.is_nan()))
            .count()
    }

    /// Weighted share of each class (the climatological base rates of these rows).
    pub fn class_frequencies(&self) -> Vec<f64> {
        let mut counts = vec![0.0; self.n_classes()];
        let mut total = 0.0;
        for (i, &c) in self.y.iter().enumerate() {
            let w = self.weights.as_ref().map_or(1.0, |w| w[i]);
            counts[c] += w;
            total += w;
        }
        if total > 0.0 {
            counts.iter_mut().for_each(|c| *c /= total);
        }
        counts
    }

    /// An error if some class has no row, naming the class and the date window.
    pub fn require_all_classes(&self) -> Result<(), MlError> {
        let mut seen = vec![false; self.n_classes()];
        self.y.iter().for_each(|&c| seen[c] = true);
        match seen.iter().position(|s| !s) {
            None => Ok(()),
            Some(k) => Err(MlError::ClassAbsent {
                class: self.classes[k].clone(),
                window: self.window_description(),
            }),
        }
    }

    /// "`n` rows from `first` to `last`", for messages.
    pub fn window_description(&self) -> String {
        match (self.dates.first(), self.dates.last()) {
            (Some(a), Some(b)) => format!("{} rows from {a} to {b}", self.n_rows()),
            _ => "an empty window".into(),
        }
    }

    /// The feature matrix column-major (the layout forust-ml reads).
    pub(crate) fn column_major(&self) -> Vec<f64> {
        to_column_major(&self.x, self.n_features())
    }
}

/// Transposes a row-major matrix with `p` columns to column-major.
pub(crate) fn to_column_major(x: &[f64], p: usize) -> Vec<f64> {
    let n = x.len() / p;
    let mut out = vec![0.0; x.len()];
    for i in 0..n {
        for j in 0..p {
            out[j * n + i] = x[i * p + j];
        }
    }
    out
}

/// Number of rows in a row-major matrix of width `p`, or a mismatch error.
pub(crate) fn rows_of(x: &[f64], p: usize) -> Result<usize, MlError> {
    if p == 0 || !x.len().is_multiple_of(p) {
        return Err(MlError::FeatureCountMismatch {
            expected: p,
            found: x.len(),
        });
    }
    Ok(x.len() / p)
}

/// Class probabilities for a set of rows: row-major `n × K`, each row a distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probabilities {
    n_classes: usize,
    values: Vec<f64>,
}

/// Tolerance on `|Σ_k p_k − 1|` when a probability matrix is built.
const ROW_SUM_TOLERANCE: f64 = 1e-9;

impl Probabilities {
    /// Checks that every value is in `[0, 1]` and every row sums to 1 (±1e-9).
    pub fn new(n_classes: usize, values: Vec<f64>) -> Result<Self, MlError> {
        if n_classes < 2 || !values.len().is_multiple_of(n_classes) {
            return Err(MlError::ClassCountMismatch {
                expected: n_classes,
                found: values.len(),
            });
        }
        for (i, row) in values.chunks_exact(n_classes).enumerate() {
            if row.iter().any(|p| !(0.0..=1.0).contains(p)) {
                return Err(MlError::NonFinite {
                    what: format!("probability row {i} {row:?} (values must be in [0, 1])"),
                });
            }
            let s: f64 = row.iter().sum();
            if (s - 1.0).abs() > ROW_SUM_TOLERANCE {
                return Err(MlError::NonFinite {
                    what: format!("probability row {i} sums to {s}, not 1"),
                });
            }
        }
        Ok(Self { n_classes, values })
    }

    /// Binary probabilities from `P(class 1)` per row.
    pub fn from_positive(p: &[f64]) -> Result<Self, MlError> {
        Self::new(2, p.iter().flat_map(|&q| [1.0 - q, q]).collect())
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.values.len() / self.n_classes
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// The distribution of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.n_classes..(i + 1) * self.n_classes]
    }

    /// Rows in order.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.values.chunks_exact(self.n_classes)
    }

    /// The probability of class `k` on every row.
    pub fn column(&self, k: usize) -> Vec<f64> {
        self.rows().map(|r| r[k]).collect()
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// Rows `rows` as a new matrix.
    pub fn select(&self, rows: Range<usize>) -> Self {
        Self {
            n_classes: self.n_classes,
            values: self.values[rows.start * self.n_classes..rows.end * self.n_classes].to_vec(),
        }
    }

    /// Appends the rows of `other` (same class count).
    pub fn extend(&mut self, other: &Self) -> Result<(), MlError> {
        if other.n_classes != self.n_classes {
            return Err(MlError::ClassCountMismatch {
                expected: self.n_classes,
                found: other.n_classes,
            });
        }
        self.values.extend_from_slice(&other.values);
        Ok(())
    }

    /// An empty matrix with `n_classes` columns.
    pub fn empty(n_classes: usize) -> Self {
        Self {
            n_classes,
            values: Vec::new(),
        }
    }

    /// Builds from unnormalised non-negative scores per row, dividing each row by its sum.
    pub(crate) fn normalised(n_classes: usize, mut scores: Vec<f64>) -> Result<Self, MlError> {
        for (i, row) in scores.chunks_exact_mut(n_classes).enumerate() {
            let s: f64 = row.iter().sum();
            if !(s.is_finite() && s > 0.0) {
                return Err(MlError::NonFinite {
                    what: format!("class scores of row {i} {row:?} cannot be normalised"),
                });
            }
            row.iter_mut().for_each(|v| *v /= s);
        }
        Ok(Self {
            n_classes,
            values: scores,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(i: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(u64::from(i))
    }

    fn parts() -> DatasetParts {
        DatasetParts {
            feature_names: vec!["a".into(), "b".into()],
            classes: vec!["no".into(), "yes".into()],
            x: vec![1.0, 2.0, 3.0, f64::NAN, 5.0, 6.0],
            y: vec![0, 1, 1],
            dates: vec![d(0), d(1), d(2)],
            weights: None,
            label_horizon: 1,
        }
    }

    #[test]
    fn builds_selects_and_counts() {
        let ds = Dataset::new(parts()).unwrap();
        assert_eq!((ds.n_rows(), ds.n_features(), ds.n_classes()), (3, 2, 2));
        assert_eq!(ds.rows_with_missing(), 1);
        assert_eq!(ds.row(2), &[5.0, 6.0]);
        let tail = ds.select(1..3).unwrap();
        assert_eq!(tail.labels(), &[1, 1]);
        assert_eq!(tail.dates(), &[d(1), d(2)]);
        assert_eq!(tail.row(1), &[5.0, 6.0]);
        assert!(tail.require_all_classes().is_err());
        assert!(ds.select(2..4).is_err());
        let f = ds.class_frequencies();
        assert!((f[0] - 1.0 / 3.0).abs() < 1e-15 && (f[1] - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(ds.column_major()[..3], [1.0, 3.0, 5.0]);
    }

    #[test]
    fn rejects_bad_parts_with_reasons() {
        let check = |f: fn(&mut DatasetParts), needle: &str| {
            let mut p = parts();
            f(&mut p);
            let e = Dataset::new(p).unwrap_err().to_string();
            assert!(e.contains(needle), "{e} should mention {needle}");
        };
        check(|p| p.x[2] = f64::INFINITY, "infinite on row 1");
        check(|p| p.dates[2] = p.dates[1], "strictly increasing");
        check(|p| p.y[0] = 2, "label 2");
        check(|p| p.feature_names[1] = "a".into(), "appears twice");
        check(|p| p.x.pop().map(|_| ()).unwrap(), "expected 3 rows");
        check(|p| p.weights = Some(vec![1.0, 0.0, 1.0]), "weight on row 1");
        check(|p| p.classes.truncate(1), "two classes");
    }

    #[test]
    fn probabilities_validate_rows() {
        assert!(Probabilities::new(2, vec![0.3, 0.7, 0.5, 0.5]).is_ok());
        assert!(Probabilities::new(2, vec![0.3, 0.6]).is_err());
        assert!(Probabilities::new(2, vec![-0.1, 1.1]).is_err());
        assert!(Probabilities::new(3, vec![0.3, 0.7]).is_err());
        let p = Probabilities::from_positive(&[0.25, 0.5]).unwrap();
        assert_eq!(p.column(1), vec![0.25, 0.5]);
        assert_eq!(p.row(0), &[0.75, 0.25]);
    }
}
