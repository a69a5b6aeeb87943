//! The dashboard's errors: each names the cause and the fix.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server could not start or the export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The listening socket could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; another program may be using the port — choose another with --bind (e.g. --bind 127.0.0.1:8081)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime or the server loop failed.
    #[error("the dashboard server failed: {0}; check the log above and start it again")]
    Server(#[source] std::io::Error),
    /// A configuration value is out of range.
    #[error("{what} is {value}: {rule}")]
    Config {
        /// The setting.
        what: &'static str,
        /// Its value.
        value: String,
        /// The rule it breaks and the fix.
        rule: &'static str,
    },
    /// A file of the export could not be written.
    #[error(
        "{action} {path}: {source}; check that the directory is writable and the disk is not full"
    )]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The payload to export is missing or invalid.
    #[error("cannot export the dashboard: {cause}; {fix}")]
    Payload {
        /// What is wrong with the payload.
        cause: String,
        /// What to do.
        fix: String,
    },
}
