//! The crate's error type for fitting, predicting and evaluating.

use thiserror::Error;

/// What went wrong while building a dataset, fitting, predicting or evaluating.
///
/// Model-file problems have their own type, [`crate::modelfile::ModelFileError`].
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MlError {
    /// A dataset was built from inconsistent or invalid parts.
    #[error("invalid dataset: {reason}")]
    InvalidDataset {
        /// What is inconsistent, naming the row/feature/field.
        reason: String,
    },
    /// A hyper-parameter is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why the value is rejected and what is allowed.
        reason: String,
    },
    /// Too few rows to do what was asked.
    #[error("not enough rows for {what}: need at least {needed}, have {found}")]
    InsufficientRows {
        /// What needed the rows.
        what: String,
        /// The minimum required.
        needed: usize,
        /// What was available.
        found: usize,
    },
    /// A class never occurs in the rows a model or calibrator is fitted on.
    #[error(
        "class `{class}` has no rows in {window}; it cannot be learned (use a longer window or merge classes)"
    )]
    ClassAbsent {
        /// The name of the absent class.
        class: String,
        /// The rows/dates that were searched.
        window: String,
    },
    /// The feature matrix given to a model has the wrong width.
    #[error(
        "feature count mismatch: the model expects {expected} features per row, got a matrix of {found} values that is not a whole number of such rows"
    )]
    FeatureCountMismatch {
        /// Features the model was trained on.
        expected: usize,
        /// Length of the flat matrix received.
        found: usize,
    },
    /// A model's class count differs from what the caller uses.
    #[error("class count mismatch: expected {expected} classes, found {found}")]
    ClassCountMismatch {
        /// Classes expected.
        expected: usize,
        /// Classes found.
        found: usize,
    },
    /// An input value is not finite where a finite number is required.
    #[error("non-finite value in {what}")]
    NonFinite {
        /// Which input, with its position.
        what: String,
    },
    /// A numerical routine did not reach its tolerance.
    #[error("{routine} did not converge in {iterations} iterations ({detail})")]
    NoConvergence {
        /// The routine (e.g. "logistic Newton").
        routine: &'static str,
        /// Iterations performed.
        iterations: usize,
        /// Final state (gradient norm, change in objective, …).
        detail: String,
    },
    /// The gradient-boosting library reported an error.
    #[error("gradient boosting (forust-ml) failed: {0}")]
    Booster(String),
    /// The tensor library (candle) behind the `nn` challenger reported an error.
    /// Added by the `nn` helper.
    #[error("neural network (candle) failed: {0}")]
    NeuralNet(String),
}
