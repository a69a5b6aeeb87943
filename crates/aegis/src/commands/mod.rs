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

use aegis_model::Symbol;
use aegis_payload::indices::OPTION_INDICES;
use aegis_store::Store;
use anyhow::{Context, Result, bail};

use crate::config::Config;

/// Opens (creating if needed) the store at `path`, with a message that names the file.
pub fn open_store(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| format!("opening the store {}", path.display()))
}

/// The indices a command covers: the one given with `--index`, else `[indices] list`.
pub fn indices(cfg: &Config, one: Option<Symbol>) -> Result<Vec<Symbol>> {
    if let Some(s) = one {
        return Ok(vec![s]);
    }
    cfg.indices
        .list
        .iter()
        .map(|code| {
            let s: Symbol = code.parse().with_context(|| format!("indices.list entry `{code}`"))?;
            if !OPTION_INDICES.contains(&s) {
                bail!(
                    "indices.list entry `{code}` is not an index with listed options: use NIFTY50, NIFTYBANK, FINNIFTY or MIDCAPSELECT"
                );
            }
            Ok(s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::INDEX_CODES;

    #[test]
    fn the_configurable_codes_are_the_option_indices() {
        let codes: Vec<&str> = OPTION_INDICES.iter().map(|s| s.code()).collect();
        assert_eq!(codes, INDEX_CODES);
    }

    #[test]
    fn the_list_or_the_one_index_asked_for() {
        let mut cfg = Config::default();
        assert_eq!(indices(&cfg, None).unwrap(), OPTION_INDICES);
        assert_eq!(
            indices(&cfg, Some(Symbol::FinNifty)).unwrap(),
            [Symbol::FinNifty]
        );
        cfg.indices.list = vec!["NIFTYBANK".into(), "NIFTY50".into()];
        assert_eq!(
            indices(&cfg, None).unwrap(),
            [Symbol::NiftyBank, Symbol::Nifty50]
        );
        for bad in [
            vec![],
            vec!["SENSEX".to_string()],
            vec!["NIFTY50".into(), "NIFTY50".into()],
        ] {
            cfg.indices.list = bad.clone();
            assert!(cfg.check().is_err(), "{bad:?}");
        }
        cfg.indices.list = vec!["INDIAVIX".into()];
        let e = indices(&cfg, None).unwrap_err();
        assert!(format!("{e:#}").contains("listed options"), "{e:#}");
    }
}
