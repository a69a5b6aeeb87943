//! The hand-built payload fixture stays in step with the payload types and their schema.

use aegis_model::Status;
use aegis_payload::Payload;
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/payload.json");

#[test]
fn fixture_deserialises_into_the_payload_type() {
    let payload: Payload = serde_json::from_str(FIXTURE).expect("the fixture is a Payload");
    assert_eq!(payload.schema_version, aegis_payload::SCHEMA_VERSION);
    assert_eq!(payload.direction.horizons.len(), 6);
    assert_eq!(payload.seller.expiries.len(), 3);
    assert_eq!(payload.buyer.breakout_next.len(), 5);
    let blocks = &payload.buyer.gamma_windows.value.as_ref().unwrap().blocks;
    assert_eq!(blocks.len(), 13);
    // Round trip: serialising the typed payload gives the same JSON (no field is lost or
    // invented), numbers compared as numbers (1 and 1.0 are the same).
    let original: Value = serde_json::from_str(FIXTURE).unwrap();
    let mut diffs = Vec::new();
    diff(
        "",
        &original,
        &serde_json::to_value(&payload).unwrap(),
        &mut diffs,
    );
    assert!(
        diffs.is_empty(),
        "fixture and typed payload differ at: {diffs:#?}"
    );
}

/// Paths where two JSON values differ.
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff(&p, va, vb, out),
                    (va, vb) => out.push(format!("{p}: {va:?} vs {vb:?}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        _ if a == b => {}
        _ => out.push(format!("{path}: {a} vs {b}")),
    }
}

#[test]
fn fixture_validates_against_the_published_schema() {
    let schema = aegis_payload::schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let instance: Value = serde_json::from_str(FIXTURE).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
    // The validator is not vacuous: a wrong type is rejected.
    let mut broken = instance.clone();
    broken["market"]["spot"]["value"] = Value::from("26209");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn fixture_has_unavailable_and_stale_metrics_listed_in_health() {
    let payload: Payload = serde_json::from_str(FIXTURE).unwrap();
    let mp = &payload.seller.expiries[0].max_pain;
    assert!(mp.value.is_none());
    assert_eq!(mp.provenance.status, Status::Unavailable);
    assert_eq!(
        mp.provenance.reason.as_deref(),
        Some("no option chain is stored")
    );
    assert_eq!(mp.provenance.fix.as_deref(), Some("aegis fetch --chain"));
    assert_eq!(payload.market.vix.provenance.status, Status::Stale);
    // meta.health lists exactly what the blocks say.
    let blocks: Value = serde_json::from_str(FIXTURE).unwrap();
    let (unavailable, stale) = aegis_payload::issues(&blocks);
    assert_eq!(unavailable, payload.meta.health.unavailable);
    assert_eq!(stale, payload.meta.health.stale);
}
