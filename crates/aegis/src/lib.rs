//! The `aegis` application: configuration and the commands that drive the pipeline
//! (sources → store → features → models → engines → payload → dashboard).
//!
//! The binary (`src/main.rs`) parses the command line and calls one function of
//! [`commands`] per subcommand; everything here is also usable from tests.

pub mod alerts;
pub mod commands;
pub mod config;
pub mod exit;
pub mod pipeline;
pub mod scheduler;
pub mod table;
