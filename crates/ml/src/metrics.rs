//! Probabilistic forecast scores: log loss, Brier, Brier skill, accuracy, AUC,
//! expected calibration error with reliability bins.
//!
//! Conventions (stated once, used everywhere):
//! * **Log loss** `−mean ln p(yᵢ)`, with `p` clipped below at `1e−15`.
//! * **Brier**: binary `mean (p₁ − y)²` (range 0–1); multiclass
//!   `mean Σ_k (p_k − 1[y = k])²` (range 0–2).
//! * **Brier skill** `1 − Brier / Brier_clim`, where climatology forecasts the
//!   base rates of the *training window* for each test row (passed in; never the
//!   test rows' own frequencies). `None` when `Brier_clim = 0`.
//! * **Accuracy**: share of rows whose most probable class (lowest index on ties) is the label.
//! * **AUC**: Mann–Whitney with average ranks for ties; binary on `p₁`, multiclass
//!   the macro mean of one-vs-rest AUCs. `None` when some class has no positive
//!   or no negative row (the AUC is undefined).
//! * **ECE** over 10 equal-width bins of `[0, 1]`: binary on `p₁` against the
//!   frequency of class 1; multiclass on the top-label confidence against the
//!   frequency of the top label being right. `ECE = Σ_b (n_b/n)·|mean p_b − freq_b|`.

use serde::{Deserialize, Serialize};

use crate::{MlError, Probabilities};

/// Probabilities are clipped below at this value inside the log loss.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Number of equal-width reliability bins.
pub const RELIABILITY_BINS: usize = 10;

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except the last bin which includes 1).
    pub upper: f64,
    /// Rows whose predicted probability falls in the bin.
    pub count: usize,
    /// Mean predicted probability of those rows (`None` if empty).
    pub mean_predicted: Option<f64>,
    /// Observed frequency of the event among them (`None` if empty).
    pub observed_frequency: Option<f64>,
}

/// All scores of one set of forecasts against labels (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Rows scored.
    pub n: usize,
    /// Mean negative log-likelihood.
    pub log_loss: f64,
    /// Brier score.
    pub brier: f64,
    /// Mean climatology forecast over the rows (the training-window base rates).
    pub climatology: Vec<f64>,
    /// Brier score of the climatology forecast on the same rows.
    pub climatology_brier: f64,
    /// `1 − brier / climatology_brier`.
    pub brier_skill: Option<f64>,
    /// Share of rows whose most probable class is right.
    pub accuracy: f64,
    /// Area under the ROC curve (macro one-vs-rest when multiclass).
    pub auc: Option<f64>,
    /// Expected calibration error.
    pub ece: f64,
    /// The reliability diagram behind the ECE.
    pub reliability: Vec<ReliabilityBin>,
}

fn check(probs: &Probabilities, labels: &[usize]) -> Result<(), MlError> {
    if probs.n_rows() != labels.len() {
        return Err(MlError::InvalidDataset {
            reason: format!("{} forecasts for {} labels", probs.n_rows(), labels.len()),
        });
    }
    if labels.is_empty() {
        return Err(MlError::InsufficientRows {
            what: "scoring forecasts".into(),
            needed: 1,
            found: 0,
        });
    }
    if let Some(i) = labels.iter().position(|&y| y >= probs.n_classes()) {
        return Err(MlError::InvalidDataset {
            reason: format!(
                "label {} on row {i} is not one of {} classes",
                labels[i],
                probs.n_classes()
            ),
        });
    }
    Ok(())
}

/// Mean negative log-likelihood of the labels.
pub fn log_loss(probs: &Probabilities, labels: &[usize]) -> Result<f64, MlError> {
    check(probs, labels)?;
    let s: f64 = probs
        .rows()
        .zip(labels)
        .map(|(r, &y)| -r[y].max(LOG_LOSS_EPS).ln())
        .sum();
    Ok(s / labels.len() as f64)
}

/// Brier score (binary: on `p₁`; multiclass: summed over classes).
pub fn brier(probs: &Probabilities, labels: &[usize]) -> Result<f64, MlError> {
    check(probs, labels)?;
    let s: f64 = probs
        .rows()
        .zip(labels)
        .map(|(r, &y)| row_brier(r, y))
        .sum();
    Ok(s / labels.len() as f64)
}

fn row_brier(r: &[f64], y: usize) -> f64 {
    if r.len() == 2 {
        let o = if y == 1 { 1.0 } else { 0.0 };
        (r[1] - o).powi(2)
    } else {
        r.iter()
            .enumerate()
            .map(|(k, p)| (p - if k == y { 1.0 } else { 0.0 }).powi(2))
            .sum()
    }
}

fn argmax(r: &[f64]) -> usize {
    let mut best = 0;
    for (k, &p) in r.iter().enumerate() {
        if p > r[best] {
            best = k;
        }
    }
    best
}

/// Share of rows whose most probable class (lowest index on ties) is the label.
pub fn accuracy(probs: &Probabilities, labels: &[usize]) -> Result<f64, MlError> {
    check(probs, labels)?;
    let hits = probs
        .rows()
        .zip(labels)
        .filter(|(r, y)| argmax(r) == **y)
        .count();
    Ok(hits as f64 / labels.len() as f64)
}

/// Mann–Whitney AUC of `scores` for `positive` rows, average ranks on ties;
/// `None` if there is no positive or no negative row.
pub fn auc_binary(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n = scores.len();
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = n - n_pos;
    if n_pos == 0 || n_neg == 0 || positive.len() != n {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        for &idx in &order[i..=j] {
            if positive[idx] {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    let np = n_pos as f64;
    Some((rank_sum_pos - np * (np + 1.0) / 2.0) / (np * n_neg as f64))
}

/// AUC: binary on `p₁`, multiclass the macro mean of one-vs-rest AUCs.
pub fn auc(probs: &Probabilities, labels: &[usize]) -> Result<Option<f64>, MlError> {
    check(probs, labels)?;
    if probs.n_classes() == 2 {
        let pos: Vec<bool> = labels.iter().map(|&y| y == 1).collect();
        return Ok(auc_binary(&probs.column(1), &pos));
    }
    let mut total = 0.0;
    for k in 0..probs.n_classes() {
        let pos: Vec<bool> = labels.iter().map(|&y| y == k).collect();
        match auc_binary(&probs.column(k), &pos) {
            Some(a) => total += a,
            None => return Ok(None),
        }
    }
    Ok(Some(total / probs.n_classes() as f64))
}

/// Expected calibration error and its reliability bins (see the module documentation).
pub fn reliability(
    probs: &Probabilities,
    labels: &[usize],
) -> Result<(f64, Vec<ReliabilityBin>), MlError> {
    check(probs, labels)?;
    let b = RELIABILITY_BINS;
    let mut count = vec![0usize; b];
    let mut sum_p = vec![0.0; b];
    let mut sum_o = vec![0.0; b];
    for (r, &y) in probs.rows().zip(labels) {
        let (p, hit) = if r.len() == 2 {
            (r[1], y == 1)
        } else {
            let k = argmax(r);
            (r[k], k == y)
        };
        let bin = ((p * b as f64).floor() as usize).min(b - 1);
        count[bin] += 1;
        sum_p[bin] += p;
        sum_o[bin] += if hit { 1.0 } else { 0.0 };
    }
    let n = labels.len() as f64;
    let mut ece = 0.0;
    let bins = (0..b)
        .map(|i| {
            let (mean_predicted, observed_frequency) = if count[i] > 0 {
                let c = count[i] as f64;
                let (mp, of) = (sum_p[i] / c, sum_o[i] / c);
                ece += c / n * (mp - of).abs();
                (Some(mp), Some(of))
            } else {
                (None, None)
            };
            ReliabilityBin {
                lower: i as f64 / b as f64,
                upper: (i + 1) as f64 / b as f64,
                count: count[i],
                mean_predicted,
                observed_frequency,
            }
        })
        .collect();
    Ok((ece, bins))
}

impl Metrics {
    /// Scores `probs` against `labels`, with one climatology forecast (base rates) for every row.
    pub fn compute(
        probs: &Probabilities,
        labels: &[usize],
        climatology: &[f64],
    ) -> Result<Self, MlError> {
        let clim_row = Probabilities::new(probs.n_classes(), climatology.to_vec())?;
        let clim = Probabilities::new(probs.n_classes(), clim_row.as_slice().repeat(labels.len()))?;
        Self::compute_with_climatology_rows(probs, labels, &clim)
    }

    /// Scores `probs` against `labels`, with a climatology forecast per row
    /// (e.g. the base rates of each walk-forward fold's training window).
    pub fn compute_with_climatology_rows(
        probs: &Probabilities,
        labels: &[usize],
        climatology: &Probabilities,
    ) -> Result<Self, MlError> {
        check(probs, labels)?;
        if climatology.n_classes() != probs.n_classes() || climatology.n_rows() != labels.len() {
            return Err(MlError::ClassCountMismatch {
                expected: probs.n_classes(),
                found: climatology.n_classes(),
            });
        }
        let brier_model = brier(probs, labels)?;
        let climatology_brier = brier(climatology, labels)?;
        let (ece, reliability) = reliability(probs, labels)?;
        let n = labels.len();
        let mean_clim = (0..probs.n_classes())
            .map(|k| climatology.column(k).iter().sum::<f64>() / n as f64)
            .collect();
        Ok(Self {
            n,
            log_loss: log_loss(probs, labels)?,
            brier: brier_model,
            climatology: mean_clim,
            climatology_brier,
            brier_skill: (climatology_brier > 0.0).then(|| 1.0 - brier_model / climatology_brier),
            accuracy: accuracy(probs, labels)?,
            auc: auc(probs, labels)?,
            ece,
            reliability,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bin(p: &[f64]) -> Probabilities {
        Probabilities::from_positive(p).unwrap()
    }

    #[test]
    fn auc_hand_examples() {
        let pos = [false, false, true, true];
        assert_eq!(auc_binary(&[0.1, 0.2, 0.8, 0.9], &pos), Some(1.0));
        assert_eq!(auc_binary(&[0.9, 0.8, 0.2, 0.1], &pos), Some(0.0));
        assert_eq!(auc_binary(&[0.5, 0.5, 0.5, 0.5], &pos), Some(0.5));
        // One tie between a positive and a negative: pairs (n,p) = 4, wins 3 + 0.5.
        assert_eq!(auc_binary(&[0.1, 0.6, 0.6, 0.9], &pos), Some(0.875));
        assert_eq!(auc_binary(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn binary_scores_hand_example() {
        let p = bin(&[0.8, 0.3, 0.6, 0.1]);
        let y = [1, 0, 0, 0];
        let ll = log_loss(&p, &y).unwrap();
        let want = -(0.8f64.ln() + 0.7f64.ln() + 0.4f64.ln() + 0.9f64.ln()) / 4.0;
        assert!((ll - want).abs() < 1e-15);
        let b = brier(&p, &y).unwrap();
        assert!((b - (0.04 + 0.09 + 0.36 + 0.01) / 4.0).abs() < 1e-15);
        assert_eq!(accuracy(&p, &y).unwrap(), 0.75);
        let m = Metrics::compute(&p, &y, &[0.75, 0.25]).unwrap();
        // Climatology Brier: (0.75² + 3·0.25²)/4 = 0.1875.
        assert!((m.climatology_brier - 0.1875).abs() < 1e-15);
        assert!((m.brier_skill.unwrap() - (1.0 - 0.125 / 0.1875)).abs() < 1e-12);
        assert_eq!(m.auc, Some(1.0));
        assert_eq!(m.n, 4);
    }

    #[test]
    fn multiclass_scores_hand_example() {
        let p = Probabilities::new(3, vec![0.7, 0.2, 0.1, 0.2, 0.2, 0.6, 0.3, 0.4, 0.3]).unwrap();
        let y = [0, 2, 0];
        // Brier: (0.09+0.04+0.01) + (0.04+0.04+0.16) + (0.49+0.16+0.09) = 1.12 → /3.
        assert!((brier(&p, &y).unwrap() - 1.12 / 3.0).abs() < 1e-15);
        assert!((accuracy(&p, &y).unwrap() - 2.0 / 3.0).abs() < 1e-15);
        // Class 1 never occurs: macro AUC undefined.
        assert_eq!(auc(&p, &y).unwrap(), None);
    }

    #[test]
    fn reliability_bins_hand_example() {
        let p = bin(&[0.05, 0.15, 0.12, 0.95, 1.0]);
        let y = [0, 1, 0, 1, 1];
        let (ece, bins) = reliability(&p, &y).unwrap();
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[1].count, 2);
        assert_eq!(bins[9].count, 2);
        assert!((bins[1].mean_predicted.unwrap() - 0.135).abs() < 1e-15);
        assert_eq!(bins[1].observed_frequency, Some(0.5));
        assert_eq!(bins[5].mean_predicted, None);
        let want = (1.0 * 0.05 + 2.0 * (0.5 - 0.135) + 2.0 * (1.0 - 0.975)) / 5.0;
        assert!((ece - want).abs() < 1e-15);
    }

    #[test]
    fn rejects_mismatched_inputs() {
        let p = bin(&[0.5]);
        assert!(log_loss(&p, &[0, 1]).is_err());
        assert!(log_loss(&p, &[2]).is_err());
        assert!(Metrics::compute(&p, &[1], &[0.5, 0.6]).is_err());
    }

    proptest! {
        #[test]
        fn auc_is_rank_invariant_and_complements(
            scores in proptest::collection::vec(0.0f64..1.0, 2..60),
            flags in proptest::collection::vec(any::<bool>(), 60),
        ) {
            let pos: Vec<bool> = flags[..scores.len()].to_vec();
            if let Some(a) = auc_binary(&scores, &pos) {
                prop_assert!((0.0..=1.0).contains(&a));
                // A (float-exact) monotone transform does not change the AUC.
                let scaled: Vec<f64> = scores.iter().map(|s| s * 4.0).collect();
                prop_assert!((auc_binary(&scaled, &pos).unwrap() - a).abs() < 1e-12);
                // Swapping positives and negatives gives 1 − AUC.
                let neg: Vec<bool> = pos.iter().map(|p| !p).collect();
                prop_assert!((auc_binary(&scores, &neg).unwrap() - (1.0 - a)).abs() < 1e-12);
            }
        }
    }
}
