//! The dashboard: HTTP server, embedded assets and static export.
//!
//! * [`serve`] / [`Server`] — an axum server on loopback (default `127.0.0.1:8080`) that serves
//!   the dashboard pages and their assets (embedded in the binary), the payload file (re-read
//!   when it changes, served from memory), its JSON Schema, metric history from the store,
//!   model cards from the model files, `/healthz` and `/metrics` (Prometheus);
//! * [`telemetry`] — the operational state a scheduler shares with the server;
//! * [`export`] — the same site written to a directory, for any static host.
//!
//! The browser code fetches its data by relative URLs that exist in both modes:
//! `data/payload.json`, `data/schema.json`, `data/history.json`, `data/models.json`,
//! `data/toolkit.json` and `data/alerts.json` for NIFTY 50; the same documents under
//! `data/indices/<CODE>/` for every other index; and `data/indices.json`, the manifest of the
//! indices a run was asked for (absent in older output directories: NIFTY 50 only). The
//! server also answers the `/api/*` routes. Every response carries a strict
//! Content-Security-Policy; nothing is ever loaded from a third party.

mod assets;
mod data;
mod error;
mod export;
mod http;
mod indices;
mod payload_cache;
pub mod telemetry;
mod toolkit_api;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use data::{HISTORY_METRICS, HistoryMetric};
pub use error::DashboardError;
pub use export::{ExportReport, export};
pub use http::{Server, serve, serve_with, shutdown_signal};
pub use telemetry::{JobOutcome, JobRecord, OpsStatus, Telemetry};

/// Address the server binds when none is given: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Seconds between the browser's automatic payload refreshes, unless configured.
pub const DEFAULT_REFRESH_SECS: u64 = 60;

/// What the server serves and where from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Address to listen on (port 0 picks a free port; see [`Server::local_addr`]).
    pub bind: SocketAddr,
    /// Directory holding the payload ([`aegis_payload::PAYLOAD_FILE`]).
    pub out_dir: PathBuf,
    /// The SQLite store, read for metric history.
    pub store_path: PathBuf,
    /// Directory of model files, read for the model report.
    pub models_dir: PathBuf,
    /// Seconds between the browser's automatic payload refreshes (at least 5).
    pub refresh_secs: u64,
    /// Limits of `/healthz`.
    pub health: HealthLimits,
}

/// Limits `/healthz` judges by (besides the payload's own staleness limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthLimits {
    /// A model trained longer ago than this many days makes the server `degraded`.
    pub max_model_age_days: i64,
    /// This many failed scheduled jobs in a row make the server `failing` (fewer: `degraded`).
    pub failing_after_failed_jobs: u32,
}

impl Default for HealthLimits {
    /// Models up to 30 days old; failing after 3 failed jobs in a row.
    fn default() -> Self {
        HealthLimits {
            max_model_age_days: 30,
            failing_after_failed_jobs: 3,
        }
    }
}

impl ServeConfig {
    /// A configuration with the default bind address and refresh interval.
    pub fn new(
        out_dir: impl Into<PathBuf>,
        store_path: impl Into<PathBuf>,
        models_dir: impl Into<PathBuf>,
    ) -> Self {
        ServeConfig {
            bind: DEFAULT_BIND
                .parse()
                .expect("the default bind address parses"),
            out_dir: out_dir.into(),
            store_path: store_path.into(),
            models_dir: models_dir.into(),
            refresh_secs: DEFAULT_REFRESH_SECS,
            health: HealthLimits::default(),
        }
    }
}
