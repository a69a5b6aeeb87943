//! Gradient-boosted trees (wrapping forust-ml 0.8) for binary and multiclass labels.
//!
//! * **Binary**: one booster on the log-loss objective; forust returns log-odds
//!   `f`, and `P(class 1) = σ(f)`.
//! * **Multiclass** (e.g. DOWN/NEUTRAL/UP): one-vs-rest, one binary booster per
//!   class `k` on `1[y = k]`, then `P(k) = σ(f_k) / Σ_j σ(f_j)` (each booster's
//!   probability, renormalised to sum to one). Calibration, if wanted, comes after.
//! * **Missing values** (`NaN`) are forust's native missing: at each split the
//!   missing rows follow whichever side reduces the loss more, learned in training.
//! * **Early stopping** uses only an inner, time-ordered validation slice: the
//!   last `validation_fraction` of the training rows, with the `label_horizon`
//!   rows before it purged from the inner training set (never shuffled). The
//!   number of trees that minimised validation log loss is kept, and the booster
//!   is then refitted on *all* training rows with exactly that many trees.
//! * **Determinism**: single-threaded, seeded, no row or column subsampling by
//!   default; the same data and parameters give bit-identical boosters.

use std::fmt;

use forust_ml::GradientBooster;
use forust_ml::Matrix;
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use serde::{Deserialize, Serialize};

use crate::dataset::{rows_of, to_column_major};
use crate::linalg::sigmoid;
use crate::{Classifier, Dataset, MlError, Probabilities};

/// Early stopping on an inner time-ordered validation slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Share of the (most recent) training rows held out for validation, in (0, 0.5].
    pub validation_fraction: f64,
    /// Stop after this many trees without a better validation log loss.
    pub patience: usize,
}

/// Hyper-parameters of [`GbtModel::fit`]; the defaults suit ~1,000–5,000 rows × ~30 features.
///
/// forust-ml stores the real-valued ones as `f32`; they are converted when the booster is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbtParams {
    /// Most trees per booster (early stopping may keep fewer).
    pub max_trees: usize,
    /// Shrinkage applied to each tree's leaf weights.
    pub learning_rate: f64,
    /// Depth of each tree (shallow: 3).
    pub max_depth: usize,
    /// Minimum sum of hessians in a leaf (≈ rows × p(1−p); 5 ≈ 20 rows at p = 0.5).
    pub min_leaf_weight: f64,
    /// L2 penalty on leaf weights.
    pub l2: f64,
    /// Minimum loss reduction to make a split.
    pub gamma: f64,
    /// Histogram bins per feature.
    pub nbins: u16,
    /// Share of rows sampled per tree, in (0, 1]; 1 = no sampling.
    pub subsample: f64,
    /// Share of columns sampled per tree, in (0, 1]; 1 = no sampling.
    pub colsample_bytree: f64,
    /// Seed for any sampling.
    pub seed: u64,
    /// Early stopping, or `None` to always grow `max_trees`.
    pub early_stopping: Option<EarlyStopping>,
}

impl Default for GbtParams {
    fn default() -> Self {
        Self {
            max_trees: 300,
            learning_rate: 0.05,
            max_depth: 3,
            min_leaf_weight: 5.0,
            l2: 1.0,
            gamma: 0.0,
            nbins: 32,
            subsample: 1.0,
            colsample_bytree: 1.0,
            seed: 0,
            early_stopping: Some(EarlyStopping {
                validation_fraction: 0.2,
                patience: 20,
            }),
        }
    }
}

/// Fewest rows allowed in the inner training or validation slice of early stopping.
const MIN_SLICE_ROWS: usize = 30;

impl GbtParams {
    fn validate(&self) -> Result<(), MlError> {
        let bad = |name, reason: &str| {
            Err(MlError::InvalidParameter {
                name,
                reason: reason.to_string(),
            })
        };
        if self.max_trees == 0 {
            return bad("max_trees", "must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("learning_rate", "must be in (0, 1]");
        }
        if self.max_depth == 0 {
            return bad("max_depth", "must be at least 1");
        }
        if !(self.min_leaf_weight >= 0.0 && self.l2 >= 0.0 && self.gamma >= 0.0) {
            return bad("min_leaf_weight/l2/gamma", "must be ≥ 0");
        }
        if self.nbins < 2 {
            return bad("nbins", "must be at least 2");
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return bad("subsample", "must be in (0, 1]");
        }
        if !(self.colsample_bytree > 0.0 && self.colsample_bytree <= 1.0) {
            return bad("colsample_bytree", "must be in (0, 1]");
        }
        if let Some(es) = &self.early_stopping {
            if !(es.validation_fraction > 0.0 && es.validation_fraction <= 0.5) {
                return bad("early_stopping.validation_fraction", "must be in (0, 0.5]");
            }
            if es.patience == 0 {
                return bad("early_stopping.patience", "must be at least 1");
            }
        }
        Ok(())
    }

    fn booster(&self, trees: usize) -> GradientBooster {
        GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(trees)
            .set_learning_rate(self.learning_rate as f32)
            .set_max_depth(self.max_depth)
            .set_max_leaves(usize::MAX)
            .set_min_leaf_weight(self.min_leaf_weight as f32)
            .set_l2(self.l2 as f32)
            .set_gamma(self.gamma as f32)
            .set_nbins(self.nbins)
            .set_subsample(self.subsample as f32)
            .set_sample_method(if self.subsample < 1.0 {
                SampleMethod::Random
            } else {
                SampleMethod::None
            })
            .set_colsample_bytree(self.colsample_bytree)
            .set_seed(self.seed)
            .set_parallel(false)
            .set_initialize_base_score(true)
            .set_evaluation_metric(Some(Metric::LogLoss))
    }
}

/// A fitted gradient-boosted tree classifier (see the module documentation).
#[derive(Serialize, Deserialize)]
pub struct GbtModel {
    n_features: usize,
    n_classes: usize,
    params: GbtParams,
    /// Trees kept per booster (after early stopping).
    trees_per_booster: Vec<usize>,
    /// One booster (binary) or one per class (one-vs-rest).
    boosters: Vec<GradientBooster>,
}

impl fmt::Debug for GbtModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GbtModel")
            .field("n_features", &self.n_features)
            .field("n_classes", &self.n_classes)
            .field("params", &self.params)
            .field("trees_per_booster", &self.trees_per_booster)
            .finish_non_exhaustive()
    }
}

/// One binary target: training rows' 0/1 labels.
fn binary_target(labels: &[usize], class: usize) -> Vec<f64> {
    labels
        .iter()
        .map(|&c| if c == class { 1.0 } else { 0.0 })
        .collect()
}

fn check_both(y: &[f64], class: &str, window: String) -> Result<(), MlError> {
    let positives = y.iter().filter(|&&v| v == 1.0).count();
    if positives == 0 || positives == y.len() {
        let class = if positives == 0 {
            class.to_string()
        } else {
            format!("not {class}")
        };
        return Err(MlError::ClassAbsent { class, window });
    }
    Ok(())
}

impl GbtModel {
    /// Fits on every row of `data` (see the module documentation for the method).
    pub fn fit(data: &Dataset, params: &GbtParams) -> Result<Self, MlError> {
        params.validate()?;
        data.require_all_classes()?;
        let (n, p, kc) = (data.n_rows(), data.n_features(), data.n_classes());
        let weights: Vec<f64> = data.weights().map_or_else(|| vec![1.0; n], <[f64]>::to_vec);
        let x_all = data.column_major();
        // Inner split for early stopping: [0, inner_end) trains, [val_start, n) validates.
        let split = match &params.early_stopping {
            None => None,
            Some(es) => {
                let n_val = (n as f64 * es.validation_fraction).floor() as usize;
                let val_start = n - n_val;
                let inner_end = val_start.saturating_sub(data.label_horizon());
                if n_val < MIN_SLICE_ROWS || inner_end < MIN_SLICE_ROWS {
                    return Err(MlError::InsufficientRows {
                        what: format!(
                            "early stopping ({} validation rows and {} inner training rows after purging {} rows, each needs {MIN_SLICE_ROWS})",
                            n_val,
                            inner_end,
                            data.label_horizon()
                        ),
                        needed: 2 * MIN_SLICE_ROWS + data.label_horizon(),
                        found: n,
                    });
                }
                let inner = data.select(0..inner_end)?;
                let val = data.select(val_start..n)?;
                let (x_in, x_val) = (inner.column_major(), val.column_major());
                Some((inner, val, x_in, x_val, es.patience))
            }
        };
        let targets: Vec<usize> = if kc == 2 { vec![1] } else { (0..kc).collect() };
        let mut boosters = Vec::with_capacity(targets.len());
        let mut trees_per_booster = Vec::with_capacity(targets.len());
        for &class in &targets {
            let class_name = &data.classes()[class];
            let trees = match &split {
                None => params.max_trees,
                Some((inner, val, x_in, x_val, patience)) => {
                    let y_in = binary_target(inner.labels(), class);
                    check_both(&y_in, class_name, inner.window_description())?;
                    let y_val = binary_target(val.labels(), class);
                    let w_in = &weights[..inner.n_rows()];
                    let w_val = &weights[n - val.n_rows()..];
                    let m_in = Matrix::new(x_in, inner.n_rows(), p);
                    let m_val = Matrix::new(x_val, val.n_rows(), p);
                    let mut b = params
                        .booster(params.max_trees)
                        .set_early_stopping_rounds(Some(*patience));
                    b.fit(&m_in, &y_in, w_in, Some(vec![(m_val, &y_val, w_val)]))
                        .map_err(|e| MlError::Booster(e.to_string()))?;
                    b.best_iteration.map_or(params.max_trees, |i| i + 1)
                }
            };
            let y = binary_target(data.labels(), class);
            check_both(&y, class_name, data.window_description())?;
            let matrix = Matrix::new(&x_all, n, p);
            let mut booster = params.booster(trees);
            booster
                .fit(&matrix, &y, &weights, None)
                .map_err(|e| MlError::Booster(e.to_string()))?;
            trees_per_booster.push(booster.trees.len());
            boosters.push(booster);
        }
        tracing::debug!(
            rows = n,
            features = p,
            classes = kc,
            ?trees_per_booster,
            "gbt fitted"
        );
        Ok(Self {
            n_features: p,
            n_classes: kc,
            params: params.clone(),
            trees_per_booster,
            boosters,
        })
    }

    /// The hyper-parameters it was fitted with.
    pub fn params(&self) -> &GbtParams {
        &self.params
    }

    /// Trees kept per booster (one entry for binary, one per class otherwise).
    pub fn trees_per_booster(&self) -> &[usize] {
        &self.trees_per_booster
    }

    /// Raw log-odds per booster for rows `x` (row-major), booster-major: `out[b][i]`.
    pub fn log_odds(&self, x: &[f64]) -> Result<Vec<Vec<f64>>, MlError> {
        let n = rows_of(x, self.n_features)?;
        if let Some(k) = x.iter().position(|v| v.is_infinite()) {
            return Err(MlError::NonFinite {
                what: format!(
                    "feature {} of row {} is infinite",
                    k % self.n_features,
                    k / self.n_features
                ),
            });
        }
        let cm = to_column_major(x, self.n_features);
        let matrix = Matrix::new(&cm, n, self.n_features);
        Ok(self
            .boosters
            .iter()
            .map(|b| b.predict(&matrix, false))
            .collect())
    }

    /// Checks internal consistency (used after loading from a file): shapes, and
    /// that every tree node points at existing features and later nodes.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let expected = if self.n_classes == 2 {
            1
        } else {
            self.n_classes
        };
        if self.n_classes < 2 || self.boosters.len() != expected {
            return Err(format!(
                "{} boosters for {} classes (expected {expected})",
                self.boosters.len(),
                self.n_classes
            ));
        }
        if self.trees_per_booster.len() != self.boosters.len() {
            return Err("trees_per_booster does not match the boosters".into());
        }
        for (b, booster) in self.boosters.iter().enumerate() {
            if !booster.missing.is_nan() || !booster.base_score.is_finite() {
                return Err(format!(
                    "booster {b} has an unexpected missing value or base score"
                ));
            }
            if booster.trees.len() != self.trees_per_booster[b]
                || booster
                    .prediction_iteration
                    .is_some_and(|t| t > booster.trees.len())
            {
                return Err(format!("booster {b} tree count is inconsistent"));
            }
            for (t, tree) in booster.trees.iter().enumerate() {
                let len = tree.nodes.len();
                if len == 0 {
                    return Err(format!("booster {b} tree {t} has no nodes"));
                }
                for (i, node) in tree.nodes.iter().enumerate() {
                    if node.is_leaf {
                        if !node.weight_value.is_finite() {
                            return Err(format!("booster {b} tree {t} leaf {i} is not finite"));
                        }
                        continue;
                    }
                    let children = [node.left_child, node.right_child, node.missing_node];
                    if node.split_feature >= self.n_features
                        || children.iter().any(|&c| c <= i || c >= len)
                    {
                        return Err(format!(
                            "booster {b} tree {t} node {i} points outside the tree or the features"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Classifier for GbtModel {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn predict_proba(&self, x: &[f64]) -> Result<Probabilities, MlError> {
        let f = self.log_odds(x)?;
        let n = f[0].len();
        let mut out = Vec::with_capacity(n * self.n_classes);
        if self.n_classes == 2 {
            for &v in &f[0] {
                let p1 = sigmoid(v);
                out.extend([1.0 - p1, p1]);
            }
        } else {
            for i in 0..n {
                out.extend(f.iter().map(|fk| sigmoid(fk[i])));
            }
        }
        Probabilities::normalised(self.n_classes, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::synthetic::{SyntheticSpec, logistic_dataset};
    use crate::{LogisticModel, LogisticParams};

    fn spec(n_classes: usize) -> SyntheticSpec {
        SyntheticSpec {
            n_rows: 2000,
            n_features: 10,
            n_classes,
            interaction: 1.5,
            ..SyntheticSpec::default()
        }
    }

    #[test]
    fn binary_gbt_beats_logistic_on_an_interaction_out_of_sample() {
        let ds = logistic_dataset(&spec(2));
        let train = ds.select(0..1500).unwrap();
        let test = ds.select(1500..2000).unwrap();
        let gbt = GbtModel::fit(&train, &GbtParams::default()).unwrap();
        let lr = LogisticModel::fit(&train, &LogisticParams::default()).unwrap();
        let clim = train.class_frequencies();
        let mg = Metrics::compute(
            &gbt.predict_proba(test.features()).unwrap(),
            test.labels(),
            &clim,
        )
        .unwrap();
        let ml = Metrics::compute(
            &lr.predict_proba(test.features()).unwrap(),
            test.labels(),
            &clim,
        )
        .unwrap();
        assert!(
            mg.log_loss < ml.log_loss,
            "gbt {} vs logistic {}",
            mg.log_loss,
            ml.log_loss
        );
        assert!(mg.auc.unwrap() > 0.75);
        let trees = gbt.trees_per_booster()[0];
        assert!(trees >= 1 && trees <= GbtParams::default().max_trees);
    }

    #[test]
    fn probabilities_are_sigmoid_of_log_odds() {
        let ds = logistic_dataset(&spec(2));
        let gbt = GbtModel::fit(&ds.select(0..800).unwrap(), &GbtParams::default()).unwrap();
        let x = ds.select(800..820).unwrap();
        let f = gbt.log_odds(x.features()).unwrap();
        let p = gbt.predict_proba(x.features()).unwrap();
        for (row, &fi) in p.rows().zip(&f[0]) {
            assert_eq!(row[1], sigmoid(fi));
            assert!((row[1] - 1.0 / (1.0 + (-fi).exp())).abs() < 1e-15);
        }
    }

    #[test]
    fn multiclass_one_vs_rest_rows_sum_to_one_and_have_skill() {
        let ds = logistic_dataset(&spec(3));
        let train = ds.select(0..1500).unwrap();
        let test = ds.select(1500..2000).unwrap();
        let gbt = GbtModel::fit(&train, &GbtParams::default()).unwrap();
        assert_eq!(gbt.trees_per_booster().len(), 3);
        let p = gbt.predict_proba(test.features()).unwrap();
        for r in p.rows() {
            assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        let m = Metrics::compute(&p, test.labels(), &train.class_frequencies()).unwrap();
        assert!(m.brier_skill.unwrap() > 0.05, "{m:?}");
    }

    #[test]
    fn missing_values_are_handled_natively() {
        let ds = logistic_dataset(&SyntheticSpec {
            missing_fraction: 0.1,
            ..spec(2)
        });
        assert!(ds.rows_with_missing() > 500);
        let gbt = GbtModel::fit(&ds.select(0..1500).unwrap(), &GbtParams::default()).unwrap();
        let mut row = ds.row(1600).to_vec();
        row.iter_mut().for_each(|v| *v = f64::NAN);
        let p = gbt.predict_proba(&row).unwrap();
        assert!(p.row(0)[1] > 0.0 && p.row(0)[1] < 1.0);
        let test = ds.select(1500..2000).unwrap();
        let m = Metrics::compute(
            &gbt.predict_proba(test.features()).unwrap(),
            test.labels(),
            &ds.class_frequencies(),
        )
        .unwrap();
        assert!(m.auc.unwrap() > 0.7);
    }

    #[test]
    fn same_seed_gives_bit_identical_models() {
        let ds = logistic_dataset(&SyntheticSpec {
            missing_fraction: 0.03,
            ..spec(3)
        });
        let train = ds.select(0..1200).unwrap();
        let sampled = GbtParams {
            subsample: 0.7,
            colsample_bytree: 0.8,
            seed: 7,
            ..GbtParams::default()
        };
        for params in [GbtParams::default(), sampled.clone()] {
            let a = serde_json::to_string(&GbtModel::fit(&train, &params).unwrap()).unwrap();
            let b = serde_json::to_string(&GbtModel::fit(&train, &params).unwrap()).unwrap();
            assert_eq!(a, b);
        }
        // The seed matters when sampling is on (so the test above can fail).
        let other = GbtParams {
            seed: 8,
            ..sampled.clone()
        };
        let a = serde_json::to_string(&GbtModel::fit(&train, &sampled).unwrap()).unwrap();
        let c = serde_json::to_string(&GbtModel::fit(&train, &other).unwrap()).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn early_stopping_needs_enough_rows_and_both_classes() {
        let ds = logistic_dataset(&spec(2));
        assert!(matches!(
            GbtModel::fit(&ds.select(0..100).unwrap(), &GbtParams::default()),
            Err(MlError::InsufficientRows { .. })
        ));
        let no_es = GbtParams {
            early_stopping: None,
            max_trees: 20,
            ..GbtParams::default()
        };
        let m = GbtModel::fit(&ds.select(0..100).unwrap(), &no_es).unwrap();
        assert_eq!(m.trees_per_booster(), &[20]);
        let bad = GbtParams {
            learning_rate: 0.0,
            ..GbtParams::default()
        };
        assert!(matches!(
            GbtModel::fit(&ds, &bad),
            Err(MlError::InvalidParameter { .. })
        ));
    }
}
