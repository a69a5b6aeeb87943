//! `aegis demo`: the offline demo on a simulated market, in its own directory so that it never
//! mixes with market data: simulate (a fresh store) NIFTY 50 and the other indices, train every
//! model of every index on it, run the engines once per index (payloads in `<dir>/out`, the
//! other indices in `<dir>/out/indices/<CODE>/`), and — unless `--no-serve` — serve the
//! dashboard with its index selector. Everything
//! derived from the simulator is marked `simulated`.

use std::fmt;
use std::path::{Path, PathBuf};

use aegis_calendar::NseCalendar;
use aegis_engines::EngineSettings;
use aegis_model::Symbol;
use aegis_payload::indices::PRIMARY;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::run::Summary;
use super::simulate::{self, SimulateArgs, SimulateReport};
use super::train::{self, TrainArgs, TrainSummary};
use crate::pipeline::{self, IndexRun, RunOptions, RunOutcome};

/// Options of `aegis demo`.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    /// Directory holding the demo's store, models and payload.
    pub dir: PathBuf,
    /// Simulator seed.
    pub seed: u64,
    /// The simulated "now".
    pub now: DateTime<Utc>,
    /// Show progress bars.
    pub progress: bool,
    /// Engine parameters of the run.
    pub settings: EngineSettings,
    /// The indices (NIFTY 50 always included).
    pub indices: Vec<Symbol>,
}

/// The demo's file layout.
#[derive(Debug, Clone)]
pub struct DemoPaths {
    /// The simulated store.
    pub store: PathBuf,
    /// Models trained on it.
    pub models: PathBuf,
    /// Payload output.
    pub out: PathBuf,
}

impl DemoPaths {
    /// The layout under `dir`.
    pub fn under(dir: &Path) -> Self {
        DemoPaths {
            store: dir.join("demo.db"),
            models: dir.join("models"),
            out: dir.join("out"),
        }
    }
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Where things are.
    pub paths: DemoPaths,
    /// The simulation.
    pub simulated: SimulateReport,
    /// The training of each index, NIFTY 50 first.
    pub trained: Vec<TrainSummary>,
    /// The engines' run of each index, NIFTY 50 first.
    pub runs: Vec<RunOutcome>,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Simulated market (demo mode; every number derived from it is marked simulated):"
        )?;
        write!(f, "{}", self.simulated)?;
        writeln!(f, "Store: {}", self.paths.store.display())?;
        writeln!(f)?;
        for t in &self.trained {
            write!(f, "{t}")?;
            writeln!(f)?;
        }
        for r in &self.runs {
            writeln!(f, "== {} ==", r.payload.market.symbol.display_name())?;
            write!(f, "{}", Summary(r))?;
        }
        writeln!(
            f,
            "Inspect the data with: aegis --store {} data",
            self.paths.store.display()
        )?;
        for r in &self.runs {
            writeln!(
                f,
                "Payload of {}: {} (every metric marked simulated)",
                r.payload.market.symbol.display_name(),
                r.written.payload.display()
            )?;
        }
        Ok(())
    }
}

/// Runs the demo.
pub fn run(args: &DemoArgs, cal: &NseCalendar) -> Result<DemoReport> {
    let paths = DemoPaths::under(&args.dir);
    // Each demo simulates a fresh market for its own "now": start from an empty store so
    // that two simulations never mix.
    for suffix in ["", "-wal", "-shm"] {
        let mut p = paths.store.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "removing the previous demo store {}",
                    PathBuf::from(p).display()
                )));
            }
        }
    }
    // The manifest lists the indices of this demo only.
    match std::fs::remove_file(paths.out.join(aegis_payload::indices::INDICES_FILE)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).context("removing the previous demo's index manifest"),
    }
    let mut indices = vec![PRIMARY];
    indices.extend(args.indices.iter().filter(|s| **s != PRIMARY));
    let mut store = super::open_store(&paths.store)?;
    let simulated = simulate::run(
        &mut store,
        cal,
        &SimulateArgs {
            seed: args.seed,
            years: 10,
            end: args.now,
            progress: args.progress,
            others: indices.clone(),
        },
    )?;
    let train_args = TrainArgs {
        symbol: PRIMARY,
        models_dir: paths.models.clone(),
        model: None,
        now: args.now,
        progress: args.progress,
        threads: 2,
    };
    let trained = train::run_indices(&mut store, &train_args, &indices, false)?
        .into_iter()
        .map(train::into_result)
        .collect::<Result<Vec<_>>>()?;
    drop(store);
    let base = RunOptions {
        symbol: PRIMARY,
        store: paths.store.clone(),
        models_dir: paths.models.clone(),
        out_dir: paths.out.clone(),
        settings: args.settings,
        as_of: None,
        now: args.now,
        alerts: crate::alerts::AlertsConfig::default(),
    };
    let runs = pipeline::run_indices(&base, &indices, cal)
        .into_iter()
        .map(|(symbol, outcome)| match outcome {
            IndexRun::Ran(r) => r.map(|o| *o).with_context(|| {
                format!(
                    "running the engines on the simulated {}",
                    symbol.display_name()
                )
            }),
            IndexRun::Skipped(why) => Err(anyhow::anyhow!(
                "the simulated {} was not run: {why}",
                symbol.display_name()
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DemoReport {
        paths,
        simulated,
        trained,
        runs,
    })
}
