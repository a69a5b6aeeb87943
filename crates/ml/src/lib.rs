//! Models: learners, calibration, walk-forward evaluation and portable model files.
//!
//! The data-agnostic learning core of AegisMatrix. Callers (labels built from
//! features, `aegis train`, `aegis backtest`) bring a time-ordered
//! [`Dataset`]; this crate fits and evaluates models on it:
//!
//! * [`gbt`]: gradient-boosted trees (forust-ml), binary and one-vs-rest multiclass;
//! * [`logistic`]: L2 logistic regression (binary and multinomial), the baseline;
//! * [`calibrate`]: isotonic and Platt calibration fitted on out-of-sample predictions;
//! * [`hmm`]: a Gaussian HMM for market regimes;
//! * [`metrics`]: log loss, Brier, Brier skill, accuracy, AUC, ECE with reliability bins;
//! * [`walkforward`]: expanding-window evaluation with a label-horizon purge;
//! * [`modelfile`]: the versioned JSON model file with its model card and checksums.
//!
//! On top of it, the models of AegisMatrix (see `MODELS.md`):
//!
//! * [`history`]: complete daily NIFTY bars with India VIX joined on date;
//! * [`labels`]: every model's labels, without look-ahead;
//! * [`registry`]: model names, versions and inputs;
//! * [`training`]: `train_all` / `backtest_all` (walk-forward, champion, calibration, files);
//! * [`predictor`]: `ModelSet`, strict per-model loading and prediction for the engines;
//! * [`regime`]: the regime HMM's observations and state-to-regime mapping;
//! * [`volforecast`]: GARCH / HAR / naive / VIX forecasts compared by QLIKE;
//! * [`saferange`]: the safe short range, its historical hit rate and the breach curve;
//! * [`svg`]: reliability diagrams;
//! * [`nn_interface`]: the data shared with the BiLSTM challenger (`nn`, cargo feature `nn`).
//!
//! Everything is deterministic: the same data, parameters and seed give
//! bit-identical models and predictions.
//!
//! ```
//! use aegis_ml::synthetic::{logistic_dataset, SyntheticSpec};
//! use aegis_ml::{Classifier, LogisticModel, LogisticParams};
//!
//! let data = logistic_dataset(&SyntheticSpec { n_rows: 300, n_features: 4, ..Default::default() });
//! let model = LogisticModel::fit(&data, &LogisticParams::default()).unwrap();
//! let p = model.predict_proba(data.row(0)).unwrap();
//! assert!((p.row(0).iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! ```

pub mod calibrate;
pub mod dataset;
mod error;
pub mod gbt;
pub mod history;
pub mod hmm;
pub mod labels;
mod linalg;
pub mod logistic;
pub mod metrics;
pub mod modelfile;
#[cfg(feature = "nn")]
pub mod nn;
pub mod nn_interface;
pub mod predictor;
pub mod regime;
pub mod registry;
pub mod rng;
pub mod saferange;
pub mod sha256;
pub mod svg;
pub mod synthetic;
pub mod training;
pub mod volforecast;
pub mod walkforward;

pub use calibrate::{CalibrationMethod, ProbabilityCalibrator};
pub use dataset::{Dataset, DatasetParts, Probabilities};
pub use error::MlError;
pub use gbt::{EarlyStopping, GbtModel, GbtParams};
pub use hmm::{GaussianHmm, HmmParams};
pub use logistic::{LogisticModel, LogisticParams};
pub use metrics::Metrics;
pub use modelfile::{ModelCard, ModelFile, ModelFileError, ModelKind};
pub use walkforward::{SkillReport, WalkForwardConfig, WalkForwardResult, walk_forward};

/// A fitted model that gives class probabilities for feature rows.
pub trait Classifier {
    /// Features per row the model expects.
    fn n_features(&self) -> usize;
    /// Classes it predicts.
    fn n_classes(&self) -> usize;
    /// Class probabilities for `x`, row-major with [`Classifier::n_features`]
    /// columns; `NaN` marks a missing value.
    fn predict_proba(&self, x: &[f64]) -> Result<Probabilities, MlError>;
}
