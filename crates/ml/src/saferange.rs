//! The safe short range, its historical hit rate and the range breach curve.
//!
//! **Safe range** ([`safe_range`]) at confidence `c` for spot `S`, annualised σ and `n`
//! sessions to the nearest weekly expiry: the touch band at probability `p = (1 − c)/2` on each
//! side (`aegis_quant::barrier::touch_band`, driftless lognormal, `T = n/252`), rounded
//! **outward** to the strike grid (50 points for NIFTY): the upper strike is the lowest grid
//! strike above spot whose touch probability is `≤ p`, the lower strike the highest grid
//! strike below spot whose touch probability is `≤ p`.
//!
//! **Hit rate** ([`hit_rate`]): for every past session `t` with a σ forecast made with the data
//! of `t` alone and a complete expiry window (see [`crate::labels::ExpiryWindow`]), the safe
//! range of `t`; a **hit** when every session in `(t, E]` had `Low > lower` and
//! `High < upper` (touching a strike is a breach). Reported as a rate with a 95 % Wilson
//! interval, the number of days, and a rolling rate over the last 250 evaluated days.
//!
//! **Breach curve** ([`breach_curve`]): for distances `d` of 0.5, 1, 1.5, 2, 3, 4, 5 % of
//! spot, the model's probability of touching `S(1+d)` or `S(1−d)` before expiry,
//! `min(1, P_touch(up) + P_touch(down))` (the union bound; the chance of touching both is
//! negligible at these distances), averaged over the same days, beside the observed
//! frequency of `max High ≥ S(1+d)` or `min Low ≤ S(1−d)` in the window.
//!
//! Both are `O(days × window)`: about a millisecond for 2,500 days.

use aegis_model::{AnnualVol, Probability};
use aegis_quant::Years;
use aegis_quant::barrier::{touch_band, touch_probability};
use aegis_quant::stats::wilson_interval;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::MlError;
use crate::history::DailyHistory;
use crate::labels::ExpiryWindow;

/// NIFTY strike grid in index points.
pub const NIFTY_STRIKE_STEP: f64 = 50.0;
/// Default confidence of the safe range.
pub const DEFAULT_CONFIDENCE: f64 = 0.90;
/// Evaluated days in the rolling hit-rate window.
pub const ROLLING_DAYS: usize = 250;
/// Distances (fractions of spot) of the breach curve.
pub const BREACH_DISTANCES: [f64; 7] = [0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05];

/// A safe short range (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SafeRange {
    /// Spot.
    pub spot: f64,
    /// Annualised σ used.
    pub sigma: f64,
    /// Sessions to expiry.
    pub sessions: u32,
    /// Confidence `c`.
    pub confidence: f64,
    /// Exact lower band edge (touch probability `(1−c)/2`).
    pub band_lower: f64,
    /// Exact upper band edge.
    pub band_upper: f64,
    /// Lower strike (on the grid, at or below `band_lower`).
    pub lower: f64,
    /// Upper strike (on the grid, at or above `band_upper`).
    pub upper: f64,
    /// Touch probability of the lower strike.
    pub touch_lower: f64,
    /// Touch probability of the upper strike.
    pub touch_upper: f64,
}

fn input(e: impl std::fmt::Display) -> MlError {
    MlError::InvalidParameter {
        name: "safe range",
        reason: e.to_string(),
    }
}

/// The safe range at confidence `confidence` (see the module documentation).
pub fn safe_range(
    spot: f64,
    sigma: f64,
    sessions: u32,
    confidence: f64,
    strike_step: f64,
) -> Result<SafeRange, MlError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(input(format!("confidence {confidence} must be in (0, 1)")));
    }
    if !(strike_step.is_finite() && strike_step > 0.0) || sessions == 0 {
        return Err(input(
            "the strike step must be > 0 and at least one session must remain",
        ));
    }
    let p = (1.0 - confidence) / 2.0;
    let vol = AnnualVol(sigma);
    let years = Years::from_trading_days(f64::from(sessions));
    let band = touch_band(spot, vol, years, Probability::new(p).map_err(input)?).map_err(input)?;
    let touch = |k: f64| {
        touch_probability(spot, k, vol, years)
            .map(|q| q.get())
            .map_err(input)
    };
    let mut upper = (band.up / strike_step).ceil() * strike_step;
    if upper - strike_step > spot && touch(upper - strike_step)? <= p {
        upper -= strike_step;
    }
    let mut lower = (band.down / strike_step).floor() * strike_step;
    if lower + strike_step < spot && touch(lower + strike_step)? <= p {
        lower += strike_step;
    }
    if lower <= 0.0 {
        return Err(input(format!(
            "σ = {sigma} over {sessions} sessions puts the lower strike at or below 0"
        )));
    }
    Ok(SafeRange {
        spot,
        sigma,
        sessions,
        confidence,
        band_lower: band.down,
        band_upper: band.up,
        lower,
        upper,
        touch_lower: touch(lower)?,
        touch_upper: touch(upper)?,
    })
}

/// One evaluated day of the hit-rate backtest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DayOutcome {
    /// The session `t`.
    pub date: NaiveDate,
    /// Its expiry.
    pub expiry: NaiveDate,
    /// The range.
    pub range: SafeRange,
    /// Highest high in `(t, E]`.
    pub max_high: f64,
    /// Lowest low in `(t, E]`.
    pub min_low: f64,
    /// Whether the window stayed strictly inside the strikes.
    pub hit: bool,
}

/// The historical hit rate (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitRateReport {
    /// Confidence `c`.
    pub confidence: f64,
    /// Days evaluated.
    pub n: usize,
    /// Days that stayed inside.
    pub hits: usize,
    /// `hits / n`.
    pub rate: f64,
    /// 95 % Wilson interval, lower end.
    pub wilson_low: f64,
    /// 95 % Wilson interval, upper end.
    pub wilson_high: f64,
    /// Sessions without a σ forecast or a complete window (not evaluated).
    pub skipped: usize,
    /// Rolling rate over the last [`ROLLING_DAYS`] evaluated days, dated at the last day.
    pub rolling: Vec<(NaiveDate, f64)>,
    /// Every evaluated day.
    pub days: Vec<DayOutcome>,
}

/// Inputs common to the backtests: the rows with a complete window and a σ.
fn evaluable<'a>(
    history: &'a DailyHistory,
    windows: &'a [Option<ExpiryWindow>],
    sigma: &'a [Option<f64>],
) -> Result<impl Iterator<Item = (usize, ExpiryWindow, f64)> + 'a, MlError> {
    if windows.len() != history.len() || sigma.len() != history.len() {
        return Err(MlError::InvalidDataset {
            reason: format!(
                "safe-range backtest: {} sessions, {} windows, {} σ values",
                history.len(),
                windows.len(),
                sigma.len()
            ),
        });
    }
    Ok((0..history.len()).filter_map(move |t| {
        let w = windows[t]?;
        let s = sigma[t]?;
        (w.complete && w.rows(t) > 0 && s.is_finite() && s > 0.0).then_some((t, w, s))
    }))
}

fn extremes(history: &DailyHistory, t: usize, w: &ExpiryWindow) -> (f64, f64) {
    let hi = history.high()[t + 1..=w.end]
        .iter()
        .fold(f64::MIN, |a, &b| a.max(b));
    let lo = history.low()[t + 1..=w.end]
        .iter()
        .fold(f64::MAX, |a, &b| a.min(b));
    (hi, lo)
}

/// Runs the hit-rate backtest; `sigma[t]` is the σ forecast made at `t` for its window's
/// `sessions` (e.g. [`sigma_path`]), `None` where there is none.
pub fn hit_rate(
    history: &DailyHistory,
    windows: &[Option<ExpiryWindow>],
    sigma: &[Option<f64>],
    confidence: f64,
    strike_step: f64,
) -> Result<HitRateReport, MlError> {
    let mut days = Vec::new();
    for (t, w, s) in evaluable(history, windows, sigma)? {
        let range = safe_range(history.close()[t], s, w.sessions, confidence, strike_step)?;
        let (max_high, min_low) = extremes(history, t, &w);
        days.push(DayOutcome {
            date: history.dates()[t],
            expiry: w.expiry,
            range,
            max_high,
            min_low,
            hit: max_high < range.upper && min_low > range.lower,
        });
    }
    let n = days.len();
    if n == 0 {
        return Err(MlError::InsufficientRows {
            what:
                "the safe-range hit rate (sessions with a σ forecast and a complete expiry window)"
                    .into(),
            needed: 1,
            found: 0,
        });
    }
    let hits = days.iter().filter(|d| d.hit).count();
    let ci = wilson_interval(hits as u64, n as u64, Probability::clamped(0.95)).map_err(input)?;
    let mut rolling = Vec::new();
    let mut in_window = 0usize;
    for (k, d) in days.iter().enumerate() {
        in_window += usize::from(d.hit);
        if k >= ROLLING_DAYS {
            in_window -= usize::from(days[k - ROLLING_DAYS].hit);
        }
        if k + 1 >= ROLLING_DAYS {
            rolling.push((d.date, in_window as f64 / ROLLING_DAYS as f64));
        }
    }
    Ok(HitRateReport {
        confidence,
        n,
        hits,
        rate: hits as f64 / n as f64,
        wilson_low: ci.low.get(),
        wilson_high: ci.high.get(),
        skipped: history.len() - n,
        rolling,
        days,
    })
}

/// One point of the breach curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BreachPoint {
    /// Distance as a fraction of spot (0.01 = 1 %).
    pub distance: f64,
    /// That distance in points at the last session's close.
    pub points_at_last_spot: f64,
    /// Mean model probability of touching either side.
    pub model_probability: f64,
    /// Observed frequency of touching either side.
    pub observed_frequency: f64,
    /// Days.
    pub n: usize,
}

/// The range breach curve at `distances` (fractions of spot) over the evaluable days.
pub fn breach_curve(
    history: &DailyHistory,
    windows: &[Option<ExpiryWindow>],
    sigma: &[Option<f64>],
    distances: &[f64],
) -> Result<Vec<BreachPoint>, MlError> {
    let k = distances.len();
    if let Some(d) = distances
        .iter()
        .find(|d| !(d.is_finite() && **d > 0.0 && **d < 1.0))
    {
        return Err(input(format!("breach distance {d} must be in (0, 1)")));
    }
    let (mut model, mut seen) = (vec![0.0; k], vec![0usize; k]);
    let mut n = 0usize;
    for (t, w, s) in evaluable(history, windows, sigma)? {
        let spot = history.close()[t];
        let (hi, lo) = extremes(history, t, &w);
        let vol = AnnualVol(s);
        let years = Years::from_trading_days(f64::from(w.sessions));
        for (j, &d) in distances.iter().enumerate() {
            let (up, down) = (spot * (1.0 + d), spot * (1.0 - d));
            let p_up = touch_probability(spot, up, vol, years)
                .map_err(input)?
                .get();
            let p_down = touch_probability(spot, down, vol, years)
                .map_err(input)?
                .get();
            model[j] += (p_up + p_down).min(1.0);
            seen[j] += usize::from(hi >= up || lo <= down);
        }
        n += 1;
    }
    if n == 0 {
        return Err(MlError::InsufficientRows {
            what: "the range breach curve".into(),
            needed: 1,
            found: 0,
        });
    }
    let last_spot = *history.close().last().expect("n > 0");
    Ok(distances
        .iter()
        .enumerate()
        .map(|(j, &d)| BreachPoint {
            distance: d,
            points_at_last_spot: d * last_spot,
            model_probability: model[j] / n as f64,
            observed_frequency: seen[j] as f64 / n as f64,
            n,
        })
        .collect())
}

/// The σ forecast made at each session for its own expiry window's `sessions`, from the
/// walk-forward paths with the method chosen for that horizon (`None` where unavailable).
pub fn sigma_path(
    paths: &crate::volforecast::VolPaths,
    windows: &[Option<ExpiryWindow>],
    chosen: &[crate::volforecast::HorizonChoice],
) -> Vec<Option<f64>> {
    windows
        .iter()
        .enumerate()
        .map(|(t, w)| {
            let w = (*w)?;
            let h = w.sessions as usize;
            let method = crate::volforecast::method_for(chosen, h)?;
            paths.sigma(method, t, h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::d;
    use crate::labels::expiry_windows;
    use aegis_calendar::NseCalendar;

    #[test]
    fn rounding_is_outward_to_the_grid_and_minimal() {
        let r = safe_range(25_013.0, 0.12, 4, 0.90, 50.0).unwrap();
        assert!(r.upper >= r.band_upper && r.upper - 50.0 < r.band_upper);
        assert!(r.lower <= r.band_lower && r.lower + 50.0 > r.band_lower);
        assert_eq!(r.upper % 50.0, 0.0);
        assert_eq!(r.lower % 50.0, 0.0);
        assert!(r.touch_upper <= 0.05 + 1e-15 && r.touch_lower <= 0.05 + 1e-15);
        // The next strike inward has touch probability above 5 %.
        let inward = |k: f64| {
            touch_probability(25_013.0, k, AnnualVol(0.12), Years::from_trading_days(4.0))
                .unwrap()
                .get()
        };
        assert!(inward(r.upper - 50.0) > 0.05);
        assert!(inward(r.lower + 50.0) > 0.05);
        // Hand value: d* = 0.12·√(4/252)·1.959964 = 2.963 % → up 25 763.2 → 25 800; down 24 282.6 → 24 250.
        assert_eq!((r.lower, r.upper), (24_250.0, 25_800.0));
        assert!(safe_range(25_000.0, 0.12, 4, 1.0, 50.0).is_err());
        assert!(safe_range(25_000.0, 0.12, 0, 0.9, 50.0).is_err());
    }

    #[test]
    fn a_band_edge_exactly_on_the_grid_is_kept() {
        // Choose σ so that the upper edge is exactly 20 500 from spot 20 000.
        let p = 0.05;
        let dstar = (20_500.0f64 / 20_000.0).ln();
        let z = -aegis_quant::normal::inv_cdf(p / 2.0);
        let sigma = dstar / (z * (5.0f64 / 252.0).sqrt());
        let r = safe_range(20_000.0, sigma, 5, 0.90, 50.0).unwrap();
        assert_eq!(r.upper, 20_500.0);
    }

    /// Sessions of January–February 2025 with a hand-made path.
    fn hand_history(moves: &[(f64, f64, f64)]) -> DailyHistory {
        let cal = NseCalendar::new();
        let dates: Vec<NaiveDate> = cal
            .trading_days(d(2025, 1, 6), d(2025, 3, 31))
            .unwrap()
            .into_iter()
            .take(moves.len())
            .collect();
        let c: Vec<f64> = moves.iter().map(|m| m.0).collect();
        let h: Vec<f64> = moves.iter().map(|m| m.1).collect();
        let l: Vec<f64> = moves.iter().map(|m| m.2).collect();
        DailyHistory::from_columns(dates, c.clone(), h, l, c, vec![Some(14.0); moves.len()])
            .unwrap()
    }

    #[test]
    fn hit_rate_on_a_hand_built_series() {
        // Mon 6 Jan … Thu 16 Jan 2025 (9 sessions). Spot 20 000, σ 12 %.
        // Row 0 (Mon 6, E = Thu 9, n = 3): band ±2.567 % → strikes 19 450 / 20 550 (hand:
        // d* = 0.12·√(3/252)·1.96 = 2.566 %; up 20 520 → 20 550; down 19 493 → 19 450).
        let flat = (20_000.0, 20_050.0, 19_950.0);
        let mut moves = vec![flat; 9];
        // Wed 8: a spike to exactly the upper strike: touching is a breach for rows 0, 1.
        moves[2] = (20_000.0, 20_550.0, 19_950.0);
        let h = hand_history(&moves);
        let w = expiry_windows(&h, &NseCalendar::new()).unwrap();
        let sigma = vec![Some(0.12); 9];
        let r0 = safe_range(20_000.0, 0.12, 3, 0.9, 50.0).unwrap();
        assert_eq!((r0.lower, r0.upper), (19_450.0, 20_550.0));
        let rep = hit_rate(&h, &w, &sigma, 0.9, 50.0).unwrap();
        // Rows with complete windows: 0..=4 (E = 9 Jan for 0..2, 16 Jan for 3..7; 5..7 complete too).
        let by_date: Vec<(NaiveDate, bool)> = rep.days.iter().map(|o| (o.date, o.hit)).collect();
        assert_eq!(by_date[0], (d(2025, 1, 6), false));
        assert_eq!(by_date[1], (d(2025, 1, 7), false));
        assert!(by_date[2..].iter().all(|x| x.1), "{by_date:?}");
        // Row 8 (Thu 16, E = 23) has no complete window.
        assert_eq!(rep.n, 8);
        assert_eq!(rep.skipped, 1);
        assert_eq!(rep.hits, 6);
        assert!((rep.rate - 0.75).abs() < 1e-15);
        assert!(rep.wilson_low < 0.75 && rep.wilson_high > 0.75);
        // A missing σ removes the day.
        let mut s2 = sigma.clone();
        s2[0] = None;
        assert_eq!(hit_rate(&h, &w, &s2, 0.9, 50.0).unwrap().n, 7);
    }

    #[test]
    fn breach_curve_counts_either_side() {
        let flat = (20_000.0, 20_010.0, 19_990.0);
        let mut moves = vec![flat; 9];
        moves[1] = (20_000.0, 20_010.0, 19_790.0); // −1.05 % low on Tue 7
        let h = hand_history(&moves);
        let w = expiry_windows(&h, &NseCalendar::new()).unwrap();
        let sigma = vec![Some(0.12); 9];
        let curve = breach_curve(&h, &w, &sigma, &[0.005, 0.01, 0.02]).unwrap();
        assert_eq!(curve[0].n, 8);
        // Row 0 (window 7..9) touches 0.5 % and 1 % below; others do not.
        assert!((curve[0].observed_frequency - 1.0 / 8.0).abs() < 1e-15);
        assert!((curve[1].observed_frequency - 1.0 / 8.0).abs() < 1e-15);
        assert_eq!(curve[2].observed_frequency, 0.0);
        assert!(curve[0].model_probability > curve[1].model_probability);
        assert!((curve[1].points_at_last_spot - 200.0).abs() < 1e-9);
    }
}
