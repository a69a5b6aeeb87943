//! Schema migrations. `PRAGMA user_version` is the schema version: version `n` means the first
//! `n` steps of [`MIGRATIONS`] have been applied. Steps are append-only: never edit a released
//! step, add a new one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{SqlContext, StoreError};

/// `PRAGMA application_id` of an aegis store ("AEGS" in ASCII).
pub(crate) const APPLICATION_ID: i64 = 0x4145_4753;

/// The ordered migration steps; step `i` takes the schema from version `i` to `i + 1`.
///
/// Conventions: tables are `STRICT`; prices are `REAL` (IEEE-754 doubles, read back
/// bit-exactly); columns that may hold a negative zero (`volume`, metric `value`) are `ANY`
/// with a type check, because SQLite stores integral `REAL` values as integers and would turn
/// `-0.0` into `0.0`; instants are either INTEGER unix seconds (bar and chain keys) or
/// fixed-width UTC text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, which sorts in time order.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: bars, option-chain snapshots, run history, model metadata.
    r#"
CREATE TABLE daily_bars (
    symbol      TEXT    NOT NULL,
    date        TEXT    NOT NULL CHECK (length(date) = 10),
    open        REAL    NOT NULL,
    high        REAL    NOT NULL,
    low         REAL    NOT NULL,
    close       REAL    NOT NULL,
    volume      ANY     CHECK (volume IS NULL OR typeof(volume) = 'real'),
    partial     INTEGER NOT NULL CHECK (partial IN (0, 1)),
    origin      TEXT    NOT NULL CHECK (origin IN ('yahoo', 'nse', 'import', 'simulated')),
    inserted_at TEXT    NOT NULL,
    PRIMARY KEY (symbol, date)
) STRICT, WITHOUT ROWID;
CREATE INDEX daily_bars_origin ON daily_bars (origin);

CREATE TABLE intraday_bars (
    symbol      TEXT    NOT NULL,
    interval    TEXT    NOT NULL CHECK (interval <> '1d'),
    ts          INTEGER NOT NULL,
    open        REAL    NOT NULL,
    high        REAL    NOT NULL,
    low         REAL    NOT NULL,
    close       REAL    NOT NULL,
    volume      ANY     CHECK (volume IS NULL OR typeof(volume) = 'real'),
    partial     INTEGER NOT NULL CHECK (partial IN (0, 1)),
    origin      TEXT    NOT NULL CHECK (origin IN ('yahoo', 'nse', 'import', 'simulated')),
    inserted_at TEXT    NOT NULL,
    PRIMARY KEY (symbol, interval, ts)
) STRICT, WITHOUT ROWID;
CREATE INDEX intraday_bars_origin ON intraday_bars (origin);

CREATE TABLE chain_snapshots (
    id          INTEGER PRIMARY KEY,
    symbol      TEXT    NOT NULL,
    ts          INTEGER NOT NULL,
    ts_offset   TEXT    NOT NULL,
    underlying  REAL    NOT NULL,
    origin      TEXT    NOT NULL CHECK (origin IN ('yahoo', 'nse', 'import', 'simulated')),
    row_count   INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    inserted_at TEXT    NOT NULL,
    UNIQUE (symbol, ts)
) STRICT;
CREATE INDEX chain_snapshots_origin ON chain_snapshots (origin);

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT    NOT NULL,
    finished_at    TEXT,
    status         TEXT    NOT NULL CHECK (status IN ('ok', 'unavailable', 'failed')),
    exit_code      INTEGER,
    message        TEXT,
    payload_sha256 TEXT    CHECK (payload_sha256 IS NULL OR length(payload_sha256) = 64)
) STRICT;

CREATE TABLE payloads (
    run_id       INTEGER PRIMARY KEY REFERENCES runs (id),
    generated_at TEXT    NOT NULL,
    data_as_of   TEXT    NOT NULL,
    body         TEXT    NOT NULL
) STRICT;
CREATE INDEX payloads_generated_at ON payloads (generated_at);

CREATE TABLE metric_history (
    metric TEXT    NOT NULL,
    at     TEXT    NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    value  ANY     CHECK (value IS NULL OR typeof(value) = 'real'),
    status TEXT    NOT NULL,
    PRIMARY KEY (run_id, metric)
) STRICT;
CREATE INDEX metric_history_metric_at ON metric_history (metric, at);

CREATE TABLE models (
    name         TEXT    PRIMARY KEY,
    version      INTEGER NOT NULL CHECK (version >= 0),
    path         TEXT    NOT NULL,
    sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
    feature_hash TEXT    NOT NULL,
    trained_at   TEXT    NOT NULL,
    card_json    TEXT    NOT NULL
) STRICT;
"#,
    // 2: NSE daily reports — participant-wise open interest and FII/DII cash activity.
    r#"
CREATE TABLE participant_oi (
    date        TEXT NOT NULL CHECK (length(date) = 10),
    client_type TEXT NOT NULL CHECK (client_type IN ('Client', 'DII', 'FII', 'Pro', 'TOTAL')),
    future_index_long       REAL NOT NULL CHECK (future_index_long >= 0),
    future_index_short      REAL NOT NULL CHECK (future_index_short >= 0),
    future_stock_long       REAL NOT NULL CHECK (future_stock_long >= 0),
    future_stock_short      REAL NOT NULL CHECK (future_stock_short >= 0),
    option_index_call_long  REAL NOT NULL CHECK (option_index_call_long >= 0),
    option_index_put_long   REAL NOT NULL CHECK (option_index_put_long >= 0),
    option_index_call_short REAL NOT NULL CHECK (option_index_call_short >= 0),
    option_index_put_short  REAL NOT NULL CHECK (option_index_put_short >= 0),
    option_stock_call_long  REAL NOT NULL CHECK (option_stock_call_long >= 0),
    option_stock_put_long   REAL NOT NULL CHECK (option_stock_put_long >= 0),
    option_stock_call_short REAL NOT NULL CHECK (option_stock_call_short >= 0),
    option_stock_put_short  REAL NOT NULL CHECK (option_stock_put_short >= 0),
    total_long              REAL NOT NULL CHECK (total_long >= 0),
    total_short             REAL NOT NULL CHECK (total_short >= 0),
    inserted_at TEXT NOT NULL,
    PRIMARY KEY (date, client_type)
) STRICT, WITHOUT ROWID;

CREATE TABLE fii_dii_activity (
    date        TEXT NOT NULL CHECK (length(date) = 10),
    category    TEXT NOT NULL CHECK (category IN ('FII', 'DII')),
    buy_crore   REAL NOT NULL CHECK (buy_crore >= 0),
    sell_crore  REAL NOT NULL CHECK (sell_crore >= 0),
    net_crore   REAL NOT NULL,
    inserted_at TEXT NOT NULL,
    PRIMARY KEY (date, category)
) STRICT, WITHOUT ROWID;
"#,
    // 3: runs per index — the index a run computed (runs before this step were all NIFTY 50).
    r#"
ALTER TABLE runs ADD COLUMN symbol TEXT NOT NULL DEFAULT 'NIFTY50';
CREATE INDEX runs_symbol ON runs (symbol);
"#,
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .ctx(path, "reading the schema version")
}

/// Refuses a database that is not (and cannot become) an aegis store, or is too new.
pub(crate) fn check_identity(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let version = user_version(conn, path)?;
    let app_id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .ctx(path, "reading the application id")?;
    if app_id != 0 && app_id != APPLICATION_ID {
        return Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
            detail: format!("its application_id is {app_id:#x}"),
        });
    }
    if app_id == 0 {
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .ctx(path, "listing tables")?;
        if tables > 0 || version != 0 {
            return Err(StoreError::ForeignDatabase {
                path: path.to_path_buf(),
                detail: format!(
                    "it has {tables} table(s) and user_version {version} but no aegis application id"
                ),
            });
        }
    }
    if version > i64::from(SCHEMA_VERSION) {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Applies the missing steps, one `BEGIN IMMEDIATE` transaction each. The version is re-read
/// inside each transaction, so two processes opening a new file at once apply each step once.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i as i64 + 1;
        let context = format!("migrating to schema version {target}");
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(path, &context)?;
        let current = check_identity(&tx, path)?;
        if current >= target {
            continue;
        }
        tx.execute_batch(sql).ctx(path, &context)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .ctx(path, &context)?;
        tx.pragma_update(None, "user_version", target)
            .ctx(path, &context)?;
        tx.commit().ctx(path, &context)?;
        tracing::info!(store = %path.display(), version = target, "store schema migrated");
    }
    Ok(())
}
