//! Gaussian hidden Markov model with diagonal covariances, for market regimes.
//!
//! Observations are rows of `d` values (for regimes: daily return and log VIX).
//! * **Initialisation** (deterministic): k-means++ on z-scored observations
//!   with a seeded [`SplitMix64`], 20 Lloyd iterations; state means and
//!   variances from the clusters, transitions from counts of consecutive
//!   cluster labels plus one, uniform initial distribution.
//! * **Baum–Welch** with scaled forward–backward (per-step normalisation, and
//!   emission densities shifted by their per-step maximum in log space).
//!   Variances are floored at `variance_floor × var(dimension)` so a state
//!   cannot collapse onto a point. Stops when the log-likelihood gains less
//!   than `tolerance × n` in an iteration; the log-likelihood never decreases
//!   from one iteration to the next (EM), and the whole history is kept.
//! * **States are ordered** by ascending variance of the first dimension
//!   (calm to turbulent), so state numbers are reproducible; naming states
//!   (e.g. LOW_VOL_BULL) is the caller's documented mapping.
//! * **Online use**: [`GaussianHmm::filtered_probabilities`] is the forward
//!   pass only, `P(s_t | o_1..o_t)`, with no look-ahead. [`GaussianHmm::viterbi`]
//!   uses the whole sequence (hindsight).

use serde::{Deserialize, Serialize};

use crate::MlError;
use crate::rng::SplitMix64;

/// Hyper-parameters of [`GaussianHmm::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HmmParams {
    /// Hidden states `K`.
    pub n_states: usize,
    /// EM iterations allowed before [`MlError::NoConvergence`].
    pub max_iterations: usize,
    /// Converged when the log-likelihood gains less than `tolerance × n` in an iteration.
    pub tolerance: f64,
    /// Variance floor as a fraction of each dimension's overall variance.
    pub variance_floor: f64,
    /// Seed of the k-means++ initialisation.
    pub seed: u64,
}

impl Default for HmmParams {
    fn default() -> Self {
        Self {
            n_states: 4,
            max_iterations: 1000,
            tolerance: 1e-6,
            variance_floor: 1e-3,
            seed: 0,
        }
    }
}

/// A fitted Gaussian HMM (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianHmm {
    n_states: usize,
    n_dims: usize,
    initial: Vec<f64>,
    /// Row-major `K × K`, row = from.
    transition: Vec<f64>,
    /// Row-major `K × d`.
    means: Vec<f64>,
    /// Row-major `K × d`.
    variances: Vec<f64>,
    params: HmmParams,
    /// Log-likelihood of the training data at each EM iteration.
    log_likelihood_history: Vec<f64>,
}

const KMEANS_ITERATIONS: usize = 20;
const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn check_obs(obs: &[f64], n_dims: usize) -> Result<usize, MlError> {
    if n_dims == 0 || !obs.len().is_multiple_of(n_dims) {
        return Err(MlError::FeatureCountMismatch {
            expected: n_dims,
            found: obs.len(),
        });
    }
    if let Some(k) = obs.iter().position(|v| !v.is_finite()) {
        return Err(MlError::NonFinite {
            what: format!(
                "HMM observation row {}, dimension {}",
                k / n_dims,
                k % n_dims
            ),
        });
    }
    Ok(obs.len() / n_dims)
}

/// Result of a scaled forward pass.
struct Forward {
    /// Normalised `α̂`, `n × K`.
    alpha: Vec<f64>,
    /// Scale factors `c_t` of the shifted emissions.
    scale: Vec<f64>,
    /// Shifted emissions `e_t(k) = exp(log b_t(k) − m_t)`, `n × K`.
    emission: Vec<f64>,
    log_likelihood: f64,
}

impl GaussianHmm {
    /// Fits to `obs` (row-major `n × n_dims`).
    pub fn fit(obs: &[f64], n_dims: usize, params: &HmmParams) -> Result<Self, MlError> {
        let n = check_obs(obs, n_dims)?;
        let k = params.n_states;
        if k < 1 {
            return Err(MlError::InvalidParameter {
                name: "n_states",
                reason: "must be at least 1".into(),
            });
        }
        if !(params.tolerance > 0.0 && params.variance_floor > 0.0) || params.max_iterations == 0 {
            return Err(MlError::InvalidParameter {
                name: "tolerance/variance_floor/max_iterations",
                reason: "must all be positive".into(),
            });
        }
        if n < 10 * k {
            return Err(MlError::InsufficientRows {
                what: format!("a {k}-state HMM"),
                needed: 10 * k,
                found: n,
            });
        }
        let d = n_dims;
        let (mean_all, var_all) = column_moments(obs, d);
        if let Some(j) = var_all
            .iter()
            .position(|v| v.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater))
        {
            return Err(MlError::InvalidDataset {
                reason: format!("HMM observation dimension {j} is constant"),
            });
        }
        let floor: Vec<f64> = var_all.iter().map(|v| v * params.variance_floor).collect();
        let labels = kmeans_pp(obs, d, k, &mean_all, &var_all, params.seed);
        let mut model = Self::from_labels(obs, d, k, &labels, &floor, params);
        let mut history = Vec::new();
        let mut converged = false;
        for _ in 0..params.max_iterations {
            let fw = model.forward(obs);
            history.push(fw.log_likelihood);
            if history.len() >= 2 {
                let gain = history[history.len() - 1] - history[history.len() - 2];
                if gain < params.tolerance * n as f64 {
                    converged = true;
                    break;
                }
            }
            model.m_step(obs, &fw, &floor);
        }
        if !converged {
            return Err(MlError::NoConvergence {
                routine: "HMM Baum–Welch",
                iterations: params.max_iterations,
                detail: format!(
                    "last log-likelihood {:?}; raise max_iterations or tolerance",
                    history.last()
                ),
            });
        }
        model.log_likelihood_history = history;
        model.order_states();
        tracing::debug!(
            rows = n,
            states = k,
            iterations = model.log_likelihood_history.len(),
            "hmm fitted"
        );
        Ok(model)
    }

    fn from_labels(
        obs: &[f64],
        d: usize,
        k: usize,
        labels: &[usize],
        floor: &[f64],
        params: &HmmParams,
    ) -> Self {
        let mut counts = vec![0.0f64; k];
        let mut means = vec![0.0; k * d];
        for (row, &s) in obs.chunks_exact(d).zip(labels) {
            counts[s] += 1.0;
            for j in 0..d {
                means[s * d + j] += row[j];
            }
        }
        for s in 0..k {
            for j in 0..d {
                means[s * d + j] /= counts[s].max(1.0);
            }
        }
        let mut variances = vec![0.0; k * d];
        for (row, &s) in obs.chunks_exact(d).zip(labels) {
            for j in 0..d {
                variances[s * d + j] += (row[j] - means[s * d + j]).powi(2);
            }
        }
        for s in 0..k {
            for j in 0..d {
                let v = variances[s * d + j] / counts[s].max(1.0);
                variances[s * d + j] = v.max(floor[j]);
            }
        }
        let mut transition = vec![1.0; k * k];
        for w in labels.windows(2) {
            transition[w[0] * k + w[1]] += 1.0;
        }
        normalise_rows(&mut transition, k);
        Self {
            n_states: k,
            n_dims: d,
            initial: vec![1.0 / k as f64; k],
            transition,
            means,
            variances,
            params: params.clone(),
            log_likelihood_history: Vec::new(),
        }
    }

    fn log_emission(&self, row: &[f64], s: usize) -> f64 {
        let d = self.n_dims;
        let means = &self.means[s * d..(s + 1) * d];
        let variances = &self.variances[s * d..(s + 1) * d];
        row.iter()
            .zip(means)
            .zip(variances)
            .map(|((x, m), v)| -0.5 * (LN_2PI + v.ln() + (x - m) * (x - m) / v))
            .sum()
    }

    fn forward(&self, obs: &[f64]) -> Forward {
        let (k, d) = (self.n_states, self.n_dims);
        let n = obs.len() / d;
        let mut alpha = vec![0.0; n * k];
        let mut emission = vec![0.0; n * k];
        let mut scale = vec![0.0; n];
        let mut ll = 0.0;
        let mut logb = vec![0.0; k];
        for (t, row) in obs.chunks_exact(d).enumerate() {
            for (s, lb) in logb.iter_mut().enumerate() {
                *lb = self.log_emission(row, s);
            }
            let m = logb.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for s in 0..k {
                emission[t * k + s] = (logb[s] - m).exp();
            }
            let mut c = 0.0;
            for j in 0..k {
                let prior = if t == 0 {
                    self.initial[j]
                } else {
                    (0..k)
                        .map(|i| alpha[(t - 1) * k + i] * self.transition[i * k + j])
                        .sum()
                };
                let a = prior * emission[t * k + j];
                alpha[t * k + j] = a;
                c += a;
            }
            for j in 0..k {
                alpha[t * k + j] /= c;
            }
            scale[t] = c;
            ll += c.ln() + m;
        }
        Forward {
            alpha,
            scale,
            emission,
            log_likelihood: ll,
        }
    }

    fn m_step(&mut self, obs: &[f64], fw: &Forward, floor: &[f64]) {
        let (k, d) = (self.n_states, self.n_dims);
        let n = obs.len() / d;
        // Backward pass with the forward scales.
        let mut beta = vec![1.0; n * k];
        for t in (0..n - 1).rev() {
            for i in 0..k {
                let mut s = 0.0;
                for j in 0..k {
                    s += self.transition[i * k + j]
                        * fw.emission[(t + 1) * k + j]
                        * beta[(t + 1) * k + j];
                }
                beta[t * k + i] = s / fw.scale[t + 1];
            }
        }
        let gamma: Vec<f64> = fw.alpha.iter().zip(&beta).map(|(a, b)| a * b).collect();
        let mut xi_sum = vec![0.0; k * k];
        for t in 0..n - 1 {
            for i in 0..k {
                let a = fw.alpha[t * k + i] / fw.scale[t + 1];
                for j in 0..k {
                    xi_sum[i * k + j] += a
                        * self.transition[i * k + j]
                        * fw.emission[(t + 1) * k + j]
                        * beta[(t + 1) * k + j];
                }
            }
        }
        // Transitions: expected counts normalised per row (a state never visited keeps its row).
        for i in 0..k {
            let row_total: f64 = xi_sum[i * k..(i + 1) * k].iter().sum();
            if row_total > 0.0 {
                for j in 0..k {
                    self.transition[i * k + j] = xi_sum[i * k + j] / row_total;
                }
            }
        }
        let g0: f64 = gamma[..k].iter().sum();
        self.initial = gamma[..k].iter().map(|g| g / g0).collect();
        for s in 0..k {
            let w: f64 = (0..n).map(|t| gamma[t * k + s]).sum();
            if w <= 0.0 {
                continue;
            }
            for j in 0..d {
                let mu = (0..n)
                    .map(|t| gamma[t * k + s] * obs[t * d + j])
                    .sum::<f64>()
                    / w;
                let var = (0..n)
                    .map(|t| gamma[t * k + s] * (obs[t * d + j] - mu).powi(2))
                    .sum::<f64>()
                    / w;
                self.means[s * d + j] = mu;
                self.variances[s * d + j] = var.max(floor[j]);
            }
        }
    }

    fn order_states(&mut self) {
        let (k, d) = (self.n_states, self.n_dims);
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| self.variances[a * d].total_cmp(&self.variances[b * d]));
        let perm = |v: &[f64], w: usize| -> Vec<f64> {
            order
                .iter()
                .flat_map(|&s| v[s * w..(s + 1) * w].to_vec())
                .collect()
        };
        self.means = perm(&self.means, d);
        self.variances = perm(&self.variances, d);
        self.initial = order.iter().map(|&s| self.initial[s]).collect();
        let mut t = vec![0.0; k * k];
        for (new_i, &old_i) in order.iter().enumerate() {
            for (new_j, &old_j) in order.iter().enumerate() {
                t[new_i * k + new_j] = self.transition[old_i * k + old_j];
            }
        }
        self.transition = t;
    }

    /// Number of hidden states.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Observation dimensions.
    pub fn n_dims(&self) -> usize {
        self.n_dims
    }

    /// Mean vector of state `s`.
    pub fn mean(&self, s: usize) -> &[f64] {
        &self.means[s * self.n_dims..(s + 1) * self.n_dims]
    }

    /// Variance vector (diagonal covariance) of state `s`.
    pub fn variance(&self, s: usize) -> &[f64] {
        &self.variances[s * self.n_dims..(s + 1) * self.n_dims]
    }

    /// Probability of moving from state `from` to state `to` in one step.
    pub fn transition(&self, from: usize, to: usize) -> f64 {
        self.transition[from * self.n_states + to]
    }

    /// Initial state distribution.
    pub fn initial(&self) -> &[f64] {
        &self.initial
    }

    /// The hyper-parameters it was fitted with.
    pub fn params(&self) -> &HmmParams {
        &self.params
    }

    /// Training log-likelihood at each EM iteration (non-decreasing).
    pub fn log_likelihood_history(&self) -> &[f64] {
        &self.log_likelihood_history
    }

    fn check_width(&self, obs: &[f64]) -> Result<usize, MlError> {
        let n = check_obs(obs, self.n_dims)?;
        if n == 0 {
            return Err(MlError::InsufficientRows {
                what: "HMM inference".into(),
                needed: 1,
                found: 0,
            });
        }
        Ok(n)
    }

    /// Log-likelihood of `obs` under the model.
    pub fn log_likelihood(&self, obs: &[f64]) -> Result<f64, MlError> {
        self.check_width(obs)?;
        Ok(self.forward(obs).log_likelihood)
    }

    /// `P(s_t = k | o_1..o_t)` for every `t`, row-major `n × K` (forward pass only: no look-ahead).
    pub fn filtered_probabilities(&self, obs: &[f64]) -> Result<Vec<f64>, MlError> {
        self.check_width(obs)?;
        Ok(self.forward(obs).alpha)
    }

    /// The most likely state path given the whole sequence (uses hindsight).
    pub fn viterbi(&self, obs: &[f64]) -> Result<Vec<usize>, MlError> {
        let n = self.check_width(obs)?;
        let (k, d) = (self.n_states, self.n_dims);
        let ln_a: Vec<f64> = self.transition.iter().map(|p| p.ln()).collect();
        let mut delta: Vec<f64> = (0..k)
            .map(|s| self.initial[s].ln() + self.log_emission(&obs[..d], s))
            .collect();
        let mut back = vec![0usize; n * k];
        for t in 1..n {
            let row = &obs[t * d..(t + 1) * d];
            let mut next = vec![f64::NEG_INFINITY; k];
            for j in 0..k {
                let mut best = (f64::NEG_INFINITY, 0);
                for i in 0..k {
                    let v = delta[i] + ln_a[i * k + j];
                    if v > best.0 {
                        best = (v, i);
                    }
                }
                next[j] = best.0 + self.log_emission(row, j);
                back[t * k + j] = best.1;
            }
            delta = next;
        }
        let mut s = (0..k)
            .max_by(|&a, &b| delta[a].total_cmp(&delta[b]))
            .expect("at least one state");
        let mut path = vec![0; n];
        for t in (0..n).rev() {
            path[t] = s;
            if t > 0 {
                s = back[t * k + s];
            }
        }
        Ok(path)
    }

    /// Checks internal consistency (used after loading from a file).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let (k, d) = (self.n_states, self.n_dims);
        if k == 0
            || d == 0
            || self.initial.len() != k
            || self.transition.len() != k * k
            || self.means.len() != k * d
            || self.variances.len() != k * d
        {
            return Err("HMM arrays have inconsistent lengths".into());
        }
        let stochastic = |v: &[f64]| {
            v.iter().all(|p| (0.0..=1.0).contains(p)) && (v.iter().sum::<f64>() - 1.0).abs() < 1e-9
        };
        if !stochastic(&self.initial) || !self.transition.chunks(k).all(stochastic) {
            return Err("HMM probabilities do not form distributions".into());
        }
        if self.means.iter().any(|v| !v.is_finite())
            || self.variances.iter().any(|v| !(v.is_finite() && *v > 0.0))
        {
            return Err("HMM means or variances are not finite and positive".into());
        }
        Ok(())
    }
}

fn normalise_rows(m: &mut [f64], k: usize) {
    for row in m.chunks_mut(k) {
        let s: f64 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= s);
    }
}

fn column_moments(obs: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (obs.len() / d) as f64;
    let mut mean = vec![0.0; d];
    for row in obs.chunks_exact(d) {
        for j in 0..d {
            mean[j] += row[j] / n;
        }
    }
    let mut var = vec![0.0; d];
    for row in obs.chunks_exact(d) {
        for j in 0..d {
            var[j] += (row[j] - mean[j]).powi(2) / n;
        }
    }
    (mean, var)
}

/// k-means++ seeding and Lloyd iterations on z-scored rows; returns cluster labels.
fn kmeans_pp(obs: &[f64], d: usize, k: usize, mean: &[f64], var: &[f64], seed: u64) -> Vec<usize> {
    let n = obs.len() / d;
    let sd: Vec<f64> = var.iter().map(|v| v.sqrt()).collect();
    let z: Vec<f64> = obs
        .chunks_exact(d)
        .flat_map(|r| (0..d).map(|j| (r[j] - mean[j]) / sd[j]).collect::<Vec<_>>())
        .collect();
    let dist2 = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    let mut rng = SplitMix64::new(seed);
    let mut centres: Vec<f64> = Vec::with_capacity(k * d);
    let first = rng.below(n);
    centres.extend_from_slice(&z[first * d..(first + 1) * d]);
    let mut nearest: Vec<f64> = (0..n)
        .map(|i| dist2(&z[i * d..(i + 1) * d], &centres[..d]))
        .collect();
    for _ in 1..k {
        let total: f64 = nearest.iter().sum();
        let pick = if total > 0.0 {
            let target = rng.next_f64() * total;
            let mut acc = 0.0;
            let mut chosen = n - 1;
            for (i, w) in nearest.iter().enumerate() {
                acc += w;
                if acc > target {
                    chosen = i;
                    break;
                }
            }
            chosen
        } else {
            rng.below(n)
        };
        let c = z[pick * d..(pick + 1) * d].to_vec();
        for (i, nd) in nearest.iter_mut().enumerate() {
            *nd = nd.min(dist2(&z[i * d..(i + 1) * d], &c));
        }
        centres.extend(c);
    }
    let mut labels = vec![0usize; n];
    for _ in 0..KMEANS_ITERATIONS {
        let mut changed = false;
        for i in 0..n {
            let row = &z[i * d..(i + 1) * d];
            let best = (0..k)
                .min_by(|&a, &b| {
                    dist2(row, &centres[a * d..(a + 1) * d])
                        .total_cmp(&dist2(row, &centres[b * d..(b + 1) * d]))
                })
                .expect("k ≥ 1");
            if best != labels[i] {
                labels[i] = best;
                changed = true;
            }
        }
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        for i in 0..n {
            counts[labels[i]] += 1;
            for j in 0..d {
                sums[labels[i] * d + j] += z[i * d + j];
            }
        }
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..d {
                    centres[c * d + j] = sums[c * d + j] / counts[c] as f64;
                }
            }
        }
        if !changed {
            break;
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{REGIME_TRUTH, regime_observations};

    fn two_state() -> (Vec<f64>, Vec<usize>, GaussianHmm) {
        let (obs, states) = regime_observations(5000, 17);
        let params = HmmParams {
            n_states: 2,
            ..HmmParams::default()
        };
        let hmm = GaussianHmm::fit(&obs, 2, &params).unwrap();
        (obs, states, hmm)
    }

    #[test]
    fn recovers_a_two_state_process() {
        let (obs, states, hmm) = two_state();
        let t = &REGIME_TRUTH;
        for s in 0..2 {
            let m = hmm.mean(s);
            let v = hmm.variance(s);
            assert!(
                (m[0] - t.means[s][0]).abs() < 0.0008,
                "state {s} mean {m:?}"
            );
            assert!((m[1] - t.means[s][1]).abs() < 0.01, "state {s} mean {m:?}");
            for (var, truth) in v.iter().zip(t.sds[s]) {
                let sd = var.sqrt();
                assert!((sd / truth - 1.0).abs() < 0.06, "state {s} sd {sd}");
            }
            for to in 0..2 {
                assert!(
                    (hmm.transition(s, to) - t.transition[s][to]).abs() < 0.015,
                    "A[{s}][{to}] = {}",
                    hmm.transition(s, to)
                );
            }
        }
        let path = hmm.viterbi(&obs).unwrap();
        let agree = path.iter().zip(&states).filter(|(a, b)| a == b).count();
        assert!(agree as f64 / states.len() as f64 > 0.97);
    }

    #[test]
    fn log_likelihood_never_decreases() {
        let (obs, _, _) = two_state();
        let hmm = GaussianHmm::fit(&obs, 2, &HmmParams::default()).unwrap();
        let h = hmm.log_likelihood_history();
        assert!(h.len() > 2);
        for w in h.windows(2) {
            assert!(w[1] >= w[0] - 1e-9 * w[0].abs(), "{} then {}", w[0], w[1]);
        }
        let final_ll = hmm.log_likelihood(&obs).unwrap();
        assert!(final_ll >= *h.last().unwrap() - 1e-9 * final_ll.abs());
    }

    #[test]
    fn filtered_probabilities_have_no_look_ahead() {
        let (obs, _, hmm) = two_state();
        let full = hmm.filtered_probabilities(&obs).unwrap();
        let t = 1234;
        let prefix = hmm.filtered_probabilities(&obs[..t * 2]).unwrap();
        assert_eq!(prefix[..], full[..t * 2]);
        for row in full.chunks(2) {
            assert!((row[0] + row[1] - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn deterministic_and_rejects_bad_input() {
        let (obs, _, a) = two_state();
        let b = GaussianHmm::fit(
            &obs,
            2,
            &HmmParams {
                n_states: 2,
                ..HmmParams::default()
            },
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let mut bad = obs.clone();
        bad[7] = f64::NAN;
        assert!(matches!(
            GaussianHmm::fit(&bad, 2, &HmmParams::default()),
            Err(MlError::NonFinite { .. })
        ));
        assert!(GaussianHmm::fit(&obs[..3], 2, &HmmParams::default()).is_err());
        assert!(a.validate().is_ok());
    }
}
