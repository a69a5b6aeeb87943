//! Payloads per index, and the manifest that lists them.
//!
//! The primary index (NIFTY 50) keeps its documents at the root of the output directory, where
//! they have always been; every other index has the same documents in `indices/<CODE>/`
//! ([`index_dir`]). The manifest [`INDICES_FILE`] at the root lists each index a run was asked
//! for, with the state of its last run and of the payload on disk, so that a reader (the
//! dashboard's index selector) knows what exists and why something does not.
//!
//! ```
//! use std::path::Path;
//! use aegis_model::Symbol;
//! use aegis_payload::indices::{index_dir, relative_dir};
//!
//! assert_eq!(index_dir(Path::new("out"), Symbol::Nifty50), Path::new("out"));
//! assert_eq!(index_dir(Path::new("out"), Symbol::NiftyBank), Path::new("out/indices/NIFTYBANK"));
//! assert_eq!(relative_dir(Symbol::FinNifty), "indices/FINNIFTY/");
//! ```

use std::path::{Path, PathBuf};

use aegis_model::Symbol;
use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{PayloadError, write_file_atomic};

/// The index whose documents live at the root of the output directory.
pub const PRIMARY: Symbol = Symbol::Nifty50;
/// File name of the manifest, at the root of the output directory.
pub const INDICES_FILE: &str = "indices.json";
/// Directory, under the output directory, of the indices other than [`PRIMARY`].
pub const INDICES_DIR: &str = "indices";
/// Version of the manifest's shape.
pub const MANIFEST_VERSION: u32 = 1;

/// The indices with listed options that AegisMatrix can run, in display order.
pub const OPTION_INDICES: [Symbol; 4] = [
    Symbol::Nifty50,
    Symbol::NiftyBank,
    Symbol::FinNifty,
    Symbol::MidcapSelect,
];

/// Where an index's documents (payload, schema, toolkit, alerts) are written.
pub fn index_dir(out_dir: &Path, symbol: Symbol) -> PathBuf {
    if symbol == PRIMARY {
        out_dir.to_path_buf()
    } else {
        out_dir.join(INDICES_DIR).join(symbol.code())
    }
}

/// [`index_dir`] relative to the output directory, as a URL prefix: `""` for the primary index,
/// `"indices/<CODE>/"` otherwise.
pub fn relative_dir(symbol: Symbol) -> String {
    if symbol == PRIMARY {
        String::new()
    } else {
        format!("{INDICES_DIR}/{}/", symbol.code())
    }
}

/// How an index's last run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// A payload was written and every metric is available.
    Ok,
    /// A payload was written; some metric is unavailable.
    Degraded,
    /// The run failed: the payload on disk (if any) is the last good one.
    Failed,
}

/// The payload on disk for an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PayloadOnDisk {
    /// When it was generated.
    pub generated_at: DateTime<FixedOffset>,
    /// The time of the newest data it used.
    pub data_as_of: DateTime<FixedOffset>,
}

/// One index of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IndexEntry {
    /// The index.
    pub symbol: Symbol,
    /// Its display name (`NIFTY BANK`).
    pub name: String,
    /// Its documents' directory relative to the manifest (see [`relative_dir`]).
    pub dir: String,
    /// When its last run ended.
    pub last_run_at: DateTime<FixedOffset>,
    /// How its last run ended.
    pub state: RunState,
    /// A one-line summary of the last run, or why it failed and how to fix it.
    pub message: String,
    /// The payload on disk, if there is one (after a failed run: the last good one).
    pub payload: Option<PayloadOnDisk>,
}

/// The manifest ([`INDICES_FILE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AegisMatrix indices")]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] of the writer.
    pub manifest_version: u32,
    /// The index at the root of the output directory.
    pub primary: Symbol,
    /// The indices, in [`OPTION_INDICES`] order.
    pub indices: Vec<IndexEntry>,
}

impl Manifest {
    /// An empty manifest.
    pub fn new() -> Self {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            primary: PRIMARY,
            indices: Vec::new(),
        }
    }

    /// Adds or replaces the entry of its index, keeping [`OPTION_INDICES`] order.
    pub fn upsert(&mut self, entry: IndexEntry) {
        self.indices.retain(|e| e.symbol != entry.symbol);
        self.indices.push(entry);
        self.indices.sort_by_key(|e| {
            OPTION_INDICES
                .iter()
                .position(|s| *s == e.symbol)
                .unwrap_or(usize::MAX)
        });
    }

    /// The entry of an index.
    pub fn get(&self, symbol: Symbol) -> Option<&IndexEntry> {
        self.indices.iter().find(|e| e.symbol == symbol)
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest::new()
    }
}

/// Reads the manifest of an output directory: `Ok(None)` when there is none yet.
///
/// # Errors
/// [`PayloadError::Io`] when it cannot be read, [`PayloadError::Invalid`] when it is not a
/// manifest (a run rewrites it; delete it to start afresh).
pub fn read_manifest(out_dir: &Path) -> Result<Option<Manifest>, PayloadError> {
    let path = out_dir.join(INDICES_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PayloadError::Io {
                action: "reading",
                path,
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| PayloadError::Invalid { path, source })
}

/// Records the outcome of an index's run in the manifest and writes it atomically. An
/// unreadable manifest is replaced (it only summarises the runs; the payloads are untouched).
///
/// # Errors
/// [`PayloadError::Io`] when the manifest cannot be written.
pub fn record_run(out_dir: &Path, entry: IndexEntry) -> Result<Manifest, PayloadError> {
    let mut manifest = match read_manifest(out_dir) {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            tracing::warn!("replacing an unreadable index manifest: {e}");
            Manifest::new()
        }
    };
    manifest.upsert(entry);
    let text = serde_json::to_string_pretty(&manifest).expect("the manifest serialises") + "\n";
    write_file_atomic(&out_dir.join(INDICES_FILE), text.as_bytes())?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(symbol: Symbol, state: RunState) -> IndexEntry {
        let t = DateTime::parse_from_rfc3339("2025-11-28T13:55:00+05:30").unwrap();
        IndexEntry {
            symbol,
            name: symbol.display_name().to_string(),
            dir: relative_dir(symbol),
            last_run_at: t,
            state,
            message: "m".into(),
            payload: Some(PayloadOnDisk {
                generated_at: t,
                data_as_of: t,
            }),
        }
    }

    #[test]
    fn runs_update_their_own_entry_in_display_order() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_manifest(dir.path()).unwrap(), None);
        record_run(dir.path(), entry(Symbol::MidcapSelect, RunState::Ok)).unwrap();
        record_run(dir.path(), entry(Symbol::Nifty50, RunState::Degraded)).unwrap();
        let m = record_run(dir.path(), entry(Symbol::MidcapSelect, RunState::Failed)).unwrap();
        assert_eq!(read_manifest(dir.path()).unwrap().as_ref(), Some(&m));
        let order: Vec<_> = m.indices.iter().map(|e| (e.symbol, e.state)).collect();
        assert_eq!(
            order,
            [
                (Symbol::Nifty50, RunState::Degraded),
                (Symbol::MidcapSelect, RunState::Failed)
            ]
        );
        assert_eq!(
            m.get(Symbol::MidcapSelect).unwrap().dir,
            "indices/MIDCAPSELECT/"
        );
    }

    #[test]
    fn a_corrupt_manifest_is_an_error_to_read_and_replaced_by_a_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(INDICES_FILE), "{ nope").unwrap();
        let e = read_manifest(dir.path()).unwrap_err();
        assert!(e.to_string().contains(INDICES_FILE), "{e}");
        let m = record_run(dir.path(), entry(Symbol::NiftyBank, RunState::Ok)).unwrap();
        assert_eq!(m.indices.len(), 1);
        assert_eq!(read_manifest(dir.path()).unwrap(), Some(m));
    }
}
