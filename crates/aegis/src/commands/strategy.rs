//! `aegis strategy`: a strategy (legs from flags, or a preset) priced from the newest stored
//! chain and analysed: payoff, breakevens, maximum profit and loss, net premium, net greeks,
//! probability of profit and of touching each breakeven, from the volatility the user picks.

use std::fmt;
use std::path::Path;

use aegis_calendar::NseCalendar;
use aegis_model::{Metric, Symbol};
use aegis_store::Store;
use aegis_toolkit::{LegSpec, Preset, StrategyRequest, StrategyView, VolChoice};
use anyhow::{Result, bail};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::table::Table;

/// Options of `aegis strategy`.
#[derive(Debug, Clone)]
pub struct StrategyArgs {
    /// The index.
    pub symbol: Symbol,
    /// Use the newest snapshot at or before this time (default: the newest).
    pub at: Option<DateTime<FixedOffset>>,
    /// Legs (`sell:call:25500:2025-07-17:1`).
    pub legs: Vec<LegSpec>,
    /// A preset instead of legs.
    pub preset: Option<Preset>,
    /// The volatility of the probabilities.
    pub vol: VolChoice,
}

/// The analysis, printable.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyReport {
    /// The analysis with its provenance.
    pub analysis: Metric<StrategyView>,
}

/// Analyses the strategy; the payload in `out_dir` (if present) gives the safe range of the
/// short-strangle and iron-condor presets and the vol forecast.
pub fn run(
    store: &Store,
    calendar: &NseCalendar,
    out_dir: &Path,
    args: &StrategyArgs,
) -> Result<StrategyReport> {
    let request = match (&args.preset, args.legs.is_empty()) {
        (Some(_), false) => bail!("give either --preset or --leg, not both"),
        (Some(p), true) => StrategyRequest::Preset(*p),
        (None, false) => StrategyRequest::Legs(args.legs.clone()),
        (None, true) => bail!(
            "give the legs (--leg sell:call:25500:2025-07-17:1, repeatable) or a preset (--preset iron-condor)"
        ),
    };
    let payload_path =
        aegis_payload::indices::index_dir(out_dir, args.symbol).join(aegis_payload::PAYLOAD_FILE);
    let payload = match aegis_payload::read(&payload_path) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::info!("no payload for the safe range and forecast: {e}");
            None
        }
    };
    let analysis = aegis_toolkit::analyze_stored(
        store,
        args.symbol,
        args.at,
        &request,
        args.vol,
        payload.as_ref(),
        calendar,
    )?;
    Ok(StrategyReport { analysis })
}

impl fmt::Display for StrategyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(v) = &self.analysis.value else {
            return writeln!(f, "unavailable: {:?}", self.analysis.provenance.reason);
        };
        writeln!(
            f,
            "{} — chain of {}, nearest expiry {}, forward {:.2}, lot {}",
            v.name,
            self.analysis
                .provenance
                .as_of
                .map(|t| t.format("%Y-%m-%d %H:%M %:z").to_string())
                .unwrap_or_default(),
            v.nearest_expiry,
            v.forward,
            v.lot_size
        )?;
        let mut t = Table::new(&[
            "side", "kind", ">strike", "expiry", ">lots", ">premium", ">IV%",
        ]);
        for l in &v.legs {
            t.row([
                format!("{:?}", l.spec.side).to_lowercase(),
                format!("{:?}", l.spec.kind).to_lowercase(),
                format!("{:.0}", l.spec.strike),
                l.spec.expiry.to_string(),
                l.spec.lots.to_string(),
                format!("{:.2}", l.premium),
                l.iv_pct.map_or("-".into(), |x| format!("{x:.2}")),
            ]);
        }
        write!(f, "{}", t.render())?;
        writeln!(f, "legs: {}", v.legs_text)?;
        writeln!(
            f,
            "net premium: {} {:.2} points = ₹{:.0}",
            v.premium_flow,
            v.net_premium_points.abs(),
            v.net_premium_rupees.abs()
        )?;
        let extreme = |e: &aegis_toolkit::strategy::ExtremeView| {
            if e.unlimited {
                "unlimited".to_string()
            } else {
                format!(
                    "{:.2} points = ₹{:.0}",
                    e.points.unwrap_or(f64::NAN),
                    e.rupees.unwrap_or(f64::NAN)
                )
            }
        };
        writeln!(f, "max profit: {}", extreme(&v.max_profit))?;
        writeln!(f, "max loss:   {}", extreme(&v.max_loss))?;
        writeln!(f, "at expiry ({}):", v.method)?;
        for b in &v.breakevens {
            writeln!(
                f,
                "  breakeven {:.2} (touch probability before expiry {:.1}%)",
                b.level,
                b.touch_probability * 100.0
            )?;
        }
        writeln!(
            f,
            "probability of profit: {:.1}% (vol {} = {:.2}%, T = {:.4} y)",
            v.probability_of_profit * 100.0,
            v.vol_source,
            v.vol_pct,
            v.vol_years
        )?;
        let g = &v.greeks_rupees;
        writeln!(
            f,
            "net greeks (₹, position): delta {:.2}, gamma {:.5}, theta/day {:.2}, vega/vol-pt {:.2}",
            g.delta, g.gamma, g.theta_per_day, g.vega_per_point
        )?;
        Ok(())
    }
}
