//! The models AegisMatrix trains: stable names, version numbers, what each predicts and
//! which inputs it reads.
//!
//! A model's **version** is bumped here whenever its definition changes (label, inputs,
//! learner settings), so that engines can show `name@version` in provenance. The files are
//! `<models_dir>/<name>.json` (format in `MODEL_FORMAT.md`).

use aegis_features::FeatureSet;
use serde::Serialize;

use crate::labels::{BREAKOUT_DAYS, DIRECTION_HORIZONS};
use crate::modelfile::{ModelKind, VOL_INPUTS};
use crate::regime::OBSERVATION_NAMES;
use crate::sha256;

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "task")]
pub enum ModelTask {
    /// UP / NEUTRAL / DOWN over `horizon` sessions.
    Direction {
        /// Sessions ahead.
        horizon: usize,
    },
    /// Range-expansion session `day + 1` sessions ahead (`day = 0`: the next session).
    Breakout {
        /// `k` of `breakout_dk`.
        day: usize,
    },
    /// Whether a breakout session closes up.
    SpikeDirection,
    /// Realized vol to expiry above today's implied vol.
    VolTrap,
    /// A move beyond the implied move before expiry.
    ExpiryStress,
    /// A long ATM straddle is worth more than its cost at expiry.
    ThetaEdge,
    /// An overnight gap above 1 %.
    GapRisk,
    /// The market regime HMM.
    Regime,
    /// The volatility forecaster.
    VolForecast,
}

/// How a model is fitted and loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelFamily {
    /// A calibrated classifier on the standard feature set (trees or logistic, per its champion).
    Classifier,
    /// The regime HMM on (return, ln VIX).
    Hmm,
    /// The volatility forecaster.
    Vol,
}

/// One entry of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSpec {
    /// Stable name, also the file stem.
    pub name: String,
    /// Definition version.
    pub version: u32,
    /// What it predicts.
    pub task: ModelTask,
}

impl ModelSpec {
    /// Classifier, HMM or volatility model.
    pub fn family(&self) -> ModelFamily {
        match self.task {
            ModelTask::Regime => ModelFamily::Hmm,
            ModelTask::VolForecast => ModelFamily::Vol,
            _ => ModelFamily::Classifier,
        }
    }

    /// `name@version`, as shown in provenance.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The model file's name.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.name)
    }

    /// The kinds its file may hold.
    pub fn allowed_kinds(&self) -> &'static [ModelKind] {
        match self.family() {
            ModelFamily::Classifier => &[ModelKind::Gbt, ModelKind::Logistic],
            ModelFamily::Hmm => &[ModelKind::Hmm],
            ModelFamily::Vol => &[ModelKind::VolForecast],
        }
    }

    /// Input names and their hash, as recorded in the card: the feature set's for
    /// classifiers; fixed observation names (hashed with SHA-256 of
    /// `"<name> inputs v1:" + names joined by ","`) for the HMM and the volatility model.
    pub fn inputs(&self, features: &FeatureSet) -> (Vec<String>, String) {
        let fixed = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            let text = format!("{} inputs v1:{}", self.name, names.join(","));
            (
                names,
                format!("sha256:{}", sha256::digest_hex(text.as_bytes())),
            )
        };
        match self.family() {
            ModelFamily::Classifier => (
                features.names().to_vec(),
                features.feature_hash().to_string(),
            ),
            ModelFamily::Hmm => fixed(&OBSERVATION_NAMES),
            ModelFamily::Vol => fixed(&VOL_INPUTS),
        }
    }
}

/// Every model, in a stable order: direction by horizon, breakout by day, spike direction,
/// vol trap, expiry stress, theta edge, gap risk, regime, vol forecast.
pub fn registry() -> Vec<ModelSpec> {
    let spec = |name: String, task| ModelSpec {
        name,
        version: 1,
        task,
    };
    let mut out: Vec<ModelSpec> = DIRECTION_HORIZONS
        .iter()
        .map(|&h| {
            spec(
                format!("direction_h{h}"),
                ModelTask::Direction { horizon: h },
            )
        })
        .collect();
    out.extend(
        (0..BREAKOUT_DAYS).map(|k| spec(format!("breakout_d{k}"), ModelTask::Breakout { day: k })),
    );
    out.extend([
        spec("spike_direction".into(), ModelTask::SpikeDirection),
        spec("vol_trap".into(), ModelTask::VolTrap),
        spec("expiry_stress".into(), ModelTask::ExpiryStress),
        spec("theta_edge".into(), ModelTask::ThetaEdge),
        spec("gap_risk".into(), ModelTask::GapRisk),
        spec("regime_hmm".into(), ModelTask::Regime),
        spec("vol_forecast".into(), ModelTask::VolForecast),
    ]);
    out
}

/// The registry entry named `name`.
pub fn spec(name: &str) -> Option<ModelSpec> {
    registry().into_iter().find(|s| s.name == name)
}

/// Every model name, in registry order.
pub fn names() -> Vec<String> {
    registry().into_iter().map(|s| s.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_unique() {
        let n = names();
        assert_eq!(
            n,
            [
                "direction_h1",
                "direction_h3",
                "direction_h5",
                "direction_h10",
                "direction_h20",
                "direction_h40",
                "breakout_d0",
                "breakout_d1",
                "breakout_d2",
                "breakout_d3",
                "breakout_d4",
                "breakout_d5",
                "spike_direction",
                "vol_trap",
                "expiry_stress",
                "theta_edge",
                "gap_risk",
                "regime_hmm",
                "vol_forecast"
            ]
        );
        assert!(registry().iter().all(|s| s.version >= 1));
        assert_eq!(
            spec("breakout_d1").unwrap().task,
            ModelTask::Breakout { day: 1 }
        );
        assert!(spec("nope").is_none());
        assert_eq!(spec("vol_trap").unwrap().id(), "vol_trap@1");
    }

    #[test]
    fn inputs_follow_the_family() {
        let fs = FeatureSet::standard();
        let (names, hash) = spec("gap_risk").unwrap().inputs(&fs);
        assert_eq!(names.len(), 34);
        assert!(hash.starts_with("fnv1a64:"));
        let (names, hash) = spec("regime_hmm").unwrap().inputs(&fs);
        assert_eq!(names, ["log_return_1d", "ln_vix"]);
        assert!(hash.starts_with("sha256:"));
        assert_ne!(hash, spec("vol_forecast").unwrap().inputs(&fs).1);
    }
}
