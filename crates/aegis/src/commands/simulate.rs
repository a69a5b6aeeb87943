//! `aegis simulate`: writes the seeded simulated market (NIFTY 50, VIX, 5-minute bars, option
//! chains, and the other indices derived from NIFTY's path) to the store. Everything it writes is marked `simulated`, and the store refuses to
//! mix it with market data, so use a separate store file for the demo.

use std::fmt;

use aegis_calendar::NseCalendar;
use aegis_model::Symbol;
use aegis_sim::{SimConfig, SimIndex, SimMarket, simulate, simulate_index};
use aegis_store::{InsertOutcome, Store};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};

/// Options of `aegis simulate`.
#[derive(Debug, Clone)]
pub struct SimulateArgs {
    /// Seed of the simulator (same seed and end → identical market).
    pub seed: u64,
    /// Years of daily history.
    pub years: u32,
    /// The simulated "now".
    pub end: DateTime<Utc>,
    /// Show a progress bar.
    pub progress: bool,
    /// Indices simulated besides NIFTY 50 (which is always simulated: the others move with it).
    pub others: Vec<Symbol>,
}

/// The report of a simulation.
#[derive(Debug, Clone)]
pub struct SimulateReport {
    /// The simulator's own summary (one paragraph per index).
    pub summary: String,
    /// Chains newly stored.
    pub chains_stored: usize,
    /// Bars newly stored or updated.
    pub bars_written: usize,
}

impl fmt::Display for SimulateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary.trim_end())?;
        writeln!(
            f,
            "stored: {} bars written, {} option-chain snapshots (all marked simulated)",
            self.bars_written, self.chains_stored
        )
    }
}

/// Simulates the market described by `args`.
pub fn market(args: &SimulateArgs, cal: &NseCalendar) -> Result<SimMarket> {
    let config = SimConfig {
        seed: args.seed,
        years: args.years,
        end: args.end,
        ..SimConfig::default()
    };
    simulate(&config, cal).context("simulating the demo market")
}

/// Simulates the other indices of `args` from the simulated NIFTY market.
pub fn other_indices(
    args: &SimulateArgs,
    nifty: &SimMarket,
    cal: &NseCalendar,
) -> Result<Vec<SimIndex>> {
    let config = SimConfig {
        seed: args.seed,
        years: args.years,
        end: args.end,
        ..SimConfig::default()
    };
    args.others
        .iter()
        .filter(|s| **s != Symbol::Nifty50)
        .map(|&s| {
            simulate_index(&config, nifty, s, cal)
                .with_context(|| format!("simulating {}", s.display_name()))
        })
        .collect()
}

/// Simulates and stores the market.
pub fn run(store: &mut Store, cal: &NseCalendar, args: &SimulateArgs) -> Result<SimulateReport> {
    let bar = if args.progress {
        ProgressBar::new(3)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:20}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message("simulating");
    let m = market(args, cal)?;
    let others = other_indices(args, &m, cal)?;
    bar.inc(1);
    bar.set_message("storing bars");
    let mut bars_written = 0;
    let dailies = [&m.nifty_daily, &m.vix_daily]
        .into_iter()
        .chain(others.iter().map(|o| &o.daily));
    for s in dailies {
        let u = store
            .upsert_daily(s)
            .with_context(|| format!("storing simulated {} daily bars", s.symbol()))?;
        bars_written += u.inserted + u.updated;
    }
    let intraday = [&m.nifty_5m, &m.vix_5m]
        .into_iter()
        .chain(others.iter().map(|o| &o.intraday_5m));
    for s in intraday {
        let u = store
            .upsert_intraday(s)
            .with_context(|| format!("storing simulated {} 5-minute bars", s.symbol()))?;
        bars_written += u.inserted + u.updated;
    }
    bar.inc(1);
    bar.set_message("storing chains");
    let mut chains_stored = 0;
    for c in m.chains.iter().chain(others.iter().flat_map(|o| &o.chains)) {
        if store.insert_chain(c).context("storing a simulated chain")? == InsertOutcome::Inserted {
            chains_stored += 1;
        }
    }
    bar.inc(1);
    bar.finish_and_clear();
    let mut summary = m.summary();
    for o in &others {
        summary.push('\n');
        summary.push_str(&o.summary());
    }
    Ok(SimulateReport {
        summary,
        chains_stored,
        bars_written,
    })
}
