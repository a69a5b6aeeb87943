//! Embedded SQLite store of AegisMatrix: bars, option-chain snapshots, payload history, model
//! metadata.
//!
//! ```
//! use aegis_model::{Candle, DataOrigin, Interval, Series, Symbol};
//! use aegis_store::Store;
//! use chrono::NaiveDate;
//!
//! let mut store = Store::open_in_memory()?;
//! let d = |day| NaiveDate::from_ymd_opt(2025, 11, day).unwrap();
//! let bars = vec![Candle::new(d(27), 100.0, 105.0, 99.0, 104.0)];
//! let series = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, bars)?;
//! assert_eq!(store.upsert_daily(&series)?.inserted, 1);
//! assert_eq!(store.upsert_daily(&series)?.unchanged, 1); // idempotent
//! assert_eq!(store.daily(Symbol::Nifty50)?, series);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The database file
//!
//! * Opened in WAL journal mode with `synchronous = NORMAL`: a crash or power loss can lose
//!   the last committed transactions but never corrupts the file, and readers do not block
//!   the writer. Foreign keys are enforced; a busy timeout of 5 s lets concurrent openers
//!   wait for each other instead of failing.
//! * **One writer.** SQLite allows one writer at a time per file. Every write method takes
//!   `&mut self` and runs in one `BEGIN IMMEDIATE` transaction (it takes the write lock up
//!   front, waits up to the busy timeout for another process's writer, then reports
//!   [`StoreError::Busy`]). A failed write is rolled back entirely: the store is unchanged.
//!   Several processes may open the same file; no advisory lock is needed.
//! * **Schema migrations.** `PRAGMA user_version` is the schema version ([`SCHEMA_VERSION`]).
//!   Opening applies the missing migration steps, each in its own transaction. A file with a
//!   newer version is refused with [`StoreError::TooNew`]; an SQLite file that is not an aegis
//!   store (`PRAGMA application_id`) with [`StoreError::ForeignDatabase`].
//! * SQLite failures that need a different fix get their own variant: not a database
//!   ([`StoreError::NotADatabase`]), corrupt ([`StoreError::Corrupt`]), disk full
//!   ([`StoreError::DiskFull`]), read-only ([`StoreError::ReadOnly`]), locked
//!   ([`StoreError::Busy`]). Every error names the file and the fix.
//!
//! # Simulated and market data never mix
//!
//! A store file holds either simulated data (demo mode) or market data (Yahoo, NSE, CSV
//! import — these mix freely). The rule is store-wide, across daily bars, intraday bars and
//! option chains of every symbol; a write that would break it fails with
//! [`StoreError::MixedOrigin`] ("use a separate store file for the demo: --store").
//!
//! # Bars
//!
//! Daily bars are keyed by (symbol, IST trading date), intraday bars by (symbol, interval,
//! bar start in unix seconds UTC). An upsert merges the incoming series into the stored one in
//! one transaction:
//!
//! * a bar at a new key is inserted; a bar equal to the stored one (bit for bit, same
//!   `partial` flag and origin) is left alone and counted `unchanged` — re-importing a file
//!   changes nothing; any other bar replaces the stored one (`updated`): a partial bar is
//!   replaced by the complete bar when it arrives, and a source's revision wins;
//! * a **partial** incoming bar (only ever the last of its series) is **skipped** when the
//!   store already has a complete bar at that key or any bar after it: complete data is never
//!   replaced by a still-forming snapshot, and a partial bar may only be the newest;
//! * after the writes, a stored partial bar that is no longer the newest (newer bars arrived
//!   without its complete version) is **dropped**.
//!
//! So every stored series stays valid for [`aegis_model::Series::new`]. Reads return
//! validated series whose origin is that of the newest bar returned (or, for an empty range,
//! the newest stored bar), and `Simulated` if any bar is simulated.
//!
//! # Other tables
//!
//! Option-chain snapshots (every chain is kept, as the JSON of
//! [`aegis_model::OptionChain`]), run records with their payloads and per-metric history,
//! trained-model metadata, and NSE's daily reports: participant-wise open interest
//! ([`Store::upsert_participant_oi`]) and FII/DII cash activity ([`Store::upsert_fii_dii`]),
//! added by schema version 2.

mod bars;
mod chains;
mod codec;
mod error;
mod models;
mod origin;
mod participants;
mod runs;
mod schema;
#[cfg(test)]
mod test_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use bars::{BarTime, Coverage, LastBar, UpsertSummary};
pub use chains::InsertOutcome;
pub use error::StoreError;
pub use models::ModelMeta;
pub use participants::{
    FII_DII_CATEGORIES, FiiDiiRow, PARTICIPANT_CLIENT_TYPES, PARTICIPANT_OI_COLUMNS,
    ParticipantOiRow, ReportUpsert,
};
pub use runs::{MetricPoint, RunRecord, RunStatus, StoredPayload};
pub use schema::SCHEMA_VERSION;

use error::SqlContext;

/// How long a connection waits for another connection's lock before reporting
/// [`StoreError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Switches to WAL. Changing the journal mode needs an exclusive lock, for which SQLite does
/// not always call the busy handler (two processes opening a new file at once), so `BUSY` is
/// retried here until [`BUSY_TIMEOUT`].
fn enable_wal(conn: &Connection, path: &Path) -> Result<String, StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)) {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other.ctx(path, "switching to WAL"),
        }
    }
}

/// An open store. Reads take `&self`; writes take `&mut self` and are atomic.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating the file and its directory if needed) and migrates the store at `path`.
    ///
    /// # Errors
    /// [`StoreError::CreateDir`], [`StoreError::CannotOpen`], [`StoreError::NotADatabase`],
    /// [`StoreError::ForeignDatabase`], [`StoreError::TooNew`], and the SQLite failures.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.clone(),
                dir: dir.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).ctx(&path, "opening")?;
        Self::configure(conn, path, true)
    }

    /// Opens an existing store for reading only (e.g. for a dashboard process). Every write
    /// fails with [`StoreError::ReadOnly`]. The schema must be current, since a read-only
    /// connection cannot migrate it.
    ///
    /// # Errors
    /// As [`Store::open`], plus [`StoreError::NeedsMigration`]; a missing file is
    /// [`StoreError::CannotOpen`].
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).ctx(&path, "opening")?;
        Self::configure(conn, path, false)
    }

    /// A fresh store in memory (for tests).
    ///
    /// # Errors
    /// Only if SQLite cannot allocate the database.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().ctx(&path, "opening")?;
        Self::configure(conn, path, true)
    }

    fn configure(conn: Connection, path: PathBuf, writable: bool) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .ctx(&path, "setting the busy timeout")?;
        // The first read of the file (a non-database fails here with NOTADB), in one read
        // transaction: another process may be migrating the file at this very moment.
        let version = {
            let snapshot = conn.unchecked_transaction().ctx(&path, "opening")?;
            let version = schema::check_identity(&snapshot, &path)?;
            snapshot.commit().ctx(&path, "opening")?;
            version
        };
        conn.pragma_update(None, "foreign_keys", true)
            .ctx(&path, "enabling foreign keys")?;
        let mut store = Store { conn, path };
        if writable {
            let mode = enable_wal(&store.conn, &store.path)?;
            if mode != "wal" && mode != "memory" {
                tracing::warn!(store = %store.path.display(), %mode, "WAL journal mode unavailable; using {mode}");
            }
            store
                .conn
                .pragma_update(None, "synchronous", "NORMAL")
                .ctx(&store.path, "setting synchronous = NORMAL")?;
            schema::migrate(&mut store.conn, &store.path)?;
        } else if version < i64::from(SCHEMA_VERSION) {
            return Err(StoreError::NeedsMigration {
                path: store.path,
                found: version,
                required: SCHEMA_VERSION,
            });
        }
        Ok(store)
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed only if `f` succeeds.
    /// `f` gets the connection, the file path and the current time as stored text.
    fn write<T>(
        &mut self,
        context: &str,
        f: impl FnOnce(&Connection, &Path, &str) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let now = bars::now_text()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(&self.path, context)?;
        let out = f(&tx, &self.path, &now)?;
        tx.commit().ctx(&self.path, context)?;
        Ok(out)
    }

    /// Runs `f` in one read transaction, so that its statements see one snapshot.
    fn read<T>(
        &self,
        context: &str,
        f: impl FnOnce(&Connection, &Path) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.conn.unchecked_transaction().ctx(&self.path, context)?;
        let out = f(&tx, &self.path)?;
        tx.commit().ctx(&self.path, context)?;
        Ok(out)
    }

    /// Checks the whole store: SQLite's `integrity_check` and `foreign_key_check`, that every
    /// stored bar series is valid for [`aegis_model::Series::new`], that simulated and market
    /// data do not mix, and that every chain, payload and model card is well-formed JSON.
    /// Reads everything: run it from `aegis doctor`, not on every start.
    ///
    /// # Errors
    /// [`StoreError::IntegrityFailed`] listing every problem found, or
    /// [`StoreError::Corrupt`] if SQLite cannot even read the file.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        self.read("checking integrity", |conn, path| {
            let mut problems = Vec::new();
            let strings = |sql: &str| -> Result<Vec<String>, StoreError> {
                let mut stmt = conn.prepare(sql).ctx(path, "checking integrity")?;
                stmt.query_map([], |r| r.get::<_, String>(0))
                    .ctx(path, "checking integrity")?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .ctx(path, "checking integrity")
            };
            let sqlite = strings("PRAGMA integrity_check(50)")?;
            if sqlite != ["ok"] {
                problems.extend(sqlite.into_iter().map(|p| format!("sqlite: {p}")));
            }
            let mut stmt = conn
                .prepare("PRAGMA foreign_key_check")
                .ctx(path, "checking foreign keys")?;
            let fk = stmt
                .query_map([], |r| {
                    Ok(format!(
                        "row {} of {} refers to a missing row of {}",
                        r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(2)?
                    ))
                })
                .ctx(path, "checking foreign keys")?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx(path, "checking foreign keys")?;
            problems.extend(fk);
            for check in [
                bars::check_all_series::<NaiveDate>(conn, path, &mut problems),
                bars::check_all_series::<DateTime<Utc>>(conn, path, &mut problems),
            ] {
                if let Err(e) = check {
                    problems.push(e.to_string());
                }
            }
            match origin::mixed(conn, path) {
                Ok(true) => problems.push("simulated and market data are mixed".to_string()),
                Ok(false) => {}
                Err(e) => problems.push(e.to_string()),
            }
            for (sql, what) in [
                (
                    "SELECT id FROM chain_snapshots WHERE NOT json_valid(body) \
                     OR json_array_length(body, '$.rows') IS NOT row_count",
                    "option-chain snapshot",
                ),
                (
                    "SELECT run_id FROM payloads WHERE NOT json_valid(body)",
                    "payload of run",
                ),
                (
                    "SELECT rowid FROM models WHERE NOT json_valid(card_json)",
                    "model card (row)",
                ),
            ] {
                let mut stmt = conn.prepare(sql).ctx(path, "checking JSON bodies")?;
                let ids = stmt
                    .query_map([], |r| r.get::<_, i64>(0))
                    .ctx(path, "checking JSON bodies")?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .ctx(path, "checking JSON bodies")?;
                problems.extend(
                    ids.into_iter()
                        .map(|id| format!("{what} {id} is malformed")),
                );
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(StoreError::IntegrityFailed {
                    path: path.to_path_buf(),
                    problems,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{dump, yahoo_daily};
    use aegis_model::{DataOrigin, Interval, Series, Symbol};
    use rusqlite::OptionalExtension;

    fn nifty() -> aegis_model::DailySeries {
        yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50)
    }

    fn pragma(store: &Store, name: &str) -> String {
        store
            .conn
            .pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
            .unwrap()
    }

    #[test]
    fn open_creates_the_directory_and_configures_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deeper/aegis.sqlite");
        let mut store = Store::open(&path).unwrap();
        assert!(path.exists());
        assert_eq!(store.path(), path);
        assert_eq!(pragma(&store, "journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma(&store, "synchronous"), "Integer(1)", "NORMAL");
        assert_eq!(pragma(&store, "foreign_keys"), "Integer(1)");
        assert_eq!(pragma(&store, "busy_timeout"), "Integer(5000)");
        assert_eq!(
            pragma(&store, "user_version"),
            format!("Integer({SCHEMA_VERSION})")
        );
        store.upsert_daily(&nifty()).unwrap();
        drop(store);
        // Reopening keeps the data and does not migrate again.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.daily(Symbol::Nifty50).unwrap(), nifty());
        store.integrity_check().unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named_in_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.sqlite");
        let garbage: Vec<u8> = (0..8192u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&path, &garbage).unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(matches!(e, StoreError::NotADatabase { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("--store"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            garbage,
            "the file is left alone"
        );
    }

    #[test]
    fn a_newer_schema_or_a_foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let newer = dir.path().join("newer.sqlite");
        Store::open(&newer).unwrap();
        let raw = rusqlite::Connection::open(&newer).unwrap();
        raw.pragma_update(None, "user_version", 99).unwrap();
        drop(raw);
        let e = Store::open(&newer).unwrap_err();
        assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e:?}");
        assert!(e.to_string().contains("upgrade aegis"), "{e}");
        assert!(e.to_string().contains("newer.sqlite"), "{e}");

        let foreign = dir.path().join("foreign.sqlite");
        let raw = rusqlite::Connection::open(&foreign).unwrap();
        raw.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
        drop(raw);
        let e = Store::open(&foreign).unwrap_err();
        assert!(matches!(e, StoreError::ForeignDatabase { .. }), "{e:?}");
        let raw = rusqlite::Connection::open(&foreign).unwrap();
        let tables: i64 = raw
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1, "nothing was created in the foreign database");
    }

    #[test]
    fn a_read_only_store_refuses_writes_with_a_typed_error() {
        // Tests run as root, where chmod 0444 does not stop writes: open with
        // SQLITE_OPEN_READ_ONLY instead, which makes SQLite itself return SQLITE_READONLY.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.sqlite");
        let mut writer = Store::open(&path).unwrap();
        writer.upsert_daily(&nifty()).unwrap();
        drop(writer);
        let mut ro = Store::open_read_only(&path).unwrap();
        assert_eq!(ro.daily(Symbol::Nifty50).unwrap().len(), 1236);
        let before = dump(&ro, "daily_bars");
        let mut revised = nifty().into_bars();
        revised[0].close = revised[0].low;
        let revised =
            Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, revised).unwrap();
        let e = ro.upsert_daily(&revised).unwrap_err();
        assert!(matches!(e, StoreError::ReadOnly { .. }), "{e:?}");
        assert!(e.to_string().contains("ro.sqlite"), "{e}");
        let run = RunRecord {
            symbol: Symbol::Nifty50,
            started_at: Utc::now(),
            finished_at: None,
            status: RunStatus::Failed,
            exit_code: None,
            message: None,
            payload_sha256: None,
        };
        assert!(matches!(
            ro.record_run(&run),
            Err(StoreError::ReadOnly { .. })
        ));
        assert_eq!(dump(&ro, "daily_bars"), before);

        let missing = dir.path().join("missing.sqlite");
        assert!(matches!(
            Store::open_read_only(&missing),
            Err(StoreError::CannotOpen { .. })
        ));
        let empty = dir.path().join("empty.sqlite");
        std::fs::write(&empty, b"").unwrap();
        let e = Store::open_read_only(&empty).unwrap_err();
        assert!(
            matches!(e, StoreError::NeedsMigration { found: 0, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn a_full_disk_is_reported_and_the_store_is_unchanged() {
        let mut store = Store::open_in_memory().unwrap();
        let series = nifty();
        let (old, new) = series.bars().split_at(600);
        store
            .upsert_daily(
                &Series::new(
                    Symbol::Nifty50,
                    Interval::Daily,
                    DataOrigin::Yahoo,
                    old.to_vec(),
                )
                .unwrap(),
            )
            .unwrap();
        let before = dump(&store, "daily_bars");
        // Cap the database at its current size: the next page allocation fails with SQLITE_FULL.
        let pages: i64 = store
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        store
            .conn
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let e = store.upsert_daily(&series).unwrap_err();
        assert!(matches!(e, StoreError::DiskFull { .. }), "{e:?}");
        assert!(e.to_string().contains("disk is full"), "{e}");
        assert_eq!(dump(&store, "daily_bars"), before);
        assert!(!new.is_empty());
        store.integrity_check().unwrap();
    }

    #[test]
    fn a_corrupted_file_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corrupt.sqlite");
        let mut store = Store::open(&path).unwrap();
        store.upsert_daily(&nifty()).unwrap();
        drop(store); // checkpoints the WAL into the main file
        let mut bytes = std::fs::read(&path).unwrap();
        let page = 4096;
        assert!(bytes.len() > 6 * page, "the store spans several pages");
        for b in &mut bytes[2 * page..5 * page] {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let outcome = Store::open(&path).and_then(|s| s.integrity_check().map(|()| s));
        match outcome {
            Err(StoreError::Corrupt { path: p, .. })
            | Err(StoreError::IntegrityFailed { path: p, .. }) => {
                assert_eq!(p, path)
            }
            other => panic!("expected a corruption error, got {other:?}"),
        }
    }

    #[test]
    fn a_writer_blocked_beyond_the_busy_timeout_gets_busy_and_can_retry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.sqlite");
        let mut store = Store::open(&path).unwrap();
        store.conn.busy_timeout(Duration::from_millis(50)).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let e = store.upsert_daily(&nifty()).unwrap_err();
        assert!(matches!(e, StoreError::Busy { .. }), "{e:?}");
        // Readers are not blocked by the writer (WAL).
        assert!(store.last_daily_date(Symbol::Nifty50).unwrap().is_none());
        other.execute_batch("COMMIT").unwrap();
        assert_eq!(store.upsert_daily(&nifty()).unwrap().inserted, 1236);
    }

    #[test]
    fn concurrent_opens_and_writes_do_not_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.sqlite");
        let barrier = std::sync::Barrier::new(Symbol::ALL.len());
        std::thread::scope(|scope| {
            for symbol in Symbol::ALL {
                let (path, barrier) = (&path, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    let mut store = Store::open(path).unwrap();
                    let bars = nifty().into_bars();
                    let s = Series::new(symbol, Interval::Daily, DataOrigin::Yahoo, bars).unwrap();
                    for chunk in s.bars().chunks(200) {
                        let part =
                            Series::new(symbol, Interval::Daily, DataOrigin::Yahoo, chunk.to_vec())
                                .unwrap();
                        store.upsert_daily(&part).unwrap();
                    }
                });
            }
        });
        let store = Store::open(&path).unwrap();
        store.integrity_check().unwrap();
        let cov = store.coverage().unwrap();
        assert_eq!(cov.len(), Symbol::ALL.len());
        assert!(cov.iter().all(|c| c.count == 1236), "{cov:?}");
        assert_eq!(
            pragma(&store, "user_version"),
            format!("Integer({SCHEMA_VERSION})")
        );
    }

    #[test]
    fn integrity_check_finds_hand_edited_invalid_data() {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_daily(&nifty()).unwrap();
        store.integrity_check().unwrap();
        // A partial bar in the middle of the series, and a simulated bar among market data.
        store
            .conn
            .execute_batch(
                "UPDATE daily_bars SET partial = 1 WHERE date = '2024-01-02';
                 UPDATE daily_bars SET origin = 'simulated' WHERE date = '2024-01-03';",
            )
            .unwrap();
        let e = store.integrity_check().unwrap_err();
        let StoreError::IntegrityFailed { problems, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("only the last bar may be partial"),
            "{problems:?}"
        );
        assert!(problems[1].contains("mixed"), "{problems:?}");
        assert!(matches!(
            store.daily(Symbol::Nifty50),
            Err(StoreError::InvalidStoredSeries { .. })
        ));
    }

    #[test]
    fn schema_has_every_table_and_the_aegis_application_id() {
        let store = Store::open_in_memory().unwrap();
        let tables: Vec<String> = store
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "chain_snapshots",
                "daily_bars",
                "fii_dii_activity",
                "intraday_bars",
                "metric_history",
                "models",
                "participant_oi",
                "payloads",
                "runs"
            ]
        );
        let app: Option<i64> = store
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .optional()
            .unwrap();
        assert_eq!(app, Some(schema::APPLICATION_ID));
    }
}
