//! The trader's toolkit of AegisMatrix, computed from stored data: a [`Toolkit`] document
//! (`toolkit.json`, written beside the payload by `aegis run`) with
//!
//! * the **chain explorer** per live expiry ([`explorer`]): strikes around the money with quotes,
//!   our IV and Black-76 greeks on the parity forward, OI, change in OI, volume; ATM, max pain and
//!   OI walls flagged; the IV smile;
//! * the **volatility history** ([`volhist`]): ATM IV per stored chain day and India VIX, IV rank
//!   and IV percentile over one year, 20-day realized vol and the payload's forecast;
//! * the **intraday chain series** of the latest session, per expiry ([`intraday`]);
//! * **gamma exposure** by strike and in total for each live expiry, and summed across the
//!   expiries with the ones left out named ([`gex`], convention and units stated);
//! * the **strategy presets** priced from the chain and analysed with
//!   [`aegis_quant::strategy::analyze`] ([`strategy`]; also used by `aegis strategy` and the
//!   dashboard's `/api/strategy`).
//!
//! Every block is an [`aegis_model::Metric`]: a value with its provenance, or `unavailable` with
//! the reason and the fix. Nothing is estimated when the data is missing.

mod error;
pub mod explorer;
pub mod gex;
pub mod intraday;
mod pricing;
pub mod strategy;
pub mod volhist;

use std::path::{Path, PathBuf};

use aegis_calendar::NseCalendar;
use aegis_model::time::{ist_at, to_ist};
use aegis_model::{DailySeries, Expiry, Metric, OptionChain, Provenance, Symbol};
use aegis_payload::Payload;
use aegis_store::{Store, StoreError};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use error::ToolkitError;
pub use explorer::{DEFAULT_STRIKES_EACH_SIDE, ExpiryExplorer};
pub use gex::{GammaExposure, GexEntry, GexLeftOut, GexTotal, GexTotalStrike};
pub use intraday::{IntradayChain, IntradayEntry, intraday_series};
pub use pricing::years_to_expiry;
pub use strategy::{LegSpec, Preset, StrategyDesk, StrategyView, VolChoice, VolInputs, parse_legs};
pub use volhist::{RankStats, VolPoint, rank_stats};

use crate::pricing::ExpiryContext;

/// Version of the document's shape.
pub const TOOLKIT_SCHEMA_VERSION: u32 = 2;
/// File name of the document, beside the payload.
pub const TOOLKIT_FILE: &str = "toolkit.json";
/// File name of the document's JSON Schema, written beside it.
pub const TOOLKIT_SCHEMA_FILE: &str = "toolkit.schema.json";
/// Daily returns of the realized vol beside the IV history.
pub const REALIZED_VOL_DAYS: usize = 20;

/// What the document is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChainInfo {
    /// Snapshot time (IST).
    pub timestamp: DateTime<FixedOffset>,
    /// Underlying reported with it.
    pub underlying: f64,
    /// `nse`, `csv_import`, `simulated`, ….
    pub origin: String,
    /// The live expiries, nearest first.
    pub expiries: Vec<Expiry>,
}

/// The explorer of one expiry with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExplorerEntry {
    /// The expiry.
    pub expiry: Expiry,
    /// Its table.
    pub table: Metric<ExpiryExplorer>,
}

/// A realized or forecast vol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VolFigure {
    /// Annualised, percent.
    pub pct: f64,
    /// What it is (window or model and horizon).
    pub basis: String,
}

/// The volatility history block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VolHistory {
    /// One point per stored chain day or VIX day in the last year, ascending.
    pub points: Vec<VolPoint>,
    /// Stored chain days in the window.
    pub chain_days: usize,
    /// Rank and percentile of the ATM IV.
    pub atm_iv_rank: Metric<RankStats>,
    /// Rank and percentile of India VIX.
    pub vix_rank: Metric<RankStats>,
    /// 20-day close-to-close realized vol of the index.
    pub realized_vol: Metric<VolFigure>,
    /// The payload's vol forecast to the nearest expiry.
    pub forecast: Metric<VolFigure>,
}

/// A strategy preset and its analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PresetEntry {
    /// Which preset.
    pub preset: Preset,
    /// Its display name.
    pub title: String,
    /// The analysis (probabilities from the ATM IV).
    pub analysis: Metric<StrategyView>,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AegisMatrix toolkit")]
pub struct Toolkit {
    /// [`TOOLKIT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When it was computed (IST).
    pub generated_at: DateTime<FixedOffset>,
    /// The index.
    pub symbol: Symbol,
    /// The chain snapshot everything is computed from.
    pub chain: Metric<ChainInfo>,
    /// Chain explorer per live expiry, nearest first.
    pub explorer: Vec<ExplorerEntry>,
    /// Volatility history.
    pub vol_history: Metric<VolHistory>,
    /// Intraday chain series of the latest session, one per live expiry in the order of
    /// `explorer` (empty without a chain).
    pub intraday: Vec<IntradayEntry>,
    /// Gamma exposure per live expiry, in the order of [`Toolkit::explorer`] (one entry each).
    pub gex: Vec<GexEntry>,
    /// Gamma exposure summed over the expiries of [`Toolkit::gex`] that have one.
    pub gex_total: Metric<GexTotal>,
    /// Strategy presets on the nearest expiry.
    pub strategies: Vec<PresetEntry>,
}

/// Tunables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToolkitConfig {
    /// Strikes each side of the ATM strike in the explorer.
    pub strikes_each_side: usize,
}

impl Default for ToolkitConfig {
    fn default() -> Self {
        ToolkitConfig {
            strikes_each_side: DEFAULT_STRIKES_EACH_SIDE,
        }
    }
}

/// The stored data the document is computed from.
#[derive(Debug, Clone, Default)]
pub struct ToolkitInputs {
    /// The newest chain at or before the as-of time.
    pub latest: Option<OptionChain>,
    /// The chains of the latest chain's IST day up to it.
    pub session: Vec<OptionChain>,
    /// The last chain of each IST day over the year to the latest chain.
    pub daily: Vec<OptionChain>,
    /// The index's daily bars up to the as-of date.
    pub nifty: Option<DailySeries>,
    /// India VIX daily bars up to the as-of date.
    pub vix: Option<DailySeries>,
    /// The payload of the same run (safe range, vol forecast).
    pub payload: Option<Payload>,
    /// The as-of time the inputs were read at: a chain from an earlier IST day is stale.
    pub as_of: Option<DateTime<Utc>>,
}

fn optional_daily(
    store: &Store,
    symbol: Symbol,
    until: NaiveDate,
) -> Result<Option<DailySeries>, StoreError> {
    match store.daily(symbol) {
        Ok(s) => Ok(Some(s.until(until))),
        Err(StoreError::NoData { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the inputs as they stood at `as_of` (no chain or bar after it).
pub fn read_inputs(
    store: &Store,
    symbol: Symbol,
    as_of: DateTime<Utc>,
    payload: Option<Payload>,
) -> Result<ToolkitInputs, ToolkitError> {
    let as_of_ist = to_ist(as_of);
    let latest = store.latest_chain(symbol, Some(as_of_ist))?;
    let (session, daily) = match &latest {
        Some(c) => {
            let day = c.timestamp.date_naive();
            let start = to_ist(ist_at(day, 0, 0));
            let session = store.chains_between(symbol, start, c.timestamp)?;
            let year_ago = c.timestamp - Duration::days(366);
            let daily = store.last_chain_per_day(symbol, year_ago, c.timestamp)?;
            (session, daily)
        }
        None => (Vec::new(), Vec::new()),
    };
    let date = as_of_ist.date_naive();
    Ok(ToolkitInputs {
        latest,
        session,
        daily,
        nifty: optional_daily(store, symbol, date)?,
        vix: optional_daily(store, Symbol::IndiaVix, date)?,
        payload,
        as_of: Some(as_of),
    })
}

fn chain_provenance(chain: &OptionChain) -> Provenance {
    let p = Provenance::chain(Some(chain.timestamp));
    if chain.origin.is_simulated() {
        p.simulated()
    } else {
        p
    }
}

fn unavailable<T>(
    method: Provenance,
    reason: impl Into<String>,
    fix: impl Into<String>,
) -> Metric<T> {
    Metric::unavailable(method.unavailable(reason, fix))
}

/// The payload's safe range `(lower, upper)` of the nearest expiry, if `expiry` is that expiry.
fn safe_range(payload: Option<&Payload>, expiry: Expiry) -> Option<(f64, f64)> {
    let e = payload?
        .seller
        .expiries
        .iter()
        .find(|e| e.expiry == expiry)?;
    e.safe_range.value.as_ref().map(|r| (r.lower, r.upper))
}

/// The payload's vol forecast (percent) to the nearest expiry.
fn forecast_pct(payload: Option<&Payload>) -> Option<(f64, Provenance)> {
    let trap = payload?.seller.expiries.first()?.trap.as_ref()?;
    trap.value
        .as_ref()
        .map(|t| (t.forecast_vol_pct, trap.provenance.clone()))
}

/// The last India VIX close (percent) on or before `date`.
fn vix_close(vix: Option<&DailySeries>, date: NaiveDate) -> Option<f64> {
    vix?.bars()
        .iter()
        .rev()
        .find(|b| b.key <= date)
        .map(|b| b.close)
}

/// Computes the document. Never fails: a block that cannot be computed is `unavailable`.
pub fn build(
    inputs: &ToolkitInputs,
    symbol: Symbol,
    calendar: &NseCalendar,
    config: &ToolkitConfig,
    now: DateTime<Utc>,
) -> Toolkit {
    let generated_at = to_ist(now);
    let no_chain = || -> Provenance { Provenance::chain(None) };
    let fix_chain = "store an option chain: `aegis fetch --chain` or `aegis import chain.json`";
    let Some(chain) = inputs.latest.as_ref() else {
        let reason = format!("no {symbol} option chain is stored");
        return Toolkit {
            schema_version: TOOLKIT_SCHEMA_VERSION,
            generated_at,
            symbol,
            chain: unavailable(no_chain(), reason.clone(), fix_chain),
            explorer: Vec::new(),
            vol_history: vol_history(inputs, None),
            intraday: Vec::new(),
            gex: Vec::new(),
            gex_total: unavailable(no_chain(), reason.clone(), fix_chain),
            strategies: Preset::ALL
                .iter()
                .map(|p| PresetEntry {
                    preset: *p,
                    title: p.title().into(),
                    analysis: unavailable(no_chain(), reason.clone(), fix_chain),
                })
                .collect(),
        };
    };
    let stale = inputs
        .as_of
        .map(to_ist)
        .filter(|a| a.date_naive() > chain.timestamp.date_naive())
        .map(|a| {
            format!(
                "the newest stored chain is from {}, before the as-of date {}",
                chain.timestamp.format("%Y-%m-%d %H:%M"),
                a.date_naive()
            )
        });
    let mark_stale = |p: Provenance| match &stale {
        Some(why) => p.stale(why.clone()),
        None => p,
    };
    let prov = mark_stale(chain_provenance(chain));
    let live: Vec<Expiry> = chain
        .expiries
        .iter()
        .copied()
        .filter(|e| years_to_expiry(chain.timestamp, *e).is_some())
        .collect();
    let lot = |e: Expiry| {
        calendar
            .try_contract_spec(chain.symbol, e)
            .map(|s| s.lot_size)
    };

    let contexts: Vec<(Expiry, Result<ExpiryContext, ToolkitError>)> = live
        .iter()
        .map(|&e| (e, ExpiryContext::new(chain, e)))
        .collect();
    let explorer = contexts
        .iter()
        .map(|(e, ctx)| ExplorerEntry {
            expiry: *e,
            table: match ctx {
                Ok(ctx) => Metric::ok(
                    explorer::explore(chain, ctx, config.strikes_each_side, lot(*e).ok()),
                    prov.clone(),
                ),
                Err(err) => {
                    unavailable(prov.clone(), err.to_string(), "use a newer chain snapshot")
                }
            },
        })
        .collect();

    let fix_quotes = "use a chain snapshot with quotes near the money";
    let gex: Vec<GexEntry> = contexts
        .iter()
        .map(|(e, ctx)| {
            let result = ctx.as_ref().map_err(|err| err.to_string()).and_then(|ctx| {
                let lot = lot(*e).map_err(|err| err.to_string())?;
                gex::gamma_exposure(chain, ctx, lot).map_err(|err| err.to_string())
            });
            GexEntry {
                expiry: *e,
                gex: match result {
                    Ok(g) => Metric::ok(g, prov.clone()),
                    Err(why) => unavailable(prov.clone(), why, fix_quotes),
                },
            }
        })
        .collect();
    let gex_total = if gex.is_empty() {
        unavailable(
            prov.clone(),
            "every expiry of the snapshot has expired",
            fix_chain,
        )
    } else {
        match gex::total_gamma_exposure(&gex) {
            Ok(t) => Metric::ok(t, prov.clone()),
            Err(err) => unavailable(prov.clone(), err.to_string(), fix_quotes),
        }
    };

    let intraday = live
        .iter()
        .map(|&e| {
            let series = intraday_series(&inputs.session, chain.timestamp.date_naive(), e);
            IntradayEntry {
                expiry: e,
                series: if series.points.len() < 2 {
                    unavailable(
                        prov.clone(),
                        format!(
                            "{} chain snapshot(s) stored on {} for expiry {e}; a series needs at least 2",
                            series.points.len(),
                            series.session_date
                        ),
                        "fetch the chain during the session (`aegis fetch --chain` every few minutes)",
                    )
                } else {
                    Metric::ok(series, prov.clone())
                },
            }
        })
        .collect();

    let forecast = forecast_pct(inputs.payload.as_ref());
    let vols = VolInputs {
        vix_pct: vix_close(inputs.vix.as_ref(), chain.timestamp.date_naive()),
        forecast_pct: forecast.as_ref().map(|f| f.0),
    };
    let desk = StrategyDesk::new(chain, calendar, vols);
    let range = live
        .first()
        .and_then(|e| safe_range(inputs.payload.as_ref(), *e));
    let strategies = Preset::ALL
        .iter()
        .map(|&p| {
            let analysis = desk
                .preset(p, range)
                .and_then(|legs| desk.analyze(p.title(), &legs, VolChoice::AtmIv));
            PresetEntry {
                preset: p,
                title: p.title().into(),
                analysis: match analysis {
                    Ok(v) => Metric::ok(
                        v,
                        mark_stale(Provenance::formula(Some(chain.timestamp)).pipe_sim(chain)),
                    ),
                    Err(e) => unavailable(
                        Provenance::formula(Some(chain.timestamp)),
                        e.to_string(),
                        "run `aegis run` with a stored chain",
                    ),
                },
            }
        })
        .collect();

    Toolkit {
        schema_version: TOOLKIT_SCHEMA_VERSION,
        generated_at,
        symbol,
        chain: Metric::ok(
            ChainInfo {
                timestamp: chain.timestamp,
                underlying: chain.underlying,
                origin: chain.origin.code().to_string(),
                expiries: live,
            },
            prov.clone(),
        ),
        explorer,
        vol_history: vol_history(inputs, Some(chain)),
        intraday,
        gex,
        gex_total,
        strategies,
    }
}

trait SimulatedMark {
    fn pipe_sim(self, chain: &OptionChain) -> Self;
}

impl SimulatedMark for Provenance {
    fn pipe_sim(self, chain: &OptionChain) -> Self {
        if chain.origin.is_simulated() {
            self.simulated()
        } else {
            self
        }
    }
}

fn vol_history(inputs: &ToolkitInputs, latest: Option<&OptionChain>) -> Metric<VolHistory> {
    let as_of = latest.map(|c| c.timestamp);
    let mut by_date: std::collections::BTreeMap<NaiveDate, VolPoint> = Default::default();
    let mut iv_series = Vec::new();
    let mut iv_notes = Vec::new();
    for chain in &inputs.daily {
        let date = chain.timestamp.date_naive();
        let iv = volhist::daily_atm_iv(chain);
        match &iv {
            Ok(v) => iv_series.push((date, *v)),
            Err(e) => iv_notes.push(format!("{date}: {e}")),
        }
        by_date.insert(
            date,
            VolPoint {
                date,
                atm_iv_pct: iv.ok(),
                vix_pct: None,
            },
        );
    }
    let last_date = latest
        .map(|c| c.timestamp.date_naive())
        .or_else(|| inputs.vix.as_ref().and_then(|v| v.last()).map(|b| b.key));
    let mut vix_series = Vec::new();
    if let (Some(vix), Some(last)) = (&inputs.vix, last_date) {
        let first = last - Duration::days(365);
        for b in vix.bars().iter().filter(|b| b.key > first && b.key <= last) {
            vix_series.push((b.key, b.close));
            by_date
                .entry(b.key)
                .or_insert(VolPoint {
                    date: b.key,
                    atm_iv_pct: None,
                    vix_pct: None,
                })
                .vix_pct = Some(b.close);
        }
    }
    let sim = inputs
        .vix
        .as_ref()
        .is_some_and(|v| v.origin().is_simulated())
        || latest.is_some_and(|c| c.origin.is_simulated());
    let mark = |p: Provenance| if sim { p.simulated() } else { p };
    let rank_metric =
        |series: &[(NaiveDate, f64)], prov: Provenance, fix: &str| match rank_stats(series) {
            Ok(r) => Metric::ok(r, mark(prov)),
            Err(why) => unavailable(prov, why, fix),
        };
    let atm_iv_rank = rank_metric(
        &iv_series,
        Provenance::chain(as_of),
        "store an option chain every session (`aegis fetch --chain`)",
    );
    let vix_as_of = vix_series.last().map(|(d, _)| to_ist(ist_at(*d, 15, 30)));
    let vix_rank = rank_metric(
        &vix_series,
        Provenance::formula(vix_as_of),
        "store India VIX daily bars (`aegis fetch --daily`)",
    );
    let realized_vol = match &inputs.nifty {
        Some(n) => {
            let closes = n.complete().closes();
            let as_of = n.complete().last().map(|b| to_ist(ist_at(b.key, 15, 30)));
            let prov = Provenance::formula(as_of);
            if closes.len() <= REALIZED_VOL_DAYS {
                unavailable(
                    prov,
                    format!(
                        "{} daily closes stored; {} are needed",
                        closes.len(),
                        REALIZED_VOL_DAYS + 1
                    ),
                    "store the index's daily bars (`aegis fetch --daily`)",
                )
            } else {
                let tail = &closes[closes.len() - REALIZED_VOL_DAYS - 1..];
                let returns: Vec<f64> = tail.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
                match aegis_quant::realized_vol(&returns) {
                    Ok(v) => Metric::ok(
                        VolFigure {
                            pct: v.0 * 100.0,
                            basis: format!(
                                "close-to-close, last {REALIZED_VOL_DAYS} daily returns, ×√252"
                            ),
                        },
                        mark(prov),
                    ),
                    Err(e) => unavailable(prov, e.to_string(), "check the stored daily bars"),
                }
            }
        }
        None => unavailable(
            Provenance::formula(None),
            "no daily bars of the index are stored",
            "store the index's daily bars (`aegis fetch --daily`)",
        ),
    };
    let forecast = match forecast_pct(inputs.payload.as_ref()) {
        Some((pct, prov)) => Metric::ok(
            VolFigure {
                pct,
                basis: "the payload's vol forecast to the nearest expiry (volatility-trap tile)"
                    .into(),
            },
            prov,
        ),
        None => unavailable(
            Provenance::model("vol_forecast", 1, None),
            "the payload has no vol forecast for the nearest expiry",
            "run `aegis run` with trained models",
        ),
    };
    let points: Vec<VolPoint> = by_date.into_values().collect();
    if points.is_empty() {
        return unavailable(
            Provenance::chain(as_of),
            "no stored chain day and no India VIX bar in the year",
            "store option chains and VIX bars (`aegis fetch --chain --daily`)",
        );
    }
    Metric::ok(
        VolHistory {
            chain_days: inputs.daily.len(),
            points,
            atm_iv_rank,
            vix_rank,
            realized_vol,
            forecast,
        },
        mark(Provenance::chain(as_of)),
    )
}

/// The explorer of `expiry` of `chain` with `each_side` strikes each side of the ATM strike.
pub fn explore_chain(
    chain: &OptionChain,
    expiry: Expiry,
    each_side: usize,
    lot_size: Option<u32>,
) -> Result<ExpiryExplorer, ToolkitError> {
    let ctx = ExpiryContext::new(chain, expiry)?;
    Ok(explorer::explore(chain, &ctx, each_side, lot_size))
}

/// The vols a strategy's probabilities may use besides the ATM IV: the last India VIX close on
/// or before `date`, and the payload's forecast to the nearest expiry.
pub fn vol_inputs(
    vix: Option<&DailySeries>,
    payload: Option<&Payload>,
    date: NaiveDate,
) -> VolInputs {
    VolInputs {
        vix_pct: vix_close(vix, date),
        forecast_pct: forecast_pct(payload).map(|f| f.0),
    }
}

/// What to analyse: explicit legs or a preset.
#[derive(Debug, Clone, PartialEq)]
pub enum StrategyRequest {
    /// Legs as given.
    Legs(Vec<LegSpec>),
    /// A preset on the nearest expiry.
    Preset(Preset),
}

/// Prices and analyses a strategy on the newest stored chain at or before `at` (any time when
/// `None`), for `aegis strategy` and the dashboard's `/api/strategy`.
pub fn analyze_stored(
    store: &Store,
    symbol: Symbol,
    at: Option<DateTime<FixedOffset>>,
    request: &StrategyRequest,
    vol: VolChoice,
    payload: Option<&Payload>,
    calendar: &NseCalendar,
) -> Result<Metric<StrategyView>, ToolkitError> {
    let chain = store.latest_chain(symbol, at)?.ok_or_else(|| {
        ToolkitError::unavailable(
            "option chain",
            format!("no {symbol} option chain is stored: `aegis fetch --chain` or `aegis import chain.json`"),
        )
    })?;
    let date = chain.timestamp.date_naive();
    let vix = optional_daily(store, Symbol::IndiaVix, date)?;
    let desk = StrategyDesk::new(&chain, calendar, vol_inputs(vix.as_ref(), payload, date));
    let (name, legs) = match request {
        StrategyRequest::Legs(legs) => ("Custom".to_string(), legs.clone()),
        StrategyRequest::Preset(p) => {
            let range = desk
                .nearest_expiry()
                .ok()
                .and_then(|e| safe_range(payload, e));
            (p.title().to_string(), desk.preset(*p, range)?)
        }
    };
    let view = desk.analyze(&name, &legs, vol)?;
    Ok(Metric::ok(
        view,
        Provenance::formula(Some(chain.timestamp)).pipe_sim(&chain),
    ))
}

/// The JSON Schema of [`Toolkit`].
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Toolkit)).expect("the schema serialises")
}

/// Writes `toolkit` to `dir/toolkit.json` and its schema to `dir/toolkit.schema.json`, each
/// atomically (temporary file, fsync, rename); the schema first, so a document on disk always
/// has the schema it was written against beside it.
pub fn write_atomic(dir: &Path, toolkit: &Toolkit) -> Result<PathBuf, ToolkitError> {
    let schema_text =
        serde_json::to_string_pretty(&schema()).expect("the schema serialises") + "\n";
    aegis_payload::write_file_atomic(&dir.join(TOOLKIT_SCHEMA_FILE), schema_text.as_bytes())?;
    let json = serde_json::to_string_pretty(toolkit).expect("the toolkit serialises") + "\n";
    let path = dir.join(TOOLKIT_FILE);
    aegis_payload::write_file_atomic(&path, json.as_bytes())?;
    Ok(path)
}

/// Reads the inputs, builds the document and writes it into `out_dir`, for `aegis run`.
/// A failure is logged and returned; it never touches the payload.
pub fn refresh(
    store: &Store,
    payload: &Payload,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &NseCalendar,
    out_dir: &Path,
) -> Option<PathBuf> {
    let symbol = payload.market.symbol;
    let result = read_inputs(store, symbol, as_of, Some(payload.clone())).and_then(|inputs| {
        let toolkit = build(&inputs, symbol, calendar, &ToolkitConfig::default(), now);
        write_atomic(out_dir, &toolkit)
    });
    match result {
        Ok(path) => Some(path),
        Err(e) => {
            tracing::warn!("the toolkit document was not written (the payload is unaffected): {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests;
