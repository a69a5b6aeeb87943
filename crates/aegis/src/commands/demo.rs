//! `aegis demo`: the offline demo on a simulated market, in its own directory so that it never
//! mixes with market data: simulate (a fresh store), train every model on it, run the engines
//! once (payload in `<dir>/out`), and — unless `--no-serve` — serve the dashboard. Everything
//! derived from the simulator is marked `simulated`.

use std::fmt;
use std::path::{Path, PathBuf};

use aegis_calendar::NseCalendar;
use aegis_engines::EngineSettings;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::run::Summary;
use super::simulate::{self, SimulateArgs, SimulateReport};
use super::train::{self, TrainArgs, TrainSummary};
use crate::pipeline::{self, RunOptions, RunOutcome};

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
    /// The training.
    pub trained: TrainSummary,
    /// The engines' run.
    pub run: RunOutcome,
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
        write!(f, "{}", self.trained)?;
        writeln!(f)?;
        write!(f, "{}", Summary(&self.run))?;
        writeln!(
            f,
            "Inspect the data with: aegis --store {} data",
            self.paths.store.display()
        )?;
        writeln!(
            f,
            "Payload: {} (every metric marked simulated)",
            self.run.written.payload.display()
        )
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
    let mut store = super::open_store(&paths.store)?;
    let simulated = simulate::run(
        &mut store,
        cal,
        &SimulateArgs {
            seed: args.seed,
            years: 10,
            end: args.now,
            progress: args.progress,
        },
    )?;
    let trained = train::into_result(train::run(
        &mut store,
        &TrainArgs {
            models_dir: paths.models.clone(),
            model: None,
            now: args.now,
            progress: args.progress,
            threads: 2,
        },
    )?)?;
    drop(store);
    let run = pipeline::run_cycle(
        &RunOptions {
            store: paths.store.clone(),
            models_dir: paths.models.clone(),
            out_dir: paths.out.clone(),
            settings: args.settings,
            as_of: None,
            now: args.now,
            alerts: crate::alerts::AlertsConfig::default(),
        },
        cal,
    )
    .context("running the engines on the simulated market")?;
    Ok(DemoReport {
        paths,
        simulated,
        trained,
        run,
    })
}
