//! Typed store errors. Each names the database file and says what to do.

use std::path::{Path, PathBuf};

use aegis_model::{BarError, ChainError, DataOrigin, Interval, Symbol};
use rusqlite::ErrorCode;

/// Everything that can go wrong in the store. A failed write never leaves a partial change
/// behind: every write runs in one transaction that is rolled back on any error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The parent directory of a new store file could not be created.
    #[error(
        "cannot create the directory {dir} for the store {path}: {source}; fix: check the path and its permissions, or choose another file with --store"
    )]
    CreateDir {
        /// The store file.
        path: PathBuf,
        /// The directory that could not be created.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// SQLite could not open or create the file.
    #[error(
        "cannot open the store {path}: {source}; fix: check that the path is a file you may read and write, or choose another file with --store"
    )]
    CannotOpen {
        /// The store file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The file exists but is not an SQLite database (`SQLITE_NOTADB`).
    #[error(
        "{path} is not an SQLite database, so it cannot be an aegis store; fix: point --store at the aegis store file, or move this file away so that a new store is created"
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file is an SQLite database written by something else.
    #[error(
        "{path} is an SQLite database but not an aegis store ({detail}); fix: choose another file with --store"
    )]
    ForeignDatabase {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        detail: String,
    },
    /// The database file is damaged (`SQLITE_CORRUPT`).
    #[error(
        "the store {path} is corrupt ({detail}); fix: restore it from a backup, or move it away and rebuild it with `aegis fetch` / `aegis import`"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's description.
        detail: String,
    },
    /// The disk (or the configured size limit) is full (`SQLITE_FULL`).
    #[error(
        "the store {path} could not grow: the disk is full; nothing was written; fix: free disk space and retry"
    )]
    DiskFull {
        /// The file.
        path: PathBuf,
    },
    /// The file or its directory cannot be written (`SQLITE_READONLY`).
    #[error(
        "the store {path} is read-only; nothing was written; fix: make the file and its directory writable, or run a command that only reads"
    )]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// Another connection held the write lock for longer than the busy timeout (`SQLITE_BUSY`).
    #[error(
        "the store {path} is locked by another writer; nothing was written; fix: wait for the other aegis process to finish, then retry"
    )]
    Busy {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer aegis with a schema this build does not know.
    #[error(
        "the store {path} has schema version {found}, newer than the {supported} this aegis build knows; fix: upgrade aegis, or use another store file with --store"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build can read and write.
        supported: u32,
    },
    /// A read-only open of a store whose schema is older than this build's.
    #[error(
        "the store {path} has schema version {found} but this aegis needs {required}, and it was opened read-only; fix: run a writing aegis command (e.g. `aegis fetch`) once to migrate it"
    )]
    NeedsMigration {
        /// The file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The version this build uses.
        required: u32,
    },
    /// Simulated and market data would end up in the same store.
    #[error(
        "refusing to store {incoming:?} {what} of {symbol} in {path}: it already holds {stored:?} {stored_what} of {stored_symbol}, and simulated and market data must never mix; fix: use a separate store file for the demo: --store <other file>"
    )]
    MixedOrigin {
        /// The file.
        path: PathBuf,
        /// The symbol being written.
        symbol: Symbol,
        /// What was being written (`daily bars`, `5m bars`, `option chain`).
        what: String,
        /// Origin of the data being written.
        incoming: DataOrigin,
        /// Origin of conflicting data already stored.
        stored: DataOrigin,
        /// What the conflicting stored data is.
        stored_what: String,
        /// Symbol of the conflicting stored data.
        stored_symbol: Symbol,
    },
    /// A series whose interval does not fit the table it is written to.
    #[error(
        "a {table} series of {symbol} cannot have interval {interval}; fix: build daily series with interval 1d and intraday series with an intraday interval"
    )]
    WrongInterval {
        /// The symbol.
        symbol: Symbol,
        /// The interval found.
        interval: Interval,
        /// `daily` or `intraday`.
        table: &'static str,
    },
    /// A value the store cannot keep exactly (sub-second timestamp, year out of range, NaN metric, …).
    #[error("cannot store {what}: {reason}; fix: {fix}")]
    InvalidInput {
        /// What was being stored.
        what: String,
        /// The rule broken.
        reason: String,
        /// What to do.
        fix: String,
    },
    /// An option chain that fails [`aegis_model::OptionChain::new`]'s checks.
    #[error(
        "refusing to store the {symbol} option chain of {timestamp}: {source}; fix: re-fetch or re-import the chain"
    )]
    InvalidChain {
        /// The chain's symbol.
        symbol: Symbol,
        /// The chain's timestamp (RFC 3339).
        timestamp: String,
        /// The rule broken.
        source: ChainError,
    },
    /// A read asked for a series the store has no bar of.
    #[error(
        "the store {path} has no {interval} bars of {symbol}; fix: run `aegis fetch` or `aegis import` for {symbol}"
    )]
    NoData {
        /// The file.
        path: PathBuf,
        /// The symbol asked for.
        symbol: Symbol,
        /// The interval asked for.
        interval: Interval,
    },
    /// A payload or metric refers to a run id that was never recorded.
    #[error(
        "the store {path} has no run {run_id}; fix: record the run with `record_run` first and use the id it returns"
    )]
    UnknownRun {
        /// The file.
        path: PathBuf,
        /// The missing run id.
        run_id: i64,
    },
    /// A second payload for the same run, or a metric named twice in one payload.
    #[error("the store {path} already holds {what}; fix: {fix}")]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// What is duplicated.
        what: String,
        /// What to do.
        fix: String,
    },
    /// A stored series that is no longer valid (someone edited the database).
    #[error(
        "the stored {interval} series of {symbol} in {path} is invalid: {source}; fix: run `aegis doctor`, then re-import the symbol"
    )]
    InvalidStoredSeries {
        /// The file.
        path: PathBuf,
        /// The symbol.
        symbol: Symbol,
        /// The interval.
        interval: Interval,
        /// The rule broken.
        source: BarError,
    },
    /// A stored value that cannot be decoded.
    #[error(
        "the store {path} holds an unreadable value in {table}: {detail}; fix: run `aegis doctor`; restore the file from a backup or rebuild it"
    )]
    BadStoredValue {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// [`crate::Store::integrity_check`] found problems.
    #[error(
        "the store {path} failed its integrity check: {}; fix: restore it from a backup, or move it away and rebuild it with `aegis fetch` / `aegis import`",
        problems.join("; ")
    )]
    IntegrityFailed {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Any other SQLite failure.
    #[error("store {path}: {context} failed: {source}; fix: run `aegis doctor`")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What the store was doing.
        context: String,
        /// The SQLite error.
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Maps a SQLite error to a typed variant: `SQLITE_NOTADB`, `SQLITE_CORRUPT`, `SQLITE_FULL`,
    /// `SQLITE_READONLY` and `SQLITE_BUSY` each get their own variant.
    pub(crate) fn from_sqlite(path: &Path, context: &str, e: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy { path },
            Some(ErrorCode::CannotOpen) => StoreError::CannotOpen { path, source: e },
            _ => StoreError::Sqlite {
                path,
                context: context.to_string(),
                source: e,
            },
        }
    }
}

/// Attaches the file and the operation to a rusqlite result.
pub(crate) trait SqlContext<T> {
    /// Maps the error with [`StoreError::from_sqlite`].
    fn ctx(self, path: &Path, context: &str) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn ctx(self, path: &Path, context: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::from_sqlite(path, context, e))
    }
}
