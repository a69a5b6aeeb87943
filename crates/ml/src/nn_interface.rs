//! The plain data both sides of the neural-network challenger use.
//!
//! [`crate::training::train_all`] builds a [`SequenceInputs`] for every
//! direction horizon and, only when the crate is built with the cargo feature
//! `nn`, calls
//!
//! ```text
//! crate::nn::train_direction_challenger(&SequenceInputs, &NnParams) -> Result<NnTrained, MlError>
//! ```
//!
//! which runs the challenger's whole walk-forward **inside** the `nn` module
//! with the same fold plan as the trees ([`SequenceInputs::fold_plan`]) and
//! returns its out-of-sample forecasts and scores ([`NnOosReport`]). The
//! caller compares them with the trees' on the same dates and records the
//! winner in the direction model's card.
//!
//! Conventions:
//! * rows are the complete daily feature rows in date order (the partial last
//!   bar is never included), row-major `n × p` in [`SequenceInputs::rows`],
//!   `NaN` marking a value the feature cannot compute yet (warm-up);
//! * labels are the 3-class direction labels of [`crate::labels`]:
//!   `0 = DOWN`, `1 = NEUTRAL`, `2 = UP`; `None` = no label (the horizon runs
//!   past the data, or `rv_cc_20d` is not computable yet) — such rows may be
//!   used as *inputs* of a sequence, never as training targets;
//! * the sequence for row `t` is rows `t − lookback + 1 ..= t` (all at or
//!   before `t`: no look-ahead); rows `t < lookback − 1` have no full sequence;
//! * the walk-forward works on the **labelled** rows only, in order:
//!   `fold_plan(labelled.len(), horizon, initial_train_rows, refit_every)`
//!   where `labelled = SequenceInputs::labelled_rows()`; a plan position `i`
//!   means frame row `labelled[i]`. Purging `horizon` labelled rows purges at
//!   least `horizon` sessions, so no training label overlaps a test row.
//!
//! Changes elsewhere in the crate that touch the `nn` module (from the `train_all` side):
//! * model file format version 2: [`crate::ModelCard`] has two new optional fields,
//!   `selection` (classifier champion/skill) and `state_labels` (regime HMM); a card built
//!   by the `nn` module sets both to `None`. `crate::modelfile::ModelKind` gained
//!   `VolForecast`.
//! * `train_all` calls `train_direction_challenger` once per direction horizon with
//!   `lookback = 20`, `initial_train_rows = min(500, labelled / 2)` and `refit_every = 21`,
//!   compares `NnTrained::oos.predictions` with the trees on the same dates by log loss, and
//!   records the result in the direction model's card (`selection.challenger`). The file
//!   it writes is still the trees' champion: serving the BiLSTM where it wins (with
//!   `crate::nn::NnModelFile`) is left to the engines' integration.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::MlError;
use crate::metrics::Metrics;
use crate::walkforward::{FoldRows, fold_plan};

/// Direction classes, in label order.
pub const DIRECTION_CLASSES: [&str; 3] = ["DOWN", "NEUTRAL", "UP"];

/// What the challenger is trained and evaluated on (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceInputs {
    /// Feature names, one per column of [`SequenceInputs::rows`].
    pub feature_names: Vec<String>,
    /// Row-major `n × p` feature matrix (`p = feature_names.len()`), `NaN` allowed.
    pub rows: Vec<f64>,
    /// Date of each row (`n` dates, strictly increasing).
    pub dates: Vec<NaiveDate>,
    /// 3-class label of each row (`0 = DOWN`, `1 = NEUTRAL`, `2 = UP`), `None` = unlabelled.
    pub labels: Vec<Option<usize>>,
    /// Label horizon in sessions (rows purged between training and test).
    pub horizon: usize,
    /// Rows per input sequence (e.g. 20).
    pub lookback: usize,
    /// Labelled rows in the first training block (as the trees: ≈ 500).
    pub initial_train_rows: usize,
    /// Labelled rows per test block, i.e. the refit interval (as the trees: 21).
    pub refit_every: usize,
}

impl SequenceInputs {
    /// Number of rows `n`.
    pub fn n_rows(&self) -> usize {
        self.dates.len()
    }

    /// Number of features `p`.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The features of row `t` (`p` values).
    pub fn row(&self, t: usize) -> &[f64] {
        let p = self.n_features();
        &self.rows[t * p..(t + 1) * p]
    }

    /// Frame rows that carry a label, in order.
    pub fn labelled_rows(&self) -> Vec<usize> {
        self.labels
            .iter()
            .enumerate()
            .filter_map(|(i, y)| y.map(|_| i))
            .collect()
    }

    /// The walk-forward plan over [`SequenceInputs::labelled_rows`] positions,
    /// identical to the one the trees use.
    pub fn fold_plan(&self) -> Result<Vec<FoldRows>, MlError> {
        fold_plan(
            self.labelled_rows().len(),
            self.horizon,
            self.initial_train_rows,
            self.refit_every,
        )
    }

    /// Checks the shapes agree (matrix `n × p`, `n` dates and labels, labels `< 3`).
    pub fn validate(&self) -> Result<(), MlError> {
        let n = self.n_rows();
        if self.rows.len() != n * self.n_features() || self.labels.len() != n {
            return Err(MlError::InvalidDataset {
                reason: format!(
                    "sequence inputs: {} dates, {} labels, {} values for {} features",
                    n,
                    self.labels.len(),
                    self.rows.len(),
                    self.n_features()
                ),
            });
        }
        if let Some(i) = self.labels.iter().position(|y| y.is_some_and(|c| c >= 3)) {
            return Err(MlError::InvalidDataset {
                reason: format!("sequence inputs: label on row {i} is not one of 3 classes"),
            });
        }
        if self.lookback == 0 {
            return Err(MlError::InvalidParameter {
                name: "lookback",
                reason: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// Hyper-parameters of the BiLSTM challenger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NnParams {
    /// Hidden units per direction.
    pub hidden: usize,
    /// Training epochs per refit.
    pub epochs: usize,
    /// Optimiser learning rate.
    pub learning_rate: f64,
    /// Seed of every random draw (same seed and inputs → same result).
    pub seed: u64,
    /// Refit interval of the challenger's walk-forward in labelled rows; `None` = the
    /// trees' cadence ([`SequenceInputs::refit_every`]). The test rows are the same either
    /// way (the plan's first test row depends only on the initial size and the horizon);
    /// the default 63 (≈ a quarter) keeps training time sane. Added by the `nn` helper.
    #[serde(default = "default_nn_refit_every")]
    pub refit_every: Option<usize>,
}

fn default_nn_refit_every() -> Option<usize> {
    Some(63)
}

impl Default for NnParams {
    fn default() -> Self {
        Self {
            hidden: 16,
            epochs: 30,
            learning_rate: 1e-3,
            seed: 42,
            refit_every: default_nn_refit_every(),
        }
    }
}

/// Out-of-sample forecasts and scores of the challenger's walk-forward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NnOosReport {
    /// One per test row, in date order: date, probabilities (DOWN, NEUTRAL, UP), label.
    pub predictions: Vec<(NaiveDate, [f64; 3], Option<usize>)>,
    /// Scores on the labelled test rows (climatology: each fold's training base rates).
    pub metrics: Metrics,
}

/// What the challenger returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NnTrained {
    /// The walk-forward forecasts and scores.
    pub oos: NnOosReport,
    /// The parameters used.
    pub params: NnParams,
    /// A one-line description of the architecture (layers, sizes), for the card.
    pub architecture: String,
    /// The same out-of-sample rows scored beside the logistic baseline (for the card's
    /// `oos_metrics`). Added by the `nn` helper.
    pub skill: crate::walkforward::SkillReport,
    /// The challenger refitted on every labelled row (only with the `nn` feature).
    /// Added by the `nn` helper.
    #[cfg(feature = "nn")]
    pub model: crate::nn::BiLstmClassifier,
}
