//! The Direction view: six horizons, today, and the risk score.
//!
//! Forecasts originate at the close of the newest complete daily session (the *origin*). While
//! the market is open the origin is yesterday's close, so `T+1` is today's close; after the
//! close it is tomorrow's.
//!
//! **Horizon `h`** (1, 3, 5, 10, 20, 40 sessions), from `direction_h{h}`:
//! * calibrated probabilities of UP / NEUTRAL / DOWN and the base rates (each class's share of
//!   the model's walk-forward out-of-sample days whose outcome was known at the origin);
//! * the stated direction is the top class only when it is UP or DOWN **and** beats its base rate
//!   by [`DIRECTION_MARGIN`] (5 points); otherwise NEUTRAL. Conviction is the probability of the
//!   stated direction;
//! * expected move `S·(exp(Σ_c p_c·r̄_c) − 1)` points, with `r̄_c` the mean `h`-session log return
//!   of the out-of-sample days labelled `c`;
//! * 68 % range `S·exp(±σ_h√(h/252))` with `σ_h` the volatility model's forecast for `h`;
//! * dead zone `δ_h = 0.25·σ_20d·√(h/252)` (the label's), and the out-of-sample skill from the
//!   model card, with a plain verdict ("No demonstrated skill …" when the served Brier skill
//!   is ≤ 0).
//!
//! **Today**: `m = P(UP) − P(DOWN)` of the T+1 model; while the market is open, the intraday
//! evidence `o` (+1 when the last close is above the opening range of 09:15–09:45, −1 below, 0
//! inside or not formed) and `g` (the sign of the opening gap when it is at least
//! [`GAP_MIN_PCT`] %) is weighted by `w = clamp(RV ratio, 0.5, 2)` (realized vol so far against
//! its usual level at this time of day over up to 20 earlier sessions, at least
//! [`MIN_BASELINE_SESSIONS`]; 1 when unknown): `gauge = clamp(m + w·(0.3·o + 0.1·g), −1, 1)`.
//! UP at `gauge ≥ 1/3`, DOWN at `≤ −1/3`, NEUTRAL between; conviction is the T+1 probability of
//! that class. Outside the session the gauge is `m`.
//!
//! **Risk score** `= 0.5·v + 0.5·clamp((H − 0.8)/0.2, 0, 1)` in `[0, 1]`: `v` the percentile of
//! today's volatility forecast to the nearest expiry among the walk-forward forecasts of the last
//! 252 sessions, `H` the mean normalised entropy of the six horizons' probabilities (1 = no
//! information; a forecast at typical base rates is ≈ 0.99).

use aegis_features::intraday::{IntradayBaseline, IntradayFeatures, OpeningRangeState as Or};
use aegis_model::Metric;
use aegis_quant::stats::{entropy, percentile_rank};

use crate::blocks::{
    ClassProbs, Direction, DirectionBlock, HorizonForecast, OpeningRangeState, RiskScore, TodayView,
};
use crate::common::{
    How, Missing, base_rates, class_prob, finish, known_oos_rows, model, model_skill, predict,
};
use crate::context::{Basis, EngineInputs, fix};
use crate::shared::Shared;

/// The horizons, their model names and tile names.
pub const HORIZONS: [(u32, &str, &str); 6] = [
    (1, "direction_h1", "Tomorrow"),
    (3, "direction_h3", "Next 3 Days"),
    (5, "direction_h5", "This Week"),
    (10, "direction_h10", "Next Week"),
    (20, "direction_h20", "This Month"),
    (40, "direction_h40", "Next Month"),
];
/// The top class must beat its base rate by this much to be stated.
pub const DIRECTION_MARGIN: f64 = 0.05;
/// Earlier sessions that must have reached the current time of day for the RV ratio.
pub const MIN_BASELINE_SESSIONS: usize = 5;
/// Sessions in the intraday baseline.
pub const BASELINE_SESSIONS: usize = 20;
/// A gap smaller than this (percent) does not count in the today gauge.
pub const GAP_MIN_PCT: f64 = 0.25;
/// Dead-zone multiple of the direction labels.
const DEAD_ZONE: f64 = 0.25;

/// The stated direction and its conviction (see the module documentation).
pub fn stated_direction(probs: ClassProbs, base: ClassProbs) -> (Direction, f64) {
    let top = if probs.up >= probs.neutral && probs.up >= probs.down {
        Direction::Up
    } else if probs.down > probs.up && probs.down >= probs.neutral {
        Direction::Down
    } else {
        Direction::Neutral
    };
    match top {
        Direction::Up if probs.up - base.up >= DIRECTION_MARGIN => (Direction::Up, probs.up),
        Direction::Down if probs.down - base.down >= DIRECTION_MARGIN => {
            (Direction::Down, probs.down)
        }
        _ => (Direction::Neutral, probs.neutral),
    }
}

/// The today gauge (see the module documentation).
pub fn today_gauge(
    t1: ClassProbs,
    opening_range: OpeningRangeState,
    gap_pct: Option<f64>,
    rv_ratio: Option<f64>,
    in_session: bool,
) -> f64 {
    let m = t1.up - t1.down;
    if !in_session {
        return m.clamp(-1.0, 1.0);
    }
    let o = match opening_range {
        OpeningRangeState::BrokeUp => 1.0,
        OpeningRangeState::BrokeDown => -1.0,
        OpeningRangeState::Inside | OpeningRangeState::NotFormed => 0.0,
    };
    let g = gap_pct
        .filter(|g| g.abs() >= GAP_MIN_PCT)
        .map_or(0.0, f64::signum);
    let w = rv_ratio.map_or(1.0, |r| r.clamp(0.5, 2.0));
    (m + w * (0.3 * o + 0.1 * g)).clamp(-1.0, 1.0)
}

/// The direction of a gauge position.
pub fn gauge_direction(gauge: f64) -> Direction {
    if gauge >= 1.0 / 3.0 {
        Direction::Up
    } else if gauge <= -1.0 / 3.0 {
        Direction::Down
    } else {
        Direction::Neutral
    }
}

/// The risk score of a volatility percentile and a mean normalised entropy.
pub fn risk_score(vol_percentile: f64, mean_entropy: f64) -> f64 {
    (0.5 * vol_percentile + 0.5 * ((mean_entropy - 0.8) / 0.2).clamp(0.0, 1.0)).clamp(0.0, 1.0)
}

fn probs_of(p: &aegis_ml::predictor::Prediction) -> Result<ClassProbs, Missing> {
    Ok(ClassProbs {
        up: class_prob(p, "UP")?,
        neutral: class_prob(p, "NEUTRAL")?,
        down: class_prob(p, "DOWN")?,
    })
}

fn class_index(classes: &[String], name: &str) -> Result<usize, Missing> {
    classes
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| Missing::new(format!("the model has no class {name}"), fix::TRAIN))
}

fn horizon(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    days: u32,
    name: &'static str,
    tile: &str,
) -> Metric<HorizonForecast> {
    let value = (|| {
        let m = model(cx.models, name)?;
        let pred = predict(cx, name)?;
        let probs = probs_of(&pred)?;
        let classes = &m.file.card().classes;
        let rates = base_rates(m, &cx.history)?;
        let (iu, in_, id) = (
            class_index(classes, "UP")?,
            class_index(classes, "NEUTRAL")?,
            class_index(classes, "DOWN")?,
        );
        let base = ClassProbs {
            up: rates[iu],
            neutral: rates[in_],
            down: rates[id],
        };
        let (direction, conviction) = stated_direction(probs, base);
        // Mean h-session log return of each class over the known out-of-sample days.
        let c = cx.history.close();
        let h = days as usize;
        let mut sums = vec![(0.0, 0usize); classes.len()];
        for (t, row) in known_oos_rows(m, &cx.history) {
            if t + h < c.len()
                && let Some(s) = sums.get_mut(row.label)
            {
                s.0 += (c[t + h] / c[t]).ln();
                s.1 += 1;
            }
        }
        let mean = |i: usize| -> Result<f64, Missing> {
            let (s, n) = sums[i];
            if n == 0 {
                return Err(Missing::new(
                    format!(
                        "no out-of-sample day of {} has the class {} with a known outcome",
                        m.id(),
                        classes[i]
                    ),
                    fix::TRAIN,
                ));
            }
            Ok(s / n as f64)
        };
        let expected_log =
            probs.up * mean(iu)? + probs.neutral * mean(in_)? + probs.down * mean(id)?;
        let spot = shared.spot.value()?;
        let sigma = shared.vol_sigma(cx, h)?;
        let sd = sigma.sigma * (f64::from(days) / 252.0).sqrt();
        let rv20 = shared.last_feature(cx, "rv_cc_20d")?;
        Ok(HorizonForecast {
            days,
            name: tile.to_string(),
            probs,
            base_rates: base,
            direction,
            conviction,
            expected_move_pts: spot * (expected_log.exp() - 1.0),
            range68_low: spot * (-sd).exp(),
            range68_high: spot * sd.exp(),
            sigma_vol_pct: 100.0 * sigma.sigma,
            dead_zone_pct: 100.0 * DEAD_ZONE * rv20 * (f64::from(days) / 252.0).sqrt(),
            skill: model_skill(m)?,
        })
    })();
    let mut bases: Vec<&Basis> = vec![&cx.daily];
    bases.extend(shared.spot.bases());
    finish(cx, How::Model(name), &bases, value)
}

fn or_state(s: Or) -> OpeningRangeState {
    match s {
        Or::NotFormed => OpeningRangeState::NotFormed,
        Or::Inside => OpeningRangeState::Inside,
        Or::BrokeUp => OpeningRangeState::BrokeUp,
        Or::BrokeDown => OpeningRangeState::BrokeDown,
    }
}

fn today(cx: &EngineInputs<'_>) -> Metric<TodayView> {
    let in_session = cx.market_open();
    let value = (|| {
        let m = model(cx.models, "direction_h1")?;
        let pred = predict(cx, "direction_h1")?;
        let t1 = probs_of(&pred)?;
        let rates = base_rates(m, &cx.history)?;
        let classes = &m.file.card().classes;
        let base_up = rates[class_index(classes, "UP")?];
        let base_down = rates[class_index(classes, "DOWN")?];
        let mut notes = vec![format!(
            "T+1 model ({}): up {:.1}% (base {:.1}%), down {:.1}% (base {:.1}%)",
            pred.model,
            100.0 * t1.up,
            100.0 * base_up,
            100.0 * t1.down,
            100.0 * base_down
        )];
        let (mut gap_pct, mut opening_range, mut or_high, mut or_low, mut rv_ratio) =
            (None, OpeningRangeState::NotFormed, None, None, None);
        if in_session {
            match cx.today() {
                Some(session) => {
                    let earlier = cx.earlier_sessions()?;
                    let baseline = IntradayBaseline::new(earlier, BASELINE_SESSIONS);
                    let prev_close = *cx.history.close().last().expect("non-empty");
                    let f = IntradayFeatures::compute(
                        session,
                        prev_close,
                        &baseline,
                        MIN_BASELINE_SESSIONS,
                    )
                    .map_err(|e| Missing::new(format!("intraday features: {e}"), fix::INTRADAY))?;
                    gap_pct = f.gap_pct;
                    opening_range = or_state(f.opening_range.state);
                    or_high = f.opening_range.high;
                    or_low = f.opening_range.low;
                    rv_ratio = f.vol_ratio_vs_usual;
                    notes.push(match gap_pct {
                        Some(g) => format!("opened {g:+.2}% from the previous close"),
                        None => "the 09:15 bar is missing: no gap".into(),
                    });
                    notes.push(match (opening_range, or_low, or_high) {
                        (OpeningRangeState::NotFormed, _, _) => {
                            "opening range (09:15–09:45) not formed yet".into()
                        }
                        (state, Some(lo), Some(hi)) => format!(
                            "price is {} the opening range {lo:.2}–{hi:.2}",
                            match state {
                                OpeningRangeState::BrokeUp => "above",
                                OpeningRangeState::BrokeDown => "below",
                                _ => "inside",
                            }
                        ),
                        _ => "opening range incomplete".into(),
                    });
                    notes.push(match rv_ratio {
                        Some(r) => format!(
                            "intraday realized vol is {r:.2}× its usual level for this time of day ({} earlier sessions)",
                            baseline.sessions()
                        ),
                        None => format!(
                            "fewer than {MIN_BASELINE_SESSIONS} earlier sessions reached this time of day: no RV ratio"
                        ),
                    });
                }
                None => notes.push("no 5-minute bar of today's session yet: T+1 view only".into()),
            }
        } else {
            notes.push("the market is closed: T+1 view only (for the next session)".into());
        }
        let gauge = today_gauge(t1, opening_range, gap_pct, rv_ratio, in_session);
        let direction = gauge_direction(gauge);
        notes.push(format!(
            "gauge = clamp(P(up) − P(down) + w·(0.3·opening-range + 0.1·gap), −1, 1) = {gauge:+.3}, w = clamp(RV ratio, 0.5, 2)"
        ));
        let conviction = match direction {
            Direction::Up => t1.up,
            Direction::Down => t1.down,
            Direction::Neutral => t1.neutral,
        };
        Ok(TodayView {
            direction,
            gauge,
            conviction,
            t1,
            gap_pct,
            opening_range,
            or_high,
            or_low,
            rv_ratio,
            notes,
        })
    })();
    let mut intra = cx.intra.clone();
    let bases: Vec<&Basis> = if in_session {
        // Without bars the view is T+1 only, marked stale by the intraday rule.
        if intra.missing.is_some() {
            intra.stale = intra.missing.take().map(|m| m.reason);
        }
        vec![&cx.daily, &intra]
    } else {
        vec![&cx.daily]
    };
    finish(cx, How::Model("direction_h1"), &bases, value)
}

fn risk(
    cx: &EngineInputs<'_>,
    shared: &Shared,
    horizons: &[Metric<HorizonForecast>],
) -> Metric<RiskScore> {
    let value = (|| {
        let mut entropies = Vec::with_capacity(horizons.len());
        for (m, (_, name, _)) in horizons.iter().zip(HORIZONS) {
            let f = m.value.as_ref().ok_or_else(|| {
                Missing::new(
                    format!(
                        "needs the {name} forecast, which is unavailable: {}",
                        m.provenance.reason.as_deref().unwrap_or("")
                    ),
                    m.provenance
                        .fix
                        .clone()
                        .unwrap_or_else(|| fix::TRAIN.into()),
                )
            })?;
            let p = [f.probs.up, f.probs.neutral, f.probs.down];
            let sum: f64 = p.iter().sum();
            let p = p.map(|x| x / sum);
            entropies.push(
                entropy(&p, true).map_err(|e| Missing::new(format!("entropy: {e}"), fix::TRAIN))?,
            );
        }
        let mean_entropy = entropies.iter().sum::<f64>() / entropies.len() as f64;
        let n0 = shared.nearest_sessions(cx)?;
        let today = shared.vol_sigma(cx, n0 as usize)?.sigma;
        let history = shared.sigma0()?;
        let sample: Vec<f64> = history.iter().rev().take(252).flatten().copied().collect();
        let vol_percentile = percentile_rank(today, &sample)
            .map_err(|e| {
                Missing::new(
                    format!("no walk-forward volatility forecasts in the last year: {e}"),
                    fix::TRAIN,
                )
            })?
            .get();
        Ok(RiskScore {
            score: risk_score(vol_percentile, mean_entropy),
            vol_percentile,
            entropy: mean_entropy,
            rule: "score = 0.5 × percentile of today's volatility forecast to the nearest expiry among the walk-forward forecasts of the last 252 sessions + 0.5 × clamp((mean normalised entropy of the six horizons − 0.8) / 0.2, 0, 1)".into(),
        })
    })();
    finish(cx, How::Model("vol_forecast"), &[&cx.daily], value)
}

/// The direction block.
pub(crate) fn block(cx: &EngineInputs<'_>, shared: &Shared) -> DirectionBlock {
    let horizons: Vec<Metric<HorizonForecast>> = HORIZONS
        .iter()
        .map(|&(days, name, tile)| horizon(cx, shared, days, name, tile))
        .collect();
    DirectionBlock {
        today: today(cx),
        risk: risk(cx, shared, &horizons),
        horizons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn cp(up: f64, neutral: f64, down: f64) -> ClassProbs {
        ClassProbs { up, neutral, down }
    }

    #[rstest]
    // UP tops and beats its base by 6 points: UP.
    #[case(cp(0.43, 0.30, 0.27), cp(0.37, 0.31, 0.32), Direction::Up, 0.43)]
    // UP tops but only by 4 points over base: NEUTRAL.
    #[case(cp(0.41, 0.33, 0.26), cp(0.37, 0.31, 0.32), Direction::Neutral, 0.33)]
    // DOWN tops and beats base by 10 points.
    #[case(cp(0.25, 0.33, 0.42), cp(0.37, 0.31, 0.32), Direction::Down, 0.42)]
    // NEUTRAL tops: NEUTRAL.
    #[case(cp(0.30, 0.45, 0.25), cp(0.37, 0.31, 0.32), Direction::Neutral, 0.45)]
    fn direction_needs_the_margin(
        #[case] probs: ClassProbs,
        #[case] base: ClassProbs,
        #[case] want: Direction,
        #[case] conviction: f64,
    ) {
        assert_eq!(stated_direction(probs, base), (want, conviction));
    }

    #[test]
    fn gauge_combines_t1_with_the_session() {
        let t1 = cp(0.40, 0.30, 0.30);
        // Outside the session: only the T+1 tilt.
        let g = today_gauge(t1, OpeningRangeState::BrokeUp, Some(1.0), Some(2.0), false);
        assert!((g - 0.10).abs() < 1e-12);
        // Broke up on a busy tape with a gap up: 0.10 + 2·(0.3 + 0.1) = 0.90 → UP.
        let g = today_gauge(t1, OpeningRangeState::BrokeUp, Some(0.5), Some(3.0), true);
        assert!((g - 0.90).abs() < 1e-12);
        assert_eq!(gauge_direction(g), Direction::Up);
        // Broke down, small gap ignored, quiet tape: 0.10 − 0.5·0.3 = −0.05 → NEUTRAL.
        let g = today_gauge(t1, OpeningRangeState::BrokeDown, Some(0.1), Some(0.2), true);
        assert!((g + 0.05).abs() < 1e-12);
        assert_eq!(gauge_direction(g), Direction::Neutral);
        // Clipped.
        let g = today_gauge(
            cp(0.9, 0.05, 0.05),
            OpeningRangeState::BrokeUp,
            Some(2.0),
            Some(2.0),
            true,
        );
        assert_eq!(g, 1.0);
    }

    #[test]
    fn risk_score_is_bounded_and_monotone() {
        assert_eq!(risk_score(0.0, 0.5), 0.0);
        assert!((risk_score(1.0, 1.0) - 1.0).abs() < 1e-12);
        assert!((risk_score(0.4, 0.9) - 0.45).abs() < 1e-12);
        assert!(risk_score(0.5, 0.95) > risk_score(0.5, 0.9));
        assert!(risk_score(0.6, 0.9) > risk_score(0.5, 0.9));
    }
}
