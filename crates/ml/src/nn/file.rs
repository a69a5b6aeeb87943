//! The BiLSTM model files: a JSON card (`aegismatrix-nn-model`, version 1) and
//! a safetensors weights file beside it (format in `nn/FORMAT.md`).
//!
//! Writing is atomic per file (weights first, then the card that records the
//! weights' SHA-256). Loading is strict: every problem is a
//! [`ModelFileError`] naming the file, what is wrong and the fix.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::Utc;
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::BiLstmClassifier;
use super::encode::Standardiser;
use super::fit::{
    ADAM_BETA1, ADAM_BETA2, ADAM_EPS, BATCH_SIZE, FitSummary, PATIENCE, VALIDATION_FRACTION,
};
use super::network::PARAMETER_NAMES;
use crate::modelfile::{
    CodeVersion, Expected, ModelCard, ModelFileError, ModelKind, checksum, write_atomic,
};
use crate::nn_interface::{DIRECTION_CLASSES, NnTrained};
use crate::{Classifier, MlError, Probabilities, sha256};

/// The card's `format` field.
pub const NN_FORMAT: &str = "aegismatrix-nn-model";
/// The card format version this code writes and reads.
pub const NN_FORMAT_VERSION: u64 = 1;
/// The weights file's `__metadata__.format` value.
pub const WEIGHTS_FORMAT: &str = "aegismatrix-nn-weights v1";
/// The `network.architecture` value.
const ARCHITECTURE: &str = "bilstm_attention";
/// The `network.input_encoding` value.
const INPUT_ENCODING: &str = "standardised values then missing flags";
/// Standardiser tensors stored beside the parameters.
const MEAN_NAME: &str = "standardiser.mean";
const SD_NAME: &str = "standardiser.sd";

/// The `network` section of the card: what the weights file must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkSection {
    architecture: String,
    lookback: usize,
    n_features: usize,
    hidden: usize,
    attention: usize,
    classes: usize,
    dtype: String,
    input_encoding: String,
    weights_file: String,
    weights_sha256: String,
    fit: FitSummary,
}

/// A BiLSTM challenger with its model card, as saved and loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct NnModelFile {
    card: ModelCard,
    model: BiLstmClassifier,
}

/// The weights file that belongs to the card at `card_path`: the same path
/// with the extension `safetensors` (`direction_h5.json` → `direction_h5.safetensors`).
pub fn weights_path(card_path: &Path) -> PathBuf {
    card_path.with_extension("safetensors")
}

/// Checks that the card describes the model; the reason if not.
fn consistency(card: &ModelCard, model: &BiLstmClassifier) -> Result<(), String> {
    if card.kind != ModelKind::BiLstm {
        return Err(format!(
            "card says kind `{}` but the file holds a `{}` model",
            card.kind,
            ModelKind::BiLstm
        ));
    }
    model.validate()?;
    if card.feature_names != model.feature_names {
        return Err(format!(
            "card lists features {:?} but the weights were trained on {:?}",
            card.feature_names, model.feature_names
        ));
    }
    if card.classes != DIRECTION_CLASSES {
        return Err(format!(
            "card lists classes {:?}, expected {DIRECTION_CLASSES:?}",
            card.classes
        ));
    }
    let fit = &model.fit;
    if card.label_horizon != Some(fit.label_horizon) {
        return Err(format!(
            "card says label horizon {:?} but the fit used {}",
            card.label_horizon, fit.label_horizon
        ));
    }
    if card.training_window != fit.training_window || card.n_train != fit.n_train {
        return Err(format!(
            "card says {} training rows from {} to {} but the fit used {} rows from {} to {}",
            card.n_train,
            card.training_window.first,
            card.training_window.last,
            fit.n_train,
            fit.training_window.first,
            fit.training_window.last
        ));
    }
    if fit.training_window.first > fit.training_window.last {
        return Err("training window starts after it ends".into());
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, ModelFileError> {
    fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ModelFileError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            ModelFileError::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        }
    })
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The safetensors bytes of a model: its parameters and standardiser, `F64`.
fn weights_bytes(model: &BiLstmClassifier) -> Result<Vec<u8>, String> {
    let mut owned: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .parameters()
        .map(|(name, shape, v)| (name.to_string(), shape, f64_bytes(v)))
        .collect();
    let p = model.feature_names.len();
    owned.push((
        MEAN_NAME.into(),
        vec![p],
        f64_bytes(model.standardiser.mean()),
    ));
    owned.push((SD_NAME.into(), vec![p], f64_bytes(model.standardiser.sd())));
    let views = owned
        .iter()
        .map(|(n, s, b)| Ok((n.as_str(), TensorView::new(Dtype::F64, s.clone(), b)?)))
        .collect::<Result<Vec<_>, SafeTensorError>>()
        .map_err(|e| e.to_string())?;
    let meta = [("format".to_string(), WEIGHTS_FORMAT.to_string())]
        .into_iter()
        .collect();
    safetensors::tensor::serialize(views, Some(meta)).map_err(|e| e.to_string())
}

/// Reads and checks the tensors of a weights file against the network section.
fn parse_weights(
    bytes: &[u8],
    path: &Path,
    network: &NetworkSection,
) -> Result<(Standardiser, Vec<Vec<f64>>), ModelFileError> {
    let p = || path.to_path_buf();
    let malformed = |detail: String| ModelFileError::Malformed { path: p(), detail };
    let st = SafeTensors::deserialize(bytes).map_err(|e| match e {
        SafeTensorError::HeaderTooSmall
        | SafeTensorError::InvalidHeaderLength
        | SafeTensorError::MetadataIncompleteBuffer => ModelFileError::Truncated {
            path: p(),
            detail: format!("safetensors: {e} ({} bytes)", bytes.len()),
        },
        other => ModelFileError::Corrupt {
            path: p(),
            detail: format!("not a valid safetensors file: {other}"),
        },
    })?;
    let computed = sha256::digest_hex(bytes);
    if computed != network.weights_sha256 {
        return Err(ModelFileError::ChecksumMismatch {
            path: p(),
            part: "weights",
            stored: network.weights_sha256.clone(),
            computed,
        });
    }
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| malformed(e.to_string()))?;
    let format = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get("format"))
        .cloned();
    if format.as_deref() != Some(WEIGHTS_FORMAT) {
        return Err(malformed(format!(
            "safetensors metadata `format` is {format:?}, expected \"{WEIGHTS_FORMAT}\""
        )));
    }
    let layout = super::network::Layout {
        inputs: 2 * network.n_features,
        hidden: network.hidden,
        attention: network.attention,
        classes: network.classes,
    };
    let mut expected: Vec<(&str, Vec<usize>)> =
        PARAMETER_NAMES.into_iter().zip(layout.shapes()).collect();
    expected.push((MEAN_NAME, vec![network.n_features]));
    expected.push((SD_NAME, vec![network.n_features]));
    let mut names = st.names();
    names.sort();
    if let Some(extra) = names
        .iter()
        .find(|n| !expected.iter().any(|(e, _)| e == *n))
    {
        return Err(malformed(format!("unexpected tensor `{extra}`")));
    }
    let mut values = Vec::with_capacity(expected.len());
    for (name, shape) in &expected {
        let view = st
            .tensor(name)
            .map_err(|_| malformed(format!("tensor `{name}` is missing")))?;
        if view.dtype() != Dtype::F64 {
            return Err(malformed(format!(
                "tensor `{name}` has dtype {:?}, expected F64",
                view.dtype()
            )));
        }
        if view.shape() != shape.as_slice() {
            return Err(malformed(format!(
                "tensor `{name}` has shape {:?}, expected {shape:?}",
                view.shape()
            )));
        }
        values.push(
            view.data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                .collect::<Vec<f64>>(),
        );
    }
    let sd = values.pop().unwrap_or_default();
    let mean = values.pop().unwrap_or_default();
    Ok((Standardiser::from_parts(mean, sd), values))
}

impl NnModelFile {
    /// Pairs a card with a model, checking that they agree (kind `bilstm`,
    /// features, classes, label horizon, training window and rows).
    pub fn new(card: ModelCard, model: BiLstmClassifier) -> Result<Self, MlError> {
        consistency(&card, &model).map_err(|reason| MlError::InvalidParameter {
            name: "model card",
            reason,
        })?;
        Ok(Self { card, model })
    }

    /// The file of a trained challenger: its card carries the feature names,
    /// the caller's feature hash, the training window of the final fit, the
    /// hyper-parameters (with the fixed training constants and the fit
    /// summary), the walk-forward skill report and the code version.
    pub fn from_trained(
        trained: &NnTrained,
        name: &str,
        version: u32,
        feature_hash: &str,
        code_version: CodeVersion,
    ) -> Result<Self, MlError> {
        let m = &trained.model;
        let card = ModelCard {
            name: name.to_string(),
            version,
            kind: ModelKind::BiLstm,
            feature_names: m.feature_names.clone(),
            feature_hash: feature_hash.to_string(),
            classes: DIRECTION_CLASSES.iter().map(|c| c.to_string()).collect(),
            label_horizon: Some(m.fit.label_horizon),
            training_window: m.fit.training_window.clone(),
            n_train: m.fit.n_train,
            hyper_parameters: serde_json::json!({
                "params": trained.params,
                "lookback": m.lookback,
                "architecture": trained.architecture,
                "attention_units": m.hidden,
                "dtype": "f64",
                "input_encoding": INPUT_ENCODING,
                "optimizer": { "name": "adam", "beta1": ADAM_BETA1, "beta2": ADAM_BETA2,
                               "eps": ADAM_EPS, "weight_decay": 0.0 },
                "batch_size": BATCH_SIZE,
                "early_stopping": { "validation_fraction": VALIDATION_FRACTION,
                                    "patience": PATIENCE, "purge_rows": m.fit.label_horizon },
                "final_fit": m.fit,
            }),
            oos_metrics: Some(trained.skill.clone()),
            selection: None,
            state_labels: None,
            code_version,
            created_at: Utc::now(),
        };
        Self::new(card, m.clone())
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The fitted network.
    pub fn model(&self) -> &BiLstmClassifier {
        &self.model
    }

    /// The model's probabilities for flattened windows `x` (see [`BiLstmClassifier`]).
    pub fn predict_proba(&self, x: &[f64]) -> Result<Probabilities, MlError> {
        self.model.predict_proba(x)
    }

    fn network_section(&self, weights_file: String, weights_sha256: String) -> NetworkSection {
        NetworkSection {
            architecture: ARCHITECTURE.into(),
            lookback: self.model.lookback,
            n_features: self.model.feature_names.len(),
            hidden: self.model.hidden,
            attention: self.model.hidden,
            classes: self.model.n_classes(),
            dtype: "F64".into(),
            input_encoding: INPUT_ENCODING.into(),
            weights_file,
            weights_sha256,
            fit: self.model.fit.clone(),
        }
    }

    /// Writes the weights to [`weights_path`]`(path)` and then the card to
    /// `path` (JSON), each atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelFileError> {
        let write_err = |path: &Path, reason: String| ModelFileError::Write {
            path: path.to_path_buf(),
            reason,
        };
        let wpath = weights_path(path);
        if wpath == path {
            return Err(write_err(
                path,
                "the card path must not end in .safetensors (that name is the weights file's)"
                    .into(),
            ));
        }
        let weights_file = wpath
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| write_err(path, "path has no file name".into()))?;
        let bytes = weights_bytes(&self.model).map_err(|e| write_err(&wpath, e))?;
        let network = self.network_section(weights_file, sha256::digest_hex(&bytes));
        let text = (|| {
            let card = serde_json::to_value(&self.card)?;
            let network = serde_json::to_value(&network)?;
            let mut doc = serde_json::Map::new();
            doc.insert("format".into(), Value::from(NN_FORMAT));
            doc.insert("format_version".into(), Value::from(NN_FORMAT_VERSION));
            doc.insert("card_sha256".into(), Value::from(checksum(&card)));
            doc.insert("network_sha256".into(), Value::from(checksum(&network)));
            doc.insert("card".into(), card);
            doc.insert("network".into(), network);
            serde_json::to_string_pretty(&Value::Object(doc))
        })()
        .map_err(|e| write_err(path, e.to_string()))?;
        write_atomic(&wpath, &bytes).map_err(|e| write_err(&wpath, e.to_string()))?;
        write_atomic(path, text.as_bytes()).map_err(|e| write_err(path, e.to_string()))
    }

    /// Loads the card at `path` and its weights file, and checks both against
    /// each other and against what the caller expects.
    pub fn load(path: &Path, expected: &Expected<'_>) -> Result<Self, ModelFileError> {
        let p = || path.to_path_buf();
        let malformed = |detail: String| ModelFileError::Malformed { path: p(), detail };
        let text = String::from_utf8(read(path)?).map_err(|e| ModelFileError::Corrupt {
            path: p(),
            detail: format!("not UTF-8 text ({e})"),
        })?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| {
            let detail = e.to_string();
            if e.classify() == serde_json::error::Category::Eof {
                ModelFileError::Truncated { path: p(), detail }
            } else {
                ModelFileError::Corrupt { path: p(), detail }
            }
        })?;
        let Value::Object(mut map) = doc else {
            return Err(malformed("the document is not a JSON object".into()));
        };
        match map.get("format") {
            Some(Value::String(s)) if s == NN_FORMAT => {}
            other => {
                return Err(malformed(format!(
                    "format is {}, but a BiLSTM card has format \"{NN_FORMAT}\"",
                    other.map_or("missing".into(), Value::to_string)
                )));
            }
        }
        match map.get("format_version") {
            Some(v) if v.as_u64() == Some(NN_FORMAT_VERSION) => {}
            other => {
                // Not `UnsupportedVersion`: its message names the JSON model files' version.
                return Err(malformed(format!(
                    "BiLSTM card format_version is {}, this build reads only version {NN_FORMAT_VERSION}",
                    other.map_or("missing".into(), Value::to_string)
                )));
            }
        }
        let allowed = [
            "format",
            "format_version",
            "card_sha256",
            "network_sha256",
            "card",
            "network",
        ];
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(malformed(format!("unknown top-level field `{k}`")));
        }
        let mut part = |name: &'static str| -> Result<Value, ModelFileError> {
            let value = map
                .remove(name)
                .ok_or_else(|| malformed(format!("the `{name}` field is missing")))?;
            let key = format!("{name}_sha256");
            let Some(Value::String(stored)) = map.get(&key) else {
                return Err(malformed(format!(
                    "the `{key}` field is missing or not a string"
                )));
            };
            let computed = checksum(&value);
            if *stored != computed {
                return Err(ModelFileError::ChecksumMismatch {
                    path: p(),
                    part: name,
                    stored: stored.clone(),
                    computed,
                });
            }
            Ok(value)
        };
        let card_value = part("card")?;
        let network_value = part("network")?;
        let card: ModelCard =
            serde_json::from_value(card_value).map_err(|e| malformed(format!("card: {e}")))?;
        let network: NetworkSection = serde_json::from_value(network_value)
            .map_err(|e| malformed(format!("network: {e}")))?;
        if network.architecture != ARCHITECTURE
            || network.dtype != "F64"
            || network.input_encoding != INPUT_ENCODING
            || network.classes != DIRECTION_CLASSES.len()
            || network.attention != network.hidden
        {
            return Err(malformed(format!(
                "network: this build reads only architecture \"{ARCHITECTURE}\", dtype F64, \
                 3 classes and attention units = hidden units; found {network:?}"
            )));
        }
        if network.n_features != card.feature_names.len() {
            return Err(malformed(format!(
                "network says {} features, the card lists {}",
                network.n_features,
                card.feature_names.len()
            )));
        }
        let name = Path::new(&network.weights_file);
        if name.components().count() != 1 || name.file_name().is_none() {
            return Err(malformed(format!(
                "network.weights_file `{}` must be a plain file name beside the card",
                network.weights_file
            )));
        }
        let wpath = path.with_file_name(name);
        let bytes = read(&wpath)?;
        let (standardiser, parameters) = parse_weights(&bytes, &wpath, &network)?;
        let model = BiLstmClassifier::from_parts(
            card.feature_names.clone(),
            network.lookback,
            network.hidden,
            standardiser,
            parameters,
            network.fit.clone(),
        )
        .map_err(|e| ModelFileError::Malformed {
            path: wpath.clone(),
            detail: e,
        })?;
        consistency(&card, &model).map_err(malformed)?;
        if expected.kind != ModelKind::BiLstm {
            return Err(ModelFileError::WrongKind {
                path: p(),
                expected: expected.kind,
                found: ModelKind::BiLstm,
            });
        }
        if card.feature_names != expected.feature_names {
            return Err(ModelFileError::FeatureMismatch {
                path: p(),
                detail: feature_difference(&card.feature_names, expected.feature_names),
            });
        }
        if card.feature_hash != expected.feature_hash {
            return Err(ModelFileError::FeatureHashMismatch {
                path: p(),
                expected: expected.feature_hash.to_string(),
                found: card.feature_hash.clone(),
            });
        }
        Ok(Self { card, model })
    }
}

/// Describes how two different feature lists differ.
fn feature_difference(found: &[String], expected: &[String]) -> String {
    let missing: Vec<&String> = expected.iter().filter(|e| !found.contains(e)).collect();
    let extra: Vec<&String> = found.iter().filter(|f| !expected.contains(f)).collect();
    if !missing.is_empty() || !extra.is_empty() || found.len() != expected.len() {
        return format!(
            "the file has {} features, the caller {}; not in the file: {missing:?}; only in the file: {extra:?}",
            found.len(),
            expected.len()
        );
    }
    let i = found
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    format!(
        "same names in a different order: column {i} is `{}` in the file but `{}` for the caller",
        found[i], expected[i]
    )
}
