//! More indices end to end: the demo's steps (simulate, train, run) on a simulated market with
//! NIFTY 50, NIFTY BANK and NIFTY MIDCAP SELECT (FINNIFTY never simulated), per index.
//!
//! * each index has its own models (`models/indices/<CODE>/`), payload
//!   (`out/indices/<CODE>/aegismatrix.json`; NIFTY 50 at the root), runs and metric history in
//!   the store, and an entry in `out/indices.json`;
//! * each payload is about its index: spot equals the index's last stored bar, the seller's
//!   expiries are that index's (monthly only for BANKNIFTY and MIDCPNIFTY in Nov 2026), the
//!   safe range sits on the index's strike grid with touch probabilities within the target,
//!   and the chain metrics come from the index's own chain;
//! * an index without data is skipped, a failing index fails alone: NIFTY 50's payload is
//!   written and the failed index's last good payload stays byte-identical.

use std::path::Path;
use std::sync::OnceLock;

use aegis::commands::demo::DemoPaths;
use aegis::commands::simulate::{self, SimulateArgs};
use aegis::commands::train::{self, TrainArgs, TrainSummary};
use aegis::pipeline::{IndexRun, RunOptions, RunOutcome, run_indices};
use aegis_calendar::NseCalendar;
use aegis_engines::EngineSettings;
use aegis_model::time::ist_at;
use aegis_model::{Expiry, Symbol};
use aegis_payload::indices::{Manifest, RunState, read_manifest};
use aegis_store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

const INDICES: [Symbol; 3] = [Symbol::Nifty50, Symbol::NiftyBank, Symbol::MidcapSelect];

fn now() -> DateTime<Utc> {
    // Wednesday 25 November 2026, 14:00 IST: a session in progress.
    ist_at(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), 14, 0)
}

/// What the fixture built: where, the training summaries and the runs.
struct Fixture {
    dir: tempfile::TempDir,
    paths: DemoPaths,
    trained: Vec<TrainSummary>,
    runs: Vec<RunOutcome>,
}

/// The demo's steps on a smaller market (4 years, the volatility forecast as the only model:
/// the full demo trains every model of every index, minutes in a debug build), once for every
/// test of this file.
fn demo() -> &'static Fixture {
    static DEMO: OnceLock<Fixture> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let paths = DemoPaths::under(&dir.path().join("demo"));
        let cal = NseCalendar::new();
        let mut store = Store::open(&paths.store).unwrap();
        simulate::run(
            &mut store,
            &cal,
            &SimulateArgs {
                seed: 7,
                years: 4,
                end: now(),
                progress: false,
                others: INDICES.to_vec(),
            },
        )
        .expect("the market simulates");
        let trained = train::run_indices(
            &mut store,
            &TrainArgs {
                symbol: Symbol::Nifty50,
                models_dir: paths.models.clone(),
                model: Some("vol_forecast".into()),
                now: now(),
                progress: false,
                threads: 2,
            },
            &INDICES,
            false,
        )
        .expect("every index trains");
        drop(store);
        let base = RunOptions {
            symbol: Symbol::Nifty50,
            store: paths.store.clone(),
            models_dir: paths.models.clone(),
            out_dir: paths.out.clone(),
            settings: EngineSettings::default(),
            as_of: None,
            now: now(),
            alerts: Default::default(),
        };
        let runs = run_indices(&base, &INDICES, &cal)
            .into_iter()
            .map(|(symbol, r)| match r {
                IndexRun::Ran(Ok(o)) => *o,
                other => panic!("{symbol}: {other:?}"),
            })
            .collect();
        Fixture {
            dir,
            paths,
            trained,
            runs,
        }
    })
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn payload(out: &Path, symbol: Symbol) -> Value {
    read_json(&aegis_payload::indices::index_dir(out, symbol).join(aegis_payload::PAYLOAD_FILE))
}

#[test]
fn every_index_has_its_own_models_payload_runs_and_manifest_entry() {
    let report = demo();
    let paths = &report.paths;
    assert_eq!(report.runs.len(), 3);
    assert_eq!(report.trained.len(), 3);
    let store = Store::open(&paths.store).unwrap();
    for (k, symbol) in INDICES.into_iter().enumerate() {
        let models = aegis_payload::indices::index_dir(&paths.models, symbol);
        assert!(
            models.join("vol_forecast.json").is_file(),
            "{symbol}: models in {}",
            models.display()
        );
        assert_eq!(report.trained[k].symbol, symbol);
        let p = payload(&paths.out, symbol);
        assert_eq!(p["market"]["symbol"], symbol.code(), "{symbol}");
        assert_eq!(p["meta"]["symbol"], symbol.code(), "{symbol}");
        assert_eq!(p["meta"]["simulated"], true);
        // Spot: the newest stored 5-minute close of this index, not NIFTY's.
        let bars = store
            .intraday(
                symbol,
                aegis_model::Interval::FiveMinute,
                now() - chrono::Duration::days(3),
                now(),
            )
            .unwrap();
        let last_complete = bars
            .bars()
            .iter()
            .rev()
            .find(|b| b.key + chrono::Duration::minutes(5) <= now())
            .unwrap();
        let spot = p["market"]["spot"]["value"].as_f64().unwrap();
        assert!(
            (spot - last_complete.close).abs() < 1e-9,
            "{symbol}: spot {spot} vs last bar {}",
            last_complete.close
        );
        // One run of this index in the store, with its metric history.
        let history = store.metric_history(symbol, "market.spot", None).unwrap();
        assert_eq!(history.len(), 1, "{symbol}");
        assert_eq!(history[0].value, Some(spot));
    }
    let spots: Vec<f64> = INDICES
        .iter()
        .map(|s| {
            payload(&paths.out, *s)["market"]["spot"]["value"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(
        spots[1] > 2.0 * spots[0] && spots[2] < spots[0],
        "levels like the real indices: {spots:?}"
    );
    let manifest: Manifest = read_manifest(&paths.out).unwrap().unwrap();
    let listed: Vec<Symbol> = manifest.indices.iter().map(|e| e.symbol).collect();
    assert_eq!(listed, INDICES);
    for e in &manifest.indices {
        assert_ne!(e.state, RunState::Failed, "{e:?}");
        assert!(e.payload.is_some());
        assert_eq!(e.dir, aegis_payload::indices::relative_dir(e.symbol));
    }
}

#[test]
fn each_payload_uses_its_index_expiries_strike_grid_and_chain() {
    let report = demo();
    let cal = NseCalendar::new();
    let conf = EngineSettings::default().confidence;
    for symbol in INDICES {
        let p = payload(&report.paths.out, symbol);
        let expiries = p["seller"]["expiries"].as_array().unwrap();
        assert!(!expiries.is_empty(), "{symbol}");
        // The expiries are the calendar's for this index, nearest first, up to three and as
        // far as the calendar reaches (it covers 2026: NSE has not published 2027's holidays).
        let mut want = vec![cal.next_expiry(symbol, now()).unwrap()];
        while want.len() < 3 {
            let after = want[want.len() - 1].date() + chrono::Days::new(1);
            match cal.weekly_expiry_on_or_after(symbol, after) {
                Ok(e) => want.push(e),
                Err(aegis_calendar::CalendarError::YearNotCovered { .. }) => break,
                Err(e) => panic!("{symbol}: {e}"),
            }
        }
        let got: Vec<Expiry> = expiries
            .iter()
            .map(|e| serde_json::from_value(e["expiry"].clone()).unwrap())
            .collect();
        assert_eq!(got, want, "{symbol}");
        for (got, want) in expiries.iter().zip(&want) {
            let date: Expiry = serde_json::from_value(got["expiry"].clone()).unwrap();
            assert_eq!(date, *want, "{symbol}");
            let kind = got["kind"].as_str().unwrap();
            if symbol != Symbol::Nifty50 {
                assert_eq!(kind, "monthly", "{symbol}: only NIFTY has weeklies now");
            }
            let range = &got["safe_range"];
            let step = cal.contract_spec(symbol, *want).strike_step;
            assert_eq!(range["strike_step"].as_f64().unwrap(), step, "{symbol}");
            for bound in ["lower", "upper"] {
                let v = range[bound].as_f64().unwrap();
                assert!(
                    (v / step - (v / step).round()).abs() < 1e-9,
                    "{symbol} {bound} {v} on the {step} grid"
                );
            }
            for touch in ["lower_touch_prob", "upper_touch_prob"] {
                let t = range[touch].as_f64().unwrap();
                assert!(t <= (1.0 - conf) / 2.0 + 1e-12, "{symbol} {touch} {t}");
            }
        }
        if symbol == Symbol::NiftyBank {
            // November's monthly settled on the 24th; December's on the 29th is the only one
            // left in the covered year, with BANKNIFTY's 100-point grid.
            assert_eq!(
                want,
                [Expiry(NaiveDate::from_ymd_opt(2026, 12, 29).unwrap())]
            );
            assert_eq!(cal.contract_spec(symbol, want[0]).strike_step, 100.0);
        }
        // Max pain of the nearest expiry comes from this index's own chain.
        let mp = &expiries[0]["max_pain"];
        let strike = mp["max_pain"].as_f64().unwrap();
        let spot = p["market"]["spot"]["value"].as_f64().unwrap();
        assert!(
            (strike / spot - 1.0).abs() < 0.15,
            "{symbol}: max pain {strike} near its spot {spot}"
        );
        assert_eq!(mp["provenance"]["status"], "simulated", "{symbol}");
    }
}

#[test]
fn an_index_without_data_is_skipped_and_a_failing_index_fails_alone() {
    let report = demo();
    // A copy of the demo's directory, so the other tests see the original.
    let dir = report.dir.path().join("copy");
    copy_dir(&report.dir.path().join("demo"), &dir);
    let out = dir.join("out");
    let bank_payload = aegis_payload::indices::index_dir(&out, Symbol::NiftyBank)
        .join(aegis_payload::PAYLOAD_FILE);
    let before = std::fs::read(&bank_payload).unwrap();
    // NIFTY MIDCAP SELECT's output directory becomes a file, so that its run fails to write;
    // NIFTY BANK runs normally; FINNIFTY has no data at all.
    let mid_out = aegis_payload::indices::index_dir(&out, Symbol::MidcapSelect);
    std::fs::remove_dir_all(&mid_out).unwrap();
    std::fs::write(&mid_out, "not a directory").unwrap();
    let base = RunOptions {
        symbol: Symbol::Nifty50,
        store: dir.join("demo.db"),
        models_dir: dir.join("models"),
        out_dir: out.clone(),
        settings: EngineSettings::default(),
        as_of: None,
        now: now() + chrono::Duration::minutes(10),
        alerts: Default::default(),
    };
    let runs = run_indices(
        &base,
        &[
            Symbol::Nifty50,
            Symbol::NiftyBank,
            Symbol::FinNifty,
            Symbol::MidcapSelect,
        ],
        &NseCalendar::new(),
    );
    let by = |s: Symbol| &runs.iter().find(|(x, _)| *x == s).unwrap().1;
    assert!(matches!(by(Symbol::Nifty50), IndexRun::Ran(Ok(_))));
    assert!(matches!(by(Symbol::NiftyBank), IndexRun::Ran(Ok(_))));
    match by(Symbol::FinNifty) {
        IndexRun::Skipped(why) => assert!(why.contains("aegis fetch --index FINNIFTY"), "{why}"),
        other => panic!("FINNIFTY: {other:?}"),
    }
    match by(Symbol::MidcapSelect) {
        IndexRun::Ran(Err(e)) => {
            assert!(format!("{e:#}").contains("writing the payload"), "{e:#}")
        }
        other => panic!("MIDCAPSELECT: {other:?}"),
    }
    assert_ne!(
        std::fs::read(&bank_payload).unwrap(),
        before,
        "NIFTY BANK re-ran"
    );
    let manifest = read_manifest(&out).unwrap().unwrap();
    let entry = manifest.get(Symbol::MidcapSelect).unwrap();
    assert_eq!(entry.state, RunState::Failed);
    assert!(
        entry.message.contains("writing the payload"),
        "{}",
        entry.message
    );
    assert!(
        manifest.get(Symbol::FinNifty).is_none(),
        "skipped: not listed"
    );
    // Only the volatility forecast is trained here: the other model metrics are unavailable.
    assert_eq!(
        manifest.get(Symbol::Nifty50).unwrap().state,
        RunState::Degraded
    );
    let store = Store::open(&base.store).unwrap();
    let nifty = store
        .metric_history(Symbol::Nifty50, "market.spot", None)
        .unwrap();
    assert_eq!(nifty.len(), 2, "the demo's run and this one");
    assert_eq!(report.runs.len(), 3);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
