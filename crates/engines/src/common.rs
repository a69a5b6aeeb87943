//! What the engines share: why a metric is missing, how provenance is put together, the
//! LOW / MEDIUM / HIGH rule against a base rate, and reading models (probabilities, base rates,
//! skill).

use aegis_ml::history::DailyHistory;
use aegis_ml::modelfile::ModelKind;
use aegis_ml::predictor::{LoadedModel, ModelSet, PredictError, Prediction, SkillSummary};
use aegis_ml::registry::registry;
use aegis_model::{Metric, Provenance, Status};
use chrono::{DateTime, FixedOffset};

use crate::blocks::{Level3, Skill};
use crate::context::{Basis, EngineInputs, fix};

/// Why a metric cannot be computed, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    pub reason: String,
    pub fix: String,
}

impl Missing {
    pub fn new(reason: impl Into<String>, fix: impl Into<String>) -> Self {
        Missing {
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

/// How a metric is computed (the provenance `method` and, for models, `name@version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum How {
    Formula,
    Chain,
    /// A registered model by name.
    Model(&'static str),
}

/// The version this build expects of a registered model.
fn registered_version(name: &str) -> u32 {
    registry()
        .into_iter()
        .find(|s| s.name == name)
        .map_or(0, |s| s.version)
}

fn base_provenance(how: &How, as_of: Option<DateTime<FixedOffset>>) -> Provenance {
    match how {
        How::Formula => Provenance::formula(as_of),
        How::Chain => Provenance::chain(as_of),
        How::Model(name) => Provenance::model(name, registered_version(name), as_of),
    }
}

/// Builds a metric: on success its provenance has the newest data time of `bases`, `stale` with
/// the first stale basis's reason, and `simulated` when the run's data is simulated; on failure
/// it is unavailable with the reason and the fix.
pub(crate) fn finish<T>(
    cx: &EngineInputs<'_>,
    how: How,
    bases: &[&Basis],
    value: Result<T, Missing>,
) -> Metric<T> {
    let as_of = bases.iter().filter_map(|b| b.at).max();
    let p = base_provenance(&how, as_of);
    let value = bases.iter().try_for_each(|b| b.require()).and(value);
    match value {
        Err(m) => Metric::unavailable(p.unavailable(m.reason, m.fix)),
        Ok(v) => {
            let mut p = p;
            if let Some(reason) = bases.iter().find_map(|b| b.stale.clone()) {
                p = p.stale(reason);
            }
            if cx.simulated {
                p = p.simulated();
            }
            Metric::ok(v, p)
        }
    }
}

/// A rule metric on other metrics: unavailable when an input is (naming it), otherwise with the
/// newest input time and the worst input status.
pub(crate) fn finish_rule<T>(
    inputs: &[(&str, &Provenance)],
    value: impl FnOnce() -> T,
) -> Metric<T> {
    let as_of = inputs.iter().filter_map(|(_, p)| p.as_of).max();
    let p = Provenance::rule(as_of);
    if let Some((name, q)) = inputs.iter().find(|(_, q)| q.status == Status::Unavailable) {
        return Metric::unavailable(p.unavailable(
            format!(
                "needs {name}, which is unavailable: {}",
                q.reason.as_deref().unwrap_or("no reason given")
            ),
            q.fix.clone().unwrap_or_else(|| fix::TRAIN.to_string()),
        ));
    }
    let worst = inputs.iter().map(|(_, q)| q).max_by_key(|q| q.status);
    let mut p = p;
    if let Some(q) = worst {
        match q.status {
            Status::Stale => p = p.stale(q.reason.clone().unwrap_or_default()),
            Status::Simulated => p = p.simulated(),
            Status::Ok | Status::Unavailable => {}
        }
    }
    Metric::ok(value(), p)
}

/// A loaded model, or why it is unavailable (the loader's error names the file and the fix).
pub(crate) fn model<'m>(models: &'m ModelSet, name: &str) -> Result<&'m LoadedModel, Missing> {
    models.get(name).map_err(predict_missing)
}

/// The fix of a prediction error.
pub(crate) fn predict_missing(e: PredictError) -> Missing {
    Missing::new(e.to_string(), fix::TRAIN)
}

/// The calibrated probability of `class` in a prediction.
pub(crate) fn class_prob(p: &Prediction, class: &str) -> Result<f64, Missing> {
    p.classes
        .iter()
        .position(|c| c == class)
        .map(|i| p.probabilities[i])
        .ok_or_else(|| {
            Missing::new(
                format!("model {} has classes {:?}, not {class}", p.model, p.classes),
                fix::TRAIN,
            )
        })
}

/// Calibrated probabilities of classifier `name` on the forecast origin's features.
pub(crate) fn predict(cx: &EngineInputs<'_>, name: &str) -> Result<Prediction, Missing> {
    cx.models
        .predict_latest(name, &cx.frame)
        .map_err(predict_missing)
}

/// Out-of-sample rows whose label was known at the forecast origin: the row's date and the
/// `horizon` sessions after it are in the history (a replay never counts later outcomes).
pub(crate) fn known_oos_rows<'m>(
    m: &'m LoadedModel,
    history: &DailyHistory,
) -> Vec<(usize, &'m aegis_ml::modelfile::OosRow)> {
    let horizon = m.file.card().label_horizon.unwrap_or(1);
    let last = history.len() - 1;
    m.oos_rows()
        .iter()
        .filter_map(|r| {
            let t = history.position(r.date)?;
            (t + horizon <= last).then_some((t, r))
        })
        .collect()
}

/// Share of each class among the out-of-sample days whose label was known at the origin.
pub(crate) fn base_rates(m: &LoadedModel, history: &DailyHistory) -> Result<Vec<f64>, Missing> {
    let classes = m.file.card().classes.len();
    let rows = known_oos_rows(m, history);
    if rows.is_empty() {
        return Err(Missing::new(
            format!(
                "model {} has no out-of-sample day with a known outcome up to {}",
                m.id(),
                history.dates()[history.len() - 1]
            ),
            fix::TRAIN,
        ));
    }
    let mut counts = vec![0.0; classes];
    for (_, r) in &rows {
        if let Some(c) = counts.get_mut(r.label) {
            *c += 1.0;
        }
    }
    let n = rows.len() as f64;
    Ok(counts.into_iter().map(|c| c / n).collect())
}

/// The base rate of `class`.
pub(crate) fn base_rate(
    m: &LoadedModel,
    history: &DailyHistory,
    class: &str,
) -> Result<f64, Missing> {
    let i = m
        .file
        .card()
        .classes
        .iter()
        .position(|c| c == class)
        .ok_or_else(|| {
            Missing::new(format!("model {} has no class {class}", m.id()), fix::TRAIN)
        })?;
    Ok(base_rates(m, history)?[i])
}

/// The probability the model served on an out-of-sample row: calibrated on earlier
/// out-of-sample rows where a calibrator existed, else the champion's raw probability.
pub(crate) fn served_probability(m: &LoadedModel, row: &aegis_ml::modelfile::OosRow) -> Vec<f64> {
    if let Some(c) = &row.calibrated {
        return c.clone();
    }
    match m.file.card().selection.as_ref().map(|s| s.champion) {
        Some(ModelKind::Logistic) => row.logistic.clone(),
        _ => row.gbt.clone(),
    }
}

/// A probability against its base rate: `HIGH` when at least [`LIFT_HIGH`] times the base
/// rate, `LOW` when at most [`LIFT_LOW`] times it, `MEDIUM` between.
pub fn level_against_base(p: f64, base: f64) -> Level3 {
    if p >= LIFT_HIGH * base {
        Level3::High
    } else if p <= LIFT_LOW * base {
        Level3::Low
    } else {
        Level3::Medium
    }
}

/// A probability this many times its base rate or more is `HIGH`.
pub const LIFT_HIGH: f64 = 1.25;
/// A probability this many times its base rate or less is `LOW`.
pub const LIFT_LOW: f64 = 0.80;

fn signed(v: Option<f64>) -> String {
    v.map_or("undefined".into(), |x| format!("{x:+.3}"))
}

/// The tile's skill block from a model's out-of-sample summary.
pub(crate) fn skill(s: &SkillSummary) -> Skill {
    let n = s.n;
    let verdict = if s.has_skill {
        format!(
            "Beats climatology out of sample: Brier skill {} as served ({} champion, logistic baseline {}) over {n} days",
            signed(s.served_brier_skill),
            s.champion,
            signed(s.baseline_brier_skill)
        )
    } else {
        format!(
            "No demonstrated skill: out-of-sample Brier skill {} (≤ 0: no better than the base rates) over {n} days; treat this as the base rate",
            signed(s.served_brier_skill)
        )
    };
    Skill {
        accuracy: s.accuracy,
        brier_skill: s.served_brier_skill,
        baseline_brier_skill: s.baseline_brier_skill,
        auc: s.auc,
        ece: s.ece,
        n: u32::try_from(n).unwrap_or(u32::MAX),
        has_skill: s.has_skill,
        verdict,
    }
}

/// The skill of a loaded classifier, or why it has none to show.
pub(crate) fn model_skill(m: &LoadedModel) -> Result<Skill, Missing> {
    m.skill().map(|s| skill(&s)).ok_or_else(|| {
        Missing::new(
            format!(
                "model {} has no out-of-sample evaluation in its card",
                m.id()
            ),
            fix::TRAIN,
        )
    })
}

/// Rounds for display-stable numbers: the payload carries values as computed; this is only for
/// text.
pub(crate) fn pct(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0.30, 0.20, Level3::High)]
    #[case(0.25, 0.20, Level3::High)]
    #[case(0.24, 0.20, Level3::Medium)]
    #[case(0.17, 0.20, Level3::Medium)]
    #[case(0.16, 0.20, Level3::Low)]
    #[case(0.05, 0.20, Level3::Low)]
    fn level_is_relative_to_the_base_rate(#[case] p: f64, #[case] base: f64, #[case] want: Level3) {
        assert_eq!(level_against_base(p, base), want);
    }

    #[test]
    fn rule_metrics_inherit_unavailability_and_the_worst_status() {
        let ok = Provenance::formula(None);
        let stale = Provenance::formula(None).stale("old chain");
        let gone = Provenance::model("theta_edge", 1, None).unavailable(
            "model file models/theta_edge.json does not exist",
            "run `aegis train`",
        );
        let m = finish_rule(&[("a", &ok), ("b", &stale)], || 1);
        assert_eq!(m.provenance.status, Status::Stale);
        assert_eq!(m.provenance.reason.as_deref(), Some("old chain"));
        let m = finish_rule(&[("a", &ok), ("theta vs edge", &gone)], || 1);
        assert_eq!(m.provenance.status, Status::Unavailable);
        assert!(m.value.is_none());
        let reason = m.provenance.reason.unwrap();
        assert!(
            reason.contains("needs theta vs edge") && reason.contains("theta_edge.json"),
            "{reason}"
        );
        assert_eq!(m.provenance.fix.as_deref(), Some("run `aegis train`"));
    }
}
