//! Stored runs of the payload fixture, for tests that need a store with history in it.
//!
//! One file for both kinds of test: the integration tests reach it as `common::runs`, the
//! server's unit tests (`src/http/tests.rs`) include it with `#[path]`, so every test seeds a
//! store the same way `aegis run` fills it.
#![allow(dead_code)]

use std::path::Path;

use aegis_model::Symbol;
use aegis_payload::Payload;
use chrono::{DateTime, Duration, Utc};

/// The payload fixture (`tests/fixtures/payload.json`).
const PAYLOAD_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/payload.json");

/// The payload fixture, typed.
pub fn fixture_payload() -> Payload {
    let text = std::fs::read_to_string(PAYLOAD_FIXTURE)
        .unwrap_or_else(|e| panic!("cannot read {PAYLOAD_FIXTURE}: {e}"));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{PAYLOAD_FIXTURE} is not a payload: {e}"))
}

/// Records a successful run of `symbol` that started and finished at `at`, and stores
/// `payload` as its result (generated and as of `at`) with its metric points.
pub fn store_ok_run(
    store: &mut aegis_store::Store,
    symbol: Symbol,
    payload: &Payload,
    at: DateTime<Utc>,
) {
    let run = store
        .record_run(&aegis_store::RunRecord {
            symbol,
            started_at: at,
            finished_at: Some(at),
            status: aegis_store::RunStatus::Ok,
            exit_code: Some(0),
            message: None,
            payload_sha256: None,
        })
        .unwrap();
    store
        .store_payload(
            run,
            at,
            at,
            &aegis_payload::to_json(payload),
            &aegis_payload::metric_points(payload),
        )
        .unwrap();
}

/// Stores, in the store at `path` (created when missing), one run of the payload fixture per
/// `(symbol, spot, day)`: its spot value replaced by `spot`, at the fixture's data time moved
/// by `day` days.
pub fn store_spot_runs(path: &Path, runs: &[(Symbol, f64, i64)]) {
    let mut store = aegis_store::Store::open(path).unwrap();
    let payload = fixture_payload();
    let as_of = payload.meta.data_as_of.with_timezone(&Utc);
    for &(symbol, spot, day) in runs {
        let mut p = payload.clone();
        p.market.spot.value.as_mut().unwrap().value = spot;
        store_ok_run(&mut store, symbol, &p, as_of + Duration::days(day));
    }
}
