//! Training and walk-forward evaluation of every registered model.
//!
//! **Data.** NIFTY 50 and India VIX daily bars from the first year the NSE calendar covers
//! (the standard feature set needs expiry look-ups), complete bars only (a partial last bar
//! is dropped). Features: `aegis_features::FeatureSet::standard()`; classifiers train on the
//! frame's **complete rows** (every feature present) that carry a label.
//!
//! **Classifiers** ([`crate::registry::ModelFamily::Classifier`]), per model:
//! 1. labels ([`crate::labels`]) and the dataset of complete, labelled rows (label horizon `h`);
//! 2. walk-forward ([`crate::walk_forward`]): expanding window, first training block
//!    `min(500, rows / 2)` rows, refit every 21 rows, purge `h`; gradient-boosted trees and the
//!    logistic baseline fitted on the same rows, predicting the same block;
//! 3. **champion**: the trees, unless they do not beat the baseline out of sample (tree Brier
//!    `≥` logistic Brier on the same rows), then the logistic baseline;
//! 4. the champion's out-of-sample probabilities are calibrated walk-forward (Platt; the
//!    calibrator of a block uses only earlier out-of-sample rows whose labels were known
//!    before the block, at least 100 of them): these "served" scores decide `has_skill`
//!    (Brier skill vs the training-window climatology `> 0`);
//! 5. the champion refitted on every labelled row, with a Platt calibrator fitted on all its
//!    walk-forward out-of-sample predictions, saved with a full card and the out-of-sample
//!    rows ([`crate::modelfile`]).
//!
//! **Regime HMM**: 4 states on `(r_t, ln VIX_t)` ([`crate::regime`]). **Volatility**: the
//! QLIKE comparison and the final GARCH/HAR fits ([`crate::volforecast`]), with the
//! walk-forward σ path of the safe range in the file.
//!
//! Everything is deterministic: the same bars, options and `created_at` give byte-identical
//! files. Models train on up to `threads` threads (each model on one thread, results kept in
//! registry order).

use std::path::{Path, PathBuf};
use std::time::Instant;

use aegis_calendar::NseCalendar;
use aegis_features::{FeatureError, FeatureFrame, FeatureSet};
use aegis_model::{DailySeries, Series};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::calibrate::{CalibrationMethod, ProbabilityCalibrator, calibrator_before};
use crate::history::DailyHistory;
use crate::labels::{self, ExpiryWindow, Labels};
use crate::modelfile::{
    ChallengerRecord, ClassifierOos, CodeVersion, Learner, ModelBody, ModelCard, ModelFile,
    ModelKind, OosRow, OosSection, Selection, SigmaPoint, TrainingWindow, VolOos,
};
use crate::regime;
use crate::registry::{ModelFamily, ModelSpec, ModelTask, registry};
use crate::saferange::{self, BreachPoint, HitRateReport};
use crate::volforecast::{
    COMPARISON_HORIZONS, QlikeComparison, VolConfig, VolForecastModel, VolPaths,
};
use crate::walkforward::{OosPrediction, WalkForwardConfig, WalkForwardResult, walk_forward};
use crate::{
    Dataset, DatasetParts, GaussianHmm, GbtModel, GbtParams, HmmParams, LogisticModel,
    LogisticParams, Metrics, MlError, Probabilities, sha256,
};

/// Lookback of the BiLSTM challenger's sequences.
pub const NN_LOOKBACK: usize = 20;
/// Rows of the first walk-forward training block (fewer when a model has under 1,000 rows).
pub const INITIAL_TRAIN_ROWS: usize = 500;
/// Rows per walk-forward block.
pub const REFIT_EVERY: usize = 21;
/// Earlier out-of-sample rows needed before a block is calibrated.
pub const CALIBRATION_MIN_ROWS: usize = 100;
/// Training windows smaller than this fit the trees without early stopping (its inner
/// validation slice would be too small) and with at most [`SMALL_SAMPLE_MAX_TREES`] trees.
pub const SMALL_SAMPLE_ROWS: usize = 200;
/// Tree count cap of the small-sample rule.
pub const SMALL_SAMPLE_MAX_TREES: usize = 100;

/// The tree parameters used on a training window of `rows` rows (the small-sample rule).
pub fn gbt_params_for(base: &GbtParams, rows: usize) -> GbtParams {
    if rows >= SMALL_SAMPLE_ROWS || base.early_stopping.is_none() {
        return base.clone();
    }
    GbtParams {
        early_stopping: None,
        max_trees: base.max_trees.min(SMALL_SAMPLE_MAX_TREES),
        ..base.clone()
    }
}

/// The champion rule, as recorded in every classifier card.
pub const CHAMPION_RULE: &str = "gradient-boosted trees unless their out-of-sample Brier score is not lower than the logistic baseline's on the same rows; then the logistic baseline";

/// Why training or a backtest could not run at all (a single model's failure is reported
/// in its [`ModelOutcome`] instead).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The inputs are empty or unusable.
    #[error("{0}")]
    NoData(String),
    /// The feature builder refused the bars.
    #[error("building features: {0}")]
    Features(#[from] FeatureError),
    /// A computation failed.
    #[error("{0}")]
    Ml(#[from] MlError),
    /// A model name not in the registry.
    #[error("unknown model `{name}`; the models are: {known}")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// Every registered name.
        known: String,
    },
    /// The model directory could not be created.
    #[error("cannot create the model directory {}: {reason}", .path.display())]
    ModelDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
}

/// Settings of [`train_all`] and [`backtest_all`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Where model files are written.
    pub models_dir: PathBuf,
    /// Only these models (registry names); `None` = all.
    pub only: Option<Vec<String>>,
    /// The time recorded in every card (pass it in: files are otherwise byte-identical).
    pub created_at: DateTime<Utc>,
    /// `git describe` of the build, recorded in the card.
    pub git_describe: Option<String>,
    /// Worker threads (1 or more).
    pub threads: usize,
    /// Tree hyper-parameters.
    pub gbt: GbtParams,
    /// Baseline hyper-parameters.
    pub logistic: LogisticParams,
    /// Regime HMM hyper-parameters (`n_states` must be 4).
    pub hmm: HmmParams,
    /// Volatility walk-forward settings.
    pub vol: VolConfig,
    /// Safe-range confidence of the backtest.
    pub confidence: f64,
    /// BiLSTM challenger settings (used only with the `nn` feature).
    pub nn: crate::nn_interface::NnParams,
}

impl TrainOptions {
    /// Defaults writing to `models_dir`, stamped `created_at`.
    pub fn new(models_dir: impl Into<PathBuf>, created_at: DateTime<Utc>) -> Self {
        TrainOptions {
            models_dir: models_dir.into(),
            only: None,
            created_at,
            git_describe: None,
            threads: 2,
            gbt: GbtParams::default(),
            logistic: LogisticParams::default(),
            hmm: HmmParams::default(),
            vol: VolConfig::default(),
            confidence: saferange::DEFAULT_CONFIDENCE,
            nn: crate::nn_interface::NnParams::default(),
        }
    }

    fn selected(&self) -> Result<Vec<ModelSpec>, TrainError> {
        let all = registry();
        let Some(only) = &self.only else {
            return Ok(all);
        };
        for name in only {
            if !all.iter().any(|s| &s.name == name) {
                return Err(TrainError::UnknownModel {
                    name: name.clone(),
                    known: crate::registry::names().join(", "),
                });
            }
        }
        Ok(all.into_iter().filter(|s| only.contains(&s.name)).collect())
    }
}

/// The prepared training data shared by every model.
#[derive(Debug, Clone)]
pub struct TrainingData {
    /// Complete NIFTY bars with VIX joined, from the first calendar-covered year.
    pub history: DailyHistory,
    /// The standard features of every history row.
    pub frame: FeatureFrame,
    /// The feature set.
    pub feature_set: FeatureSet,
    /// The expiry window of every row.
    pub windows: Vec<Option<ExpiryWindow>>,
    /// Rows with every feature present.
    pub complete_rows: Vec<usize>,
    /// The index's strike step for the expiry after the last session (the grid the safe range
    /// is rounded to in the backtest).
    pub strike_step: f64,
}

fn cut(series: &DailySeries, from: NaiveDate) -> Result<DailySeries, TrainError> {
    let bars: Vec<_> = series
        .complete()
        .into_bars()
        .into_iter()
        .filter(|b| b.key >= from)
        .collect();
    Series::new(series.symbol(), series.interval(), series.origin(), bars)
        .map_err(|e| TrainError::NoData(format!("{} series: {e}", series.symbol())))
}

impl TrainingData {
    /// Prepares the data: drops partial bars and everything before the calendar's first
    /// covered year, joins VIX, builds the features and the expiry windows.
    pub fn prepare(
        nifty: &DailySeries,
        vix: &DailySeries,
        calendar: &NseCalendar,
    ) -> Result<Self, TrainError> {
        // From the first covered year, or from the day the index's options were listed when
        // later (expiry features and labels exist only from then on).
        let covered =
            NaiveDate::from_ymd_opt(*calendar.covered_years().start(), 1, 1).expect("a valid year");
        let listed = calendar
            .options_listed_from(nifty.symbol())
            .map_err(|e| TrainError::NoData(e.to_string()))?;
        let from = covered.max(listed);
        let nifty = cut(nifty, from)?;
        let vix = cut(vix, from)?;
        if nifty.is_empty() {
            return Err(TrainError::NoData(format!(
                "no complete {} daily bars on or after {from} (its options were listed from {listed}; the NSE calendar covers {}..={}); import or fetch the daily history first",
                nifty.symbol().display_name(),
                calendar.covered_years().start(),
                calendar.covered_years().end()
            )));
        }
        if vix.is_empty() {
            return Err(TrainError::NoData(format!(
                "no complete India VIX daily bars on or after {from}; import or fetch the INDIAVIX daily history first"
            )));
        }
        let feature_set = FeatureSet::standard();
        let frame = FeatureFrame::build(feature_set.clone(), &nifty, Some(&vix))?;
        let history = DailyHistory::new(&nifty, Some(&vix))?;
        debug_assert_eq!(frame.dates(), history.dates());
        let windows = labels::expiry_windows(&history, calendar)?;
        let last = history.dates()[history.len() - 1];
        let strike_step = labels::next_expiry_after(calendar, history.symbol(), last)
            .and_then(|(e, _)| calendar.try_contract_spec(history.symbol(), aegis_model::Expiry(e)))
            .map_err(|e| {
                TrainError::NoData(format!(
                    "the {} contract after {last} is not in the NSE calendar: {e}",
                    history.symbol().display_name()
                ))
            })?
            .strike_step;
        let complete_rows = frame.complete_rows();
        if complete_rows.is_empty() {
            return Err(TrainError::NoData(format!(
                "no session from {} to {} has every standard feature (the 252-session VIX percentile needs a year of VIX history)",
                history.dates()[0],
                history.dates()[history.len() - 1]
            )));
        }
        Ok(TrainingData {
            history,
            frame,
            feature_set,
            windows,
            complete_rows,
            strike_step,
        })
    }

    /// First and last session of the history.
    pub fn data_window(&self) -> (NaiveDate, NaiveDate) {
        let d = self.history.dates();
        (d[0], d[d.len() - 1])
    }

    /// First and last session with every feature (the trainable window).
    pub fn feature_window(&self) -> (NaiveDate, NaiveDate) {
        let d = self.history.dates();
        (
            d[self.complete_rows[0]],
            d[*self.complete_rows.last().expect("non-empty")],
        )
    }

    /// The labels of a classifier task.
    pub fn labels(&self, task: ModelTask) -> Result<Labels, MlError> {
        let h = &self.history;
        Ok(match task {
            ModelTask::Direction { horizon } => {
                let sigma =
                    self.frame
                        .column("rv_cc_20d")
                        .ok_or_else(|| MlError::InvalidDataset {
                            reason: "the feature set has no rv_cc_20d column".into(),
                        })?;
                labels::direction(h, &sigma, horizon)?
            }
            ModelTask::Breakout { day } => labels::breakout(h, day),
            ModelTask::SpikeDirection => labels::spike_direction(h),
            ModelTask::VolTrap => labels::vol_trap(h, &self.windows),
            ModelTask::ExpiryStress => labels::expiry_stress(h, &self.windows),
            ModelTask::ThetaEdge => labels::theta_edge(h, &self.windows)?,
            ModelTask::GapRisk => labels::gap_risk(h),
            ModelTask::Regime | ModelTask::VolForecast => {
                return Err(MlError::InvalidParameter {
                    name: "task",
                    reason: "the regime and volatility models have no labels".into(),
                });
            }
        })
    }

    /// The dataset of complete, labelled rows for `labels`.
    pub fn dataset(&self, labels: &Labels) -> Result<Dataset, MlError> {
        let rows: Vec<usize> = self
            .complete_rows
            .iter()
            .copied()
            .filter(|&i| labels.values[i].is_some())
            .collect();
        let mut x = Vec::with_capacity(rows.len() * self.frame.n_cols());
        for &i in &rows {
            x.extend_from_slice(self.frame.row(i));
        }
        Dataset::new(DatasetParts {
            feature_names: self.frame.names().to_vec(),
            classes: labels.classes.clone(),
            x,
            y: rows
                .iter()
                .map(|&i| labels.values[i].expect("filtered"))
                .collect(),
            dates: rows.iter().map(|&i| self.history.dates()[i]).collect(),
            weights: None,
            label_horizon: labels.horizon,
        })
    }
}

/// A classifier's walk-forward, champion and served (calibrated) scores.
#[derive(Debug, Clone)]
pub struct ClassifierEvaluation {
    /// The dataset (complete, labelled rows).
    pub data: Dataset,
    /// The walk-forward of trees and baseline.
    pub walk_forward: WalkForwardResult,
    /// Training rows of the first fold.
    pub initial_train_rows: usize,
    /// The champion.
    pub champion: ModelKind,
    /// The champion's walk-forward-calibrated probabilities, per out-of-sample row.
    pub calibrated: Vec<Option<Vec<f64>>>,
    /// Scores of the calibrated rows.
    pub served: Option<Metrics>,
    /// Brier skill as served (calibrated where available, else the champion's raw score).
    pub served_brier_skill: Option<f64>,
    /// The challenger record (direction models).
    pub challenger: Option<ChallengerRecord>,
    /// Seconds spent in the walk-forward.
    pub seconds: f64,
}

impl ClassifierEvaluation {
    /// The champion's raw out-of-sample probabilities of prediction `p`.
    pub fn champion_probabilities<'a>(&self, p: &'a OosPrediction) -> &'a [f64] {
        match self.champion {
            ModelKind::Logistic => &p.baseline,
            _ => &p.model,
        }
    }

    /// The champion's raw out-of-sample scores.
    pub fn champion_metrics(&self) -> &Metrics {
        match self.champion {
            ModelKind::Logistic => &self.walk_forward.report.baseline,
            _ => &self.walk_forward.report.model,
        }
    }

    /// Whether the served forecast beats climatology out of sample.
    pub fn has_skill(&self) -> bool {
        self.served_brier_skill.is_some_and(|s| s > 0.0)
    }

    /// The out-of-sample rows as stored in the model file.
    pub fn oos_rows(&self) -> Vec<OosRow> {
        self.walk_forward
            .predictions
            .iter()
            .zip(&self.calibrated)
            .map(|(p, c)| OosRow {
                date: p.date,
                label: p.label,
                fold: p.fold,
                gbt: p.model.clone(),
                logistic: p.baseline.clone(),
                calibrated: c.clone(),
                climatology: p.climatology.clone(),
            })
            .collect()
    }
}

/// Calibrates `pick(prediction)` block by block with calibrators fitted on earlier
/// out-of-sample rows only (see [`calibrator_before`]).
fn walk_forward_calibration(
    wf: &WalkForwardResult,
    n_classes: usize,
    horizon: usize,
    pick: impl Fn(&OosPrediction) -> &[f64],
) -> Result<Vec<Option<Vec<f64>>>, MlError> {
    let preds = &wf.predictions;
    let rows: Vec<usize> = preds.iter().map(|p| p.row).collect();
    let labels: Vec<usize> = preds.iter().map(|p| p.label).collect();
    let all = Probabilities::new(
        n_classes,
        preds.iter().flat_map(|p| pick(p).to_vec()).collect(),
    )?;
    let mut out = vec![None; preds.len()];
    for fold in &wf.folds {
        let idx: Vec<usize> = (0..preds.len())
            .filter(|&i| preds[i].fold == fold.index)
            .collect();
        match calibrator_before(
            &rows,
            &all,
            &labels,
            fold.test_rows.start,
            horizon,
            CalibrationMethod::Platt,
            CALIBRATION_MIN_ROWS,
        ) {
            Ok(cal) => {
                let block = Probabilities::new(
                    n_classes,
                    idx.iter().flat_map(|&i| pick(&preds[i]).to_vec()).collect(),
                )?;
                let c = cal.apply(&block)?;
                for (j, &i) in idx.iter().enumerate() {
                    out[i] = Some(c.row(j).to_vec());
                }
            }
            Err(MlError::InsufficientRows { .. } | MlError::ClassAbsent { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Scores the calibrated rows (`None` when no row was calibrated).
fn served_metrics(
    wf: &WalkForwardResult,
    calibrated: &[Option<Vec<f64>>],
    n_classes: usize,
) -> Result<Option<Metrics>, MlError> {
    let idx: Vec<usize> = (0..calibrated.len())
        .filter(|&i| calibrated[i].is_some())
        .collect();
    if idx.is_empty() {
        return Ok(None);
    }
    let probs = Probabilities::new(
        n_classes,
        idx.iter()
            .flat_map(|&i| calibrated[i].clone().expect("some"))
            .collect(),
    )?;
    let clim = Probabilities::new(
        n_classes,
        idx.iter()
            .flat_map(|&i| wf.predictions[i].climatology.clone())
            .collect(),
    )?;
    let labels: Vec<usize> = idx.iter().map(|&i| wf.predictions[i].label).collect();
    Metrics::compute_with_climatology_rows(&probs, &labels, &clim).map(Some)
}

/// Runs the walk-forward of one classifier (steps 1–4 of the module documentation).
pub fn evaluate_classifier(
    data: &TrainingData,
    spec: &ModelSpec,
    options: &TrainOptions,
) -> Result<ClassifierEvaluation, MlError> {
    let started = Instant::now();
    let labels = data.labels(spec.task)?;
    let ds = data.dataset(&labels)?;
    let initial = INITIAL_TRAIN_ROWS.min(ds.n_rows() / 2);
    let config = WalkForwardConfig {
        initial_train_rows: initial.max(1),
        refit_every: REFIT_EVERY,
        calibration: None,
    };
    let wf = walk_forward(
        &ds,
        &config,
        |t| GbtModel::fit(t, &gbt_params_for(&options.gbt, t.n_rows())),
        |t| LogisticModel::fit(t, &options.logistic),
    )?;
    let champion = if wf.report.model.brier < wf.report.baseline.brier {
        ModelKind::Gbt
    } else {
        ModelKind::Logistic
    };
    let kc = ds.n_classes();
    let h = ds.label_horizon();
    let calibrated = match champion {
        ModelKind::Logistic => walk_forward_calibration(&wf, kc, h, |p| &p.baseline)?,
        _ => walk_forward_calibration(&wf, kc, h, |p| &p.model)?,
    };
    let served = served_metrics(&wf, &calibrated, kc)?;
    let raw_skill = match champion {
        ModelKind::Logistic => wf.report.baseline.brier_skill,
        _ => wf.report.model.brier_skill,
    };
    let served_brier_skill = served.as_ref().map_or(raw_skill, |m| m.brier_skill);
    let mut eval = ClassifierEvaluation {
        data: ds,
        walk_forward: wf,
        initial_train_rows: config.initial_train_rows,
        champion,
        calibrated,
        served,
        served_brier_skill,
        challenger: None,
        seconds: 0.0,
    };
    if let ModelTask::Direction { .. } = spec.task {
        eval.challenger = Some(challenger(data, &labels, &eval, options));
    }
    eval.seconds = started.elapsed().as_secs_f64();
    Ok(eval)
}

/// The sequence inputs of the BiLSTM challenger for a direction model.
pub fn sequence_inputs(
    data: &TrainingData,
    labels: &Labels,
    initial_train_rows: usize,
) -> crate::nn_interface::SequenceInputs {
    let rows = &data.complete_rows;
    let mut x = Vec::with_capacity(rows.len() * data.frame.n_cols());
    for &i in rows {
        x.extend_from_slice(data.frame.row(i));
    }
    crate::nn_interface::SequenceInputs {
        feature_names: data.frame.names().to_vec(),
        rows: x,
        dates: rows.iter().map(|&i| data.history.dates()[i]).collect(),
        labels: rows.iter().map(|&i| labels.values[i]).collect(),
        horizon: labels.horizon,
        lookback: NN_LOOKBACK,
        initial_train_rows,
        refit_every: REFIT_EVERY,
    }
}

#[cfg(not(feature = "nn"))]
fn challenger(
    _data: &TrainingData,
    _labels: &Labels,
    _eval: &ClassifierEvaluation,
    _options: &TrainOptions,
) -> ChallengerRecord {
    ChallengerRecord {
        status: "not_built".into(),
        detail: "the BiLSTM challenger was not built: this binary was compiled without the `nn` cargo feature".into(),
        challenger_metrics: None,
        trees_metrics: None,
        winner: None,
    }
}

#[cfg(feature = "nn")]
fn challenger(
    data: &TrainingData,
    labels: &Labels,
    eval: &ClassifierEvaluation,
    options: &TrainOptions,
) -> ChallengerRecord {
    let inputs = sequence_inputs(data, labels, eval.initial_train_rows);
    match crate::nn::train_direction_challenger(&inputs, &options.nn)
        .and_then(|t| compare_challenger(eval, &t))
    {
        Ok(record) => record,
        Err(e) => ChallengerRecord {
            status: "failed".into(),
            detail: format!("the BiLSTM challenger failed: {e}"),
            challenger_metrics: None,
            trees_metrics: None,
            winner: None,
        },
    }
}

/// Scores the challenger and the trees' champion on the dates both predicted.
#[cfg(feature = "nn")]
fn compare_challenger(
    eval: &ClassifierEvaluation,
    trained: &crate::nn_interface::NnTrained,
) -> Result<ChallengerRecord, MlError> {
    let by_date: std::collections::BTreeMap<NaiveDate, &OosPrediction> = eval
        .walk_forward
        .predictions
        .iter()
        .map(|p| (p.date, p))
        .collect();
    let (mut nn, mut trees, mut clim, mut y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (date, probs, label) in &trained.oos.predictions {
        if let (Some(p), Some(l)) = (by_date.get(date), label) {
            nn.extend_from_slice(probs);
            trees.extend_from_slice(eval.champion_probabilities(p));
            clim.extend_from_slice(&p.climatology);
            y.push(*l);
        }
    }
    let clim = Probabilities::new(3, clim)?;
    let m_nn =
        Metrics::compute_with_climatology_rows(&Probabilities::normalised(3, nn)?, &y, &clim)?;
    let m_trees =
        Metrics::compute_with_climatology_rows(&Probabilities::new(3, trees)?, &y, &clim)?;
    let winner = if m_nn.log_loss < m_trees.log_loss {
        "bilstm"
    } else {
        "trees"
    };
    Ok(ChallengerRecord {
        status: "trained".into(),
        detail: trained.architecture.clone(),
        challenger_metrics: Some(m_nn),
        trees_metrics: Some(m_trees),
        winner: Some(winner.into()),
    })
}

/// One model's evaluation and timings, as shown by `aegis train` and `aegis backtest`.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// Registry name.
    pub name: String,
    /// Model version.
    pub version: u32,
    /// Learner kind of the saved (champion) model.
    pub kind: ModelKind,
    /// Training rows of the final fit.
    pub n_train: usize,
    /// Out-of-sample rows (classifiers).
    pub n_oos: Option<usize>,
    /// Refits (classifiers).
    pub folds: Option<usize>,
    /// Label horizon (classifiers).
    pub label_horizon: Option<usize>,
    /// First and last out-of-sample date (classifiers).
    pub test_window: Option<(NaiveDate, NaiveDate)>,
    /// Trees out of sample.
    pub gbt: Option<Metrics>,
    /// Logistic baseline out of sample.
    pub logistic: Option<Metrics>,
    /// Champion calibrated walk-forward (served) scores.
    pub served: Option<Metrics>,
    /// The champion.
    pub champion: Option<ModelKind>,
    /// Brier skill as served.
    pub served_brier_skill: Option<f64>,
    /// Whether it beats climatology out of sample.
    pub has_skill: Option<bool>,
    /// The BiLSTM challenger (direction models).
    pub challenger: Option<ChallengerRecord>,
    /// A note (regime mapping, volatility choice).
    pub note: Option<String>,
    /// Walk-forward seconds.
    pub walk_forward_seconds: f64,
    /// Final-fit seconds (0 in a backtest).
    pub fit_seconds: f64,
}

impl ModelSummary {
    fn classifier(spec: &ModelSpec, e: &ClassifierEvaluation) -> Self {
        let r = &e.walk_forward.report;
        ModelSummary {
            name: spec.name.clone(),
            version: spec.version,
            kind: e.champion,
            n_train: e.data.n_rows(),
            n_oos: Some(r.n),
            folds: Some(r.folds),
            label_horizon: Some(r.label_horizon),
            test_window: Some((r.first_test_date, r.last_test_date)),
            gbt: Some(r.model.clone()),
            logistic: Some(r.baseline.clone()),
            served: e.served.clone(),
            champion: Some(e.champion),
            served_brier_skill: e.served_brier_skill,
            has_skill: Some(e.has_skill()),
            challenger: e.challenger.clone(),
            note: None,
            walk_forward_seconds: e.seconds,
            fit_seconds: 0.0,
        }
    }

    fn other(
        spec: &ModelSpec,
        kind: ModelKind,
        n_train: usize,
        note: String,
        seconds: f64,
    ) -> Self {
        ModelSummary {
            name: spec.name.clone(),
            version: spec.version,
            kind,
            n_train,
            n_oos: None,
            folds: None,
            label_horizon: None,
            test_window: None,
            gbt: None,
            logistic: None,
            served: None,
            champion: None,
            served_brier_skill: None,
            has_skill: None,
            challenger: None,
            note: Some(note),
            walk_forward_seconds: seconds,
            fit_seconds: 0.0,
        }
    }
}

/// A trained model: the file as saved, where, its SHA-256, and its summary.
#[derive(Debug)]
pub struct TrainedModel {
    /// The model file (the same content as on disk).
    pub file: ModelFile,
    /// Where it was written.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Scores and timings.
    pub summary: ModelSummary,
}

/// The outcome of one model: trained, or the error that stopped it.
#[derive(Debug)]
pub struct ModelOutcome {
    /// The registry entry.
    pub spec: ModelSpec,
    /// The trained model, or why it failed.
    pub result: Result<TrainedModel, MlError>,
}

/// What [`train_all`] did.
#[derive(Debug)]
pub struct TrainReport {
    /// First and last session used.
    pub data_window: (NaiveDate, NaiveDate),
    /// First and last session with every feature.
    pub feature_window: (NaiveDate, NaiveDate),
    /// Models in registry order.
    pub models: Vec<ModelOutcome>,
    /// Seconds for the whole run.
    pub seconds: f64,
}

impl TrainReport {
    /// The models that failed, with their errors.
    pub fn failures(&self) -> Vec<(&str, &MlError)> {
        self.models
            .iter()
            .filter_map(|m| m.result.as_ref().err().map(|e| (m.spec.name.as_str(), e)))
            .collect()
    }
}

/// Progress events of [`train_all_with_progress`].
#[derive(Debug, Clone)]
pub enum Progress {
    /// Data prepared; `models` will be trained.
    Prepared {
        /// Models to train.
        models: usize,
    },
    /// A model finished (successfully or not).
    Finished {
        /// Its name.
        name: String,
        /// Whether it succeeded.
        ok: bool,
    },
}

fn card(
    spec: &ModelSpec,
    kind: ModelKind,
    data: &TrainingData,
    window: (NaiveDate, NaiveDate),
    n_train: usize,
    hyper_parameters: serde_json::Value,
    options: &TrainOptions,
) -> ModelCard {
    let (feature_names, feature_hash) = spec.inputs(&data.feature_set);
    ModelCard {
        name: spec.name.clone(),
        version: spec.version,
        kind,
        feature_names,
        feature_hash,
        classes: Vec::new(),
        label_horizon: None,
        training_window: TrainingWindow {
            first: window.0,
            last: window.1,
        },
        n_train,
        hyper_parameters,
        oos_metrics: None,
        selection: None,
        state_labels: None,
        code_version: CodeVersion::current(options.git_describe.clone()),
        created_at: options.created_at,
    }
}

fn json(v: impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).expect("plain data serialises")
}

fn train_classifier(
    data: &TrainingData,
    spec: &ModelSpec,
    options: &TrainOptions,
) -> Result<(ModelFile, ModelSummary), MlError> {
    let eval = evaluate_classifier(data, spec, options)?;
    let started = Instant::now();
    let ds = &eval.data;
    let learner = match eval.champion {
        ModelKind::Logistic => Learner::Logistic(LogisticModel::fit(ds, &options.logistic)?),
        _ => Learner::Gbt(GbtModel::fit(
            ds,
            &gbt_params_for(&options.gbt, ds.n_rows()),
        )?),
    };
    let preds = &eval.walk_forward.predictions;
    let oos_probs = Probabilities::new(
        ds.n_classes(),
        preds
            .iter()
            .flat_map(|p| eval.champion_probabilities(p).to_vec())
            .collect(),
    )?;
    let oos_labels: Vec<usize> = preds.iter().map(|p| p.label).collect();
    let (calibrator, calibration_note) =
        match ProbabilityCalibrator::fit(&oos_probs, &oos_labels, CalibrationMethod::Platt) {
            Ok(c) => (
                Some(c),
                format!("platt on {} out-of-sample rows", oos_labels.len()),
            ),
            Err(e @ MlError::ClassAbsent { .. }) => (None, format!("none: {e}")),
            Err(e) => return Err(e),
        };
    let fit_seconds = started.elapsed().as_secs_f64();
    let dates = ds.dates();
    let mut c = card(
        spec,
        eval.champion,
        data,
        (dates[0], dates[dates.len() - 1]),
        ds.n_rows(),
        serde_json::json!({
            "gbt": json(&options.gbt),
            "gbt_final": json(gbt_params_for(&options.gbt, ds.n_rows())),
            "gbt_small_sample_rule": format!(
                "training windows under {SMALL_SAMPLE_ROWS} rows: no early stopping, at most {SMALL_SAMPLE_MAX_TREES} trees"
            ),
            "logistic": json(&options.logistic),
            "walk_forward": {
                "initial_train_rows": eval.initial_train_rows,
                "refit_every": REFIT_EVERY,
                "purge": ds.label_horizon(),
                "calibration": { "method": "platt", "min_rows": CALIBRATION_MIN_ROWS },
            },
            "final_calibrator": calibration_note,
            "task": json(spec.task),
        }),
        options,
    );
    c.classes = ds.classes().to_vec();
    c.label_horizon = Some(ds.label_horizon());
    c.oos_metrics = Some(eval.walk_forward.report.clone());
    c.selection = Some(Selection {
        champion: eval.champion,
        rule: CHAMPION_RULE.into(),
        gbt_brier: eval.walk_forward.report.model.brier,
        logistic_brier: eval.walk_forward.report.baseline.brier,
        served: eval.served.clone(),
        served_brier_skill: eval.served_brier_skill,
        has_skill: eval.has_skill(),
        challenger: eval.challenger.clone(),
    });
    let file = ModelFile::new(
        c,
        ModelBody {
            learner,
            calibrator,
        },
    )?
    .with_oos(OosSection::Classifier(ClassifierOos {
        rows: eval.oos_rows(),
    }))?;
    let mut summary = ModelSummary::classifier(spec, &eval);
    summary.fit_seconds = fit_seconds;
    Ok((file, summary))
}

fn train_regime(
    data: &TrainingData,
    spec: &ModelSpec,
    options: &TrainOptions,
) -> Result<(ModelFile, ModelSummary), MlError> {
    let started = Instant::now();
    let (obs, rows) = regime::observations(&data.history);
    if options.hmm.n_states != regime::N_STATES {
        return Err(MlError::InvalidParameter {
            name: "hmm.n_states",
            reason: format!("the regime model has exactly {} states", regime::N_STATES),
        });
    }
    let hmm = GaussianHmm::fit(&obs, 2, &options.hmm)?;
    let regimes = regime::state_regimes(&hmm)?;
    let dates = data.history.dates();
    let mut c = card(
        spec,
        ModelKind::Hmm,
        data,
        (dates[rows[0]], dates[*rows.last().expect("fit needs rows")]),
        rows.len(),
        json(&options.hmm),
        options,
    );
    let labels: Vec<String> = regimes.iter().map(|r| r.label().to_string()).collect();
    c.state_labels = Some(labels.clone());
    let file = ModelFile::new(
        c,
        ModelBody {
            learner: Learner::Hmm(hmm),
            calibrator: None,
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let mut summary = ModelSummary::other(
        spec,
        ModelKind::Hmm,
        rows.len(),
        format!("states → {}", labels.join(", ")),
        0.0,
    );
    summary.fit_seconds = seconds;
    Ok((file, summary))
}

/// The volatility walk-forward on the training data: QLIKE table and the safe-range σ path.
#[derive(Debug, Clone)]
pub struct VolEvaluation {
    /// The QLIKE comparison.
    pub comparison: QlikeComparison,
    /// σ at each session for its expiry horizon (`None` where unavailable).
    pub sigma_path: Vec<Option<f64>>,
    /// Seconds.
    pub seconds: f64,
}

/// Runs the volatility walk-forward on the training history.
pub fn evaluate_vol(data: &TrainingData, options: &TrainOptions) -> Result<VolEvaluation, MlError> {
    let started = Instant::now();
    let mut horizons: Vec<usize> = COMPARISON_HORIZONS.to_vec();
    horizons.extend(data.windows.iter().flatten().map(|w| w.sessions as usize));
    horizons.sort_unstable();
    horizons.dedup();
    let paths = VolPaths::compute(&data.history, &horizons, options.vol)?;
    let comparison = crate::volforecast::compare(&paths, &COMPARISON_HORIZONS, None)?;
    let sigma_path = saferange::sigma_path(&paths, &data.windows, &comparison.chosen);
    Ok(VolEvaluation {
        comparison,
        sigma_path,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn train_vol(
    data: &TrainingData,
    spec: &ModelSpec,
    options: &TrainOptions,
) -> Result<(ModelFile, ModelSummary), MlError> {
    let eval = evaluate_vol(data, options)?;
    let started = Instant::now();
    let model = VolForecastModel::fit(&data.history, eval.comparison.clone(), options.vol)?;
    let h = &data.history;
    let points: Vec<SigmaPoint> = (0..h.len())
        .filter_map(|t| {
            let s = eval.sigma_path[t]?;
            let w = data.windows[t]?;
            Some(SigmaPoint {
                date: h.dates()[t],
                sessions: w.sessions,
                method: model.method_for(w.sessions as usize),
                sigma: s,
            })
        })
        .collect();
    let note = eval
        .comparison
        .chosen
        .iter()
        .map(|c| format!("h{} → {}", c.horizon, c.method))
        .collect::<Vec<_>>()
        .join(", ");
    let c = card(
        spec,
        ModelKind::VolForecast,
        data,
        (h.dates()[0], h.dates()[h.len() - 1]),
        h.len() - 1,
        json(options.vol),
        options,
    );
    let file = ModelFile::new(
        c,
        ModelBody {
            learner: Learner::VolForecast(model),
            calibrator: None,
        },
    )?
    .with_oos(OosSection::VolForecast(VolOos { sigma_path: points }))?;
    let mut summary = ModelSummary::other(
        spec,
        ModelKind::VolForecast,
        h.len() - 1,
        note,
        eval.seconds,
    );
    summary.fit_seconds = started.elapsed().as_secs_f64();
    Ok((file, summary))
}

/// Trains one model (no file written).
pub fn train_model(
    data: &TrainingData,
    spec: &ModelSpec,
    options: &TrainOptions,
) -> Result<(ModelFile, ModelSummary), MlError> {
    match spec.family() {
        ModelFamily::Classifier => train_classifier(data, spec, options),
        ModelFamily::Hmm => train_regime(data, spec, options),
        ModelFamily::Vol => train_vol(data, spec, options),
    }
}

fn save(
    file: ModelFile,
    summary: ModelSummary,
    dir: &Path,
    spec: &ModelSpec,
) -> Result<TrainedModel, MlError> {
    let path = dir.join(spec.file_name());
    let text = file.to_json().map_err(|e| MlError::InvalidDataset {
        reason: format!("serialising {}: {e}", spec.name),
    })?;
    file.save(&path).map_err(|e| MlError::InvalidDataset {
        reason: e.to_string(),
    })?;
    Ok(TrainedModel {
        sha256: sha256::digest_hex(text.as_bytes()),
        file,
        path,
        summary,
    })
}

/// Runs `job` on every spec over `threads` workers (worker `w` takes specs `w, w + threads, …`),
/// returning results in spec order.
fn run_parallel<T: Send>(
    specs: &[ModelSpec],
    threads: usize,
    job: &(dyn Fn(&ModelSpec) -> T + Sync),
) -> Vec<T> {
    let threads = threads.clamp(1, specs.len().max(1));
    if threads == 1 {
        return specs.iter().map(job).collect();
    }
    let mut slots: Vec<Option<T>> = (0..specs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                scope.spawn(move || {
                    (w..specs.len())
                        .step_by(threads)
                        .map(|i| (i, job(&specs[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("a training thread panicked") {
                slots[i] = Some(r);
            }
        }
    });
    slots
        .into_iter()
        .map(|s| s.expect("every slot filled"))
        .collect()
}

/// The inputs of [`train_all`] and [`backtest_all`]: NIFTY 50 and India VIX daily bars.
#[derive(Debug, Clone, Copy)]
pub struct TrainInputs<'a> {
    /// NIFTY 50 daily bars (a partial last bar is ignored).
    pub nifty: &'a DailySeries,
    /// India VIX daily bars.
    pub vix: &'a DailySeries,
}

/// Trains every selected model, writes `<models_dir>/<name>.json`, and reports.
pub fn train_all(
    inputs: TrainInputs<'_>,
    options: &TrainOptions,
) -> Result<TrainReport, TrainError> {
    train_all_with_progress(inputs, options, &|_| {})
}

/// [`train_all`] with a progress callback (called from the worker threads).
pub fn train_all_with_progress(
    inputs: TrainInputs<'_>,
    options: &TrainOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<TrainReport, TrainError> {
    let started = Instant::now();
    let specs = options.selected()?;
    let calendar = NseCalendar::try_new().map_err(|e| TrainError::NoData(e.to_string()))?;
    let data = TrainingData::prepare(inputs.nifty, inputs.vix, &calendar)?;
    std::fs::create_dir_all(&options.models_dir).map_err(|e| TrainError::ModelDir {
        path: options.models_dir.clone(),
        reason: e.to_string(),
    })?;
    progress(Progress::Prepared {
        models: specs.len(),
    });
    let job = |spec: &ModelSpec| {
        let r = train_model(&data, spec, options)
            .and_then(|(f, s)| save(f, s, &options.models_dir, spec));
        if let Err(e) = &r {
            tracing::warn!(model = %spec.name, error = %e, "model not trained");
        }
        progress(Progress::Finished {
            name: spec.name.clone(),
            ok: r.is_ok(),
        });
        r
    };
    let results = run_parallel(&specs, options.threads, &job);
    Ok(TrainReport {
        data_window: data.data_window(),
        feature_window: data.feature_window(),
        models: specs
            .into_iter()
            .zip(results)
            .map(|(spec, result)| ModelOutcome { spec, result })
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The safe-range backtest of the training data.
#[derive(Debug, Clone, Serialize)]
pub struct SafeRangeBacktest {
    /// Hit rate at the configured confidence.
    pub hit_rate: HitRateReport,
    /// The breach curve.
    pub breach_curve: Vec<BreachPoint>,
}

/// What [`backtest_all`] found.
#[derive(Debug, Serialize)]
pub struct BacktestReport {
    /// First and last session used.
    pub data_window: (NaiveDate, NaiveDate),
    /// First and last session with every feature.
    pub feature_window: (NaiveDate, NaiveDate),
    /// Classifier walk-forwards (and the HMM/vol notes), in registry order; errors as text.
    pub models: Vec<(String, Result<ModelSummary, String>)>,
    /// The QLIKE comparison on the whole history given (not cut to the calendar).
    pub qlike_full_history: Option<QlikeComparison>,
    /// The QLIKE comparison on the training window.
    pub qlike: Option<QlikeComparison>,
    /// The safe-range hit rate and breach curve (from the training-window σ path).
    pub safe_range: Result<SafeRangeBacktest, String>,
    /// Seconds.
    pub seconds: f64,
}

/// Runs every selected model's walk-forward without writing files, the volatility
/// comparison (on the whole given history and on the training window) and the safe-range
/// backtest.
pub fn backtest_all(
    inputs: TrainInputs<'_>,
    options: &TrainOptions,
) -> Result<BacktestReport, TrainError> {
    let started = Instant::now();
    let specs = options.selected()?;
    let calendar = NseCalendar::try_new().map_err(|e| TrainError::NoData(e.to_string()))?;
    let data = TrainingData::prepare(inputs.nifty, inputs.vix, &calendar)?;
    let classifiers: Vec<ModelSpec> = specs
        .iter()
        .filter(|s| s.family() == ModelFamily::Classifier)
        .cloned()
        .collect();
    let job = |spec: &ModelSpec| {
        evaluate_classifier(&data, spec, options)
            .map(|e| ModelSummary::classifier(spec, &e))
            .map_err(|e| e.to_string())
    };
    let mut results = run_parallel(&classifiers, options.threads, &job).into_iter();
    let mut models = Vec::new();
    let mut vol = None;
    for spec in &specs {
        let r = match spec.family() {
            ModelFamily::Classifier => results.next().expect("one per classifier"),
            ModelFamily::Hmm => train_regime(&data, spec, options)
                .map(|(_, s)| s)
                .map_err(|e| e.to_string()),
            ModelFamily::Vol => {
                let e = evaluate_vol(&data, options);
                let r = e
                    .as_ref()
                    .map(|e| {
                        let note = e
                            .comparison
                            .chosen
                            .iter()
                            .map(|c| format!("h{} → {}", c.horizon, c.method))
                            .collect::<Vec<_>>()
                            .join(", ");
                        ModelSummary::other(
                            spec,
                            ModelKind::VolForecast,
                            data.history.len() - 1,
                            note,
                            e.seconds,
                        )
                    })
                    .map_err(|e| e.to_string());
                vol = e.ok();
                r
            }
        };
        models.push((spec.name.clone(), r));
    }
    let vol = match vol {
        Some(v) => Ok(v),
        None => evaluate_vol(&data, options),
    };
    let safe_range = match &vol {
        Err(e) => Err(e.to_string()),
        Ok(v) => {
            safe_range_backtest(&data, &v.sigma_path, options.confidence).map_err(|e| e.to_string())
        }
    };
    let full = DailyHistory::new(inputs.nifty, Some(inputs.vix))?;
    let qlike_full_history = if full.len() > data.history.len() {
        let paths = VolPaths::compute(&full, &COMPARISON_HORIZONS, options.vol)?;
        Some(crate::volforecast::compare(
            &paths,
            &COMPARISON_HORIZONS,
            None,
        )?)
    } else {
        None
    };
    Ok(BacktestReport {
        data_window: data.data_window(),
        feature_window: data.feature_window(),
        models,
        qlike_full_history,
        qlike: vol.ok().map(|v| v.comparison),
        safe_range,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The safe-range hit rate and breach curve of the training data for a σ path.
pub fn safe_range_backtest(
    data: &TrainingData,
    sigma_path: &[Option<f64>],
    confidence: f64,
) -> Result<SafeRangeBacktest, MlError> {
    Ok(SafeRangeBacktest {
        hit_rate: saferange::hit_rate(
            &data.history,
            &data.windows,
            sigma_path,
            confidence,
            data.strike_step,
        )?,
        breach_curve: saferange::breach_curve(
            &data.history,
            &data.windows,
            sigma_path,
            &saferange::BREACH_DISTANCES,
        )?,
    })
}
