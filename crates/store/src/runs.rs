//! Run records, payload history and per-metric history (for the dashboard's charts over time).

use std::collections::HashSet;
use std::fmt;

use aegis_model::{Status, Symbol};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::Store;
use crate::codec::{parse_time_text, time_text};
use crate::error::{SqlContext, StoreError};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// A payload was produced.
    Ok,
    /// The run finished but some required data was unavailable.
    Unavailable,
    /// The run failed.
    Failed,
}

impl RunStatus {
    /// Stable code used in the store.
    pub fn code(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Unavailable => "unavailable",
            RunStatus::Failed => "failed",
        }
    }

    /// Parses a [`RunStatus::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "ok" => Some(RunStatus::Ok),
            "unavailable" => Some(RunStatus::Unavailable),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One pipeline run, as recorded by [`Store::record_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The index the run computed.
    pub symbol: Symbol,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub status: RunStatus,
    /// The process exit code, if known.
    pub exit_code: Option<i32>,
    /// A human-readable summary or the failure's message.
    pub message: Option<String>,
    /// SHA-256 (64 lowercase hex digits) of the payload file written by the run, if any.
    pub payload_sha256: Option<String>,
}

/// A stored payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPayload {
    /// The run that produced it.
    pub run_id: i64,
    /// When the payload was generated.
    pub generated_at: DateTime<Utc>,
    /// The time of the newest data it used.
    pub data_as_of: DateTime<Utc>,
    /// The payload JSON, exactly as given.
    pub body: String,
}

/// One point of a metric's history.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// The data as-of time of the payload that carried it.
    pub at: DateTime<Utc>,
    /// The run that produced it.
    pub run_id: i64,
    /// Its value (`None` when unavailable).
    pub value: Option<f64>,
    /// Its provenance status (`ok`, `stale`, `simulated`, `unavailable`).
    pub status: String,
}

fn invalid(what: String, reason: String, fix: &str) -> StoreError {
    StoreError::InvalidInput {
        what,
        reason,
        fix: fix.to_string(),
    }
}

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn stored_symbol(path: &std::path::Path, code: &str) -> Result<Symbol, StoreError> {
    code.parse().map_err(|_| StoreError::BadStoredValue {
        path: path.to_path_buf(),
        table: "runs",
        detail: format!("unknown index `{code}`"),
    })
}

fn parse_time(
    path: &std::path::Path,
    table: &'static str,
    s: &str,
) -> Result<DateTime<Utc>, StoreError> {
    parse_time_text(s).ok_or_else(|| StoreError::BadStoredValue {
        path: path.to_path_buf(),
        table,
        detail: format!("time `{s}` is not RFC 3339"),
    })
}

impl Store {
    /// Records a run and returns its id.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] for a `payload_sha256` that is not 64 lowercase hex digits.
    pub fn record_run(&mut self, run: &RunRecord) -> Result<i64, StoreError> {
        if let Some(sha) = &run.payload_sha256
            && !is_sha256_hex(sha)
        {
            return Err(invalid(
                format!("run payload_sha256 `{sha}`"),
                "it is not 64 lowercase hexadecimal digits".to_string(),
                "pass the SHA-256 of the payload file in lowercase hex",
            ));
        }
        let started = time_text("run start", run.started_at)?;
        let finished = run
            .finished_at
            .map(|t| time_text("run end", t))
            .transpose()?;
        self.write("recording a run", |tx, path, _| {
            tx.execute(
                "INSERT INTO runs (symbol, started_at, finished_at, status, exit_code, message, payload_sha256) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    run.symbol.code(),
                    started,
                    finished,
                    run.status.code(),
                    run.exit_code,
                    run.message,
                    run.payload_sha256
                ],
            )
            .ctx(path, "recording a run")?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The recorded run `run_id`, if any.
    pub fn run(&self, run_id: i64) -> Result<Option<RunRecord>, StoreError> {
        let path = &self.path;
        let row = self
            .conn
            .query_row(
                "SELECT started_at, finished_at, status, exit_code, message, payload_sha256, symbol FROM runs WHERE id = ?",
                [run_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<i32>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()
            .ctx(path, "reading a run")?;
        row.map(
            |(started, finished, status, exit_code, message, payload_sha256, symbol)| {
                Ok(RunRecord {
                    symbol: stored_symbol(path, &symbol)?,
                    started_at: parse_time(path, "runs", &started)?,
                    finished_at: finished.map(|f| parse_time(path, "runs", &f)).transpose()?,
                    status: RunStatus::from_code(&status).ok_or_else(|| {
                        StoreError::BadStoredValue {
                            path: path.clone(),
                            table: "runs",
                            detail: format!("unknown run status `{status}`"),
                        }
                    })?,
                    exit_code,
                    message,
                    payload_sha256,
                })
            },
        )
        .transpose()
    }

    /// Stores the payload of run `run_id` and one history point per metric
    /// `(name, value, status)`, all in one transaction. `json` must be valid JSON, each value
    /// finite, each status a provenance status (`ok`, `stale`, `simulated`, `unavailable`), and
    /// each name unique within the payload.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`], [`StoreError::UnknownRun`], [`StoreError::Duplicate`]
    /// (a payload already stored for the run, or a metric named twice), and SQLite failures.
    pub fn store_payload(
        &mut self,
        run_id: i64,
        generated_at: DateTime<Utc>,
        as_of: DateTime<Utc>,
        json: &str,
        metrics: &[(String, Option<f64>, String)],
    ) -> Result<(), StoreError> {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
            return Err(invalid(
                format!("the payload of run {run_id}"),
                format!("it is not valid JSON: {e}"),
                "store the payload exactly as written to aegismatrix.json",
            ));
        }
        let generated = time_text("payload generation time", generated_at)?;
        let at = time_text("payload data as-of time", as_of)?;
        let mut names = HashSet::with_capacity(metrics.len());
        for (name, value, status) in metrics {
            if name.trim().is_empty() {
                return Err(invalid(
                    format!("a metric of run {run_id}"),
                    "its name is empty".to_string(),
                    "name every metric (e.g. `seller.trap.score`)",
                ));
            }
            if let Some(v) = value
                && !v.is_finite()
            {
                return Err(invalid(
                    format!("metric `{name}` of run {run_id}"),
                    format!("its value {v} is not finite"),
                    "store an unavailable metric as None with status `unavailable`",
                ));
            }
            if serde_json::from_value::<Status>(serde_json::Value::String(status.clone())).is_err()
            {
                return Err(invalid(
                    format!("metric `{name}` of run {run_id}"),
                    format!("status `{status}` is not ok, stale, simulated or unavailable"),
                    "use the metric's provenance status",
                ));
            }
            if !names.insert(name.as_str()) {
                return Err(StoreError::Duplicate {
                    path: self.path.clone(),
                    what: format!("metric `{name}` twice in the payload of run {run_id}"),
                    fix: "give each metric of a payload a unique name".to_string(),
                });
            }
        }
        let context = format!("storing the payload of run {run_id}");
        self.write(&context, |tx, path, _| {
            let run_exists = tx
                .query_row("SELECT 1 FROM runs WHERE id = ?", [run_id], |_| Ok(()))
                .optional()
                .ctx(path, &context)?
                .is_some();
            if !run_exists {
                return Err(StoreError::UnknownRun {
                    path: path.to_path_buf(),
                    run_id,
                });
            }
            let inserted = tx
                .execute(
                    "INSERT INTO payloads (run_id, generated_at, data_as_of, body) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (run_id) DO NOTHING",
                    params![run_id, generated, at, json],
                )
                .ctx(path, &context)?;
            if inserted == 0 {
                return Err(StoreError::Duplicate {
                    path: path.to_path_buf(),
                    what: format!("a payload for run {run_id}"),
                    fix: "record a new run for a new payload".to_string(),
                });
            }
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO metric_history (metric, at, run_id, value, status) VALUES (?, ?, ?, ?, ?)",
                )
                .ctx(path, &context)?;
            for (name, value, status) in metrics {
                stmt.execute(params![name, at, run_id, value, status])
                    .ctx(path, &context)?;
            }
            Ok(())
        })
    }

    /// The most recently generated stored payload of an index, if any.
    pub fn latest_payload(&self, symbol: Symbol) -> Result<Option<StoredPayload>, StoreError> {
        let path = &self.path;
        let row = self
            .conn
            .query_row(
                "SELECT p.run_id, p.generated_at, p.data_as_of, p.body FROM payloads p \
                 JOIN runs r ON r.id = p.run_id WHERE r.symbol = ? \
                 ORDER BY p.generated_at DESC, p.run_id DESC LIMIT 1",
                [symbol.code()],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()
            .ctx(path, "reading the latest payload")?;
        row.map(|(run_id, generated, as_of, body)| {
            Ok(StoredPayload {
                run_id,
                generated_at: parse_time(path, "payloads", &generated)?,
                data_as_of: parse_time(path, "payloads", &as_of)?,
                body,
            })
        })
        .transpose()
    }

    /// The history of one metric of an index, oldest first (by data as-of time, then run),
    /// from `from` on.
    pub fn metric_history(
        &self,
        symbol: Symbol,
        metric: &str,
        from: Option<DateTime<Utc>>,
    ) -> Result<Vec<MetricPoint>, StoreError> {
        let path = &self.path;
        let from = from
            .map(|t| time_text("metric history start", t))
            .transpose()?
            .unwrap_or_default();
        let context = format!("reading the history of metric `{metric}`");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.at, m.run_id, m.value, m.status FROM metric_history m \
                 JOIN runs r ON r.id = m.run_id \
                 WHERE m.metric = ? AND m.at >= ? AND r.symbol = ? \
                 ORDER BY m.at, m.run_id",
            )
            .ctx(path, &context)?;
        let rows = stmt
            .query_map(params![metric, from, symbol.code()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<f64>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .ctx(path, &context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, &context)?;
        rows.into_iter()
            .map(|(at, run_id, value, status)| {
                Ok(MetricPoint {
                    at: parse_time(path, "metric_history", &at)?,
                    run_id,
                    value,
                    status,
                })
            })
            .collect()
    }

    /// The names of every metric with history for an index, sorted.
    pub fn metric_names(&self, symbol: Symbol) -> Result<Vec<String>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT m.metric FROM metric_history m JOIN runs r ON r.id = m.run_id \
                 WHERE r.symbol = ? ORDER BY m.metric",
            )
            .ctx(path, "listing metric names")?;
        stmt.query_map([symbol.code()], |r| r.get(0))
            .ctx(path, "listing metric names")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, "listing metric names")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::dump;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn run(status: RunStatus) -> RunRecord {
        RunRecord {
            symbol: Symbol::Nifty50,
            started_at: t("2025-11-28T10:00:00.123456789Z"),
            finished_at: Some(t("2025-11-28T10:00:07Z")),
            status,
            exit_code: Some(0),
            message: Some("7 metrics".to_string()),
            payload_sha256: Some("ab".repeat(32)),
        }
    }

    type MetricInput = (String, Option<f64>, String);

    fn m(name: &str, value: Option<f64>, status: &str) -> MetricInput {
        (name.to_string(), value, status.to_string())
    }

    #[test]
    fn runs_payloads_and_metric_history_round_trip() {
        let mut store = Store::open_in_memory().unwrap();
        let r1 = store.record_run(&run(RunStatus::Ok)).unwrap();
        assert_eq!(store.run(r1).unwrap(), Some(run(RunStatus::Ok)));
        let r2 = store.record_run(&run(RunStatus::Unavailable)).unwrap();
        assert_ne!(r1, r2);
        assert_eq!(store.latest_payload(Symbol::Nifty50).unwrap(), None);
        store
            .store_payload(
                r1,
                t("2025-11-27T10:05:00Z"),
                t("2025-11-27T10:00:00Z"),
                r#"{"schema_version":1}"#,
                &[
                    m("seller.trap.score", Some(0.31), "ok"),
                    m("vix", Some(-0.0), "stale"),
                ],
            )
            .unwrap();
        store
            .store_payload(
                r2,
                t("2025-11-28T10:05:00Z"),
                t("2025-11-28T10:00:00Z"),
                r#"{"schema_version":1,"n":2}"#,
                &[m("seller.trap.score", None, "unavailable")],
            )
            .unwrap();
        let latest = store.latest_payload(Symbol::Nifty50).unwrap().unwrap();
        assert_eq!(latest.run_id, r2);
        assert_eq!(latest.body, r#"{"schema_version":1,"n":2}"#);
        assert_eq!(latest.data_as_of, t("2025-11-28T10:00:00Z"));
        let h = store
            .metric_history(Symbol::Nifty50, "seller.trap.score", None)
            .unwrap();
        assert_eq!(
            h,
            vec![
                MetricPoint {
                    at: t("2025-11-27T10:00:00Z"),
                    run_id: r1,
                    value: Some(0.31),
                    status: "ok".into()
                },
                MetricPoint {
                    at: t("2025-11-28T10:00:00Z"),
                    run_id: r2,
                    value: None,
                    status: "unavailable".into()
                },
            ]
        );
        let since = store
            .metric_history(
                Symbol::Nifty50,
                "seller.trap.score",
                Some(t("2025-11-27T10:00:00.000000001Z")),
            )
            .unwrap();
        assert_eq!(since.len(), 1);
        let vix = store.metric_history(Symbol::Nifty50, "vix", None).unwrap();
        assert_eq!(vix[0].value.map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(
            store.metric_names(Symbol::Nifty50).unwrap(),
            vec!["seller.trap.score", "vix"]
        );
        assert!(store.integrity_check().is_ok());
    }

    #[test]
    fn runs_and_histories_are_kept_per_index() {
        let mut store = Store::open_in_memory().unwrap();
        let nifty = store.record_run(&run(RunStatus::Ok)).unwrap();
        let bank_run = RunRecord {
            symbol: Symbol::NiftyBank,
            ..run(RunStatus::Ok)
        };
        let bank = store.record_run(&bank_run).unwrap();
        assert_eq!(store.run(bank).unwrap(), Some(bank_run));
        let at = t("2025-11-28T10:00:00Z");
        store
            .store_payload(
                nifty,
                at,
                at,
                r#"{"i":"n"}"#,
                &[m("spot", Some(26000.0), "ok")],
            )
            .unwrap();
        store
            .store_payload(
                bank,
                at,
                at,
                r#"{"i":"b"}"#,
                &[
                    m("spot", Some(58000.0), "ok"),
                    m("bank.only", None, "unavailable"),
                ],
            )
            .unwrap();
        let spot = |s| store.metric_history(s, "spot", None).unwrap();
        assert_eq!(spot(Symbol::Nifty50)[0].value, Some(26000.0));
        assert_eq!(spot(Symbol::NiftyBank)[0].value, Some(58000.0));
        assert_eq!(spot(Symbol::NiftyBank).len(), 1);
        assert!(spot(Symbol::FinNifty).is_empty());
        assert_eq!(store.metric_names(Symbol::Nifty50).unwrap(), vec!["spot"]);
        assert_eq!(
            store.metric_names(Symbol::NiftyBank).unwrap(),
            vec!["bank.only", "spot"]
        );
        let body = |s| store.latest_payload(s).unwrap().map(|p| p.body);
        assert_eq!(body(Symbol::Nifty50).as_deref(), Some(r#"{"i":"n"}"#));
        assert_eq!(body(Symbol::NiftyBank).as_deref(), Some(r#"{"i":"b"}"#));
        assert_eq!(body(Symbol::MidcapSelect), None);
    }

    #[test]
    fn bad_payloads_are_refused_and_change_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        let id = store.record_run(&run(RunStatus::Ok)).unwrap();
        let now = t("2025-11-28T10:00:00Z");
        let ok = [m("a", Some(1.0), "ok")];
        let cases: Vec<(&str, Vec<MetricInput>, i64, &str)> = vec![
            ("{not json", ok.to_vec(), id, "not valid JSON"),
            ("{}", vec![m("a", Some(f64::NAN), "ok")], id, "not finite"),
            ("{}", vec![m("a", Some(1.0), "fine")], id, "status `fine`"),
            (
                "{}",
                vec![m("a", Some(1.0), "ok"), m("a", None, "unavailable")],
                id,
                "twice",
            ),
            ("{}", ok.to_vec(), id + 7, "has no run"),
        ];
        for (json, metrics, run_id, needle) in cases {
            let e = store
                .store_payload(run_id, now, now, json, &metrics)
                .unwrap_err();
            assert!(e.to_string().contains(needle), "{needle}: {e}");
        }
        assert!(dump(&store, "payloads").is_empty());
        assert!(dump(&store, "metric_history").is_empty());
        store.store_payload(id, now, now, "{}", &ok).unwrap();
        let before = (dump(&store, "payloads"), dump(&store, "metric_history"));
        let e = store.store_payload(id, now, now, "{}", &ok).unwrap_err();
        assert!(matches!(e, StoreError::Duplicate { .. }), "{e:?}");
        assert_eq!(
            (dump(&store, "payloads"), dump(&store, "metric_history")),
            before
        );
        let mut bad = run(RunStatus::Failed);
        bad.payload_sha256 = Some("XYZ".into());
        assert!(matches!(
            store.record_run(&bad),
            Err(StoreError::InvalidInput { .. })
        ));
    }
}
