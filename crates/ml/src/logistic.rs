//! L2-penalised logistic regression: the baseline every model must beat.
//!
//! * **Binary** (2 classes): one linear predictor `η = b + wᵀz`, `P(class 1) = σ(η)`.
//! * **Multinomial** (≥ 3 classes, e.g. DOWN/NEUTRAL/UP): one predictor per
//!   class, `P(k) = softmax(η)_k` (the symmetric parametrisation; intercepts are
//!   centred to sum to zero after fitting, which leaves predictions unchanged).
//!
//! Objective: `(1/W) Σᵢ wᵢ · (−ln P(yᵢ)) + (λ/2) Σ w²` over all non-intercept
//! coefficients, with `W = Σ wᵢ` (row weights, 1 if absent). With `λ = l2` this
//! is scikit-learn's `C = 1 / (λ · n)` for unit weights.
//!
//! Preparation, fitted on the training rows only and stored in the model:
//! 1. missing (`NaN`) features are replaced by the feature's training median;
//! 2. features are standardised `z = (x − mean) / sd` (population sd); a
//!    constant feature gets `sd = 1`, so its `z` is 0 and it has no effect.
//!
//! Fitting is Newton's method with an Armijo back-tracking line search, from a
//! fixed start (intercepts at the log base rates, weights 0): deterministic,
//! and converged when the largest gradient component is below `tolerance`.

use serde::{Deserialize, Serialize};

use crate::dataset::rows_of;
use crate::linalg::{
    NEWTON_FULL_STEP_DECREMENT, cholesky_solve, log_sum_exp, median_ignoring_nan, sigmoid, softplus,
};
use crate::{Classifier, Dataset, MlError, Probabilities};

/// Hyper-parameters of [`LogisticModel::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticParams {
    /// L2 penalty `λ` on standardised weights (intercepts unpenalised); must be > 0.
    pub l2: f64,
    /// Newton iterations allowed before [`MlError::NoConvergence`].
    pub max_iterations: usize,
    /// Converged when `max |∂ objective / ∂θ| ≤ tolerance`.
    pub tolerance: f64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        Self {
            l2: 1e-2,
            max_iterations: 100,
            tolerance: 1e-9,
        }
    }
}

/// How the fit ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticFitSummary {
    /// Newton iterations used.
    pub iterations: usize,
    /// Penalised objective at the solution.
    pub objective: f64,
    /// Largest absolute gradient component at the solution.
    pub max_abs_gradient: f64,
}

/// A fitted logistic regression (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    n_classes: usize,
    imputation_medians: Vec<f64>,
    means: Vec<f64>,
    scales: Vec<f64>,
    /// One row per linear predictor (1 for binary, K for multinomial):
    /// `[intercept, w_1, …, w_p]` on standardised features.
    coefficients: Vec<Vec<f64>>,
    params: LogisticParams,
    summary: LogisticFitSummary,
}

/// The standardised design row `[1, z_1, …, z_p]` of raw features `x`.
fn design_row(x: &[f64], medians: &[f64], means: &[f64], scales: &[f64], out: &mut [f64]) {
    out[0] = 1.0;
    for j in 0..x.len() {
        let v = if x[j].is_nan() { medians[j] } else { x[j] };
        out[j + 1] = (v - means[j]) / scales[j];
    }
}

struct Problem {
    /// Design matrix, row-major `n × q` with `q = p + 1`.
    a: Vec<f64>,
    q: usize,
    y: Vec<usize>,
    /// Row weights divided by their sum.
    w: Vec<f64>,
    /// Number of linear predictors (1 binary, K multinomial).
    m: usize,
    l2: f64,
}

impl Problem {
    fn n(&self) -> usize {
        self.y.len()
    }

    fn etas(&self, theta: &[f64], i: usize, eta: &mut [f64]) {
        let row = &self.a[i * self.q..(i + 1) * self.q];
        for (k, e) in eta.iter_mut().enumerate() {
            let t = &theta[k * self.q..(k + 1) * self.q];
            *e = row.iter().zip(t).map(|(a, b)| a * b).sum();
        }
    }

    fn penalty(&self, theta: &[f64]) -> f64 {
        let mut s = 0.0;
        for k in 0..self.m {
            s += theta[k * self.q + 1..(k + 1) * self.q]
                .iter()
                .map(|v| v * v)
                .sum::<f64>();
        }
        0.5 * self.l2 * s
    }

    fn objective(&self, theta: &[f64]) -> f64 {
        let mut eta = vec![0.0; self.m];
        let mut nll = 0.0;
        for i in 0..self.n() {
            self.etas(theta, i, &mut eta);
            let loss = if self.m == 1 {
                // −ln σ(η) = softplus(−η); −ln(1 − σ(η)) = softplus(η).
                if self.y[i] == 1 {
                    softplus(-eta[0])
                } else {
                    softplus(eta[0])
                }
            } else {
                log_sum_exp(&eta) - eta[self.y[i]]
            };
            nll += self.w[i] * loss;
        }
        nll + self.penalty(theta)
    }

    /// Gradient and Hessian (row-major `dim × dim`) of the objective.
    fn gradient_hessian(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (q, m) = (self.q, self.m);
        let dim = q * m;
        let mut g = vec![0.0; dim];
        let mut h = vec![0.0; dim * dim];
        let mut eta = vec![0.0; m];
        let mut p = vec![0.0; m];
        let mut c = vec![0.0; m * m];
        for i in 0..self.n() {
            self.etas(theta, i, &mut eta);
            let row = &self.a[i * q..(i + 1) * q];
            let wi = self.w[i];
            if m == 1 {
                p[0] = sigmoid(eta[0]);
                let r = p[0] - if self.y[i] == 1 { 1.0 } else { 0.0 };
                c[0] = p[0] * (1.0 - p[0]);
                for (gj, aj) in g.iter_mut().zip(row) {
                    *gj += wi * r * aj;
                }
            } else {
                let lse = log_sum_exp(&eta);
                for k in 0..m {
                    p[k] = (eta[k] - lse).exp();
                }
                for k in 0..m {
                    let r = p[k] - if self.y[i] == k { 1.0 } else { 0.0 };
                    for (gj, aj) in g[k * q..(k + 1) * q].iter_mut().zip(row) {
                        *gj += wi * r * aj;
                    }
                    for l in 0..m {
                        c[k * m + l] = if k == l { p[k] } else { 0.0 } - p[k] * p[l];
                    }
                }
            }
            // Upper triangle of each (k, l) block: H[(k,u),(l,v)] += w c_kl a_u a_v.
            for k in 0..m {
                for l in k..m {
                    let ckl = wi * c[k * m + l];
                    if ckl == 0.0 {
                        continue;
                    }
                    for u in 0..q {
                        let au = ckl * row[u];
                        let base = (k * q + u) * dim + l * q;
                        let v0 = if k == l { u } else { 0 };
                        for v in v0..q {
                            h[base + v] += au * row[v];
                        }
                    }
                }
            }
        }
        // Mirror to the lower triangle.
        for r in 0..dim {
            for s in 0..r {
                h[r * dim + s] = h[s * dim + r];
            }
        }
        for k in 0..m {
            for j in 1..q {
                let idx = k * q + j;
                g[idx] += self.l2 * theta[idx];
                h[idx * dim + idx] += self.l2;
            }
        }
        (g, h)
    }
}

impl LogisticModel {
    /// Fits on every row of `data` (see the module documentation for the method).
    ///
    /// Errors: `l2 ≤ 0` or a non-finite parameter, a class with no row, a
    /// feature with no non-missing value, or Newton failing to converge.
    pub fn fit(data: &Dataset, params: &LogisticParams) -> Result<Self, MlError> {
        if !(params.l2 > 0.0 && params.l2.is_finite()) {
            return Err(MlError::InvalidParameter {
                name: "l2",
                reason: format!("{} must be positive and finite", params.l2),
            });
        }
        if params.tolerance.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
            || params.max_iterations == 0
        {
            return Err(MlError::InvalidParameter {
                name: "tolerance/max_iterations",
                reason: "tolerance must be > 0 and max_iterations ≥ 1".into(),
            });
        }
        data.require_all_classes()?;
        let (n, p, kc) = (data.n_rows(), data.n_features(), data.n_classes());
        let mut medians = Vec::with_capacity(p);
        let mut means = Vec::with_capacity(p);
        let mut scales = Vec::with_capacity(p);
        for j in 0..p {
            let col = (0..n).map(|i| data.row(i)[j]);
            let med = median_ignoring_nan(col.clone()).ok_or_else(|| MlError::InvalidDataset {
                reason: format!(
                    "feature `{}` is missing on every row of {}",
                    data.feature_names()[j],
                    data.window_description()
                ),
            })?;
            let filled: Vec<f64> = col.map(|v| if v.is_nan() { med } else { v }).collect();
            let mean = filled.iter().sum::<f64>() / n as f64;
            let var = filled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            let sd = var.sqrt();
            medians.push(med);
            means.push(mean);
            scales.push(if sd > 0.0 && sd.is_finite() { sd } else { 1.0 });
        }
        let q = p + 1;
        let mut a = vec![0.0; n * q];
        for i in 0..n {
            design_row(
                data.row(i),
                &medians,
                &means,
                &scales,
                &mut a[i * q..(i + 1) * q],
            );
        }
        let raw_w: Vec<f64> = data.weights().map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
        let total: f64 = raw_w.iter().sum();
        let m = if kc == 2 { 1 } else { kc };
        let problem = Problem {
            a,
            q,
            y: data.labels().to_vec(),
            w: raw_w.iter().map(|w| w / total).collect(),
            m,
            l2: params.l2,
        };
        // Start: weights 0, intercepts at the (log) base rates.
        let freq = data.class_frequencies();
        let mut theta = vec![0.0; m * q];
        if m == 1 {
            theta[0] = (freq[1] / freq[0]).ln();
        } else {
            let logs: Vec<f64> = freq.iter().map(|f| f.ln()).collect();
            let mean_log = logs.iter().sum::<f64>() / m as f64;
            for k in 0..m {
                theta[k * q] = logs[k] - mean_log;
            }
        }
        let summary = newton(&problem, &mut theta, params)?;
        let mut coefficients: Vec<Vec<f64>> = theta.chunks(q).map(<[f64]>::to_vec).collect();
        if m > 1 {
            let mean_b = coefficients.iter().map(|c| c[0]).sum::<f64>() / m as f64;
            coefficients.iter_mut().for_each(|c| c[0] -= mean_b);
        }
        tracing::debug!(
            rows = n,
            features = p,
            classes = kc,
            iterations = summary.iterations,
            "logistic regression fitted"
        );
        Ok(Self {
            n_classes: kc,
            imputation_medians: medians,
            means,
            scales,
            coefficients,
            params: params.clone(),
            summary,
        })
    }

    /// The training medians used to impute missing features.
    pub fn imputation_medians(&self) -> &[f64] {
        &self.imputation_medians
    }

    /// Per-feature training means and standard deviations used to standardise.
    pub fn standardisation(&self) -> (&[f64], &[f64]) {
        (&self.means, &self.scales)
    }

    /// `[intercept, w_1, …, w_p]` per linear predictor, on standardised features.
    pub fn coefficients(&self) -> &[Vec<f64>] {
        &self.coefficients
    }

    /// The hyper-parameters it was fitted with.
    pub fn params(&self) -> &LogisticParams {
        &self.params
    }

    /// How the fit converged.
    pub fn summary(&self) -> &LogisticFitSummary {
        &self.summary
    }

    /// Checks internal consistency (used after loading from a file).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let p = self.means.len();
        let m = if self.n_classes == 2 {
            1
        } else {
            self.n_classes
        };
        if self.n_classes < 2
            || self.imputation_medians.len() != p
            || self.scales.len() != p
            || self.coefficients.len() != m
            || self.coefficients.iter().any(|c| c.len() != p + 1)
        {
            return Err("logistic model arrays have inconsistent lengths".into());
        }
        let all = self
            .imputation_medians
            .iter()
            .chain(&self.means)
            .chain(&self.scales)
            .chain(self.coefficients.iter().flatten());
        if all.clone().any(|v| !v.is_finite()) || self.scales.iter().any(|s| *s <= 0.0) {
            return Err("logistic model holds a non-finite value or a non-positive scale".into());
        }
        Ok(())
    }
}

fn newton(
    problem: &Problem,
    theta: &mut [f64],
    params: &LogisticParams,
) -> Result<LogisticFitSummary, MlError> {
    let dim = theta.len();
    let mut f = problem.objective(theta);
    for iteration in 0..params.max_iterations {
        let (g, mut h) = problem.gradient_hessian(theta);
        let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if gmax <= params.tolerance {
            return Ok(LogisticFitSummary {
                iterations: iteration,
                objective: f,
                max_abs_gradient: gmax,
            });
        }
        // The multinomial intercepts have a flat direction (adding a constant to all);
        // a tiny ridge on the intercept diagonal keeps the solve well posed.
        for k in 0..problem.m {
            let idx = k * problem.q;
            h[idx * dim + idx] += 1e-10;
        }
        let neg_g: Vec<f64> = g.iter().map(|v| -v).collect();
        let step = cholesky_solve(&h, &neg_g).ok_or_else(|| MlError::NoConvergence {
            routine: "logistic Newton",
            iterations: iteration,
            detail: "Hessian is not positive definite".into(),
        })?;
        let slope: f64 = g.iter().zip(&step).map(|(a, b)| a * b).sum();
        if -slope <= NEWTON_FULL_STEP_DECREMENT * (1.0 + f.abs()) {
            // Objective values can no longer rank steps this close to the minimum;
            // the quadratic model is exact enough to take the full Newton step.
            theta.iter_mut().zip(&step).for_each(|(t, s)| *t += s);
            f = problem.objective(theta);
            continue;
        }
        let mut t = 1.0;
        let mut accepted = false;
        let mut candidate = vec![0.0; dim];
        for _ in 0..60 {
            for ((c, th), s) in candidate.iter_mut().zip(theta.iter()).zip(&step) {
                *c = th + t * s;
            }
            let fc = problem.objective(&candidate);
            if fc <= f + 1e-4 * t * slope {
                theta.copy_from_slice(&candidate);
                f = fc;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            // No decrease is representable any more: converged to rounding if the
            // gradient is already tiny, otherwise a genuine failure.
            if gmax <= 1e-6 {
                return Ok(LogisticFitSummary {
                    iterations: iteration,
                    objective: f,
                    max_abs_gradient: gmax,
                });
            }
            return Err(MlError::NoConvergence {
                routine: "logistic Newton",
                iterations: iteration,
                detail: format!("line search failed with max |gradient| {gmax:e}"),
            });
        }
    }
    let (g, _) = problem.gradient_hessian(theta);
    let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if gmax <= params.tolerance {
        return Ok(LogisticFitSummary {
            iterations: params.max_iterations,
            objective: f,
            max_abs_gradient: gmax,
        });
    }
    Err(MlError::NoConvergence {
        routine: "logistic Newton",
        iterations: params.max_iterations,
        detail: format!("max |gradient| {gmax:e} > tolerance {:e}", params.tolerance),
    })
}

impl Classifier for LogisticModel {
    fn n_features(&self) -> usize {
        self.means.len()
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn predict_proba(&self, x: &[f64]) -> Result<Probabilities, MlError> {
        let p = self.n_features();
        let n = rows_of(x, p)?;
        if let Some(k) = x.iter().position(|v| v.is_infinite()) {
            return Err(MlError::NonFinite {
                what: format!("feature {} of row {} is infinite", k % p, k / p),
            });
        }
        let mut z = vec![0.0; p + 1];
        let mut out = Vec::with_capacity(n * self.n_classes);
        let mut eta = vec![0.0; self.coefficients.len()];
        for row in x.chunks_exact(p) {
            design_row(
                row,
                &self.imputation_medians,
                &self.means,
                &self.scales,
                &mut z,
            );
            for (e, c) in eta.iter_mut().zip(&self.coefficients) {
                *e = z.iter().zip(c).map(|(a, b)| a * b).sum();
            }
            if self.n_classes == 2 {
                let p1 = sigmoid(eta[0]);
                out.extend([1.0 - p1, p1]);
            } else {
                let lse = log_sum_exp(&eta);
                out.extend(eta.iter().map(|e| (e - lse).exp()));
            }
        }
        Probabilities::normalised(self.n_classes, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatasetParts;
    use crate::synthetic;
    use chrono::NaiveDate;

    fn tiny(classes: usize, x: Vec<f64>, y: Vec<usize>) -> Dataset {
        let n = y.len();
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        Dataset::new(DatasetParts {
            feature_names: vec!["f1".into(), "f2".into()],
            classes: (0..classes).map(|k| format!("c{k}")).collect(),
            x,
            y,
            dates: (0..n as u64)
                .map(|i| start + chrono::Days::new(i))
                .collect(),
            weights: None,
            label_horizon: 0,
        })
        .unwrap()
    }

    const X: [f64; 24] = [
        0.5, 1.2, -1.0, 0.3, 1.5, -0.7, 0.2, 0.9, -0.4, -1.1, 2.0, 0.4, -1.6, 0.8, 0.9, -0.2, 0.1,
        1.7, -0.8, -0.5, 1.1, 0.6, -0.3, -1.4,
    ];

    // Reference solutions from an independent pure-Python computation that standardises the
    // same way and minimises the same objective by plain gradient descent (not Newton):
    //
    //   import math
    //   X=[(0.5,1.2),(-1.0,0.3),(1.5,-0.7),(0.2,0.9),(-0.4,-1.1),(2.0,0.4),(-1.6,0.8),
    //      (0.9,-0.2),(0.1,1.7),(-0.8,-0.5),(1.1,0.6),(-0.3,-1.4)]
    //   n=len(X); lam=0.1
    //   mu=[sum(r[j] for r in X)/n for j in (0,1)]
    //   sd=[math.sqrt(sum((r[j]-mu[j])**2 for r in X)/n) for j in (0,1)]
    //   A=[[1.0]+[(r[j]-mu[j])/sd[j] for j in (0,1)] for r in X]
    //   def fit(y,m):                       # m predictors: 1 binary, K softmax
    //       th=[[0.0]*3 for _ in range(m)]
    //       for it in range(200000):
    //           g=[[0.0]*3 for _ in range(m)]
    //           for a,yi in zip(A,y):
    //               eta=[sum(t*v for t,v in zip(th[k],a)) for k in range(m)]
    //               if m==1: p=[1/(1+math.exp(-eta[0]))]; r=[p[0]-yi]
    //               else:
    //                   mx=max(eta); e=[math.exp(v-mx) for v in eta]; s=sum(e)
    //                   r=[e[k]/s-(1.0 if yi==k else 0.0) for k in range(m)]
    //               for k in range(m):
    //                   for j in range(3): g[k][j]+=r[k]*a[j]/n
    //           for k in range(m):
    //               for j in range(1,3): g[k][j]+=lam*th[k][j]
    //               for j in range(3): th[k][j]-=0.5*g[k][j]
    //       if m>1:
    //           b=sum(t[0] for t in th)/m
    //           for t in th: t[0]-=b
    //       return th
    //   print(fit([1,0,1,1,0,1,0,1,1,0,0,0],1))
    //   print(fit([2,0,2,1,0,2,0,1,2,1,1,0],3))
    //
    // Output (final max |gradient| 1.8e-16 and 9.7e-17):
    const BINARY_REF: [f64; 3] = [
        -0.018197197249321055,
        1.0489408393451434,
        0.6365915236545421,
    ];
    const MULTI_REF: [[f64; 3]; 3] = [
        [
            -0.1887930682139131,
            -0.9279981589271635,
            -0.4908771009062285,
        ],
        [
            0.2709484522909703,
            0.1407310610844471,
            0.0030804160474693547,
        ],
        [-0.0821553840770572, 0.7872670978427176, 0.48779668485875977],
    ];

    fn params() -> LogisticParams {
        LogisticParams {
            l2: 0.1,
            ..LogisticParams::default()
        }
    }

    #[test]
    fn binary_matches_independent_solution_and_gradient_vanishes() {
        let ds = tiny(2, X.to_vec(), vec![1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0]);
        let m = LogisticModel::fit(&ds, &params()).unwrap();
        assert!(m.summary().max_abs_gradient <= 1e-9);
        for (got, want) in m.coefficients()[0].iter().zip(BINARY_REF) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
        // Probabilities follow from the coefficients.
        let pr = m.predict_proba(ds.row(0)).unwrap();
        let (mu, sd) = m.standardisation();
        let c = &m.coefficients()[0];
        let eta = c[0] + c[1] * (X[0] - mu[0]) / sd[0] + c[2] * (X[1] - mu[1]) / sd[1];
        assert!((pr.row(0)[1] - 1.0 / (1.0 + (-eta).exp())).abs() < 1e-15);
    }

    #[test]
    fn multinomial_matches_independent_solution() {
        let ds = tiny(3, X.to_vec(), vec![2, 0, 2, 1, 0, 2, 0, 1, 2, 1, 1, 0]);
        let m = LogisticModel::fit(&ds, &params()).unwrap();
        assert!(m.summary().max_abs_gradient <= 1e-9);
        for (row, want) in m.coefficients().iter().zip(MULTI_REF) {
            for (got, w) in row.iter().zip(want) {
                assert!((got - w).abs() < 1e-8, "{got} vs {w}");
            }
        }
        let pr = m.predict_proba(ds.features()).unwrap();
        for r in pr.rows() {
            assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn missing_features_are_imputed_with_training_medians() {
        let mut x = X.to_vec();
        x[2] = f64::NAN; // row 1, feature 0
        let ds = tiny(2, x, vec![1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0]);
        let m = LogisticModel::fit(&ds, &params()).unwrap();
        // Median of feature 0 without row 1: the 11 other values, middle one.
        let mut col: Vec<f64> = (0..12).filter(|&i| i != 1).map(|i| X[2 * i]).collect();
        col.sort_by(f64::total_cmp);
        assert_eq!(m.imputation_medians()[0], col[5]);
        let with_nan = m.predict_proba(&[f64::NAN, 0.3]).unwrap();
        let imputed = m.predict_proba(&[col[5], 0.3]).unwrap();
        assert_eq!(with_nan, imputed);
    }

    #[test]
    fn recovers_ground_truth_direction_on_synthetic_data() {
        let ds = synthetic::logistic_dataset(&synthetic::SyntheticSpec {
            n_rows: 4000,
            n_features: 5,
            n_classes: 2,
            seed: 11,
            ..synthetic::SyntheticSpec::default()
        });
        let m = LogisticModel::fit(
            &ds,
            &LogisticParams {
                l2: 1e-6,
                ..LogisticParams::default()
            },
        )
        .unwrap();
        let (_, sd) = m.standardisation();
        let truth = synthetic::true_weights(5);
        for j in 0..5 {
            let w = m.coefficients()[0][j + 1] / sd[j];
            assert!(
                (w - truth[j]).abs() < 0.15,
                "feature {j}: {w} vs {}",
                truth[j]
            );
        }
    }

    #[test]
    fn refitting_gives_bit_identical_models() {
        for n_classes in [2, 3] {
            let ds = synthetic::logistic_dataset(&synthetic::SyntheticSpec {
                n_classes,
                missing_fraction: 0.02,
                ..synthetic::SyntheticSpec::default()
            });
            let a = LogisticModel::fit(&ds, &LogisticParams::default()).unwrap();
            let b = LogisticModel::fit(&ds, &LogisticParams::default()).unwrap();
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
            assert!(a.summary().max_abs_gradient <= 1e-9);
        }
    }

    #[test]
    fn rejects_bad_inputs() {
        let ds = tiny(2, X.to_vec(), vec![0; 12]);
        assert!(matches!(
            LogisticModel::fit(&ds, &params()),
            Err(MlError::ClassAbsent { .. })
        ));
        let ds = tiny(2, X.to_vec(), vec![1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0]);
        let zero = LogisticParams {
            l2: 0.0,
            ..params()
        };
        assert!(matches!(
            LogisticModel::fit(&ds, &zero),
            Err(MlError::InvalidParameter { .. })
        ));
        let m = LogisticModel::fit(&ds, &params()).unwrap();
        assert!(matches!(
            m.predict_proba(&[1.0, 2.0, 3.0]),
            Err(MlError::FeatureCountMismatch { .. })
        ));
    }
}
