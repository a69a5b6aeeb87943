//! Real payloads (the engines on a seeded simulated market, with and without a model directory)
//! validate against the JSON Schema generated from the types, are deterministic apart from
//! `generated_at`, and round-trip through the file.

use aegis_calendar::NseCalendar;
use aegis_engines::{EngineInputs, EngineSettings, MarketData};
use aegis_features::FeatureSet;
use aegis_ml::predictor::ModelSet;
use aegis_model::Status;
use aegis_model::time::ist;
use aegis_payload::{HealthStatus, Payload, assemble, schema};
use aegis_sim::{SimConfig, simulate};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

fn payload(generated_at: DateTime<Utc>, models_dir: &std::path::Path) -> Payload {
    let end = ist()
        .with_ymd_and_hms(2025, 11, 26, 11, 2, 0)
        .unwrap()
        .with_timezone(&Utc);
    let cal = NseCalendar::new();
    let m = simulate(
        &SimConfig {
            end,
            years: 3,
            intraday_sessions: 25,
            chain_days: 3,
            ..SimConfig::default()
        },
        &cal,
    )
    .unwrap();
    let models = ModelSet::load(models_dir, &FeatureSet::standard());
    let data = MarketData {
        nifty: m.nifty_daily,
        vix: m.vix_daily,
        intraday: m.nifty_5m,
        chain: m.chains.last().cloned(),
    };
    let inputs =
        EngineInputs::prepare(data, end, &cal, &models, EngineSettings::default()).unwrap();
    let blocks = aegis_engines::run(&inputs);
    assemble(blocks, &inputs, generated_at.with_timezone(&ist()))
}

#[test]
fn a_real_payload_validates_against_the_generated_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let p = payload(Utc::now(), tmp.path());
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let instance = serde_json::to_value(&p).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous.
    let mut broken = instance.clone();
    broken["buyer"]["gamma_windows"]["peak_block"] = Value::from("nine");
    assert!(!validator.is_valid(&broken));
    let mut broken = instance;
    broken["market"]["spot"]["provenance"]["status"] = Value::from("fine");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn meta_health_lists_what_is_unavailable_and_the_data_is_marked_simulated() {
    let tmp = tempfile::tempdir().unwrap();
    let p = payload(Utc::now(), tmp.path());
    assert!(p.meta.simulated);
    assert_eq!(p.meta.health.status, HealthStatus::Degraded);
    assert!(p.meta.health.notes[0].contains("simulated"));
    let unavailable = p.meta.health.unavailable_metrics();
    assert!(
        unavailable.contains(&"direction.horizons[0]"),
        "{unavailable:?}"
    );
    assert!(!unavailable.contains(&"market.spot"));
    assert!(aegis_payload::has_unavailable(&p));
    // Every registered model is listed, each unavailable with the loader's reason.
    assert_eq!(p.meta.models.len(), 19);
    for m in &p.meta.models {
        assert_eq!(m.status, Status::Unavailable);
        assert!(
            m.reason
                .as_deref()
                .unwrap()
                .contains(&format!("{}.json", m.name)),
            "{m:?}"
        );
    }
    // One history point per metric, each named once.
    let points = aegis_payload::metric_points(&p);
    let mut names: Vec<&str> = points.iter().map(|x| x.0.as_str()).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n);
    assert!(
        points
            .iter()
            .any(|x| x.0 == "market.spot" && x.1.is_some() && x.2 == "simulated")
    );
}

#[test]
fn payloads_are_deterministic_apart_from_generated_at_and_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let a = payload(Utc::now(), tmp.path());
    let b = payload(Utc::now() + chrono::Duration::seconds(7), tmp.path());
    assert_ne!(a.meta.generated_at, b.meta.generated_at);
    let mut b2 = b.clone();
    b2.meta.generated_at = a.meta.generated_at;
    assert_eq!(aegis_payload::to_json(&a), aegis_payload::to_json(&b2));

    let out = tempfile::tempdir().unwrap();
    let written = aegis_payload::write_atomic(out.path(), &a).unwrap();
    assert_eq!(
        std::fs::read_to_string(&written.payload).unwrap(),
        written.json
    );
    let back = aegis_payload::read(&written.payload).unwrap();
    assert_eq!(back, a);
    let schema_text = std::fs::read_to_string(&written.schema).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&schema_text).unwrap(),
        schema()
    );
}
