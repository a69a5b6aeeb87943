//! The Option Buyers view.
//!
//! * **Breakout today and D+1 … D+5** (`breakout_d0` … `breakout_d5`): the calibrated probability
//!   of a range-expansion session (true range ≥ 1.5 × ATR(14) of the day before), one model per
//!   day ahead; `d0` is the first session after the origin (today, while the market is open).
//!   LOW / MEDIUM / HIGH against the base rate by [`crate::level_against_base`].
//! * **Spike direction bias** (`spike_direction`): P(close up | breakout) and its base rate.
//! * **Gamma burst windows**: the 13 blocks 09:15–15:30 (12 × 30 minutes, then 15:15–15:30); each
//!   block's mean |5-minute log return| over up to the last 20 sessions before today (at least
//!   [`MIN_PROFILE_SESSIONS`]), divided by the busiest block's; today's blocks so far on the
//!   same scale (`aegis-features` intraday profile).
//! * **Theta vs edge** (`theta_edge`): P(a long ATM straddle bought now at implied vol is worth
//!   more than its cost at the nearest expiry). `EDGE_JUSTIFIES_PREMIUM` at
//!   [`THETA_EDGE_AT`] or more, `DONT_WASTE_PREMIUM` below [`THETA_WASTE_BELOW`], `BORDERLINE`
//!   between; the gauge maps those cut points to 2/3 and 1/3. Cost: the chain's ATM straddle
//!   when a fresh chain lists the expiry, else Black-76 at India VIX.
//! * **Breakout levels**: the highest high and lowest low of the 10 complete sessions up to the
//!   origin, today's opening range, and the OI walls of a fresh chain's nearest expiry.
//! * **Buyer regime** from the origin's features: `TREND_FOLLOWING` when ADX(14) ≥
//!   [`ADX_TREND`] and (variance ratio VR(5) over 60 days ≥ [`VR_TREND`] or lag-1
//!   autocorrelation over 60 days ≥ [`AC_TREND`]); otherwise `MEAN_REVERT` when VR ≤
//!   [`VR_REVERT`] or autocorrelation ≤ [`AC_REVERT`]; otherwise `CHOPPY`.
//! * **Historical spike hit rate**: over `breakout_d0`'s walk-forward out-of-sample days with a
//!   known outcome, the days rated HIGH (served probability ≥ 1.25 × base rate) and the share of
//!   them that broke out, with a 95 % Wilson interval, beside the base rate; rolling 60-day mean
//!   predicted probability and realized frequency over all those days.
//! * **Gap / shock risk** (`gap_risk`): P(|overnight gap| > 1 %).
//! * **Buyer environment**: `PREMIUM_FRIENDLY` when theta vs edge is `EDGE_JUSTIFIES_PREMIUM`,
//!   today's breakout is not `LOW` and the regime is not `CHOPPY`; `UNFAVOURABLE` when theta vs
//!   edge is `DONT_WASTE_PREMIUM` and today's breakout is not `HIGH`; `SPECULATIVE_ONLY`
//!   otherwise.

use aegis_features::intraday::{BLOCKS, IntradayBaseline, OpeningRange, OpeningRangeState};
use aegis_model::{AnnualVol, Metric, OptionSide};
use aegis_quant::chain::{ChainConfig, analyze_expiry};
use aegis_quant::stats::wilson_interval;
use aegis_quant::{Black76, Forward, Strike, Years};
use chrono::NaiveDate;

use crate::blocks::{
    Breakout, BreakoutLevels, BuyerBlock, BuyerEnvLabel, BuyerEnvironment, BuyerRegime,
    BuyerRegimeLabel, DatePoint, GammaBlock, GammaWindows, GapRisk, Level3, Reason, SpikeBias,
    SpikeHitRate, ThetaEdge, ThetaEdgeLabel,
};
use crate::common::{
    How, LIFT_HIGH, Missing, base_rate, class_prob, finish, finish_rule, known_oos_rows,
    level_against_base, model, model_skill, pct, predict, served_probability,
};
use crate::context::{Basis, EngineInputs, fix};
use crate::direction::BASELINE_SESSIONS;
use crate::seller::{self, PlannedExpiry};
use crate::shared::Shared;

/// Fewest earlier sessions for the gamma-window profile.
pub const MIN_PROFILE_SESSIONS: usize = 5;
/// Theta vs edge: EDGE_JUSTIFIES_PREMIUM at this probability or more.
pub const THETA_EDGE_AT: f64 = 0.50;
/// Theta vs edge: DONT_WASTE_PREMIUM below this probability.
pub const THETA_WASTE_BELOW: f64 = 0.35;
/// ADX(14) at or above this marks a trend.
pub const ADX_TREND: f64 = 25.0;
/// Variance ratio at or above this marks persistence.
pub const VR_TREND: f64 = 1.10;
/// Autocorrelation at or above this marks persistence.
pub const AC_TREND: f64 = 0.05;
/// Variance ratio at or below this marks reversion.
pub const VR_REVERT: f64 = 0.90;
/// Autocorrelation at or below this marks reversion.
pub const AC_REVERT: f64 = -0.05;
/// Out-of-sample days in the rolling window of the spike hit-rate chart.
pub const SPIKE_ROLLING_DAYS: usize = 60;
/// Sessions in the prior high/low of the breakout levels.
pub const LEVEL_SESSIONS: usize = 10;

const BREAKOUT_MODELS: [&str; 6] = [
    "breakout_d0",
    "breakout_d1",
    "breakout_d2",
    "breakout_d3",
    "breakout_d4",
    "breakout_d5",
];

fn session_after(cx: &EngineInputs<'_>, k: usize) -> Result<NaiveDate, Missing> {
    let mut d = cx.origin();
    for _ in 0..=k {
        d = cx.calendar.next_trading_day(d).map_err(|e| {
            Missing::new(format!("NSE calendar: {e}"), "update aegis (the calendar)")
        })?;
    }
    Ok(d)
}

fn breakout(cx: &EngineInputs<'_>, k: usize) -> Metric<Breakout> {
    let name = BREAKOUT_MODELS[k];
    let value = (|| {
        let m = model(cx.models, name)?;
        let probability = class_prob(&predict(cx, name)?, "BREAKOUT")?;
        let base_rate = base_rate(m, &cx.history, "BREAKOUT")?;
        Ok(Breakout {
            day_ahead: k as u32,
            date: session_after(cx, k)?,
            probability,
            base_rate,
            label: level_against_base(probability, base_rate),
            skill: model_skill(m)?,
        })
    })();
    finish(cx, How::Model(name), &[&cx.daily], value)
}

fn spike_bias(cx: &EngineInputs<'_>) -> Metric<SpikeBias> {
    let value = (|| {
        let m = model(cx.models, "spike_direction")?;
        let p = predict(cx, "spike_direction")?;
        Ok(SpikeBias {
            up: class_prob(&p, "UP")?,
            down: class_prob(&p, "DOWN")?,
            base_rate_up: base_rate(m, &cx.history, "UP")?,
            skill: model_skill(m)?,
        })
    })();
    finish(cx, How::Model("spike_direction"), &[&cx.daily], value)
}

fn gamma_windows(cx: &EngineInputs<'_>) -> Metric<GammaWindows> {
    let value = (|| {
        let earlier = cx.earlier_sessions()?;
        let used = earlier.len().min(BASELINE_SESSIONS);
        if used < MIN_PROFILE_SESSIONS {
            return Err(Missing::new(
                format!(
                    "{used} earlier session{} of 5-minute bars; the profile needs at least {MIN_PROFILE_SESSIONS}",
                    if used == 1 { "" } else { "s" }
                ),
                fix::INTRADAY,
            ));
        }
        let baseline = IntradayBaseline::new(earlier, BASELINE_SESSIONS);
        let profile = baseline.block_profile();
        let busiest = profile
            .blocks
            .iter()
            .filter_map(|b| b.mean_abs_return)
            .fold(0.0, f64::max);
        let today = cx.today().map(|s| s.block_mean_abs_returns());
        let mut blocks = Vec::with_capacity(BLOCKS);
        for (i, b) in profile.blocks.iter().enumerate() {
            let (Some(mean), Some(score)) = (b.mean_abs_return, b.score) else {
                return Err(Missing::new(
                    format!(
                        "no 5-minute return in the block {}–{} over the last {used} sessions",
                        b.start.format("%H:%M"),
                        b.end.format("%H:%M")
                    ),
                    fix::INTRADAY,
                ));
            };
            blocks.push(GammaBlock {
                start: b.start.format("%H:%M").to_string(),
                end: b.end.format("%H:%M").to_string(),
                score,
                mean_abs_ret_bp: 1e4 * mean,
                today: today.and_then(|t| t[i]).map(|x| x / busiest),
            });
        }
        let peak_block = blocks.iter().enumerate().fold(0, |best, (i, b)| {
            if b.score > blocks[best].score {
                i
            } else {
                best
            }
        });
        Ok(GammaWindows {
            blocks,
            sessions: profile.sessions as u32,
            peak_block: peak_block as u32,
        })
    })();
    finish(cx, How::Formula, &[&cx.intra], value)
}

/// The theta-vs-edge label of a probability.
pub fn theta_label(p: f64) -> ThetaEdgeLabel {
    if p >= THETA_EDGE_AT {
        ThetaEdgeLabel::EdgeJustifiesPremium
    } else if p < THETA_WASTE_BELOW {
        ThetaEdgeLabel::DontWastePremium
    } else {
        ThetaEdgeLabel::Borderline
    }
}

/// The gauge position of a theta-vs-edge probability: piecewise linear through
/// (0, 0), ([`THETA_WASTE_BELOW`], 1/3), ([`THETA_EDGE_AT`], 2/3), (1, 1).
pub fn theta_gauge(p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let third = 1.0 / 3.0;
    if p < THETA_WASTE_BELOW {
        p / THETA_WASTE_BELOW * third
    } else if p < THETA_EDGE_AT {
        third + (p - THETA_WASTE_BELOW) / (THETA_EDGE_AT - THETA_WASTE_BELOW) * third
    } else {
        2.0 * third + (p - THETA_EDGE_AT) / (1.0 - THETA_EDGE_AT) * third
    }
}

fn years_to(cx: &EngineInputs<'_>, p: &PlannedExpiry) -> Option<f64> {
    let secs = (aegis_model::time::ist_at(p.expiry.date(), 15, 30) - cx.as_of).num_seconds();
    (secs > 0).then(|| secs as f64 / 86_400.0 / 365.0)
}

fn theta_edge(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    nearest: &Result<PlannedExpiry, Missing>,
) -> Metric<ThetaEdge> {
    let fresh = nearest.as_ref().ok().and_then(|p| {
        let c = cx
            .fresh_chain()
            .filter(|c| c.expiries.contains(&p.expiry))?;
        let secs = (aegis_model::time::ist_at(p.expiry.date(), 15, 30)
            - c.timestamp.with_timezone(&chrono::Utc))
        .num_seconds();
        let a = analyze_expiry(
            c,
            p.expiry,
            Years(secs as f64 / 86_400.0 / 365.0),
            &ChainConfig::default(),
        )
        .ok()?;
        Some((a.expected_move.ok()?.straddle.0, a.atm_iv.ok()?.iv.0))
    });
    let value = (|| {
        let p = nearest.as_ref().map_err(Clone::clone)?;
        let m = model(cx.models, "theta_edge")?;
        let probability = class_prob(&predict(cx, "theta_edge")?, "EDGE")?;
        let base_rate = base_rate(m, &cx.history, "EDGE")?;
        let spot = shared.spot.value()?;
        let (straddle_cost_pts, iv) = match fresh {
            Some(x) => x,
            None => {
                let vix = cx.vix_as_index_iv()? / 100.0;
                let years = years_to(cx, p)
                    .ok_or_else(|| Missing::new("the nearest expiry has passed", fix::DAILY))?;
                let b = Black76::undiscounted(
                    Forward(spot),
                    Strike(spot),
                    Years(years),
                    AnnualVol(vix),
                )
                .map_err(|e| Missing::new(format!("straddle price: {e}"), fix::DAILY))?;
                (b.price(OptionSide::Call) + b.price(OptionSide::Put), vix)
            }
        };
        let forecast = shared.vol_sigma(cx, p.sessions as usize)?;
        Ok(ThetaEdge {
            probability,
            base_rate,
            label: theta_label(probability),
            horizon_days: p.sessions,
            straddle_cost_pts,
            iv_pct: 100.0 * iv,
            forecast_vol_pct: 100.0 * forecast.sigma,
            gauge: theta_gauge(probability),
        })
    })();
    let mut bases: Vec<&Basis> = vec![&cx.daily, &cx.vix_basis];
    bases.extend(shared.spot.bases());
    if fresh.is_some() {
        bases.push(&cx.chain_basis);
    }
    finish(cx, How::Model("theta_edge"), &bases, value)
}

fn levels(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    nearest: &Result<PlannedExpiry, Missing>,
) -> Metric<BreakoutLevels> {
    let walls = nearest.as_ref().ok().and_then(|p| {
        let c = cx
            .fresh_chain()
            .filter(|c| c.expiries.contains(&p.expiry))?;
        let secs = (aegis_model::time::ist_at(p.expiry.date(), 15, 30)
            - c.timestamp.with_timezone(&chrono::Utc))
        .num_seconds();
        let a = analyze_expiry(
            c,
            p.expiry,
            Years(secs as f64 / 86_400.0 / 365.0),
            &ChainConfig::default(),
        )
        .ok()?;
        Some((
            a.call_wall.ok().map(|w| w.strike),
            a.put_wall.ok().map(|w| w.strike),
        ))
    });
    let or = cx.today().map(OpeningRange::of);
    let value = (|| {
        let h = &cx.history;
        if h.len() < LEVEL_SESSIONS {
            return Err(Missing::new(
                format!("fewer than {LEVEL_SESSIONS} complete daily bars"),
                fix::DAILY,
            ));
        }
        let from = h.len() - LEVEL_SESSIONS;
        let high_10d = h.high()[from..].iter().fold(f64::MIN, |a, &b| a.max(b));
        let low_10d = h.low()[from..].iter().fold(f64::MAX, |a, &b| a.min(b));
        let (or_high, or_low) = match or {
            Some(OpeningRange {
                state: OpeningRangeState::NotFormed,
                ..
            })
            | None => (None, None),
            Some(r) => (r.high, r.low),
        };
        Ok(BreakoutLevels {
            high_10d,
            low_10d,
            or_high,
            or_low,
            call_wall: walls.and_then(|w| w.0),
            put_wall: walls.and_then(|w| w.1),
            spot: shared.spot.value()?,
        })
    })();
    let mut bases: Vec<&Basis> = vec![&cx.daily];
    bases.extend(shared.spot.bases());
    if or.is_some() {
        bases.push(&cx.intra);
    }
    if walls.is_some() {
        bases.push(&cx.chain_basis);
    }
    finish(cx, How::Formula, &bases, value)
}

/// The buyer regime rule (see the module documentation).
pub fn buyer_regime_label(variance_ratio: f64, autocorr: f64, adx: f64) -> BuyerRegimeLabel {
    if adx >= ADX_TREND && (variance_ratio >= VR_TREND || autocorr >= AC_TREND) {
        BuyerRegimeLabel::TrendFollowing
    } else if variance_ratio <= VR_REVERT || autocorr <= AC_REVERT {
        BuyerRegimeLabel::MeanRevert
    } else {
        BuyerRegimeLabel::Choppy
    }
}

fn buyer_regime(cx: &EngineInputs<'_>, shared: &Shared) -> Metric<BuyerRegime> {
    let value = (|| {
        let variance_ratio = shared.last_feature(cx, "vr_60")?;
        let autocorr = shared.last_feature(cx, "ac1_60")?;
        let adx = shared.last_feature(cx, "adx_14")?;
        Ok(BuyerRegime {
            label: buyer_regime_label(variance_ratio, autocorr, adx),
            variance_ratio,
            autocorr,
            adx,
            rule: format!(
                "TREND_FOLLOWING if ADX(14) ≥ {ADX_TREND} and (VR(5, 60 days) ≥ {VR_TREND} or lag-1 autocorrelation (60 days) ≥ {AC_TREND}); else MEAN_REVERT if VR ≤ {VR_REVERT} or autocorrelation ≤ {AC_REVERT}; else CHOPPY"
            ),
        })
    })();
    finish(cx, How::Formula, &[&cx.daily], value)
}

/// Hit rate of HIGH-rated days and the rolling series from out-of-sample rows
/// `(served probability of BREAKOUT, broke out)`, oldest first.
pub fn spike_hit_rate_of(rows: &[(NaiveDate, f64, bool)], base_rate: f64) -> Option<SpikeHitRate> {
    let threshold = LIFT_HIGH * base_rate;
    let high: Vec<bool> = rows
        .iter()
        .filter(|r| r.1 >= threshold)
        .map(|r| r.2)
        .collect();
    let hits = high.iter().filter(|&&b| b).count();
    let ci = wilson_interval(
        hits as u64,
        high.len() as u64,
        aegis_model::Probability::clamped(0.95),
    )
    .ok()?;
    let mut predicted = Vec::new();
    let mut realized = Vec::new();
    let (mut sum_p, mut sum_y) = (0.0, 0usize);
    for (k, r) in rows.iter().enumerate() {
        sum_p += r.1;
        sum_y += usize::from(r.2);
        if k >= SPIKE_ROLLING_DAYS {
            sum_p -= rows[k - SPIKE_ROLLING_DAYS].1;
            sum_y -= usize::from(rows[k - SPIKE_ROLLING_DAYS].2);
        }
        if k + 1 >= SPIKE_ROLLING_DAYS {
            let n = SPIKE_ROLLING_DAYS as f64;
            predicted.push(DatePoint {
                date: r.0,
                v: sum_p / n,
            });
            realized.push(DatePoint {
                date: r.0,
                v: sum_y as f64 / n,
            });
        }
    }
    Some(SpikeHitRate {
        hit_rate: ci.rate.get(),
        ci_low: ci.low.get(),
        ci_high: ci.high.get(),
        n_high: high.len() as u32,
        base_rate,
        high_threshold: threshold,
        predicted,
        realized,
    })
}

fn spike_hit_rate(cx: &EngineInputs<'_>) -> Metric<SpikeHitRate> {
    let value = (|| {
        let m = model(cx.models, "breakout_d0")?;
        let classes = &m.file.card().classes;
        let yes = classes
            .iter()
            .position(|c| c == "BREAKOUT")
            .ok_or_else(|| Missing::new("breakout_d0 has no BREAKOUT class", fix::TRAIN))?;
        let base = base_rate(m, &cx.history, "BREAKOUT")?;
        let rows: Vec<(NaiveDate, f64, bool)> = known_oos_rows(m, &cx.history)
            .into_iter()
            .map(|(_, r)| (r.date, served_probability(m, r)[yes], r.label == yes))
            .collect();
        spike_hit_rate_of(&rows, base).ok_or_else(|| {
            Missing::new(
                format!(
                    "no out-of-sample day was rated HIGH (probability ≥ {} = 1.25 × the base rate)",
                    pct(LIFT_HIGH * base)
                ),
                fix::TRAIN,
            )
        })
    })();
    finish(cx, How::Model("breakout_d0"), &[&cx.daily], value)
}

fn gap_risk(cx: &EngineInputs<'_>) -> Metric<GapRisk> {
    let value = (|| {
        let m = model(cx.models, "gap_risk")?;
        let probability = class_prob(&predict(cx, "gap_risk")?, "GAP")?;
        let base_rate = base_rate(m, &cx.history, "GAP")?;
        Ok(GapRisk {
            probability,
            base_rate,
            label: level_against_base(probability, base_rate),
            skill: model_skill(m)?,
        })
    })();
    finish(cx, How::Model("gap_risk"), &[&cx.daily], value)
}

/// The buyer environment rule (see the module documentation).
pub fn buyer_environment(
    theta: ThetaEdgeLabel,
    breakout_today: Level3,
    regime: BuyerRegimeLabel,
) -> (BuyerEnvLabel, Vec<Reason>) {
    let reasons = vec![
        Reason {
            code: "theta_edge".into(),
            text: format!("theta vs edge: {theta:?}"),
            adverse: theta != ThetaEdgeLabel::EdgeJustifiesPremium,
        },
        Reason {
            code: "breakout_today".into(),
            text: format!("breakout potential today is {breakout_today:?} against its base rate"),
            adverse: breakout_today == Level3::Low,
        },
        Reason {
            code: "buyer_regime".into(),
            text: format!("buyer regime is {regime:?}"),
            adverse: regime == BuyerRegimeLabel::Choppy,
        },
    ];
    let label = if theta == ThetaEdgeLabel::EdgeJustifiesPremium
        && breakout_today != Level3::Low
        && regime != BuyerRegimeLabel::Choppy
    {
        BuyerEnvLabel::PremiumFriendly
    } else if theta == ThetaEdgeLabel::DontWastePremium && breakout_today != Level3::High {
        BuyerEnvLabel::Unfavourable
    } else {
        BuyerEnvLabel::SpeculativeOnly
    };
    (label, reasons)
}

const ENV_RULE: &str = "PREMIUM_FRIENDLY if theta vs edge is EDGE_JUSTIFIES_PREMIUM, today's breakout potential is not LOW and the buyer regime is not CHOPPY; UNFAVOURABLE if theta vs edge is DONT_WASTE_PREMIUM and today's breakout potential is not HIGH; SPECULATIVE_ONLY otherwise";

/// The buyers' block.
pub(crate) fn block(cx: &EngineInputs<'_>, shared: &Shared) -> BuyerBlock {
    let nearest = seller::plan(cx).and_then(|p| {
        p.first()
            .copied()
            .ok_or_else(|| Missing::new("no expiry ahead", "update aegis (the calendar)"))
    });
    let breakout_today = breakout(cx, 0);
    let breakout_next: Vec<Metric<Breakout>> = (1..6).map(|k| breakout(cx, k)).collect();
    let theta_edge = theta_edge(cx, shared, &nearest);
    let regime = buyer_regime(cx, shared);
    let environment = finish_rule(
        &[
            ("theta vs edge", &theta_edge.provenance),
            ("today's breakout potential", &breakout_today.provenance),
            ("the buyer regime", &regime.provenance),
        ],
        || {
            let (label, reasons) = buyer_environment(
                theta_edge.value.as_ref().expect("available").label,
                breakout_today.value.as_ref().expect("available").label,
                regime.value.as_ref().expect("available").label,
            );
            BuyerEnvironment {
                label,
                reasons,
                rule: ENV_RULE.into(),
            }
        },
    );
    BuyerBlock {
        spike_bias: spike_bias(cx),
        gamma_windows: gamma_windows(cx),
        levels: levels(cx, shared, &nearest),
        spike_hit_rate: spike_hit_rate(cx),
        gap_risk: gap_risk(cx),
        breakout_today,
        breakout_next,
        theta_edge,
        regime,
        environment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0.55, ThetaEdgeLabel::EdgeJustifiesPremium)]
    #[case(0.50, ThetaEdgeLabel::EdgeJustifiesPremium)]
    #[case(0.40, ThetaEdgeLabel::Borderline)]
    #[case(0.35, ThetaEdgeLabel::Borderline)]
    #[case(0.20, ThetaEdgeLabel::DontWastePremium)]
    fn theta_labels(#[case] p: f64, #[case] want: ThetaEdgeLabel) {
        assert_eq!(theta_label(p), want);
    }

    #[test]
    fn theta_gauge_puts_the_cut_points_on_the_zone_edges() {
        assert_eq!(theta_gauge(0.0), 0.0);
        assert!((theta_gauge(THETA_WASTE_BELOW) - 1.0 / 3.0).abs() < 1e-12);
        assert!((theta_gauge(THETA_EDGE_AT) - 2.0 / 3.0).abs() < 1e-12);
        assert!((theta_gauge(1.0) - 1.0).abs() < 1e-12);
        let mut last = -1.0;
        for i in 0..=100 {
            let g = theta_gauge(f64::from(i) / 100.0);
            assert!(g >= last);
            last = g;
        }
    }

    #[rstest]
    #[case(1.2, 0.0, 30.0, BuyerRegimeLabel::TrendFollowing)]
    #[case(1.0, 0.08, 26.0, BuyerRegimeLabel::TrendFollowing)]
    #[case(1.2, 0.0, 20.0, BuyerRegimeLabel::Choppy)]
    #[case(0.85, 0.0, 20.0, BuyerRegimeLabel::MeanRevert)]
    #[case(1.0, -0.10, 30.0, BuyerRegimeLabel::MeanRevert)]
    #[case(1.0, 0.0, 15.0, BuyerRegimeLabel::Choppy)]
    fn buyer_regime_thresholds(
        #[case] vr: f64,
        #[case] ac: f64,
        #[case] adx: f64,
        #[case] want: BuyerRegimeLabel,
    ) {
        assert_eq!(buyer_regime_label(vr, ac, adx), want);
    }

    #[rstest]
    #[case(
        ThetaEdgeLabel::EdgeJustifiesPremium,
        Level3::Medium,
        BuyerRegimeLabel::TrendFollowing,
        BuyerEnvLabel::PremiumFriendly
    )]
    #[case(
        ThetaEdgeLabel::EdgeJustifiesPremium,
        Level3::Medium,
        BuyerRegimeLabel::Choppy,
        BuyerEnvLabel::SpeculativeOnly
    )]
    #[case(
        ThetaEdgeLabel::EdgeJustifiesPremium,
        Level3::Low,
        BuyerRegimeLabel::MeanRevert,
        BuyerEnvLabel::SpeculativeOnly
    )]
    #[case(
        ThetaEdgeLabel::DontWastePremium,
        Level3::Medium,
        BuyerRegimeLabel::TrendFollowing,
        BuyerEnvLabel::Unfavourable
    )]
    #[case(
        ThetaEdgeLabel::DontWastePremium,
        Level3::High,
        BuyerRegimeLabel::TrendFollowing,
        BuyerEnvLabel::SpeculativeOnly
    )]
    #[case(
        ThetaEdgeLabel::Borderline,
        Level3::High,
        BuyerRegimeLabel::TrendFollowing,
        BuyerEnvLabel::SpeculativeOnly
    )]
    fn environment_rule(
        #[case] theta: ThetaEdgeLabel,
        #[case] b: Level3,
        #[case] r: BuyerRegimeLabel,
        #[case] want: BuyerEnvLabel,
    ) {
        let (label, reasons) = buyer_environment(theta, b, r);
        assert_eq!(label, want);
        assert_eq!(reasons.len(), 3);
    }

    #[test]
    fn spike_hit_rate_counts_high_days_by_hand() {
        let d =
            |i: u32| NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(u64::from(i));
        // Base 0.2 → HIGH at ≥ 0.25. Days 0..100: every 4th day p = 0.30, and of those every
        // other one broke out; other days p = 0.10, breaking out every 10th day.
        let rows: Vec<(NaiveDate, f64, bool)> = (0..100)
            .map(|i| {
                if i % 4 == 0 {
                    (d(i), 0.30, i % 8 == 0)
                } else {
                    (d(i), 0.10, i % 10 == 1)
                }
            })
            .collect();
        let s = spike_hit_rate_of(&rows, 0.2).unwrap();
        assert_eq!(s.n_high, 25);
        assert!((s.hit_rate - 13.0 / 25.0).abs() < 1e-12);
        assert!(s.ci_low < s.hit_rate && s.hit_rate < s.ci_high);
        assert_eq!(s.predicted.len(), 100 - SPIKE_ROLLING_DAYS + 1);
        let first: f64 = rows[..SPIKE_ROLLING_DAYS].iter().map(|r| r.1).sum::<f64>() / 60.0;
        assert!((s.predicted[0].v - first).abs() < 1e-12);
        let realized_last = rows[100 - SPIKE_ROLLING_DAYS..]
            .iter()
            .filter(|r| r.2)
            .count() as f64
            / 60.0;
        assert!((s.realized.last().unwrap().v - realized_last).abs() < 1e-12);
        // No HIGH day at all: none.
        assert!(spike_hit_rate_of(&rows, 0.5).is_none());
    }
}
