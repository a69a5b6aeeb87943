//! Loading the trained models for the engines, one model at a time.
//!
//! [`ModelSet::load`] strictly loads every registered model from `<models_dir>/<name>.json`
//! ([`ModelFile::load`]: format, version, checksums, kind, feature names and hash). A model
//! that fails is kept as its error (missing, corrupt, old format, features changed …): the
//! other models still load, and the engines mark only the metrics of the failed model
//! unavailable, with the error's text (which names the file and the fix, `aegis train`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aegis_features::{FeatureFrame, FeatureSet};
use chrono::NaiveDate;
use serde::Serialize;

use crate::MlError;
use crate::history::DailyHistory;
use crate::modelfile::{
    Expected, Learner, ModelFile, ModelFileError, ModelKind, OosRow, OosSection, SigmaPoint,
};
use crate::regime::{self, Regime, RegimeForecast};
use crate::registry::{ModelFamily, ModelSpec, registry};
use crate::volforecast::VolForecastModel;

/// Why a prediction could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PredictError {
    /// The name is not a registered model.
    #[error("`{0}` is not a registered model")]
    UnknownModel(String),
    /// The model file did not load.
    #[error("{0}")]
    Load(#[from] ModelFileError),
    /// The model is not of the family asked for (e.g. a classifier asked for a regime).
    #[error("model `{name}` is a `{kind}` model, not {wanted}")]
    WrongFamily {
        /// The model.
        name: String,
        /// What it is.
        kind: ModelKind,
        /// What was asked.
        wanted: &'static str,
    },
    /// The prediction itself failed (bad input row, …).
    #[error("model `{name}`: {source}")]
    Ml {
        /// The model.
        name: String,
        /// The error.
        source: MlError,
    },
}

/// A loaded model and its registry entry.
#[derive(Debug)]
pub struct LoadedModel {
    /// The registry entry.
    pub spec: ModelSpec,
    /// The file.
    pub file: ModelFile,
}

impl LoadedModel {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.file.card().name, self.file.card().version)
    }

    /// The walk-forward out-of-sample rows of a classifier (empty for other models).
    pub fn oos_rows(&self) -> &[OosRow] {
        match self.file.oos() {
            Some(OosSection::Classifier(c)) => &c.rows,
            _ => &[],
        }
    }

    /// The out-of-sample skill summary of a classifier.
    pub fn skill(&self) -> Option<SkillSummary> {
        let card = self.file.card();
        let r = card.oos_metrics.as_ref()?;
        let sel = card.selection.as_ref()?;
        let champion = match sel.champion {
            ModelKind::Logistic => &r.baseline,
            _ => &r.model,
        };
        Some(SkillSummary {
            n: r.n,
            first_test_date: r.first_test_date,
            last_test_date: r.last_test_date,
            champion: sel.champion,
            champion_brier_skill: champion.brier_skill,
            baseline_brier_skill: r.baseline.brier_skill,
            served_brier_skill: sel.served_brier_skill,
            accuracy: champion.accuracy,
            auc: champion.auc,
            ece: sel.served.as_ref().map_or(champion.ece, |m| m.ece),
            climatology: r.climatology.clone(),
            has_skill: sel.has_skill,
        })
    }
}

/// A classifier's out-of-sample skill, as the engines show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillSummary {
    /// Out-of-sample rows.
    pub n: usize,
    /// First out-of-sample date.
    pub first_test_date: NaiveDate,
    /// Last out-of-sample date.
    pub last_test_date: NaiveDate,
    /// The champion learner.
    pub champion: ModelKind,
    /// Brier skill of the champion (raw).
    pub champion_brier_skill: Option<f64>,
    /// Brier skill of the logistic baseline.
    pub baseline_brier_skill: Option<f64>,
    /// Brier skill as served (calibrated).
    pub served_brier_skill: Option<f64>,
    /// Accuracy of the champion.
    pub accuracy: f64,
    /// AUC of the champion.
    pub auc: Option<f64>,
    /// Calibration error as served.
    pub ece: f64,
    /// Mean climatology (base rates).
    pub climatology: Vec<f64>,
    /// Whether the forecast as served beats climatology.
    pub has_skill: bool,
}

/// Calibrated class probabilities of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// `name@version` of the model used.
    pub model: String,
    /// The champion learner that produced them.
    pub champion: ModelKind,
    /// Class names in order.
    pub classes: Vec<String>,
    /// Calibrated probabilities, one per class.
    pub probabilities: Vec<f64>,
    /// The out-of-sample skill behind them.
    pub skill: Option<SkillSummary>,
}

/// Every registered model, each loaded or with its load error.
#[derive(Debug)]
pub struct ModelSet {
    dir: PathBuf,
    models: BTreeMap<String, Result<LoadedModel, ModelFileError>>,
}

impl ModelSet {
    /// Strictly loads every registered model from `models_dir` (see the module docs).
    pub fn load(models_dir: &Path, features: &FeatureSet) -> ModelSet {
        // The files are independent: read, checksum and parse them on up to 4 threads (most of
        // a run's start-up time); the result does not depend on the order.
        let specs = registry();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4);
        let loaded: Vec<(usize, Result<LoadedModel, ModelFileError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(spec) = specs.get(i) else { break };
                            let r = load_one(models_dir, spec, features).map(|file| LoadedModel {
                                spec: spec.clone(),
                                file,
                            });
                            out.push((i, r));
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a model-loading thread panicked"))
                .collect()
        });
        let models = loaded
            .into_iter()
            .map(|(i, r)| (specs[i].name.clone(), r))
            .collect();
        ModelSet {
            dir: models_dir.to_path_buf(),
            models,
        }
    }

    /// The directory the models were loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A model, or why it is unavailable.
    pub fn get(&self, name: &str) -> Result<&LoadedModel, PredictError> {
        match self.models.get(name) {
            None => Err(PredictError::UnknownModel(name.to_string())),
            Some(Ok(m)) => Ok(m),
            Some(Err(e)) => Err(PredictError::Load(e.clone())),
        }
    }

    /// Names of the models that loaded.
    pub fn loaded(&self) -> Vec<&str> {
        self.models
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The models that failed to load, with their errors.
    pub fn failures(&self) -> Vec<(&str, &ModelFileError)> {
        self.models
            .iter()
            .filter_map(|(n, r)| r.as_ref().err().map(|e| (n.as_str(), e)))
            .collect()
    }

    /// Calibrated probabilities of classifier `name` for one feature row (in the feature
    /// set's column order; NaN = missing).
    pub fn predict(&self, name: &str, row: &[f64]) -> Result<Prediction, PredictError> {
        let m = self.get(name)?;
        if m.spec.family() != ModelFamily::Classifier {
            return Err(PredictError::WrongFamily {
                name: name.into(),
                kind: m.file.card().kind,
                wanted: "a classifier",
            });
        }
        let p = m
            .file
            .predict_proba(row)
            .map_err(|source| PredictError::Ml {
                name: name.into(),
                source,
            })?;
        Ok(Prediction {
            model: m.id(),
            champion: m.file.card().kind,
            classes: m.file.card().classes.clone(),
            probabilities: p.row(0).to_vec(),
            skill: m.skill(),
        })
    }

    /// [`ModelSet::predict`] on the last row of a feature frame.
    pub fn predict_latest(
        &self,
        name: &str,
        frame: &FeatureFrame,
    ) -> Result<Prediction, PredictError> {
        if frame.n_rows() == 0 {
            return Err(PredictError::Ml {
                name: name.into(),
                source: MlError::InsufficientRows {
                    what: "a prediction".into(),
                    needed: 1,
                    found: 0,
                },
            });
        }
        self.predict(name, frame.row(frame.n_rows() - 1))
    }

    /// The regime at the last session of `history` (filtered over the whole history).
    pub fn regime(&self, history: &DailyHistory) -> Result<(String, RegimeForecast), PredictError> {
        let m = self.get("regime_hmm")?;
        let Learner::Hmm(hmm) = &m.file.body().learner else {
            return Err(PredictError::WrongFamily {
                name: "regime_hmm".into(),
                kind: m.file.card().kind,
                wanted: "an HMM",
            });
        };
        let err = |source| PredictError::Ml {
            name: "regime_hmm".into(),
            source,
        };
        let labels = m.file.card().state_labels.as_ref().ok_or_else(|| {
            err(MlError::InvalidDataset {
                reason: "the regime model has no state labels".into(),
            })
        })?;
        let regimes: Vec<Regime> = labels
            .iter()
            .map(|l| Regime::from_label(l).expect("validated on load"))
            .collect();
        let (obs, _) = regime::observations(history);
        let f = regime::forecast(hmm, &regimes, &obs).map_err(err)?;
        Ok((m.id(), f))
    }

    /// The volatility model and its `name@version`.
    pub fn vol(&self) -> Result<(String, &VolForecastModel), PredictError> {
        let m = self.get("vol_forecast")?;
        match &m.file.body().learner {
            Learner::VolForecast(v) => Ok((m.id(), v)),
            _ => Err(PredictError::WrongFamily {
                name: "vol_forecast".into(),
                kind: m.file.card().kind,
                wanted: "a volatility model",
            }),
        }
    }

    /// The volatility model's walk-forward σ path (for the safe-range hit rate).
    pub fn sigma_path(&self) -> Result<&[SigmaPoint], PredictError> {
        let m = self.get("vol_forecast")?;
        match m.file.oos() {
            Some(OosSection::VolForecast(v)) => Ok(&v.sigma_path),
            _ => Err(PredictError::WrongFamily {
                name: "vol_forecast".into(),
                kind: m.file.card().kind,
                wanted: "a volatility model with a σ path",
            }),
        }
    }
}

impl ModelSet {
    /// The σ of every session of `history` for its expiry window's sessions, for the
    /// safe-range hit rate ([`crate::saferange::hit_rate`]): the saved walk-forward σ where the
    /// volatility model has one for that date, and for sessions after its last training
    /// session a forecast of the saved model with the data up to that session only.
    /// `None` where neither exists (warm-up, a missing input such as no VIX row).
    pub fn safe_range_sigma(
        &self,
        history: &DailyHistory,
        windows: &[Option<crate::labels::ExpiryWindow>],
    ) -> Result<Vec<Option<f64>>, PredictError> {
        let (_, model) = self.vol()?;
        let path = self.sigma_path()?;
        let mut out = vec![None; history.len()];
        let mut k = 0;
        for (t, date) in history.dates().iter().enumerate() {
            while k < path.len() && path[k].date < *date {
                k += 1;
            }
            let Some(w) = windows.get(t).copied().flatten() else {
                continue;
            };
            if k < path.len() && path[k].date == *date && path[k].sessions == w.sessions {
                out[t] = Some(path[k].sigma);
            } else if *date > model.last_date {
                out[t] = model
                    .sigma(&history.truncated(t + 1), w.sessions as usize)
                    .ok()
                    .map(|s| s.sigma);
            }
        }
        Ok(out)
    }
}

/// Loads one registered model, trying each kind its family allows.
fn load_one(
    dir: &Path,
    spec: &ModelSpec,
    features: &FeatureSet,
) -> Result<ModelFile, ModelFileError> {
    let path = dir.join(spec.file_name());
    let (names, hash) = spec.inputs(features);
    let kinds = spec.allowed_kinds();
    let mut last = None;
    for &kind in kinds {
        let expected = Expected {
            kind,
            feature_names: &names,
            feature_hash: &hash,
        };
        match ModelFile::load(&path, &expected) {
            Ok(f) => return check_identity(f, spec, &path),
            Err(ModelFileError::WrongKind { .. }) if kind != kinds[kinds.len() - 1] => {}
            Err(ModelFileError::WrongKind { path, found, .. }) => {
                last = Some(ModelFileError::WrongKind {
                    path,
                    expected: kinds[0],
                    found,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("at least one kind"))
}

/// The card must name this model at this version.
fn check_identity(
    f: ModelFile,
    spec: &ModelSpec,
    path: &Path,
) -> Result<ModelFile, ModelFileError> {
    let card = f.card();
    if card.name != spec.name || card.version != spec.version {
        return Err(ModelFileError::Malformed {
            path: path.to_path_buf(),
            detail: format!(
                "the file holds `{}@{}` but this build expects `{}`",
                card.name,
                card.version,
                spec.id()
            ),
        });
    }
    if spec.family() == ModelFamily::Classifier && card.selection.is_none() {
        return Err(ModelFileError::Malformed {
            path: path.to_path_buf(),
            detail: "a classifier file must record its champion selection".into(),
        });
    }
    if spec.family() == ModelFamily::Hmm && card.state_labels.is_none() {
        return Err(ModelFileError::Malformed {
            path: path.to_path_buf(),
            detail: "the regime model must record its state labels".into(),
        });
    }
    Ok(f)
}
