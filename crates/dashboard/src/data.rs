//! Data the pages read besides the payload: metric history from the store and model cards
//! from the model files. Both the server and the export build the same JSON documents here.

use std::path::Path;

use aegis_model::Symbol;
use aegis_store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::payload_cache::Problem;

/// A metric charted on the history page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryMetric {
    /// Its name in the store (the payload path, e.g. `market.spot`).
    pub metric: &'static str,
    /// Its title on the page; `{index}` stands for the index's display name (see
    /// [`HistoryMetric::label_for`]).
    pub label: &'static str,
}

impl HistoryMetric {
    /// The title for an index (`NIFTY BANK spot`).
    pub fn label_for(&self, symbol: Symbol) -> String {
        self.label.replace("{index}", symbol.display_name())
    }
}

/// The metrics of `data/history.json`: spot, VIX and the main scores.
pub const HISTORY_METRICS: &[HistoryMetric] = &[
    HistoryMetric {
        metric: "market.spot",
        label: "{index} spot",
    },
    HistoryMetric {
        metric: "market.vix",
        label: "India VIX",
    },
    HistoryMetric {
        metric: "direction.today",
        label: "Today: conviction of the stated direction",
    },
    HistoryMetric {
        metric: "direction.horizons[0]",
        label: "Tomorrow (T+1): conviction",
    },
    HistoryMetric {
        metric: "direction.horizons[2]",
        label: "This week (T+5): conviction",
    },
    HistoryMetric {
        metric: "direction.risk",
        label: "Direction risk score",
    },
    HistoryMetric {
        metric: "seller.expiries[0].trap",
        label: "Volatility-trap probability (nearest expiry)",
    },
    HistoryMetric {
        metric: "seller.expiries[0].stress",
        label: "Expiry-stress probability (nearest expiry)",
    },
    HistoryMetric {
        metric: "seller.expiries[0].hit_rate",
        label: "Safe-range historical hit rate",
    },
    HistoryMetric {
        metric: "buyer.breakout_today",
        label: "Breakout probability today",
    },
    HistoryMetric {
        metric: "buyer.theta_edge",
        label: "Theta-vs-edge probability",
    },
    HistoryMetric {
        metric: "buyer.gap_risk",
        label: "Overnight gap-risk probability",
    },
];

/// One point of a metric's history, as the pages read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PointOut {
    /// Data as-of time (UTC).
    pub at: DateTime<Utc>,
    /// Value, absent when unavailable.
    pub value: Option<f64>,
    /// Provenance status.
    pub status: String,
}

/// Why the store cannot be read.
fn store_problem(path: &Path, e: &dyn std::fmt::Display) -> Problem {
    Problem {
        error: "store_unavailable",
        cause: format!("cannot read the store {}: {e}", path.display()),
        fix: "run `aegis run` (it records every payload in the store), or point --store / paths.store at the right file".into(),
    }
}

fn open_store(path: &Path) -> Result<Store, Problem> {
    if !path.exists() {
        return Err(store_problem(path, &"the file does not exist"));
    }
    Store::open_read_only(path).map_err(|e| store_problem(path, &e))
}

/// Parses the `from` of a history query: RFC 3339, or a date (midnight UTC).
pub(crate) fn parse_from(s: &str) -> Result<DateTime<Utc>, Problem> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        })
        .map_err(|_| Problem {
            error: "bad_request",
            cause: format!("`from={s}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time"),
            fix: "use e.g. from=2025-11-01 or from=2025-11-01T09:15:00+05:30".into(),
        })
}

/// The names of every metric with history of an index (`/api/history` without a metric).
pub(crate) fn metric_names(store_path: &Path, symbol: Symbol) -> Result<Value, Problem> {
    let store = open_store(store_path)?;
    let names = store
        .metric_names(symbol)
        .map_err(|e| store_problem(store_path, &e))?;
    Ok(json!({ "metrics": names }))
}

/// The history of one metric of an index from `from` on.
pub(crate) fn metric_history(
    store_path: &Path,
    symbol: Symbol,
    metric: &str,
    from: Option<DateTime<Utc>>,
) -> Result<Value, Problem> {
    let store = open_store(store_path)?;
    let points = points(&store, store_path, symbol, metric, from)?;
    Ok(json!({ "index": symbol, "metric": metric, "points": points }))
}

fn points(
    store: &Store,
    store_path: &Path,
    symbol: Symbol,
    metric: &str,
    from: Option<DateTime<Utc>>,
) -> Result<Vec<PointOut>, Problem> {
    Ok(store
        .metric_history(symbol, metric, from)
        .map_err(|e| store_problem(store_path, &e))?
        .into_iter()
        .map(|p| PointOut {
            at: p.at,
            value: p.value,
            status: p.status,
        })
        .collect())
}

/// `data/history.json` of an index: the history of every [`HISTORY_METRICS`] entry in its
/// runs, or the problem that kept the store from being read (the page shows it with its fix).
/// The institutional flows are NSE's market-wide reports, the same for every index.
pub(crate) fn history_document(store_path: &Path, symbol: Symbol) -> Value {
    let metrics = open_store(store_path).and_then(|store| {
        HISTORY_METRICS
            .iter()
            .map(|m| {
                let pts = points(&store, store_path, symbol, m.metric, None)?;
                Ok(json!({ "metric": m.metric, "label": m.label_for(symbol), "points": pts }))
            })
            .collect::<Result<Vec<_>, Problem>>()
    });
    let flows = open_store(store_path)
        .map(|store| flows(&store))
        .unwrap_or(Value::Null);
    match metrics {
        Ok(metrics) => {
            json!({ "index": symbol, "metrics": metrics, "flows": flows, "problem": null })
        }
        Err(problem) => {
            json!({ "index": symbol, "metrics": [], "flows": flows, "problem": problem })
        }
    }
}

/// Sessions of NSE's daily reports charted on the history page.
pub const FLOW_SESSIONS: usize = 250;

/// NSE's daily reports from the store (`aegis fetch --reports`): FII/DII net cash-market buying
/// (₹ crore) and each participant's net index futures, calls and puts (long − short contracts)
/// over the last [`FLOW_SESSIONS`] stored sessions; an empty series says nothing is stored.
fn flows(store: &Store) -> Value {
    let (from, to) = (
        NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid date"),
        NaiveDate::from_ymd_opt(2999, 12, 31).expect("a valid date"),
    );
    let tail = |n: usize| n.saturating_sub(FLOW_SESSIONS);
    let fii_dii = match store.fii_dii(from, to) {
        Ok(rows) => {
            let mut by_date: std::collections::BTreeMap<NaiveDate, (Option<f64>, Option<f64>)> =
                std::collections::BTreeMap::new();
            for r in rows {
                let e = by_date.entry(r.date).or_default();
                if r.category == "FII" {
                    e.0 = Some(r.net_crore);
                } else {
                    e.1 = Some(r.net_crore);
                }
            }
            let v: Vec<Value> = by_date
                .into_iter()
                .map(|(d, (f, di))| json!({ "date": d, "fii_net_crore": f, "dii_net_crore": di }))
                .collect();
            json!(v[tail(v.len())..])
        }
        Err(e) => json!({ "error": e.to_string() }),
    };
    let participants = match store.participant_oi(from, to) {
        Ok(rows) => {
            let mut dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
            dates.dedup();
            let first = dates.get(tail(dates.len())).copied();
            let v: Vec<Value> = rows
                .iter()
                .filter(|r| r.client_type != "TOTAL" && Some(r.date) >= first)
                .map(|r| {
                    let c = &r.contracts;
                    json!({
                        "date": r.date,
                        "client_type": r.client_type,
                        "net_index_futures": c[0] - c[1],
                        "net_index_calls": c[4] - c[6],
                        "net_index_puts": c[5] - c[7],
                    })
                })
                .collect();
            json!(v)
        }
        Err(e) => json!({ "error": e.to_string() }),
    };
    json!({ "fii_dii": fii_dii, "participants": participants })
}

/// `data/models.json`: the card of every model file (`*.json`) in `dir`, read generically so
/// that the report shows whatever the card holds. A file that cannot be read is listed with
/// its error; a missing directory is a problem with its fix.
pub(crate) fn models_document(dir: &Path) -> Value {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let problem = Problem {
                error: "models_unavailable",
                cause: format!("cannot read the models directory {}: {e}", dir.display()),
                fix: "run `aegis train` to write the model files, or point paths.models at them"
                    .into(),
            };
            return json!({ "models": [], "problem": problem });
        }
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    let models: Vec<Value> = files.iter().map(|p| model_entry(p)).collect();
    let problem = models.is_empty().then(|| Problem {
        error: "no_models",
        cause: format!("no model files (*.json) in {}", dir.display()),
        fix: "run `aegis train` to train and write the models".into(),
    });
    json!({ "models": models, "problem": problem })
}

fn model_entry(path: &Path) -> Value {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed = std::fs::read(path)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|b| {
            serde_json::from_slice::<Value>(&b).map_err(|e| format!("it is not valid JSON: {e}"))
        });
    match parsed {
        // Both the tree/logistic/HMM files (`aegismatrix-model`) and the sequence-model cards
        // (`aegismatrix-nn-model`) carry a `card`.
        Ok(v)
            if v.get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| f.starts_with("aegismatrix-") && f.ends_with("model")) =>
        {
            match v.get("card") {
                Some(card) if card.is_object() => json!({
                    "file": file,
                    "format": v.get("format"),
                    "format_version": v.get("format_version"),
                    "card": card,
                    "skill_series": skill_series(&v),
                }),
                _ => {
                    json!({ "file": file, "error": "the model file has no card object; run `aegis train`" })
                }
            }
        }
        Ok(_) => {
            json!({ "file": file, "error": "not an AegisMatrix model file (its \"format\" is not aegismatrix-model or aegismatrix-nn-model)" })
        }
        Err(e) => json!({ "file": file, "error": format!("{e}; run `aegis train`") }),
    }
}

/// Brier score of probability vectors `p` against the class `label` (sum over classes).
fn brier(p: &[f64], label: usize) -> f64 {
    p.iter()
        .enumerate()
        .map(|(k, q)| (q - if k == label { 1.0 } else { 0.0 }).powi(2))
        .sum()
}

/// Skill over time of a classifier from the walk-forward rows of its file (`oos.classifier.rows`):
/// per calendar year, the Brier skill against climatology `1 − B/B_clim` of the trees and of the
/// logistic baseline, each scored on that year's out-of-sample rows (`n`), dated by the year's
/// last row. Empty for files without walk-forward rows (the HMM, the volatility model).
fn skill_series(file: &Value) -> Vec<Value> {
    let Some(rows) = file
        .pointer("/oos/classifier/rows")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    // year → (last date, n, Σ Brier trees, Σ Brier logistic, Σ Brier climatology)
    let mut years: std::collections::BTreeMap<String, (String, usize, f64, f64, f64)> =
        std::collections::BTreeMap::new();
    let probs = |r: &Value, k: &str| -> Option<Vec<f64>> {
        r.get(k)?.as_array()?.iter().map(Value::as_f64).collect()
    };
    for r in rows {
        let (Some(date), Some(label)) = (
            r.get("date").and_then(Value::as_str),
            r.get("label").and_then(Value::as_u64),
        ) else {
            continue;
        };
        let (Some(g), Some(l), Some(c)) = (
            probs(r, "gbt"),
            probs(r, "logistic"),
            probs(r, "climatology"),
        ) else {
            continue;
        };
        let label = label as usize;
        let e = years
            .entry(date.get(..4).unwrap_or(date).to_string())
            .or_insert_with(|| (String::new(), 0, 0.0, 0.0, 0.0));
        e.0 = date.to_string();
        e.1 += 1;
        e.2 += brier(&g, label);
        e.3 += brier(&l, label);
        e.4 += brier(&c, label);
    }
    years
        .into_values()
        .filter(|y| y.4 > 0.0)
        .map(|(date, n, bg, bl, bc)| {
            json!({
                "date": date,
                "n": n,
                "brier_skill": 1.0 - bg / bc,
                "baseline_brier_skill": 1.0 - bl / bc,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_accepts_dates_and_times_and_rejects_the_rest() {
        assert_eq!(
            parse_from("2025-11-01").unwrap().to_rfc3339(),
            "2025-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_from("2025-11-01T09:15:00+05:30")
                .unwrap()
                .to_rfc3339(),
            "2025-11-01T03:45:00+00:00"
        );
        let p = parse_from("yesterday").unwrap_err();
        assert_eq!(p.error, "bad_request");
        assert!(p.cause.contains("yesterday"));
    }

    #[test]
    fn missing_store_is_a_problem_with_a_fix() {
        let dir = tempfile::tempdir().unwrap();
        let doc = history_document(&dir.path().join("none.db"), Symbol::Nifty50);
        assert_eq!(doc["problem"]["error"], "store_unavailable");
        assert!(
            doc["problem"]["fix"]
                .as_str()
                .unwrap()
                .contains("aegis run")
        );
        assert!(metric_names(&dir.path().join("none.db"), Symbol::Nifty50).is_err());
    }

    #[test]
    fn models_are_read_generically_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            models_document(&dir.path().join("nope"))["problem"]["error"],
            "models_unavailable"
        );
        assert_eq!(models_document(dir.path())["problem"]["error"], "no_models");
        std::fs::write(
            dir.path().join("a.json"),
            r#"{"format":"aegismatrix-model","format_version":1,"card":{"name":"a","version":2},"model":{}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("b.json"), "{ not json").unwrap();
        std::fs::write(
            dir.path().join("c.json"),
            r#"{"format":"aegismatrix-nn-model","format_version":1,"card":{"name":"direction_h5","kind":"bilstm"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("d.json"), r#"{"format":"something-else"}"#).unwrap();
        std::fs::write(dir.path().join("c.txt"), "ignored").unwrap();
        let doc = models_document(dir.path());
        let models = doc["models"].as_array().unwrap();
        assert_eq!(models.len(), 4);
        assert_eq!(models[0]["card"]["name"], "a");
        assert_eq!(models[0]["format_version"], 1);
        assert_eq!(models[1]["file"], "b.json");
        assert!(
            models[1]["error"]
                .as_str()
                .unwrap()
                .contains("not valid JSON")
        );
        assert_eq!(models[2]["card"]["kind"], "bilstm");
        assert_eq!(models[2]["format"], "aegismatrix-nn-model");
        assert!(
            models[3]["error"]
                .as_str()
                .unwrap()
                .contains("not an AegisMatrix model file")
        );
        assert!(doc["problem"].is_null());
    }

    #[test]
    fn history_carries_the_institutional_flows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = Store::open(&path).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        store
            .upsert_fii_dii(&[
                aegis_store::FiiDiiRow {
                    date: d,
                    category: "FII".into(),
                    buy_crore: 100.0,
                    sell_crore: 150.5,
                    net_crore: -50.5,
                },
                aegis_store::FiiDiiRow {
                    date: d,
                    category: "DII".into(),
                    buy_crore: 80.0,
                    sell_crore: 20.0,
                    net_crore: 60.0,
                },
            ])
            .unwrap();
        let mut contracts = [0.0; 14];
        contracts[0] = 500.0; // index futures long
        contracts[1] = 800.0; // short
        contracts[4] = 40.0; // index calls long
        contracts[6] = 10.0; // short
        let rows: Vec<aegis_store::ParticipantOiRow> = aegis_store::PARTICIPANT_CLIENT_TYPES
            .iter()
            .map(|c| aegis_store::ParticipantOiRow {
                date: d,
                client_type: c.to_string(),
                contracts,
            })
            .collect();
        store.upsert_participant_oi(&rows).unwrap();
        drop(store);
        let doc = history_document(&path, Symbol::NiftyBank);
        assert_eq!(doc["index"], "NIFTYBANK");
        let f = &doc["flows"];
        assert_eq!(f["fii_dii"][0]["fii_net_crore"], -50.5);
        assert_eq!(f["fii_dii"][0]["dii_net_crore"], 60.0);
        let p = f["participants"].as_array().unwrap();
        assert_eq!(p.len(), 4, "TOTAL is left out: {p:?}");
        assert_eq!(p[0]["net_index_futures"], -300.0);
        assert_eq!(p[0]["net_index_calls"], 30.0);
        assert_eq!(p[0]["net_index_puts"], 0.0);
    }

    #[test]
    fn skill_series_scores_each_year_against_climatology() {
        // Two rows in 2023, one in 2024; binary classes.
        let file = json!({"oos": {"classifier": {"rows": [
            {"date": "2023-03-01", "label": 1, "gbt": [0.2, 0.8], "logistic": [0.5, 0.5], "climatology": [0.6, 0.4]},
            {"date": "2023-09-01", "label": 0, "gbt": [0.7, 0.3], "logistic": [0.4, 0.6], "climatology": [0.6, 0.4]},
            {"date": "2024-01-02", "label": 0, "gbt": [0.1, 0.9], "logistic": [0.6, 0.4], "climatology": [0.6, 0.4]},
        ]}}});
        let s = skill_series(&file);
        assert_eq!(s.len(), 2);
        // 2023: trees 2·0.04 + 2·0.09 = 0.26; logistic 0.5 + 0.72 = 1.22; climatology
        // 0.72 + 0.32 = 1.04.
        assert_eq!(s[0]["date"], "2023-09-01");
        assert_eq!(s[0]["n"], 2);
        let close =
            |v: &Value, x: f64| assert!((v.as_f64().unwrap() - x).abs() < 1e-12, "{v} vs {x}");
        close(&s[0]["brier_skill"], 1.0 - 0.26 / 1.04);
        close(&s[0]["baseline_brier_skill"], 1.0 - 1.22 / 1.04);
        // 2024: trees 0.81·2 = 1.62 against climatology 0.32: negative skill is reported.
        close(&s[1]["brier_skill"], 1.0 - 1.62 / 0.32);
        close(&s[1]["baseline_brier_skill"], 0.0);
        assert!(skill_series(&json!({"oos": {"vol": {}}})).is_empty());
    }
}
