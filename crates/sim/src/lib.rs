//! Seeded, deterministic simulated market (index, VIX, 5-minute bars, option chains) for offline demo mode.
//!
//! [`simulate`] produces, for a [`SimConfig`] and the NSE calendar:
//!
//! * years of daily NIFTY-like bars on the NSE trading days (special sessions included) from an
//!   EGARCH(1,1) with leverage, Student-t innovations and mostly-negative jumps that raise the
//!   variance (clustered, fat-tailed returns, spells of high vol after falls), with an overnight gap
//!   at every open and a drift calibrated to end near [`SimConfig::end_level`];
//! * an India-VIX-like series: the model's expected 30-day volatility times a variance risk premium,
//!   with persistent noise, so it sits above subsequently realised vol most days and moves against the
//!   index; Open = previous close, as NSE defines it;
//! * 5-minute bars for the most recent sessions (09:15–15:25 IST bar starts, stored as UTC) with
//!   the U-shaped intraday volatility of NSE, cut from the same one-minute path as the daily bars, so
//!   daily open/close equal the first open/last close and daily high/low the extremes of the bars;
//! * option chains (end of day for recent sessions, and through the latest session) for the expiries
//!   NSE lists, priced by Black-76 off a skewed smile, with a book on the 0.05 tick and an
//!   open-interest profile (see the `chain` module documentation in the source).
//!
//! [`simulate_index`] derives NIFTY BANK, FINNIFTY and NIFTY MIDCAP SELECT from such a market (the
//! same dates, sessions and snapshot times; returns `α + β·NIFTY's + idiosyncratic noise`, per
//! minute; option chains with the index's own expiries, lot sizes and strike steps from the
//! calendar), so the indices move together like the real ones.
//!
//! Everything carries [`DataOrigin::Simulated`]. Same seed and
//! configuration → bit-identical output (integer PRNG, xoshiro256**; floating point from `std` only).
//!
//! If [`SimConfig::end`] falls inside a session, the last daily bar is partial (OHLC of the
//! completed 5-minute bars), the 5-minute bars stop at the last complete one, and the chains stop
//! there too; the rest of the window does not depend on where in the session `end` falls.
//!
//! A special session whose hours the calendar does not record (e.g. the Muhurat session of
//! 2026-11-08) gets a daily bar but no intraday bars or chains: it is listed in
//! [`SimMarket::sessions_without_intraday`].
//!
//! ```
//! use aegis_calendar::NseCalendar;
//! use aegis_sim::{SimConfig, simulate};
//!
//! let config = SimConfig { years: 1, intraday_sessions: 2, chain_days: 1, ..SimConfig::default() };
//! let market = simulate(&config, &NseCalendar::new())?;
//! assert!(market.nifty_daily.origin().is_simulated());
//! assert_eq!(market.nifty_5m.len(), 150);
//! # Ok::<(), aegis_sim::SimError>(())
//! ```

mod chain;
mod config;
mod index;
mod model;
mod path;
mod rng;
mod session;
#[cfg(test)]
mod tests;

use aegis_calendar::NseCalendar;
use aegis_model::{
    Candle, DailyBar, DailySeries, DataOrigin, Interval, IntradayBar, IntradaySeries, OptionChain,
    Series, Symbol,
};
use chrono::NaiveDate;

pub use chain::{DIVIDEND_YIELD, RISK_FREE_RATE, TICK};
pub use config::{SimConfig, SimError};
pub use index::{SimIndex, simulate_index};

use chain::{ChainSpec, ChainState, Snapshot};
use model::{VOL_MODEL, trading_days_in};
use path::{DayPath, DayShocks, Jump, LogOhlc};
use rng::Rng;
use session::{BAR_MINUTES, Day, Plan};

/// Stream tags of the per-day generators.
const TAG_INDEX_PATH: u64 = 1;
const TAG_VIX_PATH: u64 = 2;

/// A simulated market. Every series and chain is marked [`DataOrigin::Simulated`].
#[derive(Debug, Clone, PartialEq)]
pub struct SimMarket {
    /// The seed it was simulated from.
    pub seed: u64,
    /// Daily NIFTY 50 bars; the last one is partial when `end` fell inside a session.
    pub nifty_daily: DailySeries,
    /// Daily India-VIX-like bars (percent), Open = previous close.
    pub vix_daily: DailySeries,
    /// 5-minute NIFTY 50 bars of the most recent sessions, keyed by bar start (UTC).
    pub nifty_5m: IntradaySeries,
    /// 5-minute India-VIX-like bars of the same sessions.
    pub vix_5m: IntradaySeries,
    /// Option-chain snapshots, oldest first: each recent session's close, then through the latest
    /// session.
    pub chains: Vec<OptionChain>,
    /// Sessions inside the intraday window that have no 5-minute bars because the calendar does not
    /// record their hours.
    pub sessions_without_intraday: Vec<NaiveDate>,
}

impl SimMarket {
    /// A one-paragraph description of what was simulated.
    pub fn summary(&self) -> String {
        let mut s = format!("simulated market (seed {}): ", self.seed);
        s += &daily_summary(Symbol::Nifty50, &self.nifty_daily);
        if let Some(v) = self.vix_daily.last() {
            s += &format!("; India VIX {:.2}", v.close);
        }
        s += &intraday_summary(&self.nifty_5m);
        s += &chains_summary(&self.chains);
        s += &no_intraday_summary(&self.sessions_without_intraday);
        s
    }
}

/// "NIFTY 50 2480 daily bars 2016-11-28 .. 2026-11-25, from 8012.30 to 25100.10" (empty when there
/// are no bars).
fn daily_summary(symbol: Symbol, daily: &DailySeries) -> String {
    match (daily.first(), daily.last()) {
        (Some(first), Some(last)) => format!(
            "{} {} daily bars {} .. {}{}, from {:.2} to {:.2}",
            symbol.display_name(),
            daily.len(),
            first.key,
            last.key,
            if last.partial { " (last partial)" } else { "" },
            first.open,
            last.close
        ),
        _ => String::new(),
    }
}

/// "; 4425 five-minute bars over 59 sessions".
fn intraday_summary(bars: &IntradaySeries) -> String {
    let sessions = {
        let mut dates: Vec<NaiveDate> = bars
            .bars()
            .iter()
            .map(|b| aegis_model::time::ist_date(b.key))
            .collect();
        dates.dedup();
        dates.len()
    };
    format!(
        "; {} five-minute bars over {} sessions",
        bars.len(),
        sessions
    )
}

/// "; 34 option-chain snapshots … (latest: … expiries, … strikes)" (empty without chains).
fn chains_summary(chains: &[OptionChain]) -> String {
    match (chains.first(), chains.last()) {
        (Some(first), Some(last)) => format!(
            "; {} option-chain snapshots {} .. {} (latest: {} expiries, {} strikes)",
            chains.len(),
            first.timestamp.format("%Y-%m-%d %H:%M IST"),
            last.timestamp.format("%Y-%m-%d %H:%M IST"),
            last.expiries.len(),
            last.rows.len()
        ),
        _ => String::new(),
    }
}

/// "; no intraday data on … (session hours not in the calendar)" (empty when there are none).
fn no_intraday_summary(days: &[NaiveDate]) -> String {
    if days.is_empty() {
        return String::new();
    }
    let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    format!(
        "; no intraday data on {} (session hours not in the calendar)",
        days.join(", ")
    )
}

/// Day-level results of the first pass.
#[derive(Debug, Clone, Copy)]
struct DayDraws {
    shocks: DayShocks,
    /// `ln h` at the start of the day.
    log_h: f64,
    /// Log of the day's closing VIX.
    log_vix: f64,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn price_bar<K: aegis_model::BarKey>(key: K, o: LogOhlc, partial: bool) -> Candle<K> {
    Candle {
        partial,
        ..Candle::new(
            key,
            round2(o.open.exp()),
            round2(o.high.exp()),
            round2(o.low.exp()),
            round2(o.close.exp()),
        )
    }
}

/// Log OHLC of a point path over boundaries `[from, to]`.
fn points_ohlc(points: &[f64], from: usize, to: usize) -> LogOhlc {
    let span = &points[from..=to];
    LogOhlc {
        open: span[0],
        high: span.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        low: span.iter().copied().fold(f64::INFINITY, f64::min),
        close: span[span.len() - 1],
    }
}

/// Per-minute variance weights, cached for the regular session length.
struct Weights {
    regular: Vec<f64>,
}

impl Weights {
    fn get(&self, minutes: usize) -> std::borrow::Cow<'_, [f64]> {
        if minutes == self.regular.len() {
            std::borrow::Cow::Borrowed(&self.regular)
        } else {
            std::borrow::Cow::Owned(VOL_MODEL.minute_weights(minutes))
        }
    }
}

/// What pass 1 settles for the whole window.
struct FirstPass {
    /// Each day's draws.
    draws: Vec<DayDraws>,
    /// Daily drift (log) that makes the last close land on the target.
    drift: f64,
    /// Log of the VIX before the first day.
    start_log_vix: f64,
    /// The index's log return over the window, `ln(last close / start level)` before rounding.
    total_log_return: f64,
}

/// Pass 1: the variance process, jumps and VIX, day by day; returns the draws and the drift that
/// makes the last close land on the target.
fn first_pass(config: &SimConfig, plan: &Plan, weights: &Weights) -> FirstPass {
    let model = VOL_MODEL;
    let mut main = Rng::new(config.seed);
    let target_log = (config.end_level / config.start_level).ln() + 0.03 * main.normal();
    let noise_sd_stationary =
        model.vix_noise_sd / (1.0 - model.vix_noise_persistence.powi(2)).sqrt();
    let mut log_h = model.long_run_log_variance();
    let mut noise = noise_sd_stationary * main.normal();
    let vix_days = trading_days_in(30.0 / 365.0);
    let start_log_vix = (100.0 * model.implied_vol(log_h, vix_days, noise)).ln();
    let nu = model.t_dof;
    let mut path = DayPath::default();
    let mut draws = Vec::with_capacity(plan.days.len());
    let mut total_shock = 0.0;
    for (i, day) in plan.days.iter().enumerate() {
        let minutes = day.minutes();
        let h = log_h.exp();
        let scale = (f64::from(nu - 2) / main.chi_square(nu)).sqrt();
        let jump = (main.uniform() < model.jump_probability()).then(|| {
            let size = model.jump_mean + model.jump_sd * main.normal();
            let minute = (main.uniform() >= model.jump_overnight_share)
                .then(|| ((main.uniform() * minutes as f64) as usize).min(minutes - 1));
            Jump { size, minute }
        });
        let shocks = DayShocks {
            variance: h,
            scale,
            jump,
        };
        let mut day_rng = Rng::stream(config.seed, TAG_INDEX_PATH, i as u64);
        path.generate(&mut day_rng, &model, &weights.get(minutes), &shocks, 0.0);
        let shock = path.shock(0.0);
        total_shock += shock;
        let next_log_h =
            model.next_log_variance(log_h, shock / h.sqrt(), jump.map_or(0.0, |j| j.size));
        noise = model.vix_noise_persistence * noise + model.vix_noise_sd * main.normal();
        let log_vix = (100.0 * model.implied_vol(next_log_h, vix_days, noise)).ln();
        draws.push(DayDraws {
            shocks,
            log_h,
            log_vix,
        });
        log_h = next_log_h;
    }
    let drift = (target_log - total_shock) / plan.days.len() as f64;
    FirstPass {
        draws,
        drift,
        start_log_vix,
        total_log_return: total_shock + drift * plan.days.len() as f64,
    }
}

/// What pass 2 keeps of each day for the chains.
#[derive(Debug, Clone, Copy)]
struct DayClose {
    close: f64,
    vix: f64,
}

/// The latest session's minute-boundary levels (for intraday chain snapshots).
struct LatestPath {
    index: Vec<f64>,
    vix: Vec<f64>,
}

/// Simulates the market described by `config` on the NSE calendar `cal`.
pub fn simulate(config: &SimConfig, cal: &NseCalendar) -> Result<SimMarket, SimError> {
    config.check()?;
    let plan = session::plan(config, cal)?;
    let model = VOL_MODEL;
    let weights = Weights {
        regular: model.minute_weights(session::REGULAR_MINUTES),
    };
    let FirstPass {
        draws,
        drift,
        start_log_vix,
        ..
    } = first_pass(config, &plan, &weights);

    let n = plan.days.len();
    let intraday_from = n.saturating_sub(config.intraday_sessions as usize);
    let mut nifty_daily: Vec<DailyBar> = Vec::with_capacity(n);
    let mut vix_daily: Vec<DailyBar> = Vec::with_capacity(n);
    let mut nifty_5m: Vec<IntradayBar> = Vec::new();
    let mut vix_5m: Vec<IntradayBar> = Vec::new();
    let mut closes: Vec<DayClose> = Vec::with_capacity(n);
    let mut without_intraday = Vec::new();
    let mut latest = None;
    let mut path = DayPath::default();
    let mut prev_log = config.start_level.ln();
    let mut prev_log_vix = start_log_vix;
    for (i, (day, d)) in plan.days.iter().zip(&draws).enumerate() {
        let minutes = day.minutes();
        let is_last = i + 1 == n;
        let partial = is_last && plan.partial_bars.is_some();
        let shown = if is_last {
            plan.last_day_minutes()
        } else {
            minutes
        };
        let mut day_rng = Rng::stream(config.seed, TAG_INDEX_PATH, i as u64);
        path.generate(
            &mut day_rng,
            &model,
            &weights.get(minutes),
            &d.shocks,
            drift,
        );
        let levels = path.levels(prev_log);
        let mut vix_rng = Rng::stream(config.seed, TAG_VIX_PATH, i as u64);
        let mut vix = path::vix_levels(&mut vix_rng, &model, &path, prev_log_vix, d.log_vix);
        // Pin both ends exactly, so Open = previous close holds bit for bit.
        vix[0] = prev_log_vix;
        vix[minutes] = d.log_vix;

        nifty_daily.push(price_bar(day.date, path.ohlc(&levels, 0, shown), partial));
        vix_daily.push(price_bar(day.date, points_ohlc(&vix, 0, shown), partial));
        if i >= intraday_from {
            if day.hours_known() {
                for (b, start) in day.bar_starts().into_iter().enumerate() {
                    let (m0, m1) = (b * BAR_MINUTES, (b + 1) * BAR_MINUTES);
                    if m1 > shown {
                        break;
                    }
                    nifty_5m.push(price_bar(start, path.ohlc(&levels, m0, m1), false));
                    vix_5m.push(price_bar(start, points_ohlc(&vix, m0, m1), false));
                }
            } else {
                without_intraday.push(day.date);
            }
        }
        closes.push(DayClose {
            close: round2(levels[minutes].exp()),
            vix: round2(d.log_vix.exp()),
        });
        if is_last {
            latest = Some(LatestPath {
                index: levels.iter().map(|x| round2(x.exp())).collect(),
                vix: vix.iter().map(|x| round2(x.exp())).collect(),
            });
        }
        prev_log = levels[minutes];
        prev_log_vix = d.log_vix;
    }

    let latest = latest.expect("a plan has days");
    let chains = chains(
        config,
        cal,
        &ChainSpec::nifty(config.seed),
        &plan,
        &draws,
        &closes,
        &latest,
    )?;
    Ok(SimMarket {
        seed: config.seed,
        nifty_daily: series(
            Symbol::Nifty50,
            Interval::Daily,
            nifty_daily,
            "NIFTY daily bars",
        )?,
        vix_daily: series(
            Symbol::IndiaVix,
            Interval::Daily,
            vix_daily,
            "VIX daily bars",
        )?,
        nifty_5m: series(
            Symbol::Nifty50,
            Interval::FiveMinute,
            nifty_5m,
            "NIFTY 5-minute bars",
        )?,
        vix_5m: series(
            Symbol::IndiaVix,
            Interval::FiveMinute,
            vix_5m,
            "VIX 5-minute bars",
        )?,
        chains,
        sessions_without_intraday: without_intraday,
    })
}

fn series<K: aegis_model::BarKey>(
    symbol: Symbol,
    interval: Interval,
    bars: Vec<Candle<K>>,
    what: &'static str,
) -> Result<Series<K>, SimError> {
    Series::new(symbol, interval, DataOrigin::Simulated, bars)
        .map_err(|source| SimError::Series { what, source })
}

/// The open-interest centre: a geometric blend of spot and the previous close (positions lag the
/// market a little).
fn anchor(spot: f64, closes: &[DayClose], day: usize) -> f64 {
    let prev = closes[day.saturating_sub(1)].close.ln();
    (0.8 * spot.ln() + 0.2 * prev).exp()
}

/// The state at a day's close (for end-of-day snapshots and as "previous session").
fn close_state(plan: &Plan, draws: &[DayDraws], closes: &[DayClose], day: usize) -> ChainState {
    let d: &Day = &plan.days[day];
    let at = d
        .close()
        // Hours unknown: the regular close stands in; it only dates the previous-session OI.
        .unwrap_or_else(|| aegis_model::time::ist_at(d.date, 15, 30));
    ChainState {
        at,
        spot: closes[day].close,
        anchor: anchor(closes[day].close, closes, day),
        vix: closes[day].vix,
        log_h: draws[day].log_h,
    }
}

/// The chain snapshots of an index (NIFTY or one derived from it) whose closes, VIX-like implied
/// vol levels and latest-session path are given.
fn chains(
    config: &SimConfig,
    cal: &NseCalendar,
    chain_spec: &ChainSpec,
    plan: &Plan,
    draws: &[DayDraws],
    closes: &[DayClose],
    latest: &LatestPath,
) -> Result<Vec<OptionChain>, SimError> {
    let n = plan.days.len();
    let first = n.saturating_sub(config.chain_days as usize).max(1);
    let mut snapshots = Vec::new();
    for i in first..n {
        let day = &plan.days[i];
        if !day.hours_known() {
            continue;
        }
        let prev = close_state(plan, draws, closes, i - 1);
        if i + 1 < n {
            snapshots.push(Snapshot {
                now: close_state(plan, draws, closes, i),
                prev,
                elapsed: 1.0,
            });
            continue;
        }
        let minutes = day.minutes();
        let shown = plan.last_day_minutes();
        let every = config.intraday_chain_every_minutes as usize;
        for m in (every..=shown).step_by(every) {
            let spot = latest.index[m];
            snapshots.push(Snapshot {
                now: ChainState {
                    at: day.boundary_instant(m),
                    spot,
                    anchor: anchor(spot, closes, i),
                    vix: latest.vix[m],
                    log_h: draws[i].log_h,
                },
                prev,
                elapsed: m as f64 / minutes as f64,
            });
        }
    }
    snapshots
        .iter()
        .map(|s| chain::build_chain(cal, &VOL_MODEL, chain_spec, s))
        .collect()
}
