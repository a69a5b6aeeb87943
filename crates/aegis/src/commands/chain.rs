//! `aegis chain`: option-chain analytics (max pain, PCR, OI walls, parity forward, our own
//! smile, ATM and 25-delta vols, risk reversal, butterfly, straddle move) for a stored snapshot.

use std::fmt;

use aegis_model::time::{ist, ist_at};
use aegis_model::{Expiry, OptionChain, Symbol};
use aegis_quant::Years;
use aegis_quant::chain::{ChainConfig, ExpiryAnalytics, analyze_expiry};
use aegis_store::Store;
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::table::Table;

/// Options of `aegis chain`.
#[derive(Debug, Clone)]
pub struct ChainArgs {
    /// The index.
    pub symbol: Symbol,
    /// Use the newest snapshot at or before this time (default: the newest).
    pub at: Option<DateTime<FixedOffset>>,
    /// Only this expiry (default: every live expiry in the table, the nearest in detail).
    pub expiry: Option<Expiry>,
}

/// The analytics of one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    /// The index.
    pub symbol: Symbol,
    /// Snapshot time (IST).
    pub timestamp: DateTime<FixedOffset>,
    /// Underlying reported with the snapshot.
    pub underlying: f64,
    /// Where the snapshot came from.
    pub origin: String,
    /// One analysis per live expiry (or the chosen one), nearest first.
    pub expiries: Vec<ExpiryAnalytics>,
}

/// Years from `at` to 15:30 IST of the expiry day, in calendar days / 365; `None` once expired.
pub fn years_to_expiry(at: DateTime<FixedOffset>, expiry: Expiry) -> Option<Years> {
    let close = ist_at(expiry.date(), 15, 30);
    let secs = (close - at.to_utc()).num_seconds();
    (secs > 0).then(|| Years::from_calendar_days(secs as f64 / 86_400.0))
}

/// Analyses the live expiries of `chain` (or only `only`).
pub fn analyse(chain: &OptionChain, only: Option<Expiry>) -> Result<Vec<ExpiryAnalytics>> {
    let config = ChainConfig::default();
    let expiries: Vec<Expiry> = match only {
        Some(e) => {
            anyhow::ensure!(
                chain.expiries.contains(&e),
                "expiry {e} is not in the snapshot of {}; listed: {}",
                chain.timestamp.format("%Y-%m-%d %H:%M"),
                chain
                    .expiries
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            vec![e]
        }
        None => chain.expiries.clone(),
    };
    let mut out = Vec::new();
    for e in expiries {
        let Some(years) = years_to_expiry(chain.timestamp, e) else {
            if only.is_some() {
                return Err(anyhow!(
                    "expiry {e} had already expired at the snapshot time {}",
                    chain.timestamp
                ));
            }
            continue;
        };
        out.push(
            analyze_expiry(chain, e, years, &config)
                .with_context(|| format!("analysing expiry {e}"))?,
        );
    }
    Ok(out)
}

/// Loads the snapshot and analyses it.
pub fn run(store: &Store, args: &ChainArgs) -> Result<ChainReport> {
    let chain = store
        .latest_chain(args.symbol, args.at)?
        .ok_or_else(|| {
            anyhow!(
                "no {} option chain is stored{}: import one (`aegis import chain.json`) or fetch one (`aegis fetch --chain`)",
                args.symbol,
                args.at
                    .map(|t| format!(" at or before {}", t.with_timezone(&ist())))
                    .unwrap_or_default()
            )
        })?;
    let expiries = analyse(&chain, args.expiry)?;
    Ok(ChainReport {
        symbol: chain.symbol,
        timestamp: chain.timestamp,
        underlying: chain.underlying,
        origin: chain.origin.code().to_string(),
        expiries,
    })
}

/// The explorer tables of one snapshot (`aegis chain --strikes N`).
#[derive(Debug, Clone, Serialize)]
pub struct ExplorerReport {
    /// The index.
    pub symbol: Symbol,
    /// Snapshot time (IST).
    pub timestamp: DateTime<FixedOffset>,
    /// Underlying reported with the snapshot.
    pub underlying: f64,
    /// One table per live expiry (or the chosen one), nearest first.
    pub expiries: Vec<aegis_toolkit::ExpiryExplorer>,
}

/// Loads the snapshot and builds the explorer with `strikes` strikes each side of the money.
pub fn explorer(
    store: &Store,
    calendar: &aegis_calendar::NseCalendar,
    args: &ChainArgs,
    strikes: usize,
) -> Result<ExplorerReport> {
    let chain = store
        .latest_chain(args.symbol, args.at)?
        .ok_or_else(|| {
            anyhow!(
                "no {} option chain is stored: import one (`aegis import chain.json`) or fetch one (`aegis fetch --chain`)",
                args.symbol
            )
        })?;
    // Reuse the expiry checks of the analytics.
    let analysed = analyse(&chain, args.expiry)?;
    let mut expiries = Vec::with_capacity(analysed.len());
    for a in &analysed {
        let lot = calendar
            .try_contract_spec(chain.symbol, a.expiry)
            .ok()
            .map(|s| s.lot_size);
        expiries.push(
            aegis_toolkit::explore_chain(&chain, a.expiry, strikes, lot)
                .with_context(|| format!("exploring expiry {}", a.expiry))?,
        );
    }
    Ok(ExplorerReport {
        symbol: chain.symbol,
        timestamp: chain.timestamp,
        underlying: chain.underlying,
        expiries,
    })
}

impl fmt::Display for ExplorerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} option chain at {}, underlying {:.2}",
            self.symbol,
            self.timestamp.format("%Y-%m-%d %H:%M %:z"),
            self.underlying
        )?;
        let num = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |x| format!("{x:.p$}"));
        for e in &self.expiries {
            writeln!(
                f,
                "\nExpiry {} ({:.1} days, lot {}): forward {}, ATM {:.0}, ATM IV {}%, max pain {}, call wall {}, put wall {}, PCR {}",
                e.expiry,
                e.days_to_expiry,
                e.lot_size.map_or("?".into(), |l| l.to_string()),
                num(e.forward, 2),
                e.atm_strike,
                num(e.atm_iv_pct, 2),
                num(e.max_pain, 0),
                num(e.call_wall, 0),
                num(e.put_wall, 0),
                num(e.pcr_oi, 3),
            )?;
            let mut t = Table::new(&[
                ">C OI", ">C chgOI", ">C vol", ">C bid", ">C ask", ">C last", ">C IV%", ">C delta",
                ">C gamma", ">C theta", ">C vega", ">strike", "mark", ">P delta", ">P IV%",
                ">P last", ">P bid", ">P ask", ">P OI", ">P chgOI", ">P vol",
            ]);
            for r in &e.rows {
                let c = r.call.as_ref();
                let p = r.put.as_ref();
                let mut marks = Vec::new();
                if r.atm {
                    marks.push("ATM");
                }
                if r.max_pain {
                    marks.push("MP");
                }
                if r.call_wall {
                    marks.push("CW");
                }
                if r.put_wall {
                    marks.push("PW");
                }
                t.row([
                    num(c.map(|l| l.open_interest), 0),
                    num(c.map(|l| l.change_in_oi), 0),
                    num(c.map(|l| l.volume), 0),
                    num(c.and_then(|l| l.bid), 2),
                    num(c.and_then(|l| l.ask), 2),
                    num(c.and_then(|l| l.last_price), 2),
                    num(c.and_then(|l| l.iv_pct), 2),
                    num(c.and_then(|l| l.delta), 3),
                    num(c.and_then(|l| l.gamma), 5),
                    num(c.and_then(|l| l.theta_per_day), 2),
                    num(c.and_then(|l| l.vega_per_point), 2),
                    format!("{:.0}", r.strike),
                    marks.join(","),
                    num(p.and_then(|l| l.delta), 3),
                    num(p.and_then(|l| l.iv_pct), 2),
                    num(p.and_then(|l| l.last_price), 2),
                    num(p.and_then(|l| l.bid), 2),
                    num(p.and_then(|l| l.ask), 2),
                    num(p.map(|l| l.open_interest), 0),
                    num(p.map(|l| l.change_in_oi), 0),
                    num(p.map(|l| l.volume), 0),
                ]);
            }
            write!(f, "{}", t.render())?;
            writeln!(
                f,
                "marks: ATM = strike nearest the parity forward, MP = max pain, CW/PW = call/put OI wall; IV and greeks are ours (Black-76 on the parity forward), theta per calendar day, vega per vol point"
            )?;
            for n in &e.notes {
                writeln!(f, "  note: {n}")?;
            }
        }
        Ok(())
    }
}

fn opt<T, E>(r: &Result<T, E>, f: impl Fn(&T) -> String) -> String {
    r.as_ref().map(f).unwrap_or_else(|_| "n/a".to_string())
}

impl fmt::Display for ChainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} option chain at {} (origin {}), underlying {:.2}",
            self.symbol,
            self.timestamp.format("%Y-%m-%d %H:%M %:z"),
            self.origin,
            self.underlying
        )?;
        if self.expiries.is_empty() {
            return writeln!(f, "No live expiry in this snapshot.");
        }
        let mut t = Table::new(&[
            "expiry",
            ">days",
            ">max pain",
            "zone",
            ">PCR oi",
            ">PCR vol",
            ">call wall",
            ">put wall",
            ">forward",
            ">ATM IV%",
            ">RR25",
            ">BF25",
            ">straddle",
        ]);
        for a in &self.expiries {
            t.row([
                a.expiry.to_string(),
                format!("{:.1}", a.years * 365.0),
                opt(&a.max_pain, |m| format!("{:.0}", m.strike)),
                opt(&a.max_pain, |m| {
                    format!("{:.0}–{:.0}", m.zone_low, m.zone_high)
                }),
                opt(&a.put_call_ratios.by_open_interest, |x| format!("{x:.3}")),
                opt(&a.put_call_ratios.by_volume, |x| format!("{x:.3}")),
                opt(&a.call_wall, |w| format!("{:.0}", w.strike)),
                opt(&a.put_wall, |w| format!("{:.0}", w.strike)),
                opt(&a.forward, |p| format!("{:.2}", p.forward.0)),
                opt(&a.atm_iv, |x| format!("{:.2}", x.iv.0 * 100.0)),
                opt(&a.skew, |s| format!("{:+.2}", s.risk_reversal * 100.0)),
                opt(&a.skew, |s| format!("{:+.2}", s.butterfly * 100.0)),
                opt(&a.expected_move, |m| {
                    format!("{:.1} ({:.2}%)", m.straddle.0, m.percent_of_forward.0)
                }),
            ]);
        }
        write!(f, "{}", t.render())?;
        let near = &self.expiries[0];
        writeln!(f, "\nNearest expiry {} in detail:", near.expiry)?;
        let leaders = |v: &[aegis_quant::chain::OiChange]| {
            v.iter()
                .map(|c| format!("{:.0} ({:+.0})", c.strike, c.change_in_oi))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "  call OI change leaders: {}",
            leaders(&near.call_oi_changes)
        )?;
        writeln!(
            f,
            "  put OI change leaders:  {}",
            leaders(&near.put_oi_changes)
        )?;
        let q = &near.quotes;
        writeln!(
            f,
            "  quotes: {} legs, {} priced from mid, {} from last, {} with an IV, {} excluded ({})",
            q.legs,
            q.priced_from_mid,
            q.priced_from_last,
            q.with_iv,
            q.excluded.total(),
            serde_json::to_string(&q.excluded).unwrap_or_default()
        )?;
        for (name, why) in [
            ("max pain", near.max_pain.as_ref().err()),
            ("ATM IV", near.atm_iv.as_ref().err()),
            ("25-delta skew", near.skew.as_ref().err()),
            ("straddle", near.expected_move.as_ref().err()),
        ] {
            if let Some(why) = why {
                writeln!(f, "  {name} unavailable: {why}")?;
            }
        }
        Ok(())
    }
}
