//! One module per `aegis` subcommand. Each returns a report that implements `Display`;
//! the binary prints it and maps errors to exit codes (see [`crate::exit`]).

pub mod backtest;
pub mod chain;
pub mod data;
pub mod demo;
pub mod export;
pub mod fetch;
pub mod import;
pub mod run;
pub mod serve;
pub mod simulate;
pub mod strategy;
pub mod train;

use std::path::Path;

use aegis_store::Store;
use anyhow::{Context, Result};

/// Opens (creating if needed) the store at `path`, with a message that names the file.
pub fn open_store(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| format!("opening the store {}", path.display()))
}
