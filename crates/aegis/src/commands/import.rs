//! `aegis import`: CSV bars (Yahoo export or NSE index history) and saved NSE option-chain JSON.
//!
//! Every file is parsed and validated before anything is written: one bad file refuses the
//! whole import and the store is left exactly as it was.

use std::fmt;
use std::path::{Path, PathBuf};

use aegis_model::{Interval, OptionChain, Symbol};
use aegis_sources::csv::{CsvImport, ImportOptions, Imported, import_path_with};
use aegis_sources::nse::import_chain_path;
use aegis_store::{InsertOutcome, Store, UpsertSummary};
use anyhow::{Context, Result};

/// Options of `aegis import`.
#[derive(Debug, Clone, Default)]
pub struct ImportArgs {
    /// Files to import (`.csv` bars or `.json` chains).
    pub files: Vec<PathBuf>,
    /// The symbol, when it cannot be guessed from the file name.
    pub symbol: Option<Symbol>,
    /// The bar interval, when it should not be detected.
    pub interval: Option<Interval>,
    /// Skip (and count) rows whose prices are all `null`.
    pub skip_null_rows: bool,
}

enum Parsed {
    Bars(CsvImport),
    Chain(Box<OptionChain>),
}

/// What one file contributed.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The file.
    pub file: PathBuf,
    /// One-line description of what it held.
    pub what: String,
    /// What the store did with it.
    pub result: String,
}

/// The report of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// One entry per file, in the order given.
    pub files: Vec<FileOutcome>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.files {
            writeln!(f, "{}: {} → {}", o.file.display(), o.what, o.result)?;
        }
        Ok(())
    }
}

fn parse(path: &Path, args: &ImportArgs) -> Result<Parsed> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let chain = import_chain_path(path)
            .with_context(|| format!("refused {}: no data was imported", path.display()))?;
        Ok(Parsed::Chain(Box::new(chain)))
    } else {
        let opts = ImportOptions {
            symbol: args.symbol,
            interval: args.interval,
            skip_null_rows: args.skip_null_rows,
        };
        let imported = import_path_with(path, &opts)
            .with_context(|| format!("refused {}: no data was imported", path.display()))?;
        Ok(Parsed::Bars(imported))
    }
}

fn describe_upsert(s: &UpsertSummary) -> String {
    let mut out = format!(
        "{} new, {} updated, {} unchanged",
        s.inserted, s.updated, s.unchanged
    );
    if s.skipped_partial > 0 {
        out.push_str(&format!(
            ", {} partial bar(s) skipped (a complete bar is stored)",
            s.skipped_partial
        ));
    }
    if s.dropped_partial > 0 {
        out.push_str(&format!(
            ", {} stored partial bar(s) replaced by later data",
            s.dropped_partial
        ));
    }
    out
}

/// Parses every file, then writes them to `store`.
pub fn run(store: &mut Store, args: &ImportArgs) -> Result<ImportReport> {
    anyhow::ensure!(
        !args.files.is_empty(),
        "no files given: try `aegis import ../shared/data/nifty50_daily_yahoo.csv`"
    );
    let parsed: Vec<(PathBuf, Parsed)> = args
        .files
        .iter()
        .map(|p| parse(p, args).map(|x| (p.clone(), x)))
        .collect::<Result<_>>()?;
    let mut report = ImportReport::default();
    for (file, item) in parsed {
        let outcome = match item {
            Parsed::Bars(imp) => {
                let s = &imp.summary;
                let mut what = format!(
                    "{} {} bars of {} ({})",
                    imp.series.len(),
                    s.interval,
                    s.symbol,
                    s.format
                );
                if let Some(reason) = &s.partial_last {
                    what.push_str(&format!("; last bar marked partial: {reason}"));
                }
                if !s.skipped.is_empty() {
                    what.push_str(&format!("; {} row(s) skipped", s.skipped.len()));
                }
                let summary = match &imp.series {
                    Imported::Daily(series) => store.upsert_daily(series),
                    Imported::Intraday(series) => store.upsert_intraday(series),
                }
                .with_context(|| format!("storing {}", file.display()))?;
                FileOutcome {
                    file,
                    what,
                    result: describe_upsert(&summary),
                }
            }
            Parsed::Chain(chain) => {
                let what = format!(
                    "{} option chain at {} ({} rows, {} expiries, underlying {:.2})",
                    chain.symbol,
                    chain.timestamp.format("%Y-%m-%d %H:%M %:z"),
                    chain.rows.len(),
                    chain.expiries.len(),
                    chain.underlying
                );
                let outcome = store
                    .insert_chain(&chain)
                    .with_context(|| format!("storing {}", file.display()))?;
                let result = match outcome {
                    InsertOutcome::Inserted => "stored".to_string(),
                    InsertOutcome::AlreadyPresent => "already stored".to_string(),
                    InsertOutcome::KeptEarlier => {
                        "a different snapshot with the same time is already stored; kept that one"
                            .to_string()
                    }
                };
                FileOutcome { file, what, result }
            }
        };
        report.files.push(outcome);
    }
    Ok(report)
}
