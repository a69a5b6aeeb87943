//! Labels of every model, built without look-ahead.
//!
//! Row `t` is the session whose close the features describe. A label of row `t` uses only
//! data **after** `t`, up to its horizon; a row whose horizon runs past the data has **no
//! label** (`None`) and is never trained on (the last rows stay predictable: their features
//! exist). Each function returns [`Labels`]: one `Option<class>` per row of the
//! [`DailyHistory`] and the horizon `h` in rows, which the walk-forward purges between the
//! end of a training window and its test block (the largest number of future rows any label
//! used).
//!
//! Definitions (`C`, `O`, `H`, `L` close, open, high, low; `σ_t` the `rv_cc_20d` feature: 20-day
//! close-to-close realized vol as of `t`, annualised; `VIX_t` India VIX close at `t`, in
//! points, `σ_VIX = VIX_t / 100`; `E` the nearest NIFTY weekly expiry **strictly after** `t`'s
//! close, from the NSE calendar; `n` the NSE sessions in `(t, E]`; the expiry window is the
//! rows of the series dated in `(t, E]`, and a label needing it exists only when the series
//! reaches `E`):
//!
//! * [`direction`] `h ∈ {1,3,5,10,20,40}`: `UP` if `ln(C_{t+h}/C_t) > δ_h`, `DOWN` if `< −δ_h`,
//!   else `NEUTRAL`, with `δ_h = 0.25·σ_t·√(h/252)`. Classes `0 = DOWN, 1 = NEUTRAL, 2 = UP`.
//!   Horizon `h`. No label while `σ_t` is not computable.
//! * [`breakout`] `k = 0..5`: session `s = t + 1 + k` (`d0` is the next session). `BREAKOUT` if
//!   its true range `max(H_s − L_s, |H_s − C_{s−1}|, |L_s − C_{s−1}|) ≥ 1.5 × ATR(14)_{s−1}`,
//!   Wilder's ATR on the complete bars up to `s − 1` (as in `aegis-features`). Horizon `k + 1`.
//! * [`spike_direction`]: only rows whose next session is a breakout (the `breakout_d0` label
//!   is `BREAKOUT`): `UP` if `C_{t+1} > C_t`, else `DOWN`; other rows have no label. Horizon 1.
//! * [`vol_trap`]: `TRAP` if the realized vol over the window,
//!   `√(252/m · Σ_{i=t+1}^{t+m} r_i²)` (`m` rows in the window, `r_i` daily log returns,
//!   not demeaned), exceeds `σ_VIX`. Horizon: the largest `m`.
//! * [`expiry_stress`]: `BEYOND` if `max_{i ∈ window} max(|ln(H_i/C_t)|, |ln(L_i/C_t)|) >
//!   σ_VIX·√(n/252)` (the VIX-implied one-sigma move to expiry). Horizon: the largest `m`.
//! * [`theta_edge`]: a long ATM straddle bought at `C_t`, priced by undiscounted Black-76
//!   (`r = 0`, forward = strike = `C_t`) at `σ_VIX` with `T = calendar days from t to E / 365`
//!   (the option-time convention of `aegis-quant` and of India VIX itself), is worth more than
//!   its cost at expiry: `EDGE` if `|C_E − C_t| > call + put`. Needs the close of `E` itself
//!   (index options settle on the expiry-day close). Horizon: the largest `m`.
//! * [`gap_risk`]: `GAP` if `|ln(O_{t+1}/C_t)| > 1 %`. Horizon 1.
//!
//! The VIX-based labels have no label where `VIX_t` is missing (never carried forward).

use aegis_calendar::{CalendarError, NseCalendar};
use aegis_features::indicators::{Atr, Indicator};
use aegis_model::{AnnualVol, Candle, OptionSide, Symbol};
use aegis_quant::{Black76, Forward, Strike, Years};
use chrono::{Datelike, Days, NaiveDate};

use crate::MlError;
use crate::history::DailyHistory;

/// Direction horizons in sessions.
pub const DIRECTION_HORIZONS: [usize; 6] = [1, 3, 5, 10, 20, 40];
/// Breakout days ahead: `d0` (next session) … `d5`.
pub const BREAKOUT_DAYS: usize = 6;
/// Direction dead zone as a multiple of `σ_t·√(h/252)`.
pub const DEAD_ZONE: f64 = 0.25;
/// True range multiple of ATR(14) that makes a breakout session.
pub const BREAKOUT_ATR_MULTIPLE: f64 = 1.5;
/// ATR period of the breakout label.
pub const ATR_PERIOD: usize = 14;
/// Overnight gap threshold (log return) of the gap-risk label.
pub const GAP_THRESHOLD: f64 = 0.01;
/// Trading days per year.
const TRADING_DAYS: f64 = 252.0;

/// Direction classes in label order.
pub const DIRECTION_CLASSES: [&str; 3] = crate::nn_interface::DIRECTION_CLASSES;

/// Per-row labels and the horizon to purge (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// Class names in label order.
    pub classes: Vec<String>,
    /// One label per history row; `None` = no label.
    pub values: Vec<Option<usize>>,
    /// Rows of future data the labels use (the walk-forward purge).
    pub horizon: usize,
}

impl Labels {
    fn new(classes: &[&str], values: Vec<Option<usize>>, horizon: usize) -> Self {
        Labels {
            classes: classes.iter().map(|c| c.to_string()).collect(),
            values,
            horizon,
        }
    }

    /// Rows that carry a label.
    pub fn n_labelled(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    /// Share of each class among the labelled rows.
    pub fn base_rates(&self) -> Vec<f64> {
        let mut c = vec![0.0; self.classes.len()];
        let mut n = 0.0;
        for v in self.values.iter().flatten() {
            c[*v] += 1.0;
            n += 1.0;
        }
        if n > 0.0 {
            c.iter_mut().for_each(|x| *x /= n);
        }
        c
    }
}

/// Direction labels for horizon `h` (see the module documentation); `sigma[t]` is the
/// `rv_cc_20d` feature of row `t` (NaN = not computable).
pub fn direction(history: &DailyHistory, sigma: &[f64], h: usize) -> Result<Labels, MlError> {
    if sigma.len() != history.len() {
        return Err(MlError::InvalidDataset {
            reason: format!(
                "direction labels: {} σ values for {} sessions",
                sigma.len(),
                history.len()
            ),
        });
    }
    if h == 0 {
        return Err(MlError::InvalidParameter {
            name: "direction horizon",
            reason: "must be at least 1 session".into(),
        });
    }
    let c = history.close();
    let values = (0..history.len())
        .map(|t| {
            let s = sigma[t];
            if t + h >= c.len() || !(s.is_finite() && s > 0.0) {
                return None;
            }
            let delta = DEAD_ZONE * s * (h as f64 / TRADING_DAYS).sqrt();
            let r = (c[t + h] / c[t]).ln();
            Some(if r > delta {
                2
            } else if r < -delta {
                0
            } else {
                1
            })
        })
        .collect();
    Ok(Labels::new(&DIRECTION_CLASSES, values, h))
}

/// Wilder ATR(14) after each session (fed the bars up to and including it), `None` until
/// it is initialized.
pub fn atr_series(history: &DailyHistory) -> Vec<Option<f64>> {
    let mut atr = Atr::new(ATR_PERIOD);
    (0..history.len())
        .map(|i| {
            atr.update(&bar(history, i));
            atr.value()
        })
        .collect()
}

fn bar(history: &DailyHistory, i: usize) -> Candle<NaiveDate> {
    Candle::new(
        history.dates()[i],
        history.open()[i],
        history.high()[i],
        history.low()[i],
        history.close()[i],
    )
}

/// Whether session `s ≥ 1` is a breakout: `TR_s ≥ 1.5 × ATR(14)_{s−1}`; `None` while the
/// ATR is not initialized.
fn is_breakout(history: &DailyHistory, atr: &[Option<f64>], s: usize) -> Option<bool> {
    let a = atr[s - 1]?;
    let tr = bar(history, s).true_range(Some(history.close()[s - 1]));
    Some(tr >= BREAKOUT_ATR_MULTIPLE * a)
}

/// Breakout labels of the session `k + 1` sessions after `t` (`k = 0` is the next session).
pub fn breakout(history: &DailyHistory, k: usize) -> Labels {
    let atr = atr_series(history);
    let n = history.len();
    let values = (0..n)
        .map(|t| {
            let s = t + 1 + k;
            (s < n)
                .then(|| is_breakout(history, &atr, s))
                .flatten()
                .map(usize::from)
        })
        .collect();
    Labels::new(&["NO_BREAKOUT", "BREAKOUT"], values, k + 1)
}

/// Spike direction: for rows whose next session is a breakout, `UP` (1) if it closes above
/// `C_t`, else `DOWN` (0); every other row unlabelled.
pub fn spike_direction(history: &DailyHistory) -> Labels {
    let atr = atr_series(history);
    let c = history.close();
    let values = (0..history.len())
        .map(|t| {
            let s = t + 1;
            if s >= c.len() || is_breakout(history, &atr, s) != Some(true) {
                return None;
            }
            Some(usize::from(c[s] > c[t]))
        })
        .collect();
    Labels::new(&["DOWN", "UP"], values, 1)
}

/// The window from row `t` to the nearest weekly expiry strictly after its close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    /// The expiry date `E`.
    pub expiry: NaiveDate,
    /// NSE sessions in `(t, E]` (calendar).
    pub sessions: u32,
    /// Calendar days from `t` to `E`.
    pub calendar_days: i64,
    /// Last history row dated `≤ E`; the window is rows `t+1 ..= end` (may be empty if the
    /// series has no session in `(t, E]`).
    pub end: usize,
    /// Whether the series reaches `E` (has a row dated `≥ E`): only then is the window complete.
    pub complete: bool,
    /// The row dated exactly `E`, if the series has it.
    pub settle: Option<usize>,
}

impl ExpiryWindow {
    /// Rows in the window.
    pub fn rows(&self, t: usize) -> usize {
        self.end.saturating_sub(t)
    }
}

/// The nearest expiry of `symbol`'s options strictly after `date`'s close (weekly where the
/// index has weeklies, else monthly), and the sessions to it.
pub fn next_expiry_after(
    calendar: &NseCalendar,
    symbol: Symbol,
    date: NaiveDate,
) -> Result<(NaiveDate, u32), CalendarError> {
    let e = calendar
        .weekly_expiry_on_or_after(symbol, date + Days::new(1))?
        .date();
    Ok((e, calendar.trading_days_between(date, e)?))
}

/// The expiry window of every row. A row whose expiry lies in a year after the data's last
/// year that the calendar does not cover has `None` (its window would run past the data
/// anyway); any other calendar error (a date before the covered years) is returned.
pub fn expiry_windows(
    history: &DailyHistory,
    calendar: &NseCalendar,
) -> Result<Vec<Option<ExpiryWindow>>, MlError> {
    let dates = history.dates();
    let Some(&last) = dates.last() else {
        return Ok(Vec::new());
    };
    dates
        .iter()
        .enumerate()
        .map(|(t, &date)| match next_expiry_after(calendar, history.symbol(), date) {
            Ok((expiry, sessions)) => {
                let end = history
                    .last_on_or_before(expiry)
                    .expect("row t itself is before the expiry");
                Ok(Some(ExpiryWindow {
                    expiry,
                    sessions,
                    calendar_days: (expiry - date).num_days(),
                    end: end.max(t),
                    complete: last >= expiry,
                    settle: history.position(expiry),
                }))
            }
            Err(CalendarError::YearNotCovered { year }) if year > last.year() => Ok(None),
            Err(e) => Err(MlError::InvalidDataset {
                reason: format!(
                    "expiry labels of {date}: {e} (labels need NSE calendar coverage; start the data in a covered year)"
                ),
            }),
        })
        .collect()
}

/// Rows `t` with a complete, non-empty window, and `σ_VIX` at `t`.
fn usable(
    history: &DailyHistory,
    windows: &[Option<ExpiryWindow>],
    t: usize,
) -> Option<(ExpiryWindow, f64)> {
    let w = windows.get(t).copied().flatten()?;
    let vix = history.vix()[t]?;
    (w.complete && w.rows(t) > 0).then_some((w, vix / 100.0))
}

fn window_horizon(windows: &[Option<ExpiryWindow>], values: &[Option<usize>]) -> usize {
    windows
        .iter()
        .zip(values)
        .enumerate()
        .filter_map(|(t, (w, v))| v.and(*w).map(|w| w.rows(t)))
        .max()
        .unwrap_or(1)
}

/// Volatility-trap labels (see the module documentation); `windows` from [`expiry_windows`].
pub fn vol_trap(history: &DailyHistory, windows: &[Option<ExpiryWindow>]) -> Labels {
    let c = history.close();
    let values: Vec<Option<usize>> = (0..history.len())
        .map(|t| {
            let (w, sigma_vix) = usable(history, windows, t)?;
            let m = w.rows(t);
            let sum_sq: f64 = (t + 1..=w.end)
                .map(|i| (c[i] / c[i - 1]).ln().powi(2))
                .sum();
            let realized = (TRADING_DAYS / m as f64 * sum_sq).sqrt();
            Some(usize::from(realized > sigma_vix))
        })
        .collect();
    let horizon = window_horizon(windows, &values);
    Labels::new(&["NO_TRAP", "TRAP"], values, horizon)
}

/// Expiry-stress labels (see the module documentation).
pub fn expiry_stress(history: &DailyHistory, windows: &[Option<ExpiryWindow>]) -> Labels {
    let (c, hi, lo) = (history.close(), history.high(), history.low());
    let values: Vec<Option<usize>> = (0..history.len())
        .map(|t| {
            let (w, sigma_vix) = usable(history, windows, t)?;
            let implied = sigma_vix * (f64::from(w.sessions) / TRADING_DAYS).sqrt();
            let biggest = (t + 1..=w.end)
                .map(|i| (hi[i] / c[t]).ln().abs().max((lo[i] / c[t]).ln().abs()))
                .fold(0.0f64, f64::max);
            Some(usize::from(biggest > implied))
        })
        .collect();
    let horizon = window_horizon(windows, &values);
    Labels::new(&["WITHIN", "BEYOND"], values, horizon)
}

/// Cost of a long ATM straddle at `spot` (undiscounted Black-76, forward = strike = spot).
pub fn straddle_cost(spot: f64, sigma: f64, calendar_days: i64) -> Result<f64, MlError> {
    let years = Years::from_calendar_days(calendar_days as f64);
    let option = Black76::undiscounted(Forward(spot), Strike(spot), years, AnnualVol(sigma))
        .map_err(|e| MlError::NonFinite {
            what: format!("straddle pricing: {e}"),
        })?;
    Ok(option.price(OptionSide::Call) + option.price(OptionSide::Put))
}

/// Theta-vs-edge labels (see the module documentation).
pub fn theta_edge(
    history: &DailyHistory,
    windows: &[Option<ExpiryWindow>],
) -> Result<Labels, MlError> {
    let c = history.close();
    let mut values = Vec::with_capacity(history.len());
    for t in 0..history.len() {
        let label = match usable(history, windows, t) {
            Some((w, sigma_vix)) => match w.settle {
                Some(e) => {
                    let cost = straddle_cost(c[t], sigma_vix, w.calendar_days)?;
                    Some(usize::from((c[e] - c[t]).abs() > cost))
                }
                None => None,
            },
            None => None,
        };
        values.push(label);
    }
    let horizon = window_horizon(windows, &values);
    Ok(Labels::new(&["NO_EDGE", "EDGE"], values, horizon))
}

/// Gap-risk labels: `GAP` if `|ln(O_{t+1}/C_t)| > 1 %`.
pub fn gap_risk(history: &DailyHistory) -> Labels {
    let (o, c) = (history.open(), history.close());
    let values = (0..history.len())
        .map(|t| {
            (t + 1 < c.len()).then(|| usize::from((o[t + 1] / c[t]).ln().abs() > GAP_THRESHOLD))
        })
        .collect();
    Labels::new(&["NO_GAP", "GAP"], values, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::d;
    use crate::rng::SplitMix64;
    use proptest::prelude::*;

    /// Sessions from `from` on (calendar trading days), `n` of them.
    fn sessions(from: NaiveDate, n: usize) -> Vec<NaiveDate> {
        let cal = NseCalendar::new();
        let mut out = Vec::new();
        let mut day = from;
        while out.len() < n {
            if cal.is_trading_day(day).unwrap() {
                out.push(day);
            }
            day = day.succ_opt().unwrap();
        }
        out
    }

    /// A history with flat bars (O = H = L = C) at the given closes.
    fn flat(dates: Vec<NaiveDate>, closes: &[f64], vix: f64) -> DailyHistory {
        let n = closes.len();
        DailyHistory::from_columns(
            dates[..n].to_vec(),
            closes.to_vec(),
            closes.to_vec(),
            closes.to_vec(),
            closes.to_vec(),
            vec![Some(vix); n],
        )
        .unwrap()
    }

    fn random_history(seed: u64, n: usize) -> DailyHistory {
        let mut rng = SplitMix64::new(seed);
        let dates = sessions(d(2024, 1, 1), n);
        let (mut o, mut h, mut l, mut c, mut v) = (vec![], vec![], vec![], vec![], vec![]);
        let mut close = 20_000.0;
        for i in 0..n {
            let open = close * (0.004 * rng.normal()).exp();
            close = open * (0.009 * rng.normal()).exp();
            let hi = open.max(close) * (0.004 * rng.normal().abs()).exp();
            let lo = open.min(close) * (-0.004 * rng.normal().abs()).exp();
            o.push(open);
            h.push(hi);
            l.push(lo);
            c.push(close);
            v.push((i % 17 != 3).then(|| 12.0 + 4.0 * rng.next_f64()));
        }
        DailyHistory::from_columns(dates, o, h, l, c, v).unwrap()
    }

    #[test]
    fn direction_hand_example() {
        // σ = 0.252·√(252)/√(252) … choose σ so that δ_1 = 0.25·σ·√(1/252) = 1 %: σ = 0.04·√252.
        let sigma_val = 0.04 * 252f64.sqrt();
        let closes = [100.0, 101.5, 101.0, 99.0, 99.5];
        let h = flat(sessions(d(2025, 1, 6), 5), &closes, 15.0);
        let sigma = vec![sigma_val, sigma_val, f64::NAN, sigma_val, sigma_val];
        let l = direction(&h, &sigma, 1).unwrap();
        // +1.49 % > 1 % → UP; −0.49 % → NEUTRAL; σ missing → None; +0.50 % → NEUTRAL; last → None.
        assert_eq!(l.values, vec![Some(2), Some(1), None, Some(1), None]);
        let l2 = direction(&h, &sigma, 2).unwrap();
        // δ_2 = 1 %·√2 = 1.414 %: ln(101/100) = 0.995 % → NEUTRAL; ln(99/101.5) = −2.49 % → DOWN.
        assert_eq!(l2.values, vec![Some(1), Some(0), None, None, None]);
        assert_eq!(l2.horizon, 2);
        assert!(direction(&h, &sigma[..3], 1).is_err());
    }

    #[test]
    fn breakout_and_spike_hand_example() {
        // 15 sessions of range 10 (H = C + 5, L = C − 5, C constant 100 → TR 10, ATR 10),
        // then a session of range 16 (≥ 15: breakout, closing up), then range 14 (not).
        let n = 18;
        let dates = sessions(d(2025, 2, 3), n);
        let mut c = vec![100.0; n];
        let mut h: Vec<f64> = c.iter().map(|x| x + 5.0).collect();
        let mut l: Vec<f64> = c.iter().map(|x| x - 5.0).collect();
        c[15] = 104.0;
        h[15] = 108.0;
        l[15] = 92.0;
        c[16] = 103.0;
        h[16] = 110.0;
        l[16] = 96.0;
        let o = c.clone();
        let hist = DailyHistory::from_columns(dates, o, h, l, c, vec![None; n]).unwrap();
        let atr = atr_series(&hist);
        assert_eq!(atr[13], None);
        assert_eq!(atr[14], Some(10.0));
        let b0 = breakout(&hist, 0);
        // Row 14 → session 15: TR 16 ≥ 1.5·10 → breakout.
        assert_eq!(b0.values[14], Some(1));
        // Row 13 → session 14: ATR of session 13 not initialized.
        assert_eq!(b0.values[13], None);
        // Row 15 → session 16: TR = max(14, |110−104|, |96−104|) = 14; ATR_15 = (10·13+16)/14 = 10.43 → 14 < 15.64.
        assert_eq!(b0.values[15], Some(0));
        assert_eq!(b0.values[17], None);
        let b2 = breakout(&hist, 2);
        assert_eq!(b2.values[12], Some(1));
        assert_eq!(b2.horizon, 3);
        let spike = spike_direction(&hist);
        assert_eq!(spike.values[14], Some(1));
        assert_eq!(spike.n_labelled(), 1);
    }

    #[test]
    fn expiry_labels_hand_example() {
        // January 2025: weekly expiries Thu 9, 16, 23, 30. Mon 6 → E = Thu 9, n = 3.
        let cal = NseCalendar::new();
        let dates = sessions(d(2025, 1, 6), 9); // 6,7,8,9,10,13,14,15,16
        assert_eq!(dates[3], d(2025, 1, 9));
        let closes = [100.0, 101.0, 99.5, 101.0, 101.0, 101.0, 101.0, 101.0, 101.0];
        let vix = 16.0;
        let mut h = flat(dates.clone(), &closes, vix);
        let w = expiry_windows(&h, &cal).unwrap();
        let w0 = w[0].unwrap();
        assert_eq!(
            (w0.expiry, w0.sessions, w0.end, w0.calendar_days),
            (d(2025, 1, 9), 3, 3, 3)
        );
        assert_eq!(w0.settle, Some(3));
        // Thu 9 itself is an expiry: the next one strictly after its close is Thu 16.
        assert_eq!(w[3].unwrap().expiry, d(2025, 1, 16));
        assert!(w[3].unwrap().complete);
        assert_eq!(w[5].unwrap().expiry, dates[8]);
        assert!(w[5].unwrap().complete);
        assert!(!w[8].unwrap().complete);

        // vol trap, row 0: returns ln(101/100), ln(99.5/101), ln(101/99.5).
        let r: Vec<f64> = (1..4).map(|i| (closes[i] / closes[i - 1]).ln()).collect();
        let rv = (252.0 / 3.0 * r.iter().map(|x| x * x).sum::<f64>()).sqrt();
        let trap = vol_trap(&h, &w);
        assert_eq!(trap.values[0], Some(usize::from(rv > vix / 100.0)));
        assert!(rv > 0.16, "the hand series is volatile: {rv}");
        // Flat afterwards: no trap.
        assert_eq!(trap.values[4], Some(0));

        // expiry stress, row 0: biggest move |ln(101/100)| = 0.995 % vs 16 %·√(3/252) = 1.746 %.
        let stress = expiry_stress(&h, &w);
        assert_eq!(stress.values[0], Some(0));
        // theta edge, row 0: straddle ≈ 0.8·100·0.16·√(3/365) = 1.16 > |101 − 100| → no edge.
        let cost = straddle_cost(100.0, 0.16, 3).unwrap();
        // ATM: call = put = F·(2·N(σ√T/2) − 1).
        let half = 0.5 * 0.16 * (3.0f64 / 365.0).sqrt();
        let expected = 2.0 * 100.0 * (2.0 * aegis_quant::normal::cdf(half) - 1.0);
        assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
        assert!((cost - 1.158).abs() < 0.01);
        let edge = theta_edge(&h, &w).unwrap();
        assert_eq!(edge.values[0], Some(0));

        // A 3 % jump on the 8th makes stress, edge and trap fire for row 0.
        let mut jumped = closes;
        jumped[2] = 103.0;
        jumped[3] = 103.5;
        h = flat(dates, &jumped, vix);
        let w = expiry_windows(&h, &cal).unwrap();
        assert_eq!(expiry_stress(&h, &w).values[0], Some(1));
        assert_eq!(theta_edge(&h, &w).unwrap().values[0], Some(1));
        assert_eq!(vol_trap(&h, &w).values[0], Some(1));
        // Rows whose expiry is past the data have no label.
        assert_eq!(vol_trap(&h, &w).values[8], None);
    }

    #[test]
    fn missing_vix_and_missing_settlement_give_no_label() {
        let cal = NseCalendar::new();
        let dates = sessions(d(2025, 1, 6), 9);
        let closes = [100.0; 9];
        let mut vix = vec![Some(15.0); 9];
        vix[1] = None;
        let h = DailyHistory::from_columns(
            dates.clone(),
            closes.to_vec(),
            closes.to_vec(),
            closes.to_vec(),
            closes.to_vec(),
            vix,
        )
        .unwrap();
        let w = expiry_windows(&h, &cal).unwrap();
        assert_eq!(vol_trap(&h, &w).values[1], None);
        assert_eq!(vol_trap(&h, &w).values[0], Some(0));
        // Drop the expiry session (Thu 9): the theta label of rows 0..3 cannot settle.
        let keep: Vec<usize> = (0..9).filter(|&i| i != 3).collect();
        let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let h2 = DailyHistory::from_columns(
            keep.iter().map(|&i| dates[i]).collect(),
            pick(&closes),
            pick(&closes),
            pick(&closes),
            pick(&closes),
            vec![Some(15.0); 8],
        )
        .unwrap();
        let w2 = expiry_windows(&h2, &cal).unwrap();
        assert_eq!(theta_edge(&h2, &w2).unwrap().values[0], None);
        assert_eq!(expiry_stress(&h2, &w2).values[0], Some(0));
    }

    #[test]
    fn gap_hand_example() {
        let dates = sessions(d(2025, 3, 3), 3);
        let h = DailyHistory::from_columns(
            dates,
            vec![100.0, 101.2, 102.0],
            vec![100.0, 101.5, 102.5],
            vec![99.0, 100.5, 101.0],
            vec![100.0, 101.0, 102.0],
            vec![None; 3],
        )
        .unwrap();
        // ln(101.2/100) = 1.19 % → gap; ln(102/101) = 0.985 % → no gap; last row unlabelled.
        assert_eq!(gap_risk(&h).values, vec![Some(1), Some(0), None]);
    }

    #[test]
    fn calendar_errors_before_coverage_are_reported() {
        let dates = vec![d(2015, 6, 1), d(2015, 6, 2)];
        let h = DailyHistory::from_columns(
            dates,
            vec![100.0; 2],
            vec![100.0; 2],
            vec![100.0; 2],
            vec![100.0; 2],
            vec![Some(15.0); 2],
        )
        .unwrap();
        let err = expiry_windows(&h, &NseCalendar::new()).unwrap_err();
        assert!(err.to_string().contains("2015"), "{err}");
    }

    /// Every label function on a history, in a fixed order.
    fn all_labels(h: &DailyHistory) -> Vec<Labels> {
        let cal = NseCalendar::new();
        let r = h.log_returns();
        // A σ that only looks back: the RMS of the last 5 returns.
        let sigma: Vec<f64> = (0..h.len())
            .map(|t| {
                if t < 5 {
                    f64::NAN
                } else {
                    (r[t - 4..=t].iter().map(|x| x * x).sum::<f64>() / 5.0 * 252.0).sqrt()
                }
            })
            .collect();
        let w = expiry_windows(h, &cal).unwrap();
        let mut out: Vec<Labels> = DIRECTION_HORIZONS
            .iter()
            .map(|&k| direction(h, &sigma, k).unwrap())
            .collect();
        out.extend((0..BREAKOUT_DAYS).map(|k| breakout(h, k)));
        out.push(spike_direction(h));
        out.push(vol_trap(h, &w));
        out.push(expiry_stress(h, &w));
        out.push(theta_edge(h, &w).unwrap());
        out.push(gap_risk(h));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Appending later data never changes a label that existed, and rows at least `h`
        /// rows before the cut have exactly the labels of the full history.
        #[test]
        fn labels_do_not_look_ahead(seed in 0u64..1_000, cut in 30usize..150) {
            let full = random_history(seed, 160);
            let part = full.truncated(cut);
            let (lf, lp) = (all_labels(&full), all_labels(&part));
            for (f, p) in lf.iter().zip(&lp) {
                prop_assert_eq!(&f.classes, &p.classes);
                for t in 0..cut {
                    if p.values[t].is_some() {
                        prop_assert_eq!(p.values[t], f.values[t], "row {} of {:?}", t, f.classes);
                    }
                    if t + f.horizon < cut {
                        prop_assert_eq!(p.values[t], f.values[t], "row {} h {}", t, f.horizon);
                    }
                }
            }
        }
    }
}
