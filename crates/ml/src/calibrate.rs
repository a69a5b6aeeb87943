//! Probability calibration: isotonic regression (pool-adjacent-violators) and
//! Platt scaling, fitted only on predictions the model made out of sample.
//!
//! * **Binary**: one calibrator maps `p₁ ↦ p₁'`; `p₀' = 1 − p₁'`.
//! * **Multiclass**: one-vs-rest, a calibrator per class on `(p_k, 1[y = k])`,
//!   then each row is divided by its sum so it is a distribution again.
//! * **Isotonic**: equal scores are pooled first, then PAV gives blocks of
//!   constant value; a score inside a block maps to the block value, a score
//!   between two blocks is interpolated linearly between their edges, and a
//!   score beyond the ends takes the end value. The result is clamped to
//!   `[1/(2(n+1)), 1 − 1/(2(n+1))]` (`n` calibration rows): `n` rows cannot
//!   support a probability closer to 0 or 1, and a 0 would make log loss infinite.
//! * **Platt**: `p' = σ(a·logit(p) + b)`, fitted by Newton on the log loss
//!   with Platt's (1999) smoothed targets `(N₊+1)/(N₊+2)` and `1/(N₋+2)`.
//! * **No look-ahead**: [`calibrator_before`] fits the calibrator used from
//!   row `t` on out-of-sample predictions of rows `j` whose labels are known
//!   before `t` (`j + h < t`).

use serde::{Deserialize, Serialize};

use crate::linalg::{NEWTON_FULL_STEP_DECREMENT, cholesky_solve, sigmoid, softplus};
use crate::{MlError, Probabilities};

/// Which calibration map to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMethod {
    /// Isotonic regression (monotone, non-parametric).
    Isotonic,
    /// Platt scaling (two-parameter sigmoid of the logit).
    Platt,
}

/// Pool-adjacent-violators: the non-decreasing sequence closest to `y` in
/// weighted least squares (`w > 0`), in the given order.
pub fn pav(y: &[f64], w: &[f64]) -> Vec<f64> {
    // Blocks: (weighted mean, total weight, length).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (&v, &wt) in y.iter().zip(w) {
        blocks.push((v, wt, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, w2, l2) = blocks.pop().expect("two blocks");
            let (m1, w1, l1) = blocks.pop().expect("two blocks");
            let wsum = w1 + w2;
            blocks.push(((m1 * w1 + m2 * w2) / wsum, wsum, l1 + l2));
        }
    }
    blocks
        .into_iter()
        .flat_map(|(m, _, l)| std::iter::repeat_n(m, l))
        .collect()
}

/// A fitted isotonic map (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsotonicCalibrator {
    /// Lowest score in each block.
    lower: Vec<f64>,
    /// Highest score in each block.
    upper: Vec<f64>,
    /// Calibrated value of each block (non-decreasing).
    values: Vec<f64>,
    /// Clamp bound `1/(2(n+1))`.
    bound: f64,
}

impl IsotonicCalibrator {
    /// Fits on scores and 0/1 outcomes.
    pub fn fit(scores: &[f64], outcomes: &[bool]) -> Result<Self, MlError> {
        check_pairs(scores, outcomes)?;
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        // Pool equal scores into one point.
        let mut xs: Vec<f64> = Vec::new();
        let mut ys: Vec<f64> = Vec::new();
        let mut ws: Vec<f64> = Vec::new();
        for &i in &order {
            let o = if outcomes[i] { 1.0 } else { 0.0 };
            if xs.last() == Some(&scores[i]) {
                let k = xs.len() - 1;
                ys[k] = (ys[k] * ws[k] + o) / (ws[k] + 1.0);
                ws[k] += 1.0;
            } else {
                xs.push(scores[i]);
                ys.push(o);
                ws.push(1.0);
            }
        }
        let fitted = pav(&ys, &ws);
        let (mut lower, mut upper, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &v) in fitted.iter().enumerate() {
            if values.last() == Some(&v) {
                *upper.last_mut().expect("non-empty") = xs[i];
            } else {
                lower.push(xs[i]);
                upper.push(xs[i]);
                values.push(v);
            }
        }
        Ok(Self {
            lower,
            upper,
            values,
            bound: 0.5 / (scores.len() as f64 + 1.0),
        })
    }

    /// The calibrated probability of a score.
    pub fn apply(&self, s: f64) -> f64 {
        let last = self.values.len() - 1;
        // First block whose upper edge is ≥ s.
        let k = self.upper.partition_point(|&u| u < s);
        let v = if k > last {
            self.values[last]
        } else if s >= self.lower[k] || k == 0 {
            self.values[k]
        } else {
            // Between block k−1 (ends at upper[k−1]) and block k (starts at lower[k]).
            let (x0, x1) = (self.upper[k - 1], self.lower[k]);
            let t = (s - x0) / (x1 - x0);
            self.values[k - 1] + t * (self.values[k] - self.values[k - 1])
        };
        v.clamp(self.bound, 1.0 - self.bound)
    }
}

/// A fitted Platt map `p' = σ(a·logit(p) + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlattCalibrator {
    /// Slope on the logit of the score.
    pub a: f64,
    /// Intercept.
    pub b: f64,
}

/// Platt's Newton iterations stop when both gradient components are below this.
const PLATT_TOLERANCE: f64 = 1e-10;

/// Scores are clipped to `[ε, 1 − ε]` before taking the logit in Platt scaling.
const LOGIT_EPS: f64 = 1e-12;

fn logit(p: f64) -> f64 {
    let p = p.clamp(LOGIT_EPS, 1.0 - LOGIT_EPS);
    (p / (1.0 - p)).ln()
}

impl PlattCalibrator {
    /// Fits on scores (probabilities) and 0/1 outcomes; both outcomes must occur.
    pub fn fit(scores: &[f64], outcomes: &[bool]) -> Result<Self, MlError> {
        check_pairs(scores, outcomes)?;
        let n_pos = outcomes.iter().filter(|&&o| o).count();
        let n_neg = outcomes.len() - n_pos;
        if n_pos == 0 || n_neg == 0 {
            return Err(MlError::ClassAbsent {
                class: if n_pos == 0 { "positive" } else { "negative" }.into(),
                window: format!("{} Platt calibration rows", outcomes.len()),
            });
        }
        let t_pos = (n_pos as f64 + 1.0) / (n_pos as f64 + 2.0);
        let t_neg = 1.0 / (n_neg as f64 + 2.0);
        let f: Vec<f64> = scores.iter().map(|&s| logit(s)).collect();
        let t: Vec<f64> = outcomes
            .iter()
            .map(|&o| if o { t_pos } else { t_neg })
            .collect();
        let n = f.len() as f64;
        // Cross-entropy with soft targets: t·softplus(−z) + (1−t)·softplus(z), z = a f + b.
        let objective = |a: f64, b: f64| -> f64 {
            f.iter()
                .zip(&t)
                .map(|(&fi, &ti)| {
                    let z = a * fi + b;
                    ti * softplus(-z) + (1.0 - ti) * softplus(z)
                })
                .sum::<f64>()
                / n
        };
        // Start from the identity map (the scores are already probabilities).
        let (mut a, mut b) = (1.0, 0.0);
        let mut obj = objective(a, b);
        for iteration in 0..200 {
            let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&fi, &ti) in f.iter().zip(&t) {
                let p = sigmoid(a * fi + b);
                let r = p - ti;
                let c = p * (1.0 - p);
                g0 += r * fi;
                g1 += r;
                h00 += c * fi * fi;
                h01 += c * fi;
                h11 += c;
            }
            let (g0, g1) = (g0 / n, g1 / n);
            if g0.abs().max(g1.abs()) < PLATT_TOLERANCE {
                return Ok(Self { a, b });
            }
            // Tiny ridge keeps the 2×2 solve defined if all scores are equal.
            let hess = [h00 / n + 1e-12, h01 / n, h01 / n, h11 / n + 1e-12];
            let step =
                cholesky_solve(&hess, &[-g0, -g1]).ok_or_else(|| MlError::NoConvergence {
                    routine: "Platt scaling",
                    iterations: iteration,
                    detail: "singular Hessian".into(),
                })?;
            let slope = g0 * step[0] + g1 * step[1];
            if -slope <= NEWTON_FULL_STEP_DECREMENT * (1.0 + obj.abs()) {
                // So close to the minimum that objective values cannot tell steps
                // apart: the quadratic model is exact enough to take the full step.
                a += step[0];
                b += step[1];
                obj = objective(a, b);
                continue;
            }
            let mut s = 1.0;
            let mut moved = false;
            for _ in 0..60 {
                let (ca, cb) = (a + s * step[0], b + s * step[1]);
                let co = objective(ca, cb);
                if co <= obj + 1e-4 * s * slope {
                    (a, b, obj) = (ca, cb, co);
                    moved = true;
                    break;
                }
                s *= 0.5;
            }
            if !moved {
                if g0.abs().max(g1.abs()) < 1e-7 {
                    return Ok(Self { a, b });
                }
                return Err(MlError::NoConvergence {
                    routine: "Platt scaling",
                    iterations: iteration,
                    detail: format!("line search failed, gradient ({g0:e}, {g1:e})"),
                });
            }
        }
        Err(MlError::NoConvergence {
            routine: "Platt scaling",
            iterations: 200,
            detail: "iteration limit".into(),
        })
    }

    /// The calibrated probability of a score.
    pub fn apply(&self, s: f64) -> f64 {
        sigmoid(self.a * logit(s) + self.b)
    }
}

fn check_pairs(scores: &[f64], outcomes: &[bool]) -> Result<(), MlError> {
    if scores.len() != outcomes.len() {
        return Err(MlError::InvalidDataset {
            reason: format!("{} scores for {} outcomes", scores.len(), outcomes.len()),
        });
    }
    if scores.is_empty() {
        return Err(MlError::InsufficientRows {
            what: "calibration".into(),
            needed: 1,
            found: 0,
        });
    }
    if let Some(i) = scores.iter().position(|s| !(0.0..=1.0).contains(s)) {
        return Err(MlError::NonFinite {
            what: format!(
                "calibration score {} on row {i} is not a probability",
                scores[i]
            ),
        });
    }
    Ok(())
}

/// One fitted one-dimensional map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calibrator {
    /// Isotonic regression.
    Isotonic(IsotonicCalibrator),
    /// Platt scaling.
    Platt(PlattCalibrator),
}

impl Calibrator {
    fn fit(method: CalibrationMethod, scores: &[f64], outcomes: &[bool]) -> Result<Self, MlError> {
        Ok(match method {
            CalibrationMethod::Isotonic => {
                Self::Isotonic(IsotonicCalibrator::fit(scores, outcomes)?)
            }
            CalibrationMethod::Platt => Self::Platt(PlattCalibrator::fit(scores, outcomes)?),
        })
    }

    /// The calibrated probability of a score.
    pub fn apply(&self, s: f64) -> f64 {
        match self {
            Self::Isotonic(c) => c.apply(s),
            Self::Platt(c) => c.apply(s),
        }
    }
}

/// Calibration of a whole probability matrix (binary or multiclass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityCalibrator {
    method: CalibrationMethod,
    n_classes: usize,
    /// Rows the calibrator was fitted on.
    n_fit_rows: usize,
    /// One map (binary, on `p₁`) or one per class.
    maps: Vec<Calibrator>,
}

impl ProbabilityCalibrator {
    /// Fits on out-of-sample probabilities and their labels; every class must occur.
    pub fn fit(
        probs: &Probabilities,
        labels: &[usize],
        method: CalibrationMethod,
    ) -> Result<Self, MlError> {
        if probs.n_rows() != labels.len() {
            return Err(MlError::InvalidDataset {
                reason: format!("{} forecasts for {} labels", probs.n_rows(), labels.len()),
            });
        }
        let kc = probs.n_classes();
        let mut seen = vec![false; kc];
        for &y in labels {
            if y >= kc {
                return Err(MlError::InvalidDataset {
                    reason: format!("label {y} is not one of {kc} classes"),
                });
            }
            seen[y] = true;
        }
        if let Some(k) = seen.iter().position(|s| !s) {
            return Err(MlError::ClassAbsent {
                class: format!("class {k}"),
                window: format!("{} calibration rows", labels.len()),
            });
        }
        let targets: Vec<usize> = if kc == 2 { vec![1] } else { (0..kc).collect() };
        let maps = targets
            .iter()
            .map(|&k| {
                let outcomes: Vec<bool> = labels.iter().map(|&y| y == k).collect();
                Calibrator::fit(method, &probs.column(k), &outcomes)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            method,
            n_classes: kc,
            n_fit_rows: labels.len(),
            maps,
        })
    }

    /// The method used.
    pub fn method(&self) -> CalibrationMethod {
        self.method
    }

    /// Rows it was fitted on.
    pub fn n_fit_rows(&self) -> usize {
        self.n_fit_rows
    }

    /// Calibrates every row of `probs`.
    pub fn apply(&self, probs: &Probabilities) -> Result<Probabilities, MlError> {
        if probs.n_classes() != self.n_classes {
            return Err(MlError::ClassCountMismatch {
                expected: self.n_classes,
                found: probs.n_classes(),
            });
        }
        if self.n_classes == 2 {
            let p: Vec<f64> = probs.rows().map(|r| self.maps[0].apply(r[1])).collect();
            return Probabilities::from_positive(&p);
        }
        let mut out = Vec::with_capacity(probs.as_slice().len());
        for r in probs.rows() {
            out.extend(r.iter().zip(&self.maps).map(|(&p, m)| m.apply(p)));
        }
        Probabilities::normalised(self.n_classes, out)
    }

    /// Checks internal consistency (used after loading from a file).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let expected = if self.n_classes == 2 {
            1
        } else {
            self.n_classes
        };
        if self.n_classes < 2 || self.maps.len() != expected {
            return Err(format!(
                "{} calibration maps for {} classes",
                self.maps.len(),
                self.n_classes
            ));
        }
        for m in &self.maps {
            match m {
                Calibrator::Platt(p) if !(p.a.is_finite() && p.b.is_finite()) => {
                    return Err("Platt parameters are not finite".into());
                }
                Calibrator::Isotonic(c)
                    if c.values.is_empty()
                        || c.lower.len() != c.values.len()
                        || c.upper.len() != c.values.len()
                        || c.values.windows(2).any(|w| w[1] < w[0])
                        || c.upper.windows(2).any(|w| w[1] < w[0]) =>
                {
                    return Err("isotonic blocks are empty, inconsistent or not monotone".into());
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Fits the calibrator to use from row `test_start` on, from earlier out-of-sample predictions.
///
/// `rows[i]` is the dataset row of prediction `i` in `probs`/`labels`. Only
/// predictions whose label is known before `test_start` are used:
/// `rows[i] + label_horizon < test_start`. Errors with
/// [`MlError::InsufficientRows`] if fewer than `min_rows` qualify, or
/// [`MlError::ClassAbsent`] if a class has not occurred among them yet.
pub fn calibrator_before(
    rows: &[usize],
    probs: &Probabilities,
    labels: &[usize],
    test_start: usize,
    label_horizon: usize,
    method: CalibrationMethod,
    min_rows: usize,
) -> Result<ProbabilityCalibrator, MlError> {
    let usable: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i] + label_horizon < test_start)
        .collect();
    if usable.len() < min_rows.max(1) {
        return Err(MlError::InsufficientRows {
            what: format!("calibration before row {test_start}"),
            needed: min_rows.max(1),
            found: usable.len(),
        });
    }
    let values: Vec<f64> = usable.iter().flat_map(|&i| probs.row(i).to_vec()).collect();
    let sub = Probabilities::new(probs.n_classes(), values)?;
    let sub_labels: Vec<usize> = usable.iter().map(|&i| labels[i]).collect();
    ProbabilityCalibrator::fit(&sub, &sub_labels, method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use proptest::prelude::*;

    #[test]
    fn pav_hand_example() {
        let y = [1.0, 3.0, 2.0, 4.0, 3.0, 5.0];
        assert_eq!(pav(&y, &[1.0; 6]), vec![1.0, 2.5, 2.5, 3.5, 3.5, 5.0]);
        // Weighted: (3·1 + 2·3)/(1+3) = 2.25 for the first pool.
        assert_eq!(
            pav(&[3.0, 2.0, 4.0], &[1.0, 3.0, 1.0]),
            vec![2.25, 2.25, 4.0]
        );
        // A fully decreasing sequence pools to its mean.
        assert_eq!(pav(&[3.0, 2.0, 1.0], &[1.0; 3]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn isotonic_blocks_interpolation_and_clamp() {
        let s = [0.1, 0.2, 0.3, 0.4, 0.6, 0.8];
        let o = [false, true, false, true, true, true];
        let c = IsotonicCalibrator::fit(&s, &o).unwrap();
        // PAV on 0,1,0,1,1,1 → 0, 0.5, 0.5, 1, 1, 1; blocks {0.1}, {0.2,0.3}, {0.4..0.8}.
        assert_eq!(c.values, vec![0.0, 0.5, 1.0]);
        let bound = 0.5 / 7.0;
        assert_eq!(c.apply(0.05), bound);
        assert_eq!(c.apply(0.25), 0.5);
        assert!((c.apply(0.35) - 0.75).abs() < 1e-12);
        assert!((c.apply(0.15) - 0.25).abs() < 1e-12);
        assert_eq!(c.apply(0.99), 1.0 - bound);
    }

    #[test]
    fn platt_recovers_a_known_sigmoid() {
        // Outcomes drawn with P(y=1) = σ(1.7·logit(s) − 0.4).
        let (a_true, b_true) = (1.7, -0.4);
        let mut rng = SplitMix64::new(5);
        let n = 60_000;
        let mut s = Vec::with_capacity(n);
        let mut o = Vec::with_capacity(n);
        for _ in 0..n {
            let score = sigmoid(1.2 * rng.normal());
            let p = sigmoid(a_true * logit(score) + b_true);
            s.push(score);
            o.push(rng.next_f64() < p);
        }
        let c = PlattCalibrator::fit(&s, &o).unwrap();
        assert!((c.a - a_true).abs() < 0.05, "a = {}", c.a);
        assert!((c.b - b_true).abs() < 0.05, "b = {}", c.b);
    }

    #[test]
    fn multiclass_calibration_renormalises() {
        let probs = Probabilities::new(
            3,
            vec![0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.2, 0.7, 0.5, 0.25, 0.25],
        )
        .unwrap();
        let labels = [0, 1, 2, 1];
        for method in [CalibrationMethod::Isotonic, CalibrationMethod::Platt] {
            let cal = ProbabilityCalibrator::fit(&probs, &labels, method).unwrap();
            let out = cal.apply(&probs).unwrap();
            for r in out.rows() {
                assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
        }
        assert!(matches!(
            ProbabilityCalibrator::fit(&probs, &[0, 1, 1, 1], CalibrationMethod::Isotonic),
            Err(MlError::ClassAbsent { .. })
        ));
    }

    #[test]
    fn calibrator_before_uses_only_labels_known_in_time() {
        // Predictions for rows 0..10; at test_start 8 with horizon 2, rows 0..=5 qualify.
        let rows: Vec<usize> = (0..10).collect();
        let p = Probabilities::from_positive(&[0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 0.5])
            .unwrap();
        let labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
        let c =
            calibrator_before(&rows, &p, &labels, 8, 2, CalibrationMethod::Isotonic, 1).unwrap();
        assert_eq!(c.n_fit_rows(), 6);
        assert!(matches!(
            calibrator_before(&rows, &p, &labels, 8, 2, CalibrationMethod::Isotonic, 7),
            Err(MlError::InsufficientRows { found: 6, .. })
        ));
    }

    proptest! {
        #[test]
        fn pav_is_monotone_and_preserves_weighted_mean(
            y in proptest::collection::vec(-10.0f64..10.0, 1..80),
        ) {
            let w: Vec<f64> = (0..y.len()).map(|i| 1.0 + (i % 3) as f64).collect();
            let f = pav(&y, &w);
            prop_assert!(f.windows(2).all(|p| p[0] <= p[1] + 1e-12));
            let m0: f64 = y.iter().zip(&w).map(|(a, b)| a * b).sum();
            let m1: f64 = f.iter().zip(&w).map(|(a, b)| a * b).sum();
            prop_assert!((m0 - m1).abs() < 1e-9);
        }

        #[test]
        fn isotonic_map_is_monotone(
            pairs in proptest::collection::vec((0.0f64..=1.0, any::<bool>()), 1..80),
            probes in proptest::collection::vec(0.0f64..=1.0, 2..40),
        ) {
            let (s, o): (Vec<f64>, Vec<bool>) = pairs.into_iter().unzip();
            let c = IsotonicCalibrator::fit(&s, &o).unwrap();
            let mut probes = probes;
            probes.sort_by(f64::total_cmp);
            let v: Vec<f64> = probes.iter().map(|&p| c.apply(p)).collect();
            prop_assert!(v.windows(2).all(|p| p[0] <= p[1] + 1e-12));
            prop_assert!(v.iter().all(|p| *p > 0.0 && *p < 1.0));
        }
    }
}
