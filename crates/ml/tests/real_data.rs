//! End to end on the shared real data: train every model, load the files back strictly,
//! predict bit-identically, reproduce the files byte for byte, and lose only the model whose
//! file is damaged.

use std::fs;
use std::path::Path;
use std::sync::LazyLock;

use aegis_calendar::NseCalendar;
use aegis_features::FeatureSet;
use aegis_ml::modelfile::{Learner, ModelFileError, ModelKind, OosSection};
use aegis_ml::predictor::{ModelSet, PredictError};
use aegis_ml::registry::{ModelFamily, names, registry};
use aegis_ml::training::{TrainInputs, TrainOptions, TrainReport, TrainingData, train_all};
use aegis_model::{DailySeries, Symbol};
use chrono::{DateTime, Utc};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");

fn load(file: &str, symbol: Symbol) -> DailySeries {
    aegis_sources::csv::import_path(Path::new(DATA).join(file), Some(symbol))
        .unwrap()
        .series
        .into_daily()
        .unwrap()
}

static NIFTY: LazyLock<DailySeries> =
    LazyLock::new(|| load("nifty50_daily_yahoo.csv", Symbol::Nifty50));
static VIX: LazyLock<DailySeries> =
    LazyLock::new(|| load("indiavix_daily_yahoo.csv", Symbol::IndiaVix));

fn created_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-28T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn inputs() -> TrainInputs<'static> {
    TrainInputs {
        nifty: &NIFTY,
        vix: &VIX,
    }
}

struct Trained {
    dir: tempfile::TempDir,
    report: TrainReport,
}

static TRAINED: LazyLock<Trained> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let report = train_all(inputs(), &TrainOptions::new(dir.path(), created_at())).unwrap();
    Trained { dir, report }
});

#[test]
fn every_model_trains_on_the_real_data() {
    let r = &TRAINED.report;
    assert!(r.failures().is_empty(), "{:?}", r.failures());
    assert_eq!(r.models.len(), registry().len());
    // The partial last bar (2025-11-28) is never used; features start once the 252-session VIX
    // percentile exists.
    assert_eq!(r.data_window.0.to_string(), "2020-12-01");
    assert_eq!(r.data_window.1.to_string(), "2025-11-27");
    assert!(r.feature_window.0.to_string().starts_with("2021-12"));
    for m in &r.models {
        let t = m.result.as_ref().unwrap();
        assert!(t.path.exists());
        let bytes = fs::read(&t.path).unwrap();
        assert_eq!(aegis_ml::sha256::digest_hex(&bytes), t.sha256);
        let card = t.file.card();
        assert_eq!(card.name, m.spec.name);
        assert_eq!(card.created_at, created_at());
        if m.spec.family() == ModelFamily::Classifier {
            let sel = card.selection.as_ref().unwrap();
            let oos = card.oos_metrics.as_ref().unwrap();
            assert!(oos.n > 40, "{}: {} out-of-sample rows", card.name, oos.n);
            // The champion rule.
            let want = if oos.model.brier < oos.baseline.brier {
                ModelKind::Gbt
            } else {
                ModelKind::Logistic
            };
            assert_eq!(sel.champion, want);
            assert_eq!(card.kind, want);
            assert_eq!(
                sel.has_skill,
                sel.served_brier_skill.is_some_and(|s| s > 0.0)
            );
            // Direction cards say the challenger was not built (no `nn` feature here) or name it.
            if card.name.starts_with("direction") {
                let c = sel.challenger.as_ref().unwrap();
                assert!(matches!(
                    c.status.as_str(),
                    "not_built" | "trained" | "failed"
                ));
            }
            let Some(OosSection::Classifier(rows)) = t.file.oos() else {
                panic!("{} has no oos rows", card.name)
            };
            assert_eq!(rows.rows.len(), oos.n);
            // Out-of-sample rows start after the first training block and the purge.
            assert!(rows.rows[0].date > card.training_window.first);
        }
    }
}

#[test]
fn loaded_models_predict_bit_identically() {
    let t = &*TRAINED;
    let set = ModelSet::load(t.dir.path(), &FeatureSet::standard());
    assert!(set.failures().is_empty(), "{:?}", set.failures());
    let cal = NseCalendar::new();
    let data = TrainingData::prepare(&NIFTY, &VIX, &cal).unwrap();
    for m in &t.report.models {
        let trained = m.result.as_ref().unwrap();
        match m.spec.family() {
            ModelFamily::Classifier => {
                for &i in data.complete_rows.iter().step_by(7) {
                    let row = data.frame.row(i);
                    let want = trained.file.predict_proba(row).unwrap();
                    let got = set.predict(&m.spec.name, row).unwrap();
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(want.row(0)),
                        bits(&got.probabilities),
                        "{} row {i}",
                        m.spec.name
                    );
                    assert_eq!(got.model, format!("{}@1", m.spec.name));
                    assert!(got.skill.is_some());
                }
                assert!(!set.get(&m.spec.name).unwrap().oos_rows().is_empty());
            }
            ModelFamily::Hmm => {
                let (id, f) = set.regime(&data.history).unwrap();
                assert_eq!(id, "regime_hmm@1");
                let total: f64 = f.probabilities.iter().map(|p| p.1).sum();
                assert!((total - 1.0).abs() < 1e-9);
                let Learner::Hmm(h) = &trained.file.body().learner else {
                    panic!()
                };
                let Learner::Hmm(l) = &set.get("regime_hmm").unwrap().file.body().learner else {
                    panic!()
                };
                assert_eq!(h, l);
            }
            ModelFamily::Vol => {
                let (_, v) = set.vol().unwrap();
                let s5 = v.sigma(&data.history, 5).unwrap();
                assert!(s5.sigma > 0.03 && s5.sigma < 1.0, "{s5:?}");
                assert!(!set.sigma_path().unwrap().is_empty());
                // The engines' hit rate from the saved σ path equals the backtest's.
                let sigma = set.safe_range_sigma(&data.history, &data.windows).unwrap();
                let from_files =
                    aegis_ml::saferange::hit_rate(&data.history, &data.windows, &sigma, 0.9, 50.0)
                        .unwrap();
                let opts = TrainOptions::new(t.dir.path(), created_at());
                let fresh = aegis_ml::training::evaluate_vol(&data, &opts).unwrap();
                let direct = aegis_ml::saferange::hit_rate(
                    &data.history,
                    &data.windows,
                    &fresh.sigma_path,
                    0.9,
                    50.0,
                )
                .unwrap();
                assert_eq!(from_files, direct);
            }
        }
    }
}

#[test]
fn training_is_deterministic_and_thread_count_does_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = TrainOptions::new(dir.path(), created_at());
    opts.threads = 1;
    opts.only = Some(
        [
            "direction_h5",
            "breakout_d1",
            "spike_direction",
            "gap_risk",
            "regime_hmm",
            "vol_forecast",
        ]
        .map(String::from)
        .to_vec(),
    );
    let again = train_all(inputs(), &opts).unwrap();
    assert!(again.failures().is_empty());
    for name in opts.only.as_ref().unwrap() {
        let a = fs::read(TRAINED.dir.path().join(format!("{name}.json"))).unwrap();
        let b = fs::read(dir.path().join(format!("{name}.json"))).unwrap();
        assert!(a == b, "{name}.json differs between runs");
    }
}

#[test]
fn a_damaged_model_only_affects_itself() {
    let dir = tempfile::tempdir().unwrap();
    for name in names() {
        let f = format!("{name}.json");
        fs::copy(TRAINED.dir.path().join(&f), dir.path().join(&f)).unwrap();
    }
    fs::remove_file(dir.path().join("breakout_d2.json")).unwrap();
    let gap = dir.path().join("gap_risk.json");
    let text = fs::read_to_string(&gap).unwrap();
    fs::write(&gap, &text[..text.len() / 3]).unwrap();
    let set = ModelSet::load(dir.path(), &FeatureSet::standard());
    let failures = set.failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(matches!(
        set.get("breakout_d2"),
        Err(PredictError::Load(ModelFileError::Missing { .. }))
    ));
    assert!(matches!(
        set.get("gap_risk"),
        Err(PredictError::Load(ModelFileError::Truncated { .. }))
    ));
    let msg = set.get("breakout_d2").unwrap_err().to_string();
    assert!(
        msg.contains("breakout_d2.json") && msg.contains("aegis train"),
        "{msg}"
    );
    // Everything else still predicts.
    let data = TrainingData::prepare(&NIFTY, &VIX, &NseCalendar::new()).unwrap();
    let row = data.frame.row(*data.complete_rows.last().unwrap());
    assert!(set.predict("breakout_d1", row).is_ok());
    assert!(set.predict("direction_h1", row).is_ok());
    assert!(set.regime(&data.history).is_ok());
    assert_eq!(set.loaded().len(), registry().len() - 2);
    assert!(matches!(
        set.predict("nope", row),
        Err(PredictError::UnknownModel(_))
    ));
    assert!(matches!(
        set.predict("regime_hmm", row),
        Err(PredictError::WrongFamily { .. })
    ));
}
