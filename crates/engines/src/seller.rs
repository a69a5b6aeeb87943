//! The Option Sellers view, per expiry (nearest weekly first).
//!
//! **Expiries**: from the option chain when a fresh one is stored (its listed expiries still
//! trading at the as-of time; an expiry is `monthly` when it is the last one the chain lists in
//! its month), else from the NSE calendar (the next weekly expiries; the month's last is the
//! monthly). `trading_days` counts the sessions from the origin (the newest complete daily
//! session) to the expiry, the expiry day included; in a session that counts today.
//!
//! Per expiry:
//! * **Safe short range** (`aegis-ml` `saferange::safe_range`): the touch band at `(1 − c)/2` per
//!   side for `n = trading_days` sessions, rounded outward to the strike grid. σ is the chain's
//!   ATM implied vol of that expiry when a fresh chain gives one, restated on the trading-day
//!   clock (`σ² · n/252 = IV² · τ`, `τ` calendar time to the 15:30 IST expiry close); otherwise
//!   the volatility model's forecast for `n` sessions. The source is stated.
//! * **Historical hit rate** (`saferange::hit_rate`): every past session with its own window to
//!   the same expiry position (nearest, second, …) and σ forecast with that session's data
//!   alone, by the method the volatility model uses at that horizon (the saved walk-forward path
//!   for the nearest expiry; India VIX or 20-day realized vol computed directly, GARCH/HAR
//!   re-run walk-forward, for the later ones). A chain's IV has no history, so the backtest
//!   always uses the volatility model.
//! * **Breach curve**: today's model probability of touching `S(1 ± d)` before expiry
//!   (`min(1, P_up + P_down)`, today's σ) beside the frequency of such a touch among the past
//!   sessions with the same number of sessions to their expiry (`n` says how many).
//! * **Max pain, PCR, walls, OI change, skew** from the chain (`aegis-quant` chain analytics)
//!   for that expiry; from a stale chain that does not list it, the chain's expiry in the same
//!   position (the `expiry` field says which), marked stale with the chain's age. Without a
//!   chain: unavailable, "no option chain is stored".
//! * On the **nearest** expiry only (the models' window): **volatility trap** (`vol_trap`: P(RV to
//!   expiry > today's implied), LOW / MEDIUM / HIGH against the base rate by
//!   [`crate::level_against_base`]; IV = the chain's ATM IV when fresh, else India VIX; IV and RV
//!   percentiles among the last 252 India VIX closes and 20-day realized vols) and **expiry
//!   stress** (`expiry_stress`: P(a move beyond the implied move before expiry); HIGH → HOSTILE,
//!   MEDIUM → CAUTION, LOW → CALM; implied move from the ATM straddle of a fresh chain, else
//!   `S·VIX/100·√(n/252)`; ATM gamma and spot − max pain from a fresh chain).
//!
//! **Realized skewness**: sample skewness of the last 60 daily log returns (labelled apart from
//! the chain's implied skew).
//!
//! **Seller regime** (environment): adverse conditions are India VIX in its `HIGH` band, 20-day
//! realized vol at or above the 80th percentile of its year, implied vol below realized
//! (IV − RV < 0) and the market regime `HIGH_VOL_BEAR`; none → `CALM`, one → `CAUTIOUS`, two or
//! more → `HOSTILE`.
//!
//! **Seller daily flag** (nearest expiry): `HOSTILE` when the regime is `HOSTILE`, the trap is
//! `HIGH` or the stress is `HOSTILE`; `FAVOURABLE` when the regime is `CALM`, the safe range's
//! historical hit rate is within 3 points of its target or above, and it is not the last session
//! before expiry under `CAUTION` stress; `CAUTION` otherwise.

use aegis_calendar::{CalendarError, ExpiryKind};
use aegis_ml::labels::{ExpiryWindow, next_expiry_after};
use aegis_ml::saferange::{self, BREACH_DISTANCES};
use aegis_ml::volforecast::{VolMethod, VolPaths};
use aegis_model::time::ist_at;
use aegis_model::{AnnualVol, Expiry, Metric, OptionChain, Provenance, Symbol};
use aegis_quant::barrier::touch_probability;
use aegis_quant::chain::{ChainConfig, ExpiryAnalytics, analyze_expiry};
use aegis_quant::stats::{percentile_rank, skewness};
use aegis_quant::{Black76, Forward, Strike, Years};
use chrono::{Datelike, Days};

use crate::blocks::{
    BreachCurve, BreachPoint, ChainSkew, DatePoint, ExpiryStress, HitRate, Level3, MarketBlock,
    MaxPain, PainPoint, RealizedSkew, Reason, RegimeLabel, SafeRange, SellerBlock, SellerExpiry,
    SellerFlag, SellerFlagLabel, SellerRegime, SellerRegimeLabel, StressLabel, VixBand, VolTrap,
};
use crate::common::{
    How, Missing, base_rate, class_prob, finish, finish_rule, level_against_base, model, pct,
    predict,
};
use crate::context::{Basis, EngineInputs, fix};
use crate::shared::{Shared, method_name};

/// Realized vol at or above this percentile of its year is adverse for sellers.
pub const RV_HIGH_PERCENTILE: f64 = 0.80;
/// The hit rate may fall this far below its target and still count as delivering it.
pub const HIT_RATE_TOLERANCE: f64 = 0.03;
/// Daily returns in the realized skewness.
pub const SKEW_RETURNS: usize = 60;
/// Sessions in the IV and RV percentiles.
pub const PERCENTILE_WINDOW: usize = 252;

/// One expiry of the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PlannedExpiry {
    pub expiry: Expiry,
    pub kind: ExpiryKind,
    /// Sessions from the origin to the expiry, the expiry day included.
    pub sessions: u32,
}

fn kind_name(k: ExpiryKind) -> &'static str {
    match k {
        ExpiryKind::Weekly => "weekly",
        ExpiryKind::Monthly => "monthly",
    }
}

/// Calendar time in years from the as-of time (or a chain's time) to 15:30 IST on the expiry day.
fn years_until(from: chrono::DateTime<chrono::Utc>, e: Expiry) -> Option<f64> {
    let secs = (ist_at(e.date(), 15, 30) - from).num_seconds();
    (secs > 0).then(|| secs as f64 / 86_400.0 / 365.0)
}

/// The expiries of the view (see the module documentation).
pub(crate) fn plan(cx: &EngineInputs<'_>) -> Result<Vec<PlannedExpiry>, Missing> {
    let cal = cx.calendar;
    let n = cx.settings.seller_expiries;
    let cal_err = |e: CalendarError| {
        Missing::new(format!("NSE calendar: {e}"), "update aegis (the calendar)")
    };
    let trading = |e: &Expiry| years_until(cx.as_of, *e).is_some();
    let dated: Vec<(Expiry, ExpiryKind)> = match cx.fresh_chain() {
        Some(chain) => {
            let live: Vec<Expiry> = chain.expiries.iter().copied().filter(trading).collect();
            live.iter()
                .take(n)
                .map(|e| {
                    let last_of_month = !live.iter().any(|x| {
                        x > e
                            && x.date().year() == e.date().year()
                            && x.date().month() == e.date().month()
                    });
                    let kind = if last_of_month {
                        ExpiryKind::Monthly
                    } else {
                        ExpiryKind::Weekly
                    };
                    (*e, kind)
                })
                .collect()
        }
        None => {
            let mut out = Vec::with_capacity(n);
            let mut e = cal.next_expiry(cx.symbol(), cx.as_of).map_err(cal_err)?;
            while out.len() < n {
                out.push((e, cal.expiry_kind(cx.symbol(), e).map_err(cal_err)?));
                e = cal
                    .weekly_expiry_on_or_after(cx.symbol(), e.date() + Days::new(1))
                    .map_err(cal_err)?;
            }
            out
        }
    };
    dated
        .into_iter()
        .map(|(expiry, kind)| {
            let sessions = cal
                .trading_days_between(cx.origin(), expiry.date())
                .map_err(cal_err)?;
            Ok(PlannedExpiry {
                expiry,
                kind,
                sessions,
            })
        })
        .collect()
}

/// Each history row's window to its `k`-th weekly expiry after its close (`k = 0`: nearest).
fn windows_for(cx: &EngineInputs<'_>, k: usize) -> Result<Vec<Option<ExpiryWindow>>, Missing> {
    if k == 0 {
        return Ok(cx.windows.clone());
    }
    let cal = cx.calendar;
    let h = &cx.history;
    let last = *h.dates().last().expect("non-empty");
    h.dates()
        .iter()
        .enumerate()
        .map(|(t, &date)| {
            let found = (|| {
                let (mut e, _) = next_expiry_after(cal, cx.symbol(), date)?;
                for _ in 0..k {
                    e = cal
                        .weekly_expiry_on_or_after(cx.symbol(), e + Days::new(1))?
                        .date();
                }
                Ok::<_, CalendarError>((e, cal.trading_days_between(date, e)?))
            })();
            match found {
                Ok((expiry, sessions)) => {
                    let end = h.last_on_or_before(expiry).expect("row t is before");
                    Ok(Some(ExpiryWindow {
                        expiry,
                        sessions,
                        calendar_days: (expiry - date).num_days(),
                        end: end.max(t),
                        complete: last >= expiry,
                        settle: h.position(expiry),
                    }))
                }
                Err(CalendarError::YearNotCovered { year }) if year > last.year() => Ok(None),
                Err(e) => Err(Missing::new(
                    format!("expiry windows of {date}: {e}"),
                    "update aegis (the calendar)",
                )),
            }
        })
        .collect()
}

/// The walk-forward GARCH/HAR volatility paths every later expiry's windows need, computed
/// once for the union of their horizons (the GARCH refits do not depend on the horizon, so one
/// computation serves every expiry). `None` when no window's horizon uses GARCH or HAR.
fn later_expiry_paths(
    cx: &EngineInputs<'_>,
    windows: &[Result<Vec<Option<ExpiryWindow>>, Missing>],
) -> Result<Option<VolPaths>, Missing> {
    let (_, vol) = cx.models.vol().map_err(crate::common::predict_missing)?;
    let mut horizons: Vec<usize> = windows
        .iter()
        .skip(1)
        .filter_map(|w| w.as_ref().ok())
        .flatten()
        .flatten()
        .map(|w| w.sessions as usize)
        .filter(|&n| matches!(vol.method_for(n), VolMethod::Garch | VolMethod::Har))
        .collect();
    horizons.sort_unstable();
    horizons.dedup();
    if horizons.is_empty() {
        return Ok(None);
    }
    VolPaths::compute(&cx.history, &horizons, vol.config)
        .map(Some)
        .map_err(|e| Missing::new(format!("walk-forward volatility paths: {e}"), fix::TRAIN))
}

/// σ of each row for its window, made with that row's data alone (see the module docs).
/// `paths` are [`later_expiry_paths`] (used for `k > 0`).
fn sigmas_for(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    k: usize,
    windows: &[Option<ExpiryWindow>],
    paths: &Result<Option<VolPaths>, Missing>,
) -> Result<Vec<Option<f64>>, Missing> {
    if k == 0 {
        return Ok(shared.sigma0()?.to_vec());
    }
    let (_, vol) = cx.models.vol().map_err(crate::common::predict_missing)?;
    let h = &cx.history;
    let r = h.log_returns();
    let needs_paths = windows.iter().flatten().any(|w| {
        matches!(
            vol.method_for(w.sessions as usize),
            VolMethod::Garch | VolMethod::Har
        )
    });
    let paths = match paths {
        Ok(paths) => paths.as_ref(),
        Err(e) if needs_paths => return Err(e.clone()),
        Err(_) => None,
    };
    Ok(windows
        .iter()
        .enumerate()
        .map(|(t, w)| {
            let n = w.as_ref()?.sessions as usize;
            let method = vol.method_for(n);
            match method {
                VolMethod::Vix => h.vix()[t].map(|v| v / 100.0),
                VolMethod::NaiveRv20 => (t >= 20).then(|| {
                    let w = &r[t - 19..=t];
                    let m = w.iter().sum::<f64>() / 20.0;
                    let var = w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 19.0;
                    (var * 252.0).sqrt()
                }),
                VolMethod::Garch | VolMethod::Har => paths?.sigma(method, t, n),
            }
        })
        .collect())
}

/// The chain expiry that stands for seller expiry `e` at position `k`, and a note when it is
/// another expiry (a stale chain that does not list `e`).
fn chain_expiry(
    chain: &OptionChain,
    fresh: bool,
    e: Expiry,
    k: usize,
) -> Result<(Expiry, Option<String>), Missing> {
    if chain.expiries.contains(&e) {
        return Ok((e, None));
    }
    let ts = chain.timestamp.with_timezone(&chrono::Utc);
    if fresh {
        return Err(Missing::new(
            format!(
                "the option chain of {} does not list the {} expiry",
                chain.timestamp.format("%Y-%m-%d %H:%M"),
                e.date()
            ),
            fix::CHAIN,
        ));
    }
    let live: Vec<Expiry> = chain
        .expiries
        .iter()
        .copied()
        .filter(|x| years_until(ts, *x).is_some())
        .collect();
    let stand_in = live.get(k).copied().ok_or_else(|| {
        Missing::new(
            format!(
                "the stale option chain of {} lists fewer than {} expiries",
                chain.timestamp.format("%Y-%m-%d %H:%M"),
                k + 1
            ),
            fix::CHAIN,
        )
    })?;
    Ok((
        stand_in,
        Some(format!(
            "it does not list the {} expiry, so these are its {} figures (its expiry number {} as of then)",
            e.date(),
            stand_in.date(),
            k + 1
        )),
    ))
}

/// The chain analytics of the expiry standing for `e`, with the basis (the chain's, its reason
/// extended when a stand-in expiry is used).
fn analytics(
    cx: &EngineInputs<'_>,
    e: Expiry,
    k: usize,
) -> Result<(ExpiryAnalytics, Basis), Missing> {
    let view = cx
        .chain_view
        .as_ref()
        .ok_or_else(|| Missing::new("no option chain is stored", fix::CHAIN))?;
    let (ce, note) = chain_expiry(&view.chain, view.fresh, e, k)?;
    let years =
        years_until(view.chain.timestamp.with_timezone(&chrono::Utc), ce).ok_or_else(|| {
            Missing::new(
                format!("expiry {} had passed at the chain's time", ce.date()),
                fix::CHAIN,
            )
        })?;
    let a =
        analyze_expiry(&view.chain, ce, Years(years), &ChainConfig::default()).map_err(|err| {
            Missing::new(
                format!("option chain analytics of {}: {err}", ce.date()),
                fix::CHAIN,
            )
        })?;
    let mut basis = cx.chain_basis.clone();
    if let (Some(note), Some(reason)) = (note, basis.stale.as_mut()) {
        *reason = format!("{reason}; {note}");
    }
    Ok((a, basis))
}

fn unavailable_from<T>(
    r: &Result<T, aegis_quant::chain::Unavailable>,
    what: &str,
) -> Result<(), Missing> {
    match r {
        Ok(_) => Ok(()),
        Err(u) => Err(Missing::new(format!("{what}: {u}"), fix::CHAIN)),
    }
}

fn max_pain(cx: &EngineInputs<'_>, e: Expiry, k: usize) -> Metric<MaxPain> {
    let (value, basis) = match analytics(cx, e, k) {
        Err(m) => (Err(m), cx.chain_basis.clone()),
        Ok((a, basis)) => {
            let v = (|| {
                unavailable_from(&a.max_pain, "max pain")?;
                unavailable_from(&a.put_call_ratios.by_open_interest, "put–call ratio")?;
                unavailable_from(&a.call_wall, "call-OI wall")?;
                unavailable_from(&a.put_wall, "put-OI wall")?;
                let mp = a.max_pain.as_ref().expect("checked");
                let rows = cx
                    .chain_view
                    .as_ref()
                    .expect("analytics found a chain")
                    .chain
                    .expiry_rows(a.expiry);
                let oi_change =
                    |side: fn(&aegis_model::ChainRow) -> Option<&aegis_model::OptionQuote>| {
                        rows.iter()
                            .filter_map(side)
                            .map(|q| q.change_in_oi)
                            .sum::<f64>()
                    };
                let pcr = &a.put_call_ratios;
                Ok(MaxPain {
                    expiry: a.expiry,
                    max_pain: mp.strike,
                    zone_low: mp.zone_low,
                    zone_high: mp.zone_high,
                    curve: mp
                        .curve
                        .iter()
                        .map(|p| PainPoint {
                            strike: p.strike,
                            pain: p.pain,
                        })
                        .collect(),
                    pcr_oi: *pcr.by_open_interest.as_ref().expect("checked"),
                    pcr_volume: pcr.by_volume.as_ref().ok().copied(),
                    call_wall: a.call_wall.as_ref().expect("checked").strike,
                    put_wall: a.put_wall.as_ref().expect("checked").strike,
                    call_oi: pcr.call_open_interest,
                    put_oi: pcr.put_open_interest,
                    call_oi_change: oi_change(|r| r.call.as_ref()),
                    put_oi_change: oi_change(|r| r.put.as_ref()),
                    spot_minus_max_pain: a.underlying - mp.strike,
                })
            })();
            (v, basis)
        }
    };
    finish(cx, How::Chain, &[&basis], value)
}

fn chain_skew(cx: &EngineInputs<'_>, e: Expiry, k: usize) -> Metric<ChainSkew> {
    let (value, basis) = match analytics(cx, e, k) {
        Err(m) => (Err(m), cx.chain_basis.clone()),
        Ok((a, basis)) => {
            let v = (|| {
                unavailable_from(&a.atm_iv, "ATM implied vol")?;
                unavailable_from(&a.forward, "parity forward")?;
                let atm = a.atm_iv.as_ref().expect("checked").iv.0;
                let skew = a.skew.as_ref().ok();
                let pts = |x: f64| 100.0 * x;
                Ok(ChainSkew {
                    expiry: a.expiry,
                    atm_iv_pct: pts(atm),
                    call25_iv_pct: skew.map(|s| pts(s.call_iv.0)),
                    put25_iv_pct: skew.map(|s| pts(s.put_iv.0)),
                    rr25: skew.map(|s| pts(s.risk_reversal)),
                    bf25: skew.map(|s| pts(s.butterfly)),
                    put_skew: skew.map(|s| pts(s.put_skew)),
                    call_skew: skew.map(|s| pts(s.call_skew)),
                    forward: a.forward.as_ref().expect("checked").forward.0,
                })
            })();
            (v, basis)
        }
    };
    finish(cx, How::Chain, &[&basis], value)
}

/// σ for today's safe range of expiry `p`: (annualised σ on the trading-day clock, source, from
/// the chain?).
fn today_sigma(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    p: &PlannedExpiry,
) -> Result<(f64, &'static str, bool), Missing> {
    if let Some(chain) = cx.fresh_chain()
        && chain.expiries.contains(&p.expiry)
        && let Some(iv) = fresh_atm_iv(chain, p.expiry)
        && let Some(tau) = years_until(cx.as_of, p.expiry)
    {
        let n = f64::from(p.sessions);
        return Ok((iv * (tau * 252.0 / n).sqrt(), "chain_atm_iv", true));
    }
    let f = shared.vol_sigma(cx, p.sessions as usize)?;
    Ok((f.sigma, method_name(f.method), false))
}

/// The ATM IV (fraction) of `e` in a chain, if the analytics give one.
fn fresh_atm_iv(chain: &OptionChain, e: Expiry) -> Option<f64> {
    let years = years_until(chain.timestamp.with_timezone(&chrono::Utc), e)?;
    let a = analyze_expiry(chain, e, Years(years), &ChainConfig::default()).ok()?;
    a.atm_iv.ok().map(|x| x.iv.0)
}

fn safe_range(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    p: &PlannedExpiry,
) -> (Metric<SafeRange>, Option<(f64, bool)>) {
    let mut from_chain = false;
    let mut used = None;
    let value = (|| {
        let spot = shared.spot.value()?;
        let (sigma, source, chain) = today_sigma(cx, shared, p)?;
        from_chain = chain;
        used = Some((sigma, chain));
        let step = cx
            .calendar
            .try_contract_spec(cx.symbol(), p.expiry)
            .map_err(|e| {
                Missing::new(
                    format!("strike step of {}: {e}", p.expiry.date()),
                    "update aegis (the contract specifications)",
                )
            })?
            .strike_step;
        let r = saferange::safe_range(spot, sigma, p.sessions, cx.settings.confidence, step)
            .map_err(|e| Missing::new(format!("safe range: {e}"), fix::TRAIN))?;
        Ok(SafeRange {
            confidence: r.confidence,
            spot,
            lower: r.lower,
            upper: r.upper,
            lower_touch_prob: r.touch_lower,
            upper_touch_prob: r.touch_upper,
            sigma_vol_pct: 100.0 * sigma,
            sigma_source: source.into(),
            horizon_days: p.sessions,
            strike_step: step,
        })
    })();
    let mut bases: Vec<&Basis> = shared.spot.bases();
    let how = if from_chain {
        bases.push(&cx.chain_basis);
        How::Formula
    } else {
        bases.push(&cx.daily);
        How::Model("vol_forecast")
    };
    (finish(cx, how, &bases, value), used)
}

/// The hit-rate report of position `k`, computed once for the hit rate and the breach curve.
struct History {
    windows: Vec<Option<ExpiryWindow>>,
    sigma: Vec<Option<f64>>,
}

fn hit_rate(
    cx: &EngineInputs<'_>,
    hist: &Result<History, Missing>,
    step: Result<f64, Missing>,
) -> Metric<HitRate> {
    let value = (|| {
        let h = hist.as_ref().map_err(Clone::clone)?;
        let step = step?;
        let r = saferange::hit_rate(
            &cx.history,
            &h.windows,
            &h.sigma,
            cx.settings.confidence,
            step,
        )
        .map_err(|e| Missing::new(format!("safe-range hit rate: {e}"), fix::TRAIN))?;
        Ok(HitRate {
            rate: r.rate,
            ci_low: r.wilson_low,
            ci_high: r.wilson_high,
            hits: r.hits as u32,
            n: r.n as u32,
            target: r.confidence,
            from: r.days.first().map(|d| d.date).expect("n > 0"),
            to: r.days.last().map(|d| d.date).expect("n > 0"),
            series: r
                .rolling
                .iter()
                .map(|&(date, v)| DatePoint { date, v })
                .collect(),
        })
    })();
    finish(cx, How::Model("vol_forecast"), &[&cx.daily], value)
}

fn breach_curve(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    hist: &Result<History, Missing>,
    p: &PlannedExpiry,
    today: Option<(f64, bool)>,
) -> Metric<BreachCurve> {
    let value = (|| {
        let h = hist.as_ref().map_err(Clone::clone)?;
        let spot = shared.spot.value()?;
        let (sigma, _) = today.ok_or_else(|| {
            Missing::new(
                "needs today's σ, which is unavailable (see the safe range)",
                fix::TRAIN,
            )
        })?;
        let same: Vec<Option<ExpiryWindow>> = h
            .windows
            .iter()
            .map(|w| w.filter(|w| w.sessions == p.sessions))
            .collect();
        let past = saferange::breach_curve(&cx.history, &same, &h.sigma, &BREACH_DISTANCES)
            .map_err(|e| {
                Missing::new(
                    format!(
                        "range breach history for {} sessions to expiry: {e}",
                        p.sessions
                    ),
                    fix::TRAIN,
                )
            })?;
        let vol = AnnualVol(sigma);
        let years = Years::from_trading_days(f64::from(p.sessions));
        let touch = |b: f64| {
            touch_probability(spot, b, vol, years)
                .map(|q| q.get())
                .map_err(|e| Missing::new(format!("touch probability: {e}"), fix::TRAIN))
        };
        let mut points = Vec::with_capacity(past.len());
        for (bp, pct) in past.iter().zip([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0]) {
            let d = pct / 100.0;
            points.push(BreachPoint {
                distance_pct: pct,
                distance_pts: d * spot,
                model_prob: (touch(spot * (1.0 + d))? + touch(spot * (1.0 - d))?).min(1.0),
                historical_freq: bp.observed_frequency,
                n: bp.n as u32,
            });
        }
        Ok(BreachCurve { points })
    })();
    let mut bases: Vec<&Basis> = shared.spot.bases();
    bases.push(&cx.daily);
    if today.is_some_and(|(_, chain)| chain) {
        bases.push(&cx.chain_basis);
    }
    finish(cx, How::Model("vol_forecast"), &bases, value)
}

/// Implied vol, realized vol and their percentiles (formula inputs of the trap and the regime).
#[derive(Debug, Clone)]
struct VolSnapshot {
    iv_pct: f64,
    iv_source: &'static str,
    iv_percentile: f64,
    rv_pct: f64,
    rv_percentile: f64,
    /// Whether the IV came from the chain.
    from_chain: bool,
}

fn vol_snapshot(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    nearest: Option<&PlannedExpiry>,
) -> Result<VolSnapshot, Missing> {
    let vix: Vec<f64> = cx.vix_daily.bars().iter().map(|b| b.close).collect();
    let tail = &vix[vix.len().saturating_sub(PERCENTILE_WINDOW)..];
    let chain_iv = nearest.and_then(|p| {
        let chain = cx.fresh_chain()?;
        chain
            .expiries
            .contains(&p.expiry)
            .then(|| fresh_atm_iv(chain, p.expiry))
            .flatten()
    });
    let (iv_pct, iv_source, from_chain) = match chain_iv {
        Some(iv) => (100.0 * iv, "chain_atm_iv", true),
        None => (cx.vix_as_index_iv()?, "india_vix", false),
    };
    // The percentile of the implied vol over the past year: against India VIX's year for
    // NIFTY 50; for the other indices (no history of their own implied vol) India VIX's own
    // percentile, the market's implied-vol level, and the source says so.
    let (ranked, iv_source) = if cx.symbol() == Symbol::Nifty50 {
        (iv_pct, iv_source)
    } else {
        let last = *vix
            .last()
            .ok_or_else(|| Missing::new("no India VIX close is stored", fix::DAILY))?;
        (last, "chain_atm_iv; percentile of india_vix")
    };
    let iv_percentile = percentile_rank(ranked, tail)
        .map_err(|e| Missing::new(format!("IV percentile: {e}"), fix::DAILY))?
        .get();
    let rv = shared.last_feature(cx, "rv_cc_20d")?;
    let rvs = shared.feature_tail(cx, "rv_cc_20d", PERCENTILE_WINDOW);
    let rv_percentile = percentile_rank(rv, &rvs)
        .map_err(|e| Missing::new(format!("RV percentile: {e}"), fix::DAILY))?
        .get();
    Ok(VolSnapshot {
        iv_pct,
        iv_source,
        iv_percentile,
        rv_pct: 100.0 * rv,
        rv_percentile,
        from_chain,
    })
}

fn trap(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    snap: &Result<VolSnapshot, Missing>,
    p: &PlannedExpiry,
) -> Metric<VolTrap> {
    let value = (|| {
        let m = model(cx.models, "vol_trap")?;
        let probability = class_prob(&predict(cx, "vol_trap")?, "TRAP")?;
        let base_rate = base_rate(m, &cx.history, "TRAP")?;
        let s = snap.as_ref().map_err(Clone::clone)?;
        let forecast = shared.vol_sigma(cx, p.sessions as usize)?;
        Ok(VolTrap {
            probability,
            base_rate,
            label: level_against_base(probability, base_rate),
            iv_pct: s.iv_pct,
            iv_source: s.iv_source.into(),
            iv_percentile: s.iv_percentile,
            rv_pct: s.rv_pct,
            rv_percentile: s.rv_percentile,
            spread: s.iv_pct - s.rv_pct,
            forecast_vol_pct: 100.0 * forecast.sigma,
        })
    })();
    let mut bases = vec![&cx.daily, &cx.vix_basis];
    if snap.as_ref().is_ok_and(|s| s.from_chain) {
        bases.push(&cx.chain_basis);
    }
    finish(cx, How::Model("vol_trap"), &bases, value)
}

/// The stress label of a level against the base rate.
pub fn stress_label(level: Level3) -> StressLabel {
    match level {
        Level3::Low => StressLabel::Calm,
        Level3::Medium => StressLabel::Caution,
        Level3::High => StressLabel::Hostile,
    }
}

fn stress(cx: &EngineInputs<'_>, shared: &Shared, p: &PlannedExpiry) -> Metric<ExpiryStress> {
    let fresh = cx
        .fresh_chain()
        .filter(|c| c.expiries.contains(&p.expiry))
        .and_then(|c| {
            let years = years_until(c.timestamp.with_timezone(&chrono::Utc), p.expiry)?;
            analyze_expiry(c, p.expiry, Years(years), &ChainConfig::default()).ok()
        });
    let value = (|| {
        let m = model(cx.models, "expiry_stress")?;
        let probability = class_prob(&predict(cx, "expiry_stress")?, "BEYOND")?;
        let base_rate = base_rate(m, &cx.history, "BEYOND")?;
        let spot = shared.spot.value()?;
        let straddle = fresh
            .as_ref()
            .and_then(|a| a.expected_move.as_ref().ok())
            .map(|m| m.straddle.0);
        let (implied_move_pts, implied_move_source) = match straddle {
            Some(s) => (s, "atm_straddle"),
            None => {
                let vix = cx.vix_as_index_iv()?;
                (
                    spot * vix / 100.0 * (f64::from(p.sessions) / 252.0).sqrt(),
                    "india_vix",
                )
            }
        };
        let atm_gamma = fresh.as_ref().and_then(|a| {
            let f = a.forward.as_ref().ok()?.forward.0;
            let iv = a.atm_iv.as_ref().ok()?.iv;
            let years = years_until(cx.as_of, p.expiry)?;
            Black76::undiscounted(Forward(f), Strike(f), Years(years), iv)
                .ok()
                .map(|b| b.gamma())
        });
        let distance_to_max_pain = fresh
            .as_ref()
            .and_then(|a| a.max_pain.as_ref().ok())
            .map(|mp| spot - mp.strike);
        Ok(ExpiryStress {
            probability,
            base_rate,
            label: stress_label(level_against_base(probability, base_rate)),
            implied_move_pts,
            implied_move_source: implied_move_source.into(),
            days_to_expiry: p.sessions,
            atm_gamma,
            distance_to_max_pain,
        })
    })();
    let mut bases: Vec<&Basis> = vec![&cx.daily, &cx.vix_basis];
    bases.extend(shared.spot.bases());
    if fresh.is_some() {
        bases.push(&cx.chain_basis);
    }
    finish(cx, How::Model("expiry_stress"), &bases, value)
}

fn realized_skew(cx: &EngineInputs<'_>) -> Metric<RealizedSkew> {
    let c = cx.history.close();
    let value = if c.len() <= SKEW_RETURNS {
        Err(Missing::new(
            format!("fewer than {} daily closes", SKEW_RETURNS + 1),
            fix::DAILY,
        ))
    } else {
        let r: Vec<f64> = c[c.len() - SKEW_RETURNS - 1..]
            .windows(2)
            .map(|w| (w[1] / w[0]).ln())
            .collect();
        skewness(&r)
            .map(|skewness| RealizedSkew {
                skewness,
                n: SKEW_RETURNS as u32,
            })
            .map_err(|e| Missing::new(format!("realized skewness: {e}"), fix::DAILY))
    };
    finish(cx, How::Formula, &[&cx.daily], value)
}

/// The inputs of the seller regime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeInputs {
    /// India VIX band.
    pub vix_band: VixBand,
    /// India VIX percentile (for the text).
    pub vix_percentile: f64,
    /// 20-day realized vol percentile over the year.
    pub rv_percentile: f64,
    /// IV − RV, vol points.
    pub spread: f64,
    /// Market regime.
    pub market_regime: RegimeLabel,
}

/// The seller regime rule (see the module documentation).
pub fn seller_regime(i: &RegimeInputs) -> (SellerRegimeLabel, Vec<Reason>) {
    let reason = |code: &str, text: String, adverse: bool| Reason {
        code: code.into(),
        text,
        adverse,
    };
    let reasons = vec![
        reason(
            "vix_band",
            format!(
                "India VIX is in its {} band ({} of the last year at or below it)",
                match i.vix_band {
                    VixBand::Low => "LOW",
                    VixBand::Normal => "NORMAL",
                    VixBand::High => "HIGH",
                },
                pct(i.vix_percentile)
            ),
            i.vix_band == VixBand::High,
        ),
        reason(
            "realized_vol",
            format!(
                "20-day realized vol is at the {} percentile of its year (adverse at {} or above)",
                pct(i.rv_percentile),
                pct(RV_HIGH_PERCENTILE)
            ),
            i.rv_percentile >= RV_HIGH_PERCENTILE,
        ),
        reason(
            "iv_rv_spread",
            format!(
                "implied vol is {:+.2} vol points {} 20-day realized",
                i.spread,
                if i.spread >= 0.0 { "above" } else { "against" }
            ),
            i.spread < 0.0,
        ),
        reason(
            "market_regime",
            format!("market regime is {:?}", i.market_regime),
            i.market_regime == RegimeLabel::HighVolBear,
        ),
    ];
    let adverse = reasons.iter().filter(|r| r.adverse).count();
    let label = match adverse {
        0 => SellerRegimeLabel::Calm,
        1 => SellerRegimeLabel::Cautious,
        _ => SellerRegimeLabel::Hostile,
    };
    (label, reasons)
}

/// The inputs of the seller daily flag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlagInputs {
    /// Seller regime.
    pub regime: SellerRegimeLabel,
    /// Volatility trap label (nearest expiry).
    pub trap: Level3,
    /// Expiry stress label (nearest expiry).
    pub stress: StressLabel,
    /// Sessions to the nearest expiry.
    pub days_to_expiry: u32,
    /// Historical hit rate of the safe range.
    pub hit_rate: f64,
    /// Its target (the confidence).
    pub target: f64,
}

/// The seller daily flag rule (see the module documentation).
pub fn seller_flag(i: &FlagInputs) -> (SellerFlagLabel, Vec<Reason>) {
    let reason = |code: &str, text: String, adverse: bool| Reason {
        code: code.into(),
        text,
        adverse,
    };
    let hit_ok = i.hit_rate >= i.target - HIT_RATE_TOLERANCE;
    let last_day_stress = i.days_to_expiry <= 1 && i.stress == StressLabel::Caution;
    let reasons = vec![
        reason(
            "seller_regime",
            format!("seller regime is {:?}", i.regime),
            i.regime != SellerRegimeLabel::Calm,
        ),
        reason(
            "vol_trap",
            format!("volatility-trap risk is {:?}", i.trap),
            i.trap == Level3::High,
        ),
        reason(
            "expiry_stress",
            format!("expiry stress is {:?}", i.stress),
            i.stress == StressLabel::Hostile || last_day_stress,
        ),
        reason(
            "hit_rate",
            format!(
                "the safe range held on {} of past days (target {})",
                pct(i.hit_rate),
                pct(i.target)
            ),
            !hit_ok,
        ),
    ];
    let flag = if i.regime == SellerRegimeLabel::Hostile
        || i.trap == Level3::High
        || i.stress == StressLabel::Hostile
    {
        SellerFlagLabel::Hostile
    } else if i.regime == SellerRegimeLabel::Calm && hit_ok && !last_day_stress {
        SellerFlagLabel::Favourable
    } else {
        SellerFlagLabel::Caution
    };
    (flag, reasons)
}

const REGIME_RULE: &str = "adverse: India VIX in its HIGH band; 20-day realized vol ≥ 80th percentile of its year; implied vol below realized; market regime HIGH_VOL_BEAR. None → CALM, one → CAUTIOUS, two or more → HOSTILE";
const FLAG_RULE: &str = "HOSTILE if the seller regime is HOSTILE, the volatility trap is HIGH or expiry stress is HOSTILE; FAVOURABLE if the regime is CALM, the safe range's historical hit rate is at most 3 points below its target, and it is not the last session before expiry under CAUTION stress; CAUTION otherwise";

/// The sellers' block.
pub(crate) fn block(cx: &EngineInputs<'_>, shared: &Shared, market: &MarketBlock) -> SellerBlock {
    let planned = plan(cx);
    let nearest = planned.as_ref().ok().and_then(|p| p.first().copied());
    let snap = vol_snapshot(cx, shared, nearest.as_ref());
    let mut expiries = Vec::new();
    let mut first_hit: Option<Metric<HitRate>> = None;
    let n_planned = planned.as_ref().map_or(0, Vec::len);
    let all_windows: Vec<_> = (0..n_planned).map(|k| windows_for(cx, k)).collect();
    let paths = if n_planned > 1 {
        later_expiry_paths(cx, &all_windows)
    } else {
        Ok(None)
    };
    for (k, p) in planned
        .as_ref()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let (range, today) = safe_range(cx, shared, p);
        let step = cx
            .calendar
            .try_contract_spec(cx.symbol(), p.expiry)
            .map(|c| c.strike_step)
            .map_err(|e| {
                Missing::new(
                    format!("strike step of {}: {e}", p.expiry.date()),
                    "update aegis (the contract specifications)",
                )
            });
        let hist = all_windows[k].clone().and_then(|windows| {
            let sigma = sigmas_for(cx, shared, k, &windows, &paths)?;
            Ok(History { windows, sigma })
        });
        let hr = hit_rate(cx, &hist, step);
        if k == 0 {
            first_hit = Some(hr.clone());
        }
        expiries.push(SellerExpiry {
            expiry: p.expiry,
            kind: kind_name(p.kind).into(),
            trading_days: p.sessions,
            breach_curve: breach_curve(cx, shared, &hist, p, today),
            safe_range: range,
            hit_rate: hr,
            max_pain: max_pain(cx, p.expiry, k),
            skew: chain_skew(cx, p.expiry, k),
            trap: (k == 0).then(|| trap(cx, shared, &snap, p)),
            stress: (k == 0).then(|| stress(cx, shared, p)),
        });
    }

    // Seller regime: VIX band, RV percentile, IV − RV, market regime.
    let snap_prov: Provenance = {
        let mut bases = vec![&cx.daily, &cx.vix_basis];
        if snap.as_ref().is_ok_and(|s| s.from_chain) {
            bases.push(&cx.chain_basis);
        }
        finish(
            cx,
            How::Formula,
            &bases,
            snap.as_ref().map(|_| ()).map_err(Clone::clone),
        )
        .provenance
    };
    let regime = finish_rule(
        &[
            ("India VIX", &market.vix.provenance),
            ("implied and realized vol", &snap_prov),
            ("the market regime", &market.regime.provenance),
        ],
        || {
            let vix = market.vix.value.as_ref().expect("available");
            let s = snap.as_ref().expect("available");
            let (label, reasons) = seller_regime(&RegimeInputs {
                vix_band: vix.band,
                vix_percentile: vix.percentile_1y,
                rv_percentile: s.rv_percentile,
                spread: s.iv_pct - s.rv_pct,
                market_regime: market.regime.value.as_ref().expect("available").label,
            });
            SellerRegime {
                label,
                reasons,
                rule: REGIME_RULE.into(),
            }
        },
    );

    let flag = match (expiries.first(), &first_hit, &planned) {
        (Some(e0), Some(hr), _) => {
            let trap = e0.trap.as_ref().expect("nearest has a trap");
            let stress = e0.stress.as_ref().expect("nearest has stress");
            finish_rule(
                &[
                    ("the seller regime", &regime.provenance),
                    ("the volatility trap", &trap.provenance),
                    ("expiry stress", &stress.provenance),
                    ("the safe range's hit rate", &hr.provenance),
                ],
                || {
                    let (flag, reasons) = seller_flag(&FlagInputs {
                        regime: regime.value.as_ref().expect("available").label,
                        trap: trap.value.as_ref().expect("available").label,
                        stress: stress.value.as_ref().expect("available").label,
                        days_to_expiry: e0.trading_days,
                        hit_rate: hr.value.as_ref().expect("available").rate,
                        target: cx.settings.confidence,
                    });
                    SellerFlag {
                        flag,
                        reasons,
                        rule: FLAG_RULE.into(),
                    }
                },
            )
        }
        (_, _, Err(m)) => Metric::unavailable(
            Provenance::rule(None).unavailable(format!("no expiries: {}", m.reason), m.fix.clone()),
        ),
        _ => Metric::unavailable(
            Provenance::rule(None)
                .unavailable("no expiries to judge", "update aegis (the calendar)"),
        ),
    };

    SellerBlock {
        expiries,
        realized_skew: realized_skew(cx),
        regime,
        flag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn regime_inputs() -> RegimeInputs {
        RegimeInputs {
            vix_band: VixBand::Normal,
            vix_percentile: 0.5,
            rv_percentile: 0.4,
            spread: 2.0,
            market_regime: RegimeLabel::LowVolBull,
        }
    }

    #[test]
    fn seller_regime_counts_adverse_conditions() {
        let calm = regime_inputs();
        assert_eq!(seller_regime(&calm).0, SellerRegimeLabel::Calm);
        let one = RegimeInputs {
            spread: -0.5,
            ..calm
        };
        let (label, reasons) = seller_regime(&one);
        assert_eq!(label, SellerRegimeLabel::Cautious);
        assert_eq!(
            reasons
                .iter()
                .filter(|r| r.adverse)
                .map(|r| r.code.as_str())
                .collect::<Vec<_>>(),
            ["iv_rv_spread"]
        );
        let two = RegimeInputs {
            vix_band: VixBand::High,
            market_regime: RegimeLabel::HighVolBear,
            ..calm
        };
        assert_eq!(seller_regime(&two).0, SellerRegimeLabel::Hostile);
        let rv = RegimeInputs {
            rv_percentile: 0.80,
            ..calm
        };
        assert_eq!(seller_regime(&rv).0, SellerRegimeLabel::Cautious);
    }

    fn flag_inputs() -> FlagInputs {
        FlagInputs {
            regime: SellerRegimeLabel::Calm,
            trap: Level3::Medium,
            stress: StressLabel::Caution,
            days_to_expiry: 3,
            hit_rate: 0.90,
            target: 0.90,
        }
    }

    #[rstest]
    #[case(flag_inputs(), SellerFlagLabel::Favourable)]
    #[case(FlagInputs { trap: Level3::High, ..flag_inputs() }, SellerFlagLabel::Hostile)]
    #[case(FlagInputs { stress: StressLabel::Hostile, ..flag_inputs() }, SellerFlagLabel::Hostile)]
    #[case(FlagInputs { regime: SellerRegimeLabel::Hostile, ..flag_inputs() }, SellerFlagLabel::Hostile)]
    #[case(FlagInputs { regime: SellerRegimeLabel::Cautious, ..flag_inputs() }, SellerFlagLabel::Caution)]
    #[case(FlagInputs { hit_rate: 0.86, ..flag_inputs() }, SellerFlagLabel::Caution)]
    #[case(FlagInputs { hit_rate: 0.875, ..flag_inputs() }, SellerFlagLabel::Favourable)]
    #[case(FlagInputs { days_to_expiry: 1, ..flag_inputs() }, SellerFlagLabel::Caution)]
    #[case(FlagInputs { days_to_expiry: 1, stress: StressLabel::Calm, ..flag_inputs() }, SellerFlagLabel::Favourable)]
    fn seller_flag_rule(#[case] i: FlagInputs, #[case] want: SellerFlagLabel) {
        let (flag, reasons) = seller_flag(&i);
        assert_eq!(flag, want, "{reasons:?}");
        assert_eq!(reasons.len(), 4);
    }

    #[rstest]
    #[case(Level3::Low, StressLabel::Calm)]
    #[case(Level3::Medium, StressLabel::Caution)]
    #[case(Level3::High, StressLabel::Hostile)]
    fn stress_labels(#[case] l: Level3, #[case] want: StressLabel) {
        assert_eq!(stress_label(l), want);
    }
}
