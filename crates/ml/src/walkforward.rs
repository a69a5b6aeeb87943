//! Walk-forward (expanding-window) evaluation with a label-horizon purge.
//!
//! With `n` rows, label horizon `h` (row `j`'s label uses rows up to `j + h`),
//! an initial training size `m` and a refit interval `R` (21 trading days):
//! * the first test block starts at `s₀ = m + h`, and blocks are
//!   `[s, min(s + R, n))` for `s = s₀, s₀ + R, …`;
//! * the model for the block starting at `s` trains on rows `[0, s − h)`, i.e.
//!   rows `j` with `j + h < s`: every training label is complete strictly
//!   before the first test row (a purge of `h` rows);
//! * the model and the baseline are fitted on the same rows and predict the
//!   same block; the climatology forecast of each test row is the base rates
//!   of its block's training rows;
//! * optional calibration: the calibrator for the block starting at `s` is
//!   fitted on earlier out-of-sample model predictions of rows `j` with
//!   `j + h < s` ([`calibrator_before`]); blocks before enough such rows (and
//!   every class) exist are left uncalibrated, and the calibrated metrics say
//!   how many rows they cover.
//!
//! When rows are not consecutive trading days (e.g. rows dropped), purging
//! `h` rows purges at least `h` trading days, so the rule stays safe.

use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calibrate::{CalibrationMethod, calibrator_before};
use crate::metrics::Metrics;
use crate::{Classifier, Dataset, MlError, Probabilities};

/// Calibration inside the walk-forward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationConfig {
    /// Isotonic or Platt.
    pub method: CalibrationMethod,
    /// Fewest earlier out-of-sample rows (with known labels) needed to fit a calibrator.
    pub min_rows: usize,
}

/// How to walk forward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardConfig {
    /// Training rows of the first fold (e.g. 500 ≈ 2 years of trading days).
    pub initial_train_rows: usize,
    /// Rows per test block, i.e. refit interval (21 ≈ one trading month).
    pub refit_every: usize,
    /// Calibrate the model's probabilities on earlier out-of-sample predictions.
    pub calibration: Option<CalibrationConfig>,
}

impl Default for WalkForwardConfig {
    fn default() -> Self {
        Self {
            initial_train_rows: 500,
            refit_every: 21,
            calibration: Some(CalibrationConfig {
                method: CalibrationMethod::Isotonic,
                min_rows: 100,
            }),
        }
    }
}

/// One refit: which rows trained and which were predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    /// Fold number from 0.
    pub index: usize,
    /// Training rows `[0, test.start − h)`.
    pub train_rows: Range<usize>,
    /// Rows predicted out of sample.
    pub test_rows: Range<usize>,
    /// First training date.
    pub train_first: NaiveDate,
    /// Last training date.
    pub train_last: NaiveDate,
    /// First test date.
    pub test_first: NaiveDate,
    /// Last test date.
    pub test_last: NaiveDate,
    /// Rows the block's calibrator was fitted on (`None`: block uncalibrated).
    pub calibration_rows: Option<usize>,
}

/// Out-of-sample forecasts of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosPrediction {
    /// Dataset row.
    pub row: usize,
    /// Row date.
    pub date: NaiveDate,
    /// True class.
    pub label: usize,
    /// Fold that predicted it.
    pub fold: usize,
    /// Model probabilities.
    pub model: Vec<f64>,
    /// Baseline (logistic) probabilities.
    pub baseline: Vec<f64>,
    /// Calibrated model probabilities, if the fold had a calibrator.
    pub calibrated: Option<Vec<f64>>,
    /// Climatology forecast: the base rates of the fold's training rows.
    pub climatology: Vec<f64>,
}

/// Out-of-sample skill of the model beside the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillReport {
    /// Model scores on every out-of-sample row.
    pub model: Metrics,
    /// Baseline scores on the same rows.
    pub baseline: Metrics,
    /// Calibrated model scores on the rows that had a calibrator (its own `n`).
    pub calibrated: Option<Metrics>,
    /// Mean climatology forecast (training-window base rates) over the rows.
    pub climatology: Vec<f64>,
    /// Out-of-sample rows.
    pub n: usize,
    /// Refits.
    pub folds: usize,
    /// Label horizon purged between training and test.
    pub label_horizon: usize,
    /// First out-of-sample date.
    pub first_test_date: NaiveDate,
    /// Last out-of-sample date.
    pub last_test_date: NaiveDate,
}

/// Everything a walk-forward run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardResult {
    /// The refits.
    pub folds: Vec<Fold>,
    /// Per-row out-of-sample forecasts, in row order.
    pub predictions: Vec<OosPrediction>,
    /// The scores.
    pub report: SkillReport,
}

/// The rows of one fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldRows {
    /// Training rows `[0, test.start − h)`.
    pub train: Range<usize>,
    /// Test rows.
    pub test: Range<usize>,
}

/// The training and test rows of every fold (see the module documentation).
pub fn fold_plan(
    n_rows: usize,
    label_horizon: usize,
    initial_train_rows: usize,
    refit_every: usize,
) -> Result<Vec<FoldRows>, MlError> {
    if refit_every == 0 || initial_train_rows == 0 {
        return Err(MlError::InvalidParameter {
            name: "refit_every/initial_train_rows",
            reason: "must be at least 1".into(),
        });
    }
    let first = initial_train_rows + label_horizon;
    if first >= n_rows {
        return Err(MlError::InsufficientRows {
            what: format!(
                "walk-forward ({initial_train_rows} training rows + {label_horizon} purged + at least 1 test row)"
            ),
            needed: first + 1,
            found: n_rows,
        });
    }
    Ok((first..n_rows)
        .step_by(refit_every)
        .map(|s| FoldRows {
            train: 0..s - label_horizon,
            test: s..(s + refit_every).min(n_rows),
        })
        .collect())
}

fn check_model(m: &dyn Classifier, data: &Dataset, which: &str) -> Result<(), MlError> {
    if m.n_features() != data.n_features() || m.n_classes() != data.n_classes() {
        return Err(MlError::InvalidParameter {
            name: "fit function",
            reason: format!(
                "the {which} has {} features and {} classes, the data {} and {}",
                m.n_features(),
                m.n_classes(),
                data.n_features(),
                data.n_classes()
            ),
        });
    }
    Ok(())
}

/// Runs the walk-forward: refits `fit_model` and `fit_baseline` on each fold's
/// training rows and collects their out-of-sample forecasts and scores.
pub fn walk_forward<M, B>(
    data: &Dataset,
    config: &WalkForwardConfig,
    mut fit_model: impl FnMut(&Dataset) -> Result<M, MlError>,
    mut fit_baseline: impl FnMut(&Dataset) -> Result<B, MlError>,
) -> Result<WalkForwardResult, MlError>
where
    M: Classifier,
    B: Classifier,
{
    let h = data.label_horizon();
    let kc = data.n_classes();
    let plan = fold_plan(
        data.n_rows(),
        h,
        config.initial_train_rows,
        config.refit_every,
    )?;
    let mut folds = Vec::with_capacity(plan.len());
    let mut predictions: Vec<OosPrediction> = Vec::new();
    let mut model_all = Probabilities::empty(kc);
    for (
        index,
        FoldRows {
            train: train_rows,
            test: test_rows,
        },
    ) in plan.into_iter().enumerate()
    {
        let train = data.select(train_rows.clone())?;
        let test = data.select(test_rows.clone())?;
        let model = fit_model(&train)?;
        check_model(&model, data, "model")?;
        let baseline = fit_baseline(&train)?;
        check_model(&baseline, data, "baseline")?;
        let p_model = model.predict_proba(test.features())?;
        let p_base = baseline.predict_proba(test.features())?;
        let calibrated = match &config.calibration {
            None => None,
            Some(cal) => {
                let rows: Vec<usize> = predictions.iter().map(|p| p.row).collect();
                let labels: Vec<usize> = predictions.iter().map(|p| p.label).collect();
                match calibrator_before(
                    &rows,
                    &model_all,
                    &labels,
                    test_rows.start,
                    h,
                    cal.method,
                    cal.min_rows,
                ) {
                    Ok(c) => Some((c.n_fit_rows(), c.apply(&p_model)?)),
                    Err(MlError::InsufficientRows { .. } | MlError::ClassAbsent { .. }) => None,
                    Err(e) => return Err(e),
                }
            }
        };
        let climatology = train.class_frequencies();
        for (i, row) in test_rows.clone().enumerate() {
            predictions.push(OosPrediction {
                row,
                date: data.dates()[row],
                label: data.labels()[row],
                fold: index,
                model: p_model.row(i).to_vec(),
                baseline: p_base.row(i).to_vec(),
                calibrated: calibrated.as_ref().map(|(_, p)| p.row(i).to_vec()),
                climatology: climatology.clone(),
            });
        }
        model_all.extend(&p_model)?;
        folds.push(Fold {
            index,
            train_first: data.dates()[train_rows.start],
            train_last: data.dates()[train_rows.end - 1],
            test_first: data.dates()[test_rows.start],
            test_last: data.dates()[test_rows.end - 1],
            train_rows,
            test_rows,
            calibration_rows: calibrated.as_ref().map(|(n, _)| *n),
        });
    }
    let report = skill_report(&predictions, kc, h, folds.len())?;
    Ok(WalkForwardResult {
        folds,
        predictions,
        report,
    })
}

/// Scores collected out-of-sample predictions (model, baseline, calibrated where present).
pub fn skill_report(
    predictions: &[OosPrediction],
    n_classes: usize,
    label_horizon: usize,
    folds: usize,
) -> Result<SkillReport, MlError> {
    let (first, last) = match (predictions.first(), predictions.last()) {
        (Some(a), Some(b)) => (a.date, b.date),
        _ => {
            return Err(MlError::InsufficientRows {
                what: "a skill report".into(),
                needed: 1,
                found: 0,
            });
        }
    };
    let gather = |f: &dyn Fn(&OosPrediction) -> &[f64]| {
        Probabilities::new(
            n_classes,
            predictions.iter().flat_map(|p| f(p).to_vec()).collect(),
        )
    };
    let labels: Vec<usize> = predictions.iter().map(|p| p.label).collect();
    let clim = gather(&|p| &p.climatology)?;
    let model = Metrics::compute_with_climatology_rows(&gather(&|p| &p.model)?, &labels, &clim)?;
    let baseline =
        Metrics::compute_with_climatology_rows(&gather(&|p| &p.baseline)?, &labels, &clim)?;
    let cal_rows: Vec<&OosPrediction> = predictions
        .iter()
        .filter(|p| p.calibrated.is_some())
        .collect();
    let calibrated = if cal_rows.is_empty() {
        None
    } else {
        let probs = Probabilities::new(
            n_classes,
            cal_rows
                .iter()
                .flat_map(|p| p.calibrated.clone().unwrap_or_default())
                .collect(),
        )?;
        let c = Probabilities::new(
            n_classes,
            cal_rows
                .iter()
                .flat_map(|p| p.climatology.clone())
                .collect(),
        )?;
        let l: Vec<usize> = cal_rows.iter().map(|p| p.label).collect();
        Some(Metrics::compute_with_climatology_rows(&probs, &l, &c)?)
    };
    Ok(SkillReport {
        climatology: model.climatology.clone(),
        n: labels.len(),
        model,
        baseline,
        calibrated,
        folds,
        label_horizon,
        first_test_date: first,
        last_test_date: last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{SyntheticSpec, logistic_dataset};
    use crate::{GbtModel, GbtParams, LogisticModel, LogisticParams};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_training_label_overlaps_its_test_block(
            n in 2usize..3000,
            h in 0usize..60,
            init in 1usize..800,
            every in 1usize..60,
        ) {
            match fold_plan(n, h, init, every) {
                Err(_) => prop_assert!(init + h >= n),
                Ok(plan) => {
                    prop_assert!(!plan.is_empty());
                    prop_assert_eq!(plan[0].train.clone(), 0..init);
                    prop_assert_eq!(plan[0].test.start, init + h);
                    prop_assert_eq!(plan.last().unwrap().test.end, n);
                    for (k, FoldRows { train, test }) in plan.iter().enumerate() {
                        prop_assert_eq!(train.start, 0);
                        prop_assert!(train.len() >= init);
                        // Every training row j has its label window [j, j+h] before the test block.
                        let last_train = train.end - 1;
                        prop_assert!(last_train + h < test.start);
                        // …and the purge is exactly h rows (no rows wasted).
                        prop_assert_eq!(train.end + h, test.start);
                        prop_assert!(!test.is_empty() && test.len() <= every);
                        if k > 0 {
                            // Blocks are contiguous and disjoint; the window only expands.
                            prop_assert_eq!(plan[k - 1].test.end, test.start);
                            prop_assert!(plan[k - 1].train.end < train.end);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn gbt_and_logistic_side_by_side_with_calibration() {
        let ds = logistic_dataset(&SyntheticSpec {
            n_rows: 900,
            n_features: 8,
            interaction: 1.5,
            label_horizon: 5,
            ..SyntheticSpec::default()
        });
        let config = WalkForwardConfig {
            initial_train_rows: 300,
            refit_every: 21,
            calibration: Some(CalibrationConfig {
                method: CalibrationMethod::Platt,
                min_rows: 100,
            }),
        };
        let mut seen_train_ends = Vec::new();
        let result = walk_forward(
            &ds,
            &config,
            |train| {
                seen_train_ends.push(*train.dates().last().unwrap());
                GbtModel::fit(train, &GbtParams::default())
            },
            |train| LogisticModel::fit(train, &LogisticParams::default()),
        )
        .unwrap();
        let r = &result.report;
        assert_eq!(r.n, 900 - 305);
        assert_eq!(r.folds, (900 - 305usize).div_ceil(21));
        assert_eq!(result.predictions.len(), r.n);
        assert_eq!(r.baseline.n, r.n);
        // The closure saw exactly the planned training windows, each ending h rows before its block.
        for (fold, end) in result.folds.iter().zip(&seen_train_ends) {
            assert_eq!(*end, fold.train_last);
            let last = ds.dates().iter().position(|d| d == end).unwrap();
            assert!(last + 5 < fold.test_rows.start);
        }
        // Calibration starts once 100 labelled OOS rows exist before the block.
        let cal = r.calibrated.as_ref().unwrap();
        let first_cal = result
            .folds
            .iter()
            .find(|f| f.calibration_rows.is_some())
            .unwrap();
        assert!(first_cal.calibration_rows.unwrap() >= 100);
        assert!(first_cal.test_rows.start >= 305 + 100 + 5);
        assert!(cal.n < r.n);
        // The interaction is invisible to the baseline: the trees must do better.
        assert!(r.model.log_loss < r.baseline.log_loss, "{r:?}");
        assert!(r.model.brier_skill.unwrap() > r.baseline.brier_skill.unwrap());
        // Climatology rows are the training base rates of each fold.
        let p0 = &result.predictions[0];
        assert_eq!(
            p0.climatology,
            ds.select(0..300).unwrap().class_frequencies()
        );
    }

    #[test]
    fn too_few_rows_is_an_error() {
        let ds = logistic_dataset(&SyntheticSpec {
            n_rows: 100,
            n_features: 3,
            ..SyntheticSpec::default()
        });
        let err = walk_forward(
            &ds,
            &WalkForwardConfig::default(),
            |t| LogisticModel::fit(t, &LogisticParams::default()),
            |t| LogisticModel::fit(t, &LogisticParams::default()),
        )
        .unwrap_err();
        assert!(
            matches!(err, MlError::InsufficientRows { needed: 502, .. }),
            "{err}"
        );
    }
}
