//! `aegis export --out DIR`: the dashboard as a static site (pages, assets, payload, schema,
//! history and model cards) for any static host.

use std::path::PathBuf;

use aegis_dashboard::ExportReport;
use anyhow::{Context, Result};

use crate::config::Config;

/// Options of `aegis export`.
#[derive(Debug, Clone)]
pub struct ExportArgs {
    /// Directory to write the site into.
    pub out: PathBuf,
}

/// Writes the static site.
pub fn run(cfg: &Config, args: &ExportArgs) -> Result<ExportReport> {
    aegis_dashboard::export(
        &args.out,
        &cfg.paths.out,
        &cfg.paths.store,
        &cfg.paths.models,
    )
    .with_context(|| format!("exporting the dashboard to {}", args.out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_without_a_payload_names_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::default();
        cfg.paths.out = dir.path().join("out");
        cfg.paths.store = dir.path().join("aegis.db");
        cfg.paths.models = dir.path().join("models");
        let err = run(
            &cfg,
            &ExportArgs {
                out: dir.path().join("site"),
            },
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("no payload at") && msg.contains("aegis run"),
            "{msg}"
        );
    }
}
