//! The BiLSTM-with-attention direction challenger (cargo feature `nn`).
//!
//! The earlier Python system's sequence model, kept only where it beats the
//! trees out of sample (PRODUCT.md §4). It reads the last `lookback` days of
//! the same daily features the trees read and forecasts the 3-class direction
//! label (DOWN, NEUTRAL, UP).
//!
//! **Inputs.** Row `t`'s sequence is frame rows `t − lookback + 1 ..= t`
//! (oldest first; steps before the first row are missing), see [`window`].
//! Each step's `p` features are standardised with the per-feature mean and
//! population sd of the *training rows only* ([`Standardiser`]); a missing
//! value (`NaN`) becomes 0 and sets its own missing flag, so every step has
//! `2p` inputs: `p` values, then `p` flags.
//!
//! **Network** (candle on the CPU, `f64` throughout: the arithmetic then
//! matches the crate's `f64` API and no precision is lost between training,
//! saving and loading). A forward LSTM over the sequence and a backward LSTM
//! over the reversed sequence (candle has no bidirectional LSTM), each with
//! `H = hidden` units and PyTorch's gate order; additive attention over the
//! `2H` concatenated states (`e_t = v·tanh(W s_t + b)`, `α = softmax(e)`,
//! context `Σ α_t s_t`, `A = H` attention units); a linear layer to 3 logits;
//! softmax. The cells are written with candle ops (`network.rs`) so the
//! parameters carry PyTorch-style names (`lstm_fwd.weight_ih`, …).
//!
//! **Training**: weights initialised from `seed` with the
//! crate's SplitMix64 (PyTorch's default ranges; candle's global RNG is never
//! used); Adam (β = 0.9, 0.999, ε = 1e−8, no weight decay) on the mean
//! cross-entropy, mini-batches of [`BATCH_SIZE`] in an order shuffled by a
//! second SplitMix64 stream of the same seed; at most `epochs` epochs with
//! early stopping: the latest [`VALIDATION_FRACTION`] of the training rows
//! (at least [`MIN_VALIDATION_ROWS`]) is a validation slice, the `horizon`
//! rows before it are purged, the weights are fitted on the rows before that,
//! and the weights of the epoch with the lowest validation loss are kept
//! (training stops after [`PATIENCE`] epochs without a lower loss). Every
//! refit starts from the same seeded initialisation.
//!
//! **Determinism.** Same inputs and seed → bit-identical weights and
//! predictions, with 1 or 4 threads (tested): candle's CPU kernels split work
//! by output element (matmul over rows/columns, element-wise ops in fixed
//! chunks), never a reduction across threads, so no forced single-threading
//! is needed. Across *machines* the matmul kernels chosen by CPU features may
//! differ in the last bits.
//!
//! **Speed.** When `RAYON_NUM_THREADS` is unset, candle 0.11 asks for the
//! physical core count on every matrix product, and on Linux machines without
//! `cpu_capacity` files that re-reads `/proc/cpuinfo` each time (a third of
//! the challenger's CPU time was system time here). Setting
//! `RAYON_NUM_THREADS` (1 or 2 on a 2-core machine) avoids it; the results are
//! bit-identical. A library cannot set it for its caller (`set_var` is unsafe).
//!
//! **Walk-forward** ([`train_direction_challenger`]): the labelled rows in
//! order, [`crate::walkforward::walk_forward`] with the trees' initial size and
//! purge, so the out-of-sample rows are exactly the trees'; the refit interval
//! is [`NnParams::refit_every`] (default 63 rows ≈ a quarter, to keep training
//! time sane; `None` = the trees' 21). Beside it, a logistic baseline on the
//! current row's features only is refitted on the same folds, for the card's
//! skill report. The probabilities are not calibrated. Finally the network is
//! refitted on every labelled row.
//!
//! **Files**: [`NnModelFile`], described in `crates/ml/src/nn/FORMAT.md`.

mod encode;
mod file;
mod fit;
mod network;
#[cfg(test)]
mod tests;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use encode::{Standardiser, window};
pub use file::{NN_FORMAT, NN_FORMAT_VERSION, NnModelFile, WEIGHTS_FORMAT, weights_path};
pub use fit::{BATCH_SIZE, FitSummary, MIN_VALIDATION_ROWS, PATIENCE, VALIDATION_FRACTION};

use crate::nn_interface::{DIRECTION_CLASSES, NnOosReport, NnParams, NnTrained, SequenceInputs};
use crate::walkforward::{WalkForwardConfig, walk_forward};
use crate::{
    Classifier, Dataset, DatasetParts, LogisticModel, LogisticParams, MlError, Probabilities,
};
use fit::MAX_HIDDEN;
use network::{Layout, Net, PARAMETER_NAMES, tensor_error};

/// Rows per forward pass when predicting (small tensors stay on the calling thread).
const PREDICT_CHUNK: usize = BATCH_SIZE;

/// A fitted BiLSTM-with-attention direction classifier (see the module documentation).
///
/// As a [`Classifier`] its rows are flattened windows: `lookback × p` values,
/// oldest step first (build them with [`window`]); `NaN` marks a missing value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiLstmClassifier {
    feature_names: Vec<String>,
    lookback: usize,
    hidden: usize,
    standardiser: Standardiser,
    parameters: Vec<Vec<f64>>,
    fit: FitSummary,
}

impl BiLstmClassifier {
    /// Base feature names (`p`), in column order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Days per input sequence.
    pub fn lookback(&self) -> usize {
        self.lookback
    }

    /// Hidden units per LSTM direction (also the attention size).
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The training-rows standardiser.
    pub fn standardiser(&self) -> &Standardiser {
        &self.standardiser
    }

    /// How the fit went (rows, kept epoch, validation loss).
    pub fn fit_summary(&self) -> &FitSummary {
        &self.fit
    }

    /// Every parameter: PyTorch-style name, shape, values (row-major).
    pub fn parameters(&self) -> impl Iterator<Item = (&'static str, Vec<usize>, &[f64])> {
        PARAMETER_NAMES
            .into_iter()
            .zip(self.layout().shapes())
            .zip(&self.parameters)
            .map(|((n, s), v)| (n, s, v.as_slice()))
    }

    /// A one-line description of the architecture.
    pub fn architecture(&self) -> String {
        format!(
            "BiLSTM-attention: {} days × {} inputs ({} features + missing flags) → \
             forward and backward LSTM ({h} units each) → additive attention ({h} units) \
             → linear → softmax over {}",
            self.lookback,
            2 * self.feature_names.len(),
            self.feature_names.len(),
            DIRECTION_CLASSES.join("/"),
            h = self.hidden,
        )
    }

    pub(crate) fn layout(&self) -> Layout {
        Layout {
            inputs: 2 * self.feature_names.len(),
            hidden: self.hidden,
            attention: self.hidden,
            classes: DIRECTION_CLASSES.len(),
        }
    }

    /// Rebuilds a model from stored parts, checking every shape and value.
    pub(crate) fn from_parts(
        feature_names: Vec<String>,
        lookback: usize,
        hidden: usize,
        standardiser: Standardiser,
        parameters: Vec<Vec<f64>>,
        fit: FitSummary,
    ) -> Result<Self, String> {
        let model = Self {
            feature_names,
            lookback,
            hidden,
            standardiser,
            parameters,
            fit,
        };
        model.validate()?;
        Ok(model)
    }

    /// The reason the model is unusable, if it is.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.feature_names.is_empty() || self.lookback == 0 {
            return Err("the model has no features or a zero lookback".into());
        }
        if self.hidden == 0 || self.hidden > MAX_HIDDEN {
            return Err(format!(
                "hidden size {} is not in 1..={MAX_HIDDEN}",
                self.hidden
            ));
        }
        self.standardiser.validate(self.feature_names.len())?;
        let shapes = self.layout().shapes();
        if self.parameters.len() != shapes.len() {
            return Err(format!(
                "{} parameter tensors, expected {}",
                self.parameters.len(),
                shapes.len()
            ));
        }
        for ((name, shape), v) in PARAMETER_NAMES.iter().zip(&shapes).zip(&self.parameters) {
            if v.len() != shape.iter().product::<usize>() {
                return Err(format!(
                    "tensor `{name}` has {} values, expected shape {shape:?}",
                    v.len()
                ));
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(format!("tensor `{name}` value {i} is not finite"));
            }
        }
        Ok(())
    }
}

impl Classifier for BiLstmClassifier {
    fn n_features(&self) -> usize {
        self.lookback * self.feature_names.len()
    }

    fn n_classes(&self) -> usize {
        DIRECTION_CLASSES.len()
    }

    fn predict_proba(&self, x: &[f64]) -> Result<Probabilities, MlError> {
        let width = self.n_features();
        if !x.len().is_multiple_of(width) {
            return Err(MlError::FeatureCountMismatch {
                expected: width,
                found: x.len(),
            });
        }
        if let Some(i) = x.iter().position(|v| v.is_infinite()) {
            return Err(MlError::NonFinite {
                what: format!(
                    "window row {}, value {} (±∞; use NaN for a missing value)",
                    i / width,
                    i % width
                ),
            });
        }
        let layout = self.layout();
        let net = Net::from_values(&layout, &self.parameters)?;
        let mut out = Vec::with_capacity(x.len() / width * layout.classes);
        for chunk in x.chunks(PREDICT_CHUNK * width) {
            let rows = chunk.len() / width;
            let encoded = self.standardiser.encode(chunk);
            let xt = Tensor::from_vec(encoded, (rows, self.lookback, layout.inputs), &Device::Cpu)
                .map_err(tensor_error)?;
            let logits = net
                .forward(&xt)
                .and_then(|l| l.to_vec2::<f64>())
                .map_err(tensor_error)?;
            for l in logits {
                let max = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = l.iter().map(|v| (v - max).exp()).collect();
                let s: f64 = e.iter().sum();
                out.extend(e.iter().map(|v| v / s));
            }
        }
        Probabilities::new(layout.classes, out)
    }
}

/// The logistic baseline of the challenger's walk-forward: the current row's
/// features only (the last step of each window), fitted as the trees' baseline.
struct CurrentRowBaseline {
    model: LogisticModel,
    width: usize,
    p: usize,
}

impl CurrentRowBaseline {
    fn current(x: &[f64], width: usize, p: usize) -> Vec<f64> {
        x.chunks_exact(width)
            .flat_map(|w| w[width - p..].iter().copied())
            .collect()
    }

    fn fit(train: &Dataset, names: &[String]) -> Result<Self, MlError> {
        let (width, p) = (train.n_features(), names.len());
        let ds = Dataset::new(DatasetParts {
            feature_names: names.to_vec(),
            classes: train.classes().to_vec(),
            x: Self::current(train.features(), width, p),
            y: train.labels().to_vec(),
            dates: train.dates().to_vec(),
            weights: None,
            label_horizon: train.label_horizon(),
        })?;
        Ok(Self {
            model: LogisticModel::fit(&ds, &LogisticParams::default())?,
            width,
            p,
        })
    }
}

impl Classifier for CurrentRowBaseline {
    fn n_features(&self) -> usize {
        self.width
    }

    fn n_classes(&self) -> usize {
        self.model.n_classes()
    }

    fn predict_proba(&self, x: &[f64]) -> Result<Probabilities, MlError> {
        self.model
            .predict_proba(&Self::current(x, self.width, self.p))
    }
}

/// Runs the challenger's walk-forward on `inputs` and refits it on every
/// labelled row (see the module documentation).
///
/// Errors: inconsistent inputs or parameters, too few labelled rows for the
/// plan or for a fold's validation slice, a class absent from a fold's
/// training rows (the baseline cannot learn it), or a diverging loss.
pub fn train_direction_challenger(
    inputs: &SequenceInputs,
    params: &NnParams,
) -> Result<NnTrained, MlError> {
    inputs.validate()?;
    fit::check_params(params, inputs.lookback)?;
    let data = encode::window_dataset(inputs)?;
    let names = &inputs.feature_names;
    let config = WalkForwardConfig {
        initial_train_rows: inputs.initial_train_rows,
        refit_every: params.refit_every.unwrap_or(inputs.refit_every),
        calibration: None,
    };
    let wf = walk_forward(
        &data,
        &config,
        |train| {
            let started = std::time::Instant::now();
            let m = fit::fit(train, names, inputs.lookback, params)?;
            tracing::debug!(
                rows = train.n_rows(),
                best_epoch = m.fit.best_epoch,
                seconds = started.elapsed().as_secs_f64(),
                "BiLSTM fold fitted"
            );
            Ok(m)
        },
        |train| CurrentRowBaseline::fit(train, names),
    )?;
    let predictions = wf
        .predictions
        .iter()
        .map(|o| (o.date, [o.model[0], o.model[1], o.model[2]], Some(o.label)))
        .collect();
    let model = fit::fit(&data, names, inputs.lookback, params)?;
    Ok(NnTrained {
        oos: NnOosReport {
            predictions,
            metrics: wf.report.model.clone(),
        },
        params: params.clone(),
        architecture: model.architecture(),
        skill: wf.report,
        model,
    })
}
