//! `aegis run` end to end on the shared real data (daily, India VIX, 5-minute bars and the saved
//! option chain of 16 July 2025), run as the built binary with freshly trained models:
//!
//! * as of 28 Nov 2025 13:55 IST every metric is `ok` except the chain-based ones, which are
//!   `stale` with the chain's age; the payload validates against the schema written beside it;
//!   two runs differ only in `generated_at`;
//! * as of the chain's own time the chain metrics are `ok`;
//! * a deleted model file makes its metrics `unavailable` naming the file and `aegis train`
//!   (exit 3), the rest unaffected; without a stored chain the chain tiles say so;
//! * a failed run exits 4 and leaves the last good payload byte-identical;
//! * the payload's safe range, max pain, PCR, IV percentile, breakout levels and gamma-window
//!   profile equal values computed here, independently, from the raw files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn shared(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn aegis(dir: &Path, store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aegis"))
        .current_dir(dir)
        .arg("--store")
        .arg(dir.join(store))
        .args(args)
        .env_remove("AEGIS_LOG")
        .output()
        .expect("the aegis binary runs")
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A directory with `store.db` (all the shared files and the 2025 chain), `nochain.db` (the same
/// bars, no chain) and trained `models/`, built once for every test of this file.
fn fixture() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let bars: Vec<String> = [
            "nifty50_daily_yahoo.csv",
            "indiavix_daily_yahoo.csv",
            "nifty50_5m_yahoo.csv",
            "indiavix_5m_yahoo.csv",
        ]
        .iter()
        .map(|f| shared(f).display().to_string())
        .collect();
        let chain = shared("option_chain/nifty_2025-07-16_eod.json")
            .display()
            .to_string();
        let mut args: Vec<&str> = vec!["import"];
        args.extend(bars.iter().map(String::as_str));
        let o = aegis(dir, "nochain.db", &args);
        assert_eq!(code(&o), Some(0), "{}", show(&o));
        args.push(&chain);
        let o = aegis(dir, "store.db", &args);
        assert_eq!(code(&o), Some(0), "{}", show(&o));
        let o = aegis(dir, "store.db", &["train", "--models", "models"]);
        assert_eq!(code(&o), Some(0), "{}", show(&o));
        tmp
    })
    .path()
}

/// `aegis run --as-of T --out OUT` on `store`; returns the output and the payload.
fn run(store: &str, models: &str, as_of: &str, out: &str) -> (Output, Option<Value>) {
    let dir = fixture();
    let o = aegis(
        dir,
        store,
        &["run", "--models", models, "--out", out, "--as-of", as_of],
    );
    let payload = std::fs::read_to_string(dir.join(out).join("aegismatrix.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).expect("the payload is JSON"));
    (o, payload)
}

const LAST_SESSION: &str = "2025-11-28T13:55:00+05:30";
const CHAIN_TIME: &str = "2025-07-16T15:30:00+05:30";

/// Every metric of a payload (an object with a `provenance`), by its JSON path.
fn metrics(v: &Value) -> BTreeMap<String, Value> {
    fn walk(v: &Value, path: String, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(map) => {
                if let Some(p) = map.get("provenance") {
                    out.insert(path.clone(), p.clone());
                }
                for (k, x) in map {
                    if k != "provenance" {
                        walk(x, format!("{path}.{k}"), out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for block in ["market", "direction", "seller", "buyer"] {
        walk(&v[block], block.to_string(), &mut out);
    }
    out
}

fn status(p: &Value) -> &str {
    p["status"].as_str().unwrap_or("?")
}

fn is_chain_metric(path: &str) -> bool {
    path.ends_with(".max_pain") || path.ends_with(".skew")
}

#[test]
fn last_session_everything_ok_but_the_old_chain_which_is_stale() {
    let (o, p) = run("store.db", "models", LAST_SESSION, "out_last");
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    let p = p.unwrap();
    let all = metrics(&p);
    assert!(all.len() > 40, "{} metrics", all.len());
    let mut chain = 0;
    for (path, prov) in &all {
        if is_chain_metric(path) {
            chain += 1;
            assert_eq!(status(prov), "stale", "{path}: {prov}");
            let reason = prov["reason"].as_str().unwrap();
            assert!(
                reason.contains("2025-07-16 15:30") && reason.contains("days old"),
                "{path}: {reason}"
            );
        } else {
            assert_eq!(status(prov), "ok", "{path}: {prov}");
        }
    }
    assert!(chain >= 2, "{chain} chain metrics");
    assert_eq!(
        p["meta"]["health"]["unavailable"].as_array().unwrap().len(),
        0
    );

    // The payload validates against the schema written beside it.
    let dir = fixture().join("out_last");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("aegismatrix.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&p)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The toolkit document validates against the schema written beside it.
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let toolkit_schema = read(aegis_toolkit::TOOLKIT_SCHEMA_FILE);
    assert_eq!(toolkit_schema["title"], "AegisMatrix toolkit");
    let toolkit = read(aegis_toolkit::TOOLKIT_FILE);
    let errors: Vec<String> = jsonschema::validator_for(&toolkit_schema)
        .expect("the toolkit schema compiles")
        .iter_errors(&toolkit)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Deterministic: a second run differs only in generated_at.
    let (o2, p2) = run("store.db", "models", LAST_SESSION, "out_last2");
    assert_eq!(code(&o2), Some(0), "{}", show(&o2));
    let (mut a, mut b) = (p, p2.unwrap());
    a["meta"]["generated_at"] = Value::Null;
    b["meta"]["generated_at"] = Value::Null;
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}

#[test]
fn at_the_chains_own_time_the_chain_metrics_are_ok() {
    let (o, p) = run("store.db", "models", CHAIN_TIME, "out_chain");
    let p = p.unwrap_or_else(|| panic!("{}", show(&o)));
    // No 5-minute bars cover July 2025, so the gamma windows (and only they) are unavailable.
    assert_eq!(code(&o), Some(3), "{}", show(&o));
    let all = metrics(&p);
    for (path, prov) in &all {
        if is_chain_metric(path) {
            assert_eq!(status(prov), "ok", "{path}: {prov}");
        } else if path == "buyer.gamma_windows" {
            assert_eq!(status(prov), "unavailable");
            assert!(prov["reason"].as_str().unwrap().contains("5-minute"));
        } else {
            assert_eq!(status(prov), "ok", "{path}: {prov}");
        }
    }
}

#[test]
fn a_deleted_model_makes_only_its_metrics_unavailable() {
    let dir = fixture();
    let models = dir.join("models_less");
    std::fs::create_dir_all(&models).unwrap();
    for entry in std::fs::read_dir(dir.join("models")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), models.join(entry.file_name())).unwrap();
    }
    std::fs::remove_file(models.join("gap_risk.json")).unwrap();
    let (o, p) = run("store.db", "models_less", LAST_SESSION, "out_less");
    assert_eq!(code(&o), Some(3), "{}", show(&o));
    let all = metrics(&p.unwrap());
    for (path, prov) in &all {
        if path == "buyer.gap_risk" {
            assert_eq!(status(prov), "unavailable");
            let reason = prov["reason"].as_str().unwrap();
            assert!(reason.contains("gap_risk.json"), "{reason}");
            assert!(
                prov["fix"].as_str().unwrap().contains("aegis train"),
                "{prov}"
            );
        } else if is_chain_metric(path) {
            assert_eq!(status(prov), "stale", "{path}");
        } else {
            assert_eq!(status(prov), "ok", "{path}: {prov}");
        }
    }
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("buyer.gap_risk") && stdout.contains("aegis train"),
        "{stdout}"
    );
}

#[test]
fn without_a_chain_the_chain_tiles_say_so() {
    let (o, p) = run("nochain.db", "models", LAST_SESSION, "out_nochain");
    assert_eq!(code(&o), Some(3), "{}", show(&o));
    let all = metrics(&p.unwrap());
    let mut chain = 0;
    for (path, prov) in &all {
        if is_chain_metric(path) {
            chain += 1;
            assert_eq!(status(prov), "unavailable", "{path}");
            assert!(
                prov["reason"]
                    .as_str()
                    .unwrap()
                    .contains("no option chain is stored"),
                "{path}: {prov}"
            );
            assert!(
                prov["fix"]
                    .as_str()
                    .unwrap()
                    .contains("aegis fetch --chain")
            );
        } else {
            assert_eq!(status(prov), "ok", "{path}: {prov}");
        }
    }
    assert!(chain >= 2);
}

#[test]
fn a_failed_run_exits_4_and_leaves_the_last_good_payload_untouched() {
    let dir = fixture();
    let (o, _) = run("store.db", "models", LAST_SESSION, "out_fail");
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    let payload = dir.join("out_fail/aegismatrix.json");
    let before = std::fs::read(&payload).unwrap();
    // A store without bars: the run cannot read its data.
    let o = aegis(
        dir,
        "empty.db",
        &["run", "--models", "models", "--out", "out_fail"],
    );
    assert_eq!(code(&o), Some(4), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("aegis import"), "{err}");
    assert!(err.contains("untouched"), "{err}");
    assert_eq!(std::fs::read(&payload).unwrap(), before);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.join("out_fail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Only the documents a run writes: the payload, its schema, the toolkit document, the
    // alerts' list and state and the index manifest (temporary files are named `.NAME.tmp-PID`).
    let known = [
        "aegismatrix.json",
        "aegismatrix.schema.json",
        "toolkit.json",
        "toolkit.schema.json",
        "alerts.json",
        "alerts_state.json",
        "indices.json",
    ];
    assert!(
        names.iter().all(|n| known.contains(&n.as_str())),
        "{names:?}"
    );
    // The manifest says the run failed, why, and describes the last good payload.
    let manifest = aegis_payload::indices::read_manifest(&dir.join("out_fail"))
        .unwrap()
        .unwrap();
    let entry = manifest.get(aegis_model::Symbol::Nifty50).unwrap();
    assert_eq!(entry.state, aegis_payload::indices::RunState::Failed);
    assert!(entry.message.contains("aegis import"), "{}", entry.message);
    let good: serde_json::Value = serde_json::from_slice(&before).unwrap();
    let good_at =
        chrono::DateTime::parse_from_rfc3339(good["meta"]["generated_at"].as_str().unwrap());
    assert_eq!(
        entry.payload.as_ref().map(|p| p.generated_at),
        Some(good_at.unwrap())
    );
}

// ---------------------------------------------------------------------------------------------
// Independent values, from the raw files.

/// (date, open, high, low, close) rows of a Yahoo CSV; the time part kept for 5-minute files.
fn csv_rows(file: &str) -> Vec<(String, f64, f64, f64, f64)> {
    std::fs::read_to_string(shared(file))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().unwrap();
            (f[0].to_string(), n(1), n(2), n(3), n(4))
        })
        .collect()
}

/// Standard normal quantile at 0.975 (the 2.5 % per-side touch level of c = 0.90's
/// `p = (1 − c)/2 = 0.05` split by the reflection principle's factor 2).
const Z_0975: f64 = 1.959_963_984_540_054;

#[test]
fn payload_values_match_an_independent_computation() {
    let (o, p) = run("store.db", "models", LAST_SESSION, "out_indep");
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    let p = p.unwrap();
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{what}: payload {a} vs {b}"
        );
    };

    // Daily bars complete by the as-of time: 28 Nov is the open, partial session.
    let daily: Vec<_> = csv_rows("nifty50_daily_yahoo.csv")
        .into_iter()
        .filter(|r| &r.0[..10] <= "2025-11-27")
        .collect();
    let vix: Vec<_> = csv_rows("indiavix_daily_yahoo.csv")
        .into_iter()
        .filter(|r| &r.0[..10] <= "2025-11-27")
        .collect();
    let five: Vec<_> = csv_rows("nifty50_5m_yahoo.csv");

    // Breakout levels: highest high / lowest low of the 10 complete sessions; opening range =
    // the 6 bars 09:15–09:40 IST (03:45–04:10 UTC) of 28 Nov.
    let last10 = &daily[daily.len() - 10..];
    let lv = &p["buyer"]["levels"];
    close(
        lv["high_10d"].as_f64().unwrap(),
        last10.iter().map(|r| r.2).fold(f64::MIN, f64::max),
        "10-day high",
    );
    close(
        lv["low_10d"].as_f64().unwrap(),
        last10.iter().map(|r| r.3).fold(f64::MAX, f64::min),
        "10-day low",
    );
    let opening: Vec<_> = five
        .iter()
        .filter(|r| r.0.starts_with("2025-11-28") && &r.0[11..16] < "04:15")
        .collect();
    assert_eq!(opening.len(), 6);
    close(
        lv["or_high"].as_f64().unwrap(),
        opening.iter().map(|r| r.2).fold(f64::MIN, f64::max),
        "opening-range high",
    );
    close(
        lv["or_low"].as_f64().unwrap(),
        opening.iter().map(|r| r.3).fold(f64::MAX, f64::min),
        "opening-range low",
    );

    // Spot: the close of the newest complete 5-minute bar (13:50 IST).
    let spot = five.last().unwrap().4;
    close(p["market"]["spot"]["value"].as_f64().unwrap(), spot, "spot");

    // Safe range of the nearest expiry (2 Dec 2025; 28 Nov, 1 Dec and 2 Dec = 3 sessions):
    // σ = India VIX's close of the origin (the volatility model's choice at this horizon,
    // checked by `sigma_source`), the touch band at 5 % per side, rounded outward to 50.
    let e0 = &p["seller"]["expiries"][0];
    assert_eq!(e0["expiry"].as_str().unwrap(), "2025-12-02");
    assert_eq!(e0["trading_days"].as_u64().unwrap(), 3);
    let sr = &e0["safe_range"];
    assert_eq!(sr["sigma_source"], "india_vix");
    let sigma = vix.last().unwrap().4 / 100.0;
    close(sr["sigma_vol_pct"].as_f64().unwrap() / 100.0, sigma, "σ");
    let d = sigma * (3.0f64 / 252.0).sqrt() * Z_0975;
    let upper = (spot * d.exp() / 50.0).ceil() * 50.0;
    let lower = (spot * (-d).exp() / 50.0).floor() * 50.0;
    assert_eq!(sr["upper"].as_f64().unwrap(), upper, "{sr}");
    assert_eq!(sr["lower"].as_f64().unwrap(), lower, "{sr}");

    // IV percentile: share of the last 252 India VIX closes at or below the latest.
    let last252: Vec<f64> = vix[vix.len() - 252..].iter().map(|r| r.4).collect();
    let today = *last252.last().unwrap();
    let pct = last252.iter().filter(|&&v| v <= today).count() as f64 / 252.0;
    let trap = &e0["trap"];
    close(
        trap["iv_percentile"].as_f64().unwrap(),
        pct,
        "IV percentile",
    );

    // Gamma windows: mean |5-minute log return| per 30-minute block over the sessions before
    // 28 Nov (returns against the previous bar of the day, the first bar's against its open,
    // returns across a missing bar left out), scaled by the busiest block.
    let mut sums = [(0.0f64, 0usize); 13];
    let mut prev: Option<(String, usize, f64)> = None;
    for r in five.iter().filter(|r| !r.0.starts_with("2025-11-28")) {
        let (h, m): (usize, usize) = (r.0[11..13].parse().unwrap(), r.0[14..16].parse().unwrap());
        let slot = (h * 60 + m - (3 * 60 + 45)) / 5;
        let day = r.0[..10].to_string();
        let ret = match &prev {
            Some((d, s, c)) if *d == day => (slot == s + 1).then(|| (r.4 / c).ln()),
            _ => Some((r.4 / r.1).ln()),
        };
        if let Some(x) = ret {
            let b = (slot / 6).min(12);
            sums[b].0 += x.abs();
            sums[b].1 += 1;
        }
        prev = Some((day, slot, r.4));
    }
    let means: Vec<f64> = sums.iter().map(|(s, n)| s / *n as f64).collect();
    let busiest = means.iter().copied().fold(0.0, f64::max);
    let gw = &p["buyer"]["gamma_windows"];
    assert_eq!(gw["sessions"].as_u64().unwrap(), 8);
    for (b, block) in gw["blocks"].as_array().unwrap().iter().enumerate() {
        close(
            block["mean_abs_ret_bp"].as_f64().unwrap(),
            means[b] * 1e4,
            &format!("block {b} mean"),
        );
        close(
            block["score"].as_f64().unwrap(),
            means[b] / busiest,
            &format!("block {b} score"),
        );
    }
}

#[test]
fn max_pain_and_pcr_match_the_raw_chain() {
    let (o, p) = run("store.db", "models", CHAIN_TIME, "out_pain");
    let p = p.unwrap_or_else(|| panic!("{}", show(&o)));
    let raw: Value = serde_json::from_str(
        &std::fs::read_to_string(shared("option_chain/nifty_2025-07-16_eod.json")).unwrap(),
    )
    .unwrap();
    let e0 = &p["seller"]["expiries"][0];
    assert_eq!(e0["expiry"].as_str().unwrap(), "2025-07-17");
    // (strike, call OI, put OI) of the 17 Jul 2025 expiry.
    let rows: Vec<(f64, f64, f64)> = raw["records"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["expiryDate"] == "17-Jul-2025")
        .map(|r| {
            let oi = |side: &str| r[side]["openInterest"].as_f64().unwrap_or(0.0);
            (r["strikePrice"].as_f64().unwrap(), oi("CE"), oi("PE"))
        })
        .collect();
    let pain = |k: f64| -> f64 {
        rows.iter()
            .map(|&(s, c, p)| c * (k - s).max(0.0) + p * (s - k).max(0.0))
            .sum()
    };
    let (best, _) = rows
        .iter()
        .map(|r| (r.0, pain(r.0)))
        .fold((f64::NAN, f64::MAX), |a, b| if b.1 < a.1 { b } else { a });
    let mp = &e0["max_pain"];
    assert_eq!(mp["max_pain"].as_f64().unwrap(), best, "{mp}");
    let calls: f64 = rows.iter().map(|r| r.1).sum();
    let puts: f64 = rows.iter().map(|r| r.2).sum();
    let pcr = mp["pcr_oi"].as_f64().unwrap();
    assert!(
        (pcr - puts / calls).abs() < 1e-12,
        "PCR {pcr} vs {}",
        puts / calls
    );
}
