//! Training one BiLSTM on a window dataset: Adam, cross-entropy, seeded
//! shuffled mini-batches, early stopping on a purged time-ordered validation slice.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use serde::{Deserialize, Serialize};

use super::BiLstmClassifier;
use super::encode::Standardiser;
use super::network::{Layout, Net, tensor_error};
use crate::modelfile::TrainingWindow;
use crate::nn_interface::{DIRECTION_CLASSES, NnParams};
use crate::rng::SplitMix64;
use crate::{Dataset, MlError};

/// Rows per mini-batch.
pub const BATCH_SIZE: usize = 32;
/// Epochs without a lower validation loss before training stops.
pub const PATIENCE: usize = 5;
/// Share of the training rows (the latest ones) held out to pick the epoch.
pub const VALIDATION_FRACTION: f64 = 0.15;
/// Fewest validation rows.
pub const MIN_VALIDATION_ROWS: usize = 10;
/// Fewest rows the network is fitted on (after the validation slice and its purge).
pub const MIN_FIT_ROWS: usize = 30;
/// Adam's first-moment decay.
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's second-moment decay.
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's denominator guard.
pub const ADAM_EPS: f64 = 1e-8;
/// Largest hidden size accepted.
pub const MAX_HIDDEN: usize = 256;
/// XORed into the seed for the batch-order stream, so it differs from the initialisation stream.
const SHUFFLE_STREAM: u64 = 0x5348_5546_464C_4531;

/// How one fit went: the rows used and the epoch early stopping kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSummary {
    /// Dates of the first and last training rows (fit and validation slices together).
    pub training_window: TrainingWindow,
    /// Training rows (fit + purge + validation).
    pub n_train: usize,
    /// Rows the weights were fitted on (the oldest ones).
    pub n_fit: usize,
    /// Rows of the validation slice (the latest ones).
    pub n_validation: usize,
    /// Label horizon, also the purge between the fit rows and the validation slice.
    pub label_horizon: usize,
    /// Epochs run before stopping.
    pub epochs_run: usize,
    /// Epoch (from 1) whose weights were kept: the lowest validation loss.
    pub best_epoch: usize,
    /// Mean cross-entropy on the validation slice at that epoch.
    pub best_validation_loss: f64,
}

/// Checks the hyper-parameters; the reason if they are unusable.
pub(crate) fn check_params(params: &NnParams, lookback: usize) -> Result<(), MlError> {
    let bad = |name: &'static str, reason: &str| {
        Err(MlError::InvalidParameter {
            name,
            reason: reason.into(),
        })
    };
    if params.hidden == 0 || params.hidden > MAX_HIDDEN {
        return bad("hidden", &format!("must be in 1..={MAX_HIDDEN}"));
    }
    if params.epochs == 0 {
        return bad("epochs", "must be at least 1");
    }
    if !(params.learning_rate.is_finite() && params.learning_rate > 0.0) {
        return bad("learning_rate", "must be a positive finite number");
    }
    if params.refit_every == Some(0) {
        return bad(
            "refit_every",
            "must be at least 1 (or None for the trees' cadence)",
        );
    }
    if lookback == 0 {
        return bad("lookback", "must be at least 1");
    }
    Ok(())
}

/// The rows of `n` training rows: `(fit rows, validation start)`; the fit rows
/// are `[0, fit)`, the validation slice `[start, n)`, and `start − fit = h`.
pub(crate) fn split(n: usize, horizon: usize) -> Result<(usize, usize), MlError> {
    let n_val = ((n as f64 * VALIDATION_FRACTION).ceil() as usize).max(MIN_VALIDATION_ROWS);
    let needed = MIN_FIT_ROWS + horizon + n_val;
    if n < needed {
        return Err(MlError::InsufficientRows {
            what: format!(
                "a BiLSTM fit ({MIN_FIT_ROWS} fit rows + {horizon} purged + {n_val} validation rows)"
            ),
            needed,
            found: n,
        });
    }
    let start = n - n_val;
    Ok((start - horizon, start))
}

/// Sequences `rows` of the encoded inputs as a `[B, T, D]` tensor.
fn batch(encoded: &[f64], rows: &[usize], t: usize, d: usize) -> Result<Tensor, MlError> {
    let per = t * d;
    let mut v = Vec::with_capacity(rows.len() * per);
    for &r in rows {
        v.extend_from_slice(&encoded[r * per..(r + 1) * per]);
    }
    Tensor::from_vec(v, (rows.len(), t, d), &Device::Cpu).map_err(tensor_error)
}

fn labels(y: &[usize], rows: &[usize]) -> Result<Tensor, MlError> {
    let v: Vec<u32> = rows.iter().map(|&r| y[r] as u32).collect();
    Tensor::from_vec(v, rows.len(), &Device::Cpu).map_err(tensor_error)
}

fn snapshot(vars: &[Var]) -> Result<Vec<Vec<f64>>, MlError> {
    vars.iter()
        .map(|v| v.as_tensor().flatten_all()?.to_vec1::<f64>())
        .collect::<candle_core::Result<_>>()
        .map_err(tensor_error)
}

fn scalar(t: &Tensor) -> Result<f64, MlError> {
    t.to_dtype(DType::F64)
        .and_then(|t| t.to_scalar::<f64>())
        .map_err(tensor_error)
}

/// Fits the network on a window dataset (`lookback × p` columns per row, oldest
/// step first): standardiser from all its rows, weights from the fit slice,
/// the epoch chosen on the validation slice (see the module documentation).
pub(crate) fn fit(
    train: &Dataset,
    feature_names: &[String],
    lookback: usize,
    params: &NnParams,
) -> Result<BiLstmClassifier, MlError> {
    check_params(params, lookback)?;
    let p = feature_names.len();
    if p == 0 || train.n_features() != lookback * p {
        return Err(MlError::FeatureCountMismatch {
            expected: lookback * p,
            found: train.n_features(),
        });
    }
    if train.n_classes() != DIRECTION_CLASSES.len() {
        return Err(MlError::ClassCountMismatch {
            expected: DIRECTION_CLASSES.len(),
            found: train.n_classes(),
        });
    }
    let n = train.n_rows();
    let h = train.label_horizon();
    let (n_fit, val_start) = split(n, h)?;
    let standardiser = Standardiser::fit((0..n).map(|i| &train.row(i)[(lookback - 1) * p..]), p);
    let encoded = standardiser.encode(train.features());
    let layout = Layout {
        inputs: 2 * p,
        hidden: params.hidden,
        attention: params.hidden,
        classes: DIRECTION_CLASSES.len(),
    };
    let d = layout.inputs;
    let vars = layout
        .shapes()
        .into_iter()
        .zip(layout.init(params.seed))
        .map(|(shape, v)| Var::from_vec(v, shape, &Device::Cpu))
        .collect::<candle_core::Result<Vec<Var>>>()
        .map_err(tensor_error)?;
    let net = Net::new(
        vars.iter().map(|v| v.as_tensor().clone()).collect(),
        layout.hidden,
    );
    let mut opt = AdamW::new(
        vars.clone(),
        ParamsAdamW {
            lr: params.learning_rate,
            beta1: ADAM_BETA1,
            beta2: ADAM_BETA2,
            eps: ADAM_EPS,
            weight_decay: 0.0,
        },
    )
    .map_err(tensor_error)?;
    let y = train.labels();
    // The validation slice in batch-sized chunks: small tensors keep candle's element-wise
    // kernels on the calling thread (large ones are split across a spinning thread pool,
    // which only costs time on a 2-core machine).
    let val_rows: Vec<usize> = (val_start..n).collect();
    let val_chunks = val_rows
        .chunks(BATCH_SIZE)
        .map(|rows| {
            Ok((
                batch(&encoded, rows, lookback, d)?,
                labels(y, rows)?,
                rows.len(),
            ))
        })
        .collect::<Result<Vec<_>, MlError>>()?;
    let mut rng = SplitMix64::new(params.seed ^ SHUFFLE_STREAM);
    let mut order: Vec<usize> = (0..n_fit).collect();
    let mut best: Option<(usize, f64, Vec<Vec<f64>>)> = None;
    let mut epochs_run = 0;
    for epoch in 1..=params.epochs {
        epochs_run = epoch;
        // Fisher–Yates with our own generator: the batch order depends only on the seed.
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for rows in order.chunks(BATCH_SIZE) {
            let logits = net
                .forward(&batch(&encoded, rows, lookback, d)?)
                .map_err(tensor_error)?;
            let loss =
                candle_nn::loss::cross_entropy(&logits, &labels(y, rows)?).map_err(tensor_error)?;
            let value = scalar(&loss)?;
            if !value.is_finite() {
                return Err(MlError::NoConvergence {
                    routine: "BiLSTM Adam",
                    iterations: epoch,
                    detail: format!(
                        "training loss became {value} (lower the learning rate {})",
                        params.learning_rate
                    ),
                });
            }
            opt.backward_step(&loss).map_err(tensor_error)?;
        }
        let eval = Net::new(
            vars.iter().map(|v| v.as_tensor().detach()).collect(),
            layout.hidden,
        );
        let mut val_loss = 0.0;
        for (x, y, rows) in &val_chunks {
            let logits = eval.forward(x).map_err(tensor_error)?;
            let mean = scalar(&candle_nn::loss::cross_entropy(&logits, y).map_err(tensor_error)?)?;
            val_loss += mean * *rows as f64;
        }
        let val_loss = val_loss / val_rows.len() as f64;
        if !val_loss.is_finite() {
            return Err(MlError::NoConvergence {
                routine: "BiLSTM Adam",
                iterations: epoch,
                detail: format!("validation loss became {val_loss}"),
            });
        }
        match &best {
            Some((best_epoch, best_loss, _)) if val_loss >= *best_loss => {
                if epoch - best_epoch >= PATIENCE {
                    break;
                }
            }
            _ => best = Some((epoch, val_loss, snapshot(&vars)?)),
        }
    }
    let (best_epoch, best_validation_loss, weights) = best.ok_or(MlError::InvalidParameter {
        name: "epochs",
        reason: "must be at least 1".into(),
    })?;
    let dates = train.dates();
    Ok(BiLstmClassifier {
        feature_names: feature_names.to_vec(),
        lookback,
        hidden: params.hidden,
        standardiser,
        parameters: weights,
        fit: FitSummary {
            training_window: TrainingWindow {
                first: dates[0],
                last: dates[n - 1],
            },
            n_train: n,
            n_fit,
            n_validation: n - val_start,
            label_horizon: h,
            epochs_run,
            best_epoch,
            best_validation_loss,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validation_slice_is_the_latest_rows_purged_by_the_horizon() {
        let (fit, start) = split(500, 5).unwrap();
        assert_eq!(start, 500 - 75);
        assert_eq!(fit + 5, start);
        // Small sets keep at least MIN_VALIDATION_ROWS validation rows.
        let (fit, start) = split(60, 1).unwrap();
        assert_eq!(60 - start, MIN_VALIDATION_ROWS);
        assert_eq!(fit, start - 1);
        assert!(matches!(
            split(40, 5),
            Err(MlError::InsufficientRows { needed: 45, .. })
        ));
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let ok = NnParams::default();
        assert!(check_params(&ok, 20).is_ok());
        for (p, lookback) in [
            (
                NnParams {
                    hidden: 0,
                    ..ok.clone()
                },
                20,
            ),
            (
                NnParams {
                    epochs: 0,
                    ..ok.clone()
                },
                20,
            ),
            (
                NnParams {
                    learning_rate: f64::NAN,
                    ..ok.clone()
                },
                20,
            ),
            (
                NnParams {
                    refit_every: Some(0),
                    ..ok.clone()
                },
                20,
            ),
            (ok.clone(), 0),
        ] {
            assert!(matches!(
                check_params(&p, lookback),
                Err(MlError::InvalidParameter { .. })
            ));
        }
    }
}
