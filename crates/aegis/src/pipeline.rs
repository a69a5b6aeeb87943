//! One cycle of the pipeline for one index: store → features → models → engines → payload.
//!
//! Each index runs on its own data and models and writes its own documents: NIFTY 50 at the
//! root of the output (and model) directory, the other indices in `indices/<CODE>/` (see
//! [`aegis_payload::indices`]); every cycle records its outcome in the manifest
//! `indices.json`. [`run_indices`] runs several indices one after the other.
//!
//! [`run_cycle`] reads the data as it stood at the as-of time (daily bars of the sessions closed
//! by then, 5-minute bars complete by then, the newest option chain stamped at or before it),
//! loads the models strictly (a broken model only affects its own metrics), runs the engines,
//! assembles the payload, records the run and its payload (with one history point per metric)
//! in the store, and only then writes the payload and its schema atomically (temporary file,
//! fsync, rename). Any error before the rename leaves the last good payload in place; a failure
//! is recorded in the store when the store can still be written.

use std::path::{Path, PathBuf};
use std::time::Instant;

use aegis_calendar::NseCalendar;
use aegis_engines::{EngineInputs, EngineSettings, MarketData};
use aegis_features::FeatureSet;
use aegis_ml::predictor::ModelSet;
use aegis_model::time::to_ist;
use aegis_model::{DataOrigin, Interval, IntradaySeries, Symbol};
use aegis_payload::indices::{IndexEntry, PayloadOnDisk, RunState, index_dir};
use aegis_payload::{Payload, Written};
use aegis_store::{RunRecord, RunStatus, Store, StoreError};
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};

use crate::exit;

/// Calendar days of 5-minute bars read before the as-of time: enough for today and the 20
/// earlier sessions of the intraday baseline, holidays included.
pub const INTRADAY_LOOKBACK_DAYS: i64 = 45;

/// What one cycle needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The index to compute.
    pub symbol: Symbol,
    /// The store.
    pub store: PathBuf,
    /// The model directory (the root: other indices' models are in `indices/<CODE>/`).
    pub models_dir: PathBuf,
    /// The output directory (the root: other indices' documents go to `indices/<CODE>/`).
    pub out_dir: PathBuf,
    /// Engine parameters.
    pub settings: EngineSettings,
    /// Run on the data as it stood then (default: now).
    pub as_of: Option<DateTime<Utc>>,
    /// The wall-clock time of the run (the payload's `generated_at`).
    pub now: DateTime<Utc>,
    /// Alert rules evaluated on the new payload (see [`crate::alerts`]).
    pub alerts: crate::alerts::AlertsConfig,
}

/// What a successful cycle produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// One line: metrics, unavailable and stale counts, data time.
    pub summary: String,
    /// The payload.
    pub payload: Payload,
    /// The files written.
    pub written: Written,
    /// The run's id in the store.
    pub run_id: i64,
    /// [`exit::OK`], or [`exit::DEGRADED`] when a metric is unavailable.
    pub exit_code: i32,
    /// Seconds spent, for the summary.
    pub seconds: f64,
    /// Alerts fired by this run, or why the alerts could not be evaluated (the run itself
    /// succeeded either way).
    pub alerts: Result<crate::alerts::AlertsOutcome, String>,
}

impl RunOptions {
    /// Where this index's payload, schema, toolkit and alert documents are written.
    pub fn index_out_dir(&self) -> PathBuf {
        index_dir(&self.out_dir, self.symbol)
    }

    /// Where this index's model files are read from.
    pub fn index_models_dir(&self) -> PathBuf {
        index_dir(&self.models_dir, self.symbol)
    }
}

/// Reads the data of an index's run from the store, as it stood at `as_of`.
pub fn read_market(store: &Store, symbol: Symbol, as_of: DateTime<Utc>) -> Result<MarketData> {
    let daily = |symbol: Symbol| {
        store.daily(symbol).with_context(|| {
            format!("reading {symbol} daily bars (import or fetch them first: aegis import <csv> or aegis fetch --daily --index {symbol})")
        })
    };
    let nifty = daily(symbol)?;
    let vix = daily(Symbol::IndiaVix)?;
    // The store keys bars by whole unix seconds.
    let whole = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
    let intraday = match store.intraday(
        symbol,
        Interval::FiveMinute,
        whole(as_of - Duration::days(INTRADAY_LOOKBACK_DAYS)),
        whole(as_of),
    ) {
        Ok(s) => s,
        Err(StoreError::NoData { .. }) => {
            IntradaySeries::empty(symbol, Interval::FiveMinute, DataOrigin::CsvImport)
        }
        Err(e) => return Err(e).with_context(|| format!("reading {symbol} 5-minute bars")),
    };
    let chain = store
        .latest_chain(symbol, Some(to_ist(as_of)))
        .with_context(|| format!("reading the newest {symbol} option chain"))?;
    Ok(MarketData {
        nifty,
        vix,
        intraday,
        chain,
    })
}

fn build(
    store: &Store,
    opts: &RunOptions,
    cal: &NseCalendar,
    models: &ModelSet,
) -> Result<Payload> {
    let as_of = opts.as_of.unwrap_or(opts.now);
    let data = read_market(store, opts.symbol, as_of)?;
    let inputs = EngineInputs::prepare(data, as_of, cal, models, opts.settings)?;
    let blocks = aegis_engines::run(&inputs);
    Ok(aegis_payload::assemble(blocks, &inputs, to_ist(opts.now)))
}

/// Records a failed run, if the store can be written; the failure to record is only logged.
fn record_failure(store: Option<&mut Store>, opts: &RunOptions, message: &str) {
    let Some(store) = store else { return };
    let record = RunRecord {
        symbol: opts.symbol,
        started_at: opts.now,
        finished_at: Some(Utc::now()),
        status: RunStatus::Failed,
        exit_code: Some(exit::RUN_FAILED),
        message: Some(message.to_string()),
        payload_sha256: None,
    };
    if let Err(e) = store.record_run(&record) {
        tracing::warn!("could not record the failed run in the store: {e}");
    }
}

/// Runs one cycle of `opts.symbol` (see the module documentation) and records its outcome in
/// the manifest. A failure to write the manifest is logged: the payload is what matters.
pub fn run_cycle(opts: &RunOptions, cal: &NseCalendar) -> Result<RunOutcome> {
    let result = cycle(opts, cal);
    let entry = manifest_entry(opts, &result);
    if let Err(e) = aegis_payload::indices::record_run(&opts.out_dir, entry) {
        tracing::warn!("the index manifest was not updated: {e}");
    }
    result
}

/// The manifest entry of a cycle's outcome; after a failure, the payload on disk (if any) is
/// described as the last good one.
fn manifest_entry(opts: &RunOptions, result: &Result<RunOutcome>) -> IndexEntry {
    let on_disk = |p: &Payload| PayloadOnDisk {
        generated_at: p.meta.generated_at,
        data_as_of: p.meta.data_as_of,
    };
    let (state, message, payload) = match result {
        Ok(o) => (
            if o.exit_code == exit::OK {
                RunState::Ok
            } else {
                RunState::Degraded
            },
            o.summary.clone(),
            Some(on_disk(&o.payload)),
        ),
        Err(e) => (
            RunState::Failed,
            format!("{e:#}"),
            aegis_payload::read(&payload_path(&opts.index_out_dir()))
                .ok()
                .map(|p| on_disk(&p)),
        ),
    };
    IndexEntry {
        symbol: opts.symbol,
        name: opts.symbol.display_name().to_string(),
        dir: aegis_payload::indices::relative_dir(opts.symbol),
        last_run_at: to_ist(opts.now),
        state,
        message,
        payload,
    }
}

/// Why `symbol` is skipped by the multi-index commands ([`run_indices`], `aegis train`, the
/// scheduler's retrain): `Some(reason)` for an index other than the primary one (NIFTY 50, which
/// always runs) that has no daily bar in the store.
pub fn skip_reason(store: &Store, symbol: Symbol) -> Result<Option<String>> {
    if symbol == aegis_payload::indices::PRIMARY {
        return Ok(None);
    }
    let has_data = store
        .last_daily_date(symbol)
        .with_context(|| format!("reading the {symbol} daily bars"))?
        .is_some();
    Ok((!has_data).then(|| {
        format!(
            "no {} daily bars in the store; fetch them with `aegis fetch --index {}` (or remove it from [indices] list)",
            symbol.display_name(),
            symbol.code()
        )
    }))
}

/// What [`run_indices`] did for one index.
#[derive(Debug)]
pub enum IndexRun {
    /// The cycle ran (successfully or not).
    Ran(Result<Box<RunOutcome>>),
    /// The store has no daily bar of the index: nothing was run or written.
    Skipped(String),
}

/// Runs every index of `symbols` in turn with `base`'s settings. The primary index (NIFTY 50)
/// always runs; another index with no daily bar in the store is skipped with the reason.
pub fn run_indices(
    base: &RunOptions,
    symbols: &[Symbol],
    cal: &NseCalendar,
) -> Vec<(Symbol, IndexRun)> {
    symbols
        .iter()
        .map(|&symbol| {
            let opts = RunOptions {
                symbol,
                ..base.clone()
            };
            let skip = Store::open(&opts.store)
                .with_context(|| format!("opening the store {}", opts.store.display()))
                .and_then(|store| skip_reason(&store, symbol));
            match skip {
                Ok(Some(why)) => return (symbol, IndexRun::Skipped(why)),
                Ok(None) => {}
                Err(e) => return (symbol, IndexRun::Ran(Err(e))),
            }
            (symbol, IndexRun::Ran(run_cycle(&opts, cal).map(Box::new)))
        })
        .collect()
}

fn cycle(opts: &RunOptions, cal: &NseCalendar) -> Result<RunOutcome> {
    let started = Instant::now();
    let mut store = Store::open(&opts.store)
        .with_context(|| format!("opening the store {}", opts.store.display()))?;
    let models = ModelSet::load(&opts.index_models_dir(), &FeatureSet::standard());
    let payload = match build(&store, opts, cal, &models) {
        Ok(p) => p,
        Err(e) => {
            record_failure(Some(&mut store), opts, &format!("{e:#}"));
            return Err(e);
        }
    };
    let json = aegis_payload::to_json(&payload);
    let degraded = aegis_payload::has_unavailable(&payload);
    let exit_code = if degraded { exit::DEGRADED } else { exit::OK };
    let health = &payload.meta.health;
    let points = aegis_payload::metric_points(&payload);
    let message = format!(
        "{} metrics; {} unavailable, {} stale; data as of {}",
        points.len(),
        health.unavailable.len(),
        health.stale.len(),
        payload.meta.data_as_of.format("%Y-%m-%d %H:%M IST")
    );
    let record = RunRecord {
        symbol: opts.symbol,
        started_at: opts.now,
        finished_at: Some(Utc::now()),
        status: if degraded {
            RunStatus::Unavailable
        } else {
            RunStatus::Ok
        },
        exit_code: Some(exit_code),
        message: Some(message.clone()),
        payload_sha256: Some(aegis_ml::sha256::digest_hex(json.as_bytes())),
    };
    let run_id = store
        .record_run(&record)
        .context("recording the run in the store")?;
    store
        .store_payload(
            run_id,
            opts.now,
            payload.meta.data_as_of.with_timezone(&Utc),
            &json,
            &points,
        )
        .context("storing the payload and its metric history")?;
    let out_dir = opts.index_out_dir();
    let written = match aegis_payload::write_atomic(&out_dir, &payload) {
        Ok(w) => w,
        Err(e) => {
            record_failure(
                Some(&mut store),
                opts,
                &format!("writing the payload of run {run_id}: {e}"),
            );
            return Err(e).context("writing the payload");
        }
    };
    // The toolkit document (toolkit.json) beside the payload: a failure is logged, never fatal.
    aegis_toolkit::refresh(
        &store,
        &payload,
        opts.as_of.unwrap_or(opts.now),
        opts.now,
        cal,
        &out_dir,
    );
    let alerts = serde_json::to_value(&payload)
        .context("serialising the payload for the alerts")
        .and_then(|v| crate::alerts::after_run(&opts.alerts, &out_dir, &v, to_ist(opts.now)))
        .map_err(|e| {
            tracing::warn!("alerts not evaluated: {e:#}");
            format!("{e:#}")
        });
    Ok(RunOutcome {
        summary: message,
        payload,
        written,
        run_id,
        exit_code,
        seconds: started.elapsed().as_secs_f64(),
        alerts,
    })
}

/// The payload file of an output directory.
pub fn payload_path(out_dir: &Path) -> PathBuf {
    out_dir.join(aegis_payload::PAYLOAD_FILE)
}
