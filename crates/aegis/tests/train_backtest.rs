//! `aegis import` + `aegis train` + `aegis backtest` on the shared real data, run as the built
//! binary: exit codes, the files written, the store's model metadata, and a deleted model file
//! reported by name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn aegis(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aegis"))
        .current_dir(dir)
        .arg("--store")
        .arg(dir.join("store.db"))
        .args(args)
        .env_remove("AEGIS_LOG")
        .output()
        .expect("the aegis binary runs")
}

fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    out
}

const MODELS: [&str; 19] = [
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
    "vol_forecast",
];

#[test]
fn import_train_backtest_on_the_shared_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let nifty = shared("nifty50_daily_yahoo.csv").display().to_string();
    let vix = shared("indiavix_daily_yahoo.csv").display().to_string();

    // Training before any data is imported fails with the fix.
    let o = aegis(dir, &["train", "--models", "models"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("aegis import"));

    ok(&aegis(dir, &["import", &nifty, &vix]));
    let out = ok(&aegis(dir, &["train", "--models", "models"]));
    assert!(
        out.contains("2020-12-01 .. 2025-11-27"),
        "the window is stated: {out}"
    );
    for m in MODELS {
        assert!(dir.join("models").join(format!("{m}.json")).exists(), "{m}");
        assert!(
            out.contains(&format!("{m}@1")),
            "{m} in the summary:\n{out}"
        );
    }
    assert!(out.contains("NO SKILL") || out.contains("yes"), "{out}");
    // The store records every model with the SHA-256 of its file.
    {
        let store = aegis_store::Store::open_read_only(dir.join("store.db")).unwrap();
        let metas = store.list_models().unwrap();
        assert_eq!(metas.len(), MODELS.len());
        for m in metas {
            let bytes = std::fs::read(dir.join("models").join(format!("{}.json", m.name))).unwrap();
            assert_eq!(aegis_ml::sha256::digest_hex(&bytes), m.sha256, "{}", m.name);
            assert_eq!(m.version, 1);
            assert!(m.card_json.contains("\"oos_metrics\""));
        }
    }

    // One model only.
    let out = ok(&aegis(
        dir,
        &["train", "--models", "models", "--model", "breakout_d1"],
    ));
    assert!(
        out.contains("breakout_d1@1") && !out.contains("breakout_d2@1"),
        "{out}"
    );
    let o = aegis(dir, &["train", "--models", "models", "--model", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown model `nope`"));

    // A deleted model file is named by the backtest's model-file check.
    std::fs::remove_file(dir.join("models/theta_edge.json")).unwrap();
    let out = ok(&aegis(
        dir,
        &[
            "backtest",
            "--models",
            "models",
            "--out",
            "bt",
            "--json",
            "report.json",
        ],
    ));
    assert!(
        out.contains("theta_edge: UNAVAILABLE") && out.contains("theta_edge.json does not exist"),
        "{out}"
    );
    assert!(out.contains("gap_risk: ok (gap_risk@1)"), "{out}");
    assert!(out.contains("Safe short range at c = 0.90"), "{out}");
    assert!(out.contains("mean QLIKE"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let rate = json["safe_range"]["ok"]["hit_rate"]["rate"]
        .as_f64()
        .unwrap();
    assert!(rate > 0.5 && rate <= 1.0, "{rate}");
    assert_eq!(json["models"].as_array().unwrap().len(), MODELS.len());
    assert!(dir.join("bt/backtest.json").exists());
    for m in &MODELS[..17] {
        let svg = std::fs::read_to_string(dir.join(format!("bt/{m}_reliability.svg"))).unwrap();
        assert!(svg.contains("class=\"diagonal\""), "{m}");
        assert_eq!(svg.matches("class=\"count\"").count(), 10, "{m}");
    }
}
