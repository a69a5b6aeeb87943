//! Intraday features from today's 5-minute bars.
//!
//! The NSE cash session runs 09:15–15:30 IST: 75 five-minute bars, keyed by their start
//! (09:15, 09:20, …, 15:25 IST = 03:45 … 09:55 UTC). A bar's *slot* is its position on that
//! grid, `(start − 09:15) / 5 min`, 0..=74. Bars missing from the source (e.g. 2025-11-26
//! 13:15 IST in the shared data) leave their slot empty; nothing is filled in.
//!
//! Returns: the return of a bar is `ln(C_k / C_prev)` against the close of the previous bar
//! present that day; for the day's first bar it is `ln(C / O)` (the overnight gap is a feature
//! of its own and is kept out of intraday volatility). A return whose previous bar is not the
//! adjacent slot *spans a gap*.
//!
//! * [`SessionBars`] holds one session's bars on the grid and keeps running totals as bars
//!   arrive (O(1) per bar).
//! * [`IntradayBaseline`] summarises the previous sessions: the usual cumulative realized
//!   variance at each slot and the 30-minute [`BlockProfile`].
//! * [`IntradayFeatures`] combines today with the baseline and the previous daily close.

use aegis_model::time::{ist_at, ist_date, to_ist};
use aegis_model::{BarRule, IntradayBar, IntradaySeries};
use chrono::{NaiveDate, NaiveTime, Timelike};

/// Five-minute bars in a full session (09:15–15:30 IST).
pub const BARS_PER_SESSION: usize = 75;
/// Bars in the opening range: the first 30 minutes, 09:15–09:45 IST.
pub const OPENING_RANGE_BARS: usize = 6;
/// 30-minute blocks in the block profile: 12 full blocks 09:15–15:15 and the final 15-minute
/// block 15:15–15:30.
pub const BLOCKS: usize = 13;
/// Sessions in the default look-back for the usual profile and the block profile.
pub const DEFAULT_LOOKBACK_SESSIONS: usize = 20;

/// Why intraday bars or inputs were rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntradayError {
    /// A bar starts off the 5-minute session grid.
    #[error(
        "5-minute bar starting {start} IST is not on the session grid 09:15, 09:20, …, 15:25 IST: pass bar starts, in UTC, of 5-minute bars"
    )]
    OffGrid {
        /// The bar start, IST wall clock (`YYYY-MM-DD HH:MM`).
        start: String,
    },
    /// A bar of another day was given to a session.
    #[error("bar of {got} given to the session of {expected}")]
    WrongDate {
        /// The session's date.
        expected: NaiveDate,
        /// The bar's IST date.
        got: NaiveDate,
    },
    /// Bars must arrive in increasing slot order.
    #[error(
        "bar at slot {slot} of {date} is not after slot {previous}: feed each bar once, oldest first"
    )]
    NotAfterPrevious {
        /// Session date.
        date: NaiveDate,
        /// The bar's slot.
        slot: usize,
        /// The last slot already fed.
        previous: usize,
    },
    /// A bar broke an OHLC rule.
    #[error("bar {start}: {rule}")]
    InvalidBar {
        /// The bar start, UTC.
        start: String,
        /// The rule broken.
        rule: BarRule,
    },
    /// A baseline session is not strictly before today (that would be look-ahead).
    #[error(
        "baseline session {session} is not before {today}: the usual profile may only use earlier sessions"
    )]
    HistoryNotBefore {
        /// The offending session's date.
        session: NaiveDate,
        /// Today's date.
        today: NaiveDate,
    },
    /// The previous daily close is not a positive finite number.
    #[error("previous daily close {0} must be a positive finite number")]
    BadPreviousClose(f64),
}

/// The slot (0..=74) of a bar starting at `start`, or an error if it is off the grid.
pub fn slot_of(start: chrono::DateTime<chrono::Utc>) -> Result<usize, IntradayError> {
    let date = ist_date(start);
    let minutes = (start - ist_at(date, 9, 15)).num_minutes();
    let on_grid = start.second() == 0 && start.nanosecond() == 0 && minutes % 5 == 0;
    if !on_grid || minutes < 0 || minutes / 5 >= BARS_PER_SESSION as i64 {
        return Err(IntradayError::OffGrid {
            start: to_ist(start).format("%Y-%m-%d %H:%M").to_string(),
        });
    }
    Ok((minutes / 5) as usize)
}

/// The block (0..=12) of a slot: slots `6b..6b+5` form block `b` for `b < 12`; slots 72–74
/// (15:15–15:30) form block 12.
pub fn block_of(slot: usize) -> usize {
    (slot / 6).min(BLOCKS - 1)
}

/// IST start and end of block `b` (0..=12).
pub fn block_bounds(block: usize) -> (NaiveTime, NaiveTime) {
    let start = 9 * 60 + 15 + 30 * block as u32;
    let end = (start + 30).min(15 * 60 + 30);
    let t = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("in range");
    (t(start), t(end))
}

/// One session's 5-minute bars on the slot grid, with running totals.
#[derive(Debug, Clone)]
pub struct SessionBars {
    date: NaiveDate,
    slots: Vec<Option<IntradayBar>>,
    last_slot: Option<usize>,
    /// Cumulative squared returns up to and including each slot, for slots ≤ `last_slot`.
    cum_var: Vec<f64>,
    /// Sum and count of |return| per block, over returns that do not span a gap.
    block_abs: [(f64, usize); BLOCKS],
    bars: usize,
}

impl SessionBars {
    /// An empty session for the IST date `date`.
    pub fn new(date: NaiveDate) -> Self {
        SessionBars {
            date,
            slots: vec![None; BARS_PER_SESSION],
            last_slot: None,
            cum_var: Vec::with_capacity(BARS_PER_SESSION),
            block_abs: [(0.0, 0); BLOCKS],
            bars: 0,
        }
    }

    /// Adds the next bar (later slot than any before). O(1) except when it follows a gap,
    /// where the skipped slots' cumulative totals are filled in.
    pub fn push(&mut self, bar: &IntradayBar) -> Result<(), IntradayError> {
        let start = bar.key;
        bar.check().map_err(|rule| IntradayError::InvalidBar {
            start: start.to_rfc3339(),
            rule,
        })?;
        let got = ist_date(start);
        if got != self.date {
            return Err(IntradayError::WrongDate {
                expected: self.date,
                got,
            });
        }
        let slot = slot_of(start)?;
        if let Some(previous) = self.last_slot
            && slot <= previous
        {
            return Err(IntradayError::NotAfterPrevious {
                date: self.date,
                slot,
                previous,
            });
        }
        let (r, spans_gap) = match self.last_slot {
            None => ((bar.close / bar.open).ln(), false),
            Some(p) => {
                let prev_close = self.slots[p].expect("last slot is filled").close;
                ((bar.close / prev_close).ln(), slot != p + 1)
            }
        };
        let carried = self.cum_var.last().copied().unwrap_or(0.0);
        while self.cum_var.len() < slot {
            self.cum_var.push(carried);
        }
        self.cum_var.push(carried + r * r);
        if !spans_gap {
            let b = &mut self.block_abs[block_of(slot)];
            b.0 += r.abs();
            b.1 += 1;
        }
        self.slots[slot] = Some(*bar);
        self.last_slot = Some(slot);
        self.bars += 1;
        Ok(())
    }

    /// Builds a session from bars of one IST date.
    pub fn from_bars<'a>(
        date: NaiveDate,
        bars: impl IntoIterator<Item = &'a IntradayBar>,
    ) -> Result<Self, IntradayError> {
        let mut s = SessionBars::new(date);
        for b in bars {
            s.push(b)?;
        }
        Ok(s)
    }

    /// Splits a 5-minute series into sessions by IST date, oldest first.
    pub fn split(series: &IntradaySeries) -> Result<Vec<SessionBars>, IntradayError> {
        let mut out: Vec<SessionBars> = Vec::new();
        for bar in series.bars() {
            let date = ist_date(bar.key);
            if out.last().is_none_or(|s| s.date != date) {
                out.push(SessionBars::new(date));
            }
            out.last_mut().expect("just pushed").push(bar)?;
        }
        Ok(out)
    }

    /// The session's IST date.
    pub fn date(&self) -> NaiveDate {
        self.date
    }
    /// Number of bars present.
    pub fn len(&self) -> usize {
        self.bars
    }
    /// Whether no bar has arrived yet.
    pub fn is_empty(&self) -> bool {
        self.bars == 0
    }
    /// The latest slot with a bar.
    pub fn last_slot(&self) -> Option<usize> {
        self.last_slot
    }
    /// The bar in `slot`, if present.
    pub fn bar(&self, slot: usize) -> Option<&IntradayBar> {
        self.slots.get(slot)?.as_ref()
    }
    /// Empty slots before the latest bar (bars missing from the source).
    pub fn missing_slots(&self) -> Vec<usize> {
        let end = self.last_slot.map_or(0, |s| s + 1);
        (0..end).filter(|&s| self.slots[s].is_none()).collect()
    }
    /// Realized variance so far: the sum of squared 5-minute log returns up to and including
    /// `slot` (a return spanning a missing bar counts once, over its longer interval). `None`
    /// beyond the latest bar.
    pub fn cumulative_variance(&self, slot: usize) -> Option<f64> {
        self.cum_var.get(slot).copied()
    }
    /// Mean |5-minute log return| per block so far, over returns between adjacent bars only.
    pub fn block_mean_abs_returns(&self) -> [Option<f64>; BLOCKS] {
        self.block_abs
            .map(|(sum, n)| (n > 0).then(|| sum / n as f64))
    }
}

/// Opening-range state, judged on the latest close once the range is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpeningRangeState {
    /// Fewer than the 6 opening bars, or one of them missing from the source.
    NotFormed,
    /// Latest close within [low, high] of the opening range.
    Inside,
    /// Latest close above the opening-range high.
    BrokeUp,
    /// Latest close below the opening-range low.
    BrokeDown,
}

/// The first 30 minutes' range (slots 0–5, 09:15–09:45 IST) and where price is now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpeningRange {
    /// State on the latest close.
    pub state: OpeningRangeState,
    /// Highest high of the 6 opening bars, once formed.
    pub high: Option<f64>,
    /// Lowest low of the 6 opening bars, once formed.
    pub low: Option<f64>,
}

impl OpeningRange {
    /// Computes the opening range of a session so far.
    pub fn of(session: &SessionBars) -> Self {
        let not_formed = OpeningRange {
            state: OpeningRangeState::NotFormed,
            high: None,
            low: None,
        };
        let bars: Option<Vec<&IntradayBar>> =
            (0..OPENING_RANGE_BARS).map(|s| session.bar(s)).collect();
        let (Some(bars), Some(last)) = (bars, session.last_slot().and_then(|s| session.bar(s)))
        else {
            return not_formed;
        };
        let high = bars.iter().map(|b| b.high).fold(f64::MIN, f64::max);
        let low = bars.iter().map(|b| b.low).fold(f64::MAX, f64::min);
        let state = if last.close > high {
            OpeningRangeState::BrokeUp
        } else if last.close < low {
            OpeningRangeState::BrokeDown
        } else {
            OpeningRangeState::Inside
        };
        OpeningRange {
            state,
            high: Some(high),
            low: Some(low),
        }
    }
}

/// One 30-minute block of the [`BlockProfile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockStat {
    /// Block start, IST.
    pub start: NaiveTime,
    /// Block end, IST.
    pub end: NaiveTime,
    /// Mean |5-minute log return| over the look-back sessions (returns between adjacent bars).
    pub mean_abs_return: Option<f64>,
    /// Number of returns averaged.
    pub returns: usize,
    /// `mean_abs_return` divided by the busiest block's, in (0, 1].
    pub score: Option<f64>,
}

/// Where in the session the market usually moves: for each of the 13 blocks 09:15–15:30
/// (12 × 30 minutes, then 15:15–15:30), the mean absolute 5-minute log return over the
/// look-back sessions, pooled over all returns in the block (returns that span a missing bar
/// are left out; the first bar's return is its `ln(C/O)`), normalised by the busiest block.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockProfile {
    /// Sessions used.
    pub sessions: usize,
    /// The 13 blocks, in session order.
    pub blocks: [BlockStat; BLOCKS],
}

/// The usual cumulative realized variance at one slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsualVariance {
    /// Mean over the sessions that reached this slot.
    pub mean: f64,
    /// How many sessions reached the slot.
    pub sessions: usize,
}

/// What the previous sessions say is usual, at each time of day.
#[derive(Debug, Clone, PartialEq)]
pub struct IntradayBaseline {
    last_session: Option<NaiveDate>,
    sessions: usize,
    usual: Vec<Option<UsualVariance>>,
    blocks: BlockProfile,
}

impl IntradayBaseline {
    /// Summarises the last `lookback` sessions of `history` (oldest first; all sessions are
    /// expected to be before the day the baseline is used for, which
    /// [`IntradayFeatures::compute`] checks). Sessions that stop early (partial, or a source
    /// gap at the end) only count for the slots they reached.
    pub fn new(history: &[SessionBars], lookback: usize) -> Self {
        let used = &history[history.len().saturating_sub(lookback)..];
        let mut usual = Vec::with_capacity(BARS_PER_SESSION);
        for slot in 0..BARS_PER_SESSION {
            let vals: Vec<f64> = used
                .iter()
                .filter_map(|s| s.cumulative_variance(slot))
                .collect();
            usual.push((!vals.is_empty()).then(|| UsualVariance {
                mean: vals.iter().sum::<f64>() / vals.len() as f64,
                sessions: vals.len(),
            }));
        }
        let mut sums = [(0.0, 0usize); BLOCKS];
        for s in used {
            for (acc, (sum, n)) in sums.iter_mut().zip(s.block_abs) {
                acc.0 += sum;
                acc.1 += n;
            }
        }
        let means = sums.map(|(sum, n)| (n > 0).then(|| sum / n as f64));
        let busiest = means.iter().flatten().copied().fold(0.0, f64::max);
        let blocks = std::array::from_fn(|b| {
            let (start, end) = block_bounds(b);
            BlockStat {
                start,
                end,
                mean_abs_return: means[b],
                returns: sums[b].1,
                score: means[b].filter(|_| busiest > 0.0).map(|m| m / busiest),
            }
        });
        IntradayBaseline {
            last_session: used.last().map(SessionBars::date),
            sessions: used.len(),
            usual,
            blocks: BlockProfile {
                sessions: used.len(),
                blocks,
            },
        }
    }

    /// Sessions summarised.
    pub fn sessions(&self) -> usize {
        self.sessions
    }
    /// The newest session summarised.
    pub fn last_session(&self) -> Option<NaiveDate> {
        self.last_session
    }
    /// The usual cumulative realized variance up to and including `slot`.
    pub fn usual_variance(&self, slot: usize) -> Option<UsualVariance> {
        self.usual.get(slot).copied().flatten()
    }
    /// The 30-minute block profile.
    pub fn block_profile(&self) -> &BlockProfile {
        &self.blocks
    }
}

/// Today's intraday features.
#[derive(Debug, Clone, PartialEq)]
pub struct IntradayFeatures {
    /// Today's IST date.
    pub date: NaiveDate,
    /// Bars present so far.
    pub bars: usize,
    /// The latest slot with a bar.
    pub last_slot: Option<usize>,
    /// Gap from the previous daily close to today's 09:15 open, `100·(O/C₋₁ − 1)` percent;
    /// `None` when the 09:15 bar is missing.
    pub gap_pct: Option<f64>,
    /// Opening range and state.
    pub opening_range: OpeningRange,
    /// Realized variance so far (sum of squared 5-minute log returns, not annualised).
    pub realized_variance: f64,
    /// The usual realized variance up to the same slot over the baseline sessions.
    pub usual_variance: Option<UsualVariance>,
    /// `√(realized_variance / usual mean)`: realized vol so far relative to the usual for
    /// this time of day (1 = usual, 1.5 = half again as volatile). `None` when fewer than
    /// `min_sessions` baseline sessions reached this slot, or the usual variance is 0.
    pub vol_ratio_vs_usual: Option<f64>,
    /// Today's mean |5-minute log return| per block so far (to set beside the profile).
    pub block_mean_abs_returns: [Option<f64>; BLOCKS],
}

impl IntradayFeatures {
    /// Today's features from today's bars so far, the previous session's daily close and a
    /// baseline of earlier sessions. `min_sessions` is how many baseline sessions must have
    /// reached the current slot for the ratio to be given (use the look-back, normally 20).
    pub fn compute(
        today: &SessionBars,
        previous_close: f64,
        baseline: &IntradayBaseline,
        min_sessions: usize,
    ) -> Result<Self, IntradayError> {
        if !(previous_close.is_finite() && previous_close > 0.0) {
            return Err(IntradayError::BadPreviousClose(previous_close));
        }
        if let Some(session) = baseline.last_session()
            && session >= today.date()
        {
            return Err(IntradayError::HistoryNotBefore {
                session,
                today: today.date(),
            });
        }
        let last_slot = today.last_slot();
        let realized_variance = last_slot
            .and_then(|s| today.cumulative_variance(s))
            .unwrap_or(0.0);
        let usual_variance = last_slot.and_then(|s| baseline.usual_variance(s));
        let vol_ratio_vs_usual = usual_variance
            .filter(|u| u.sessions >= min_sessions.max(1) && u.mean > 0.0)
            .map(|u| (realized_variance / u.mean).sqrt());
        Ok(IntradayFeatures {
            date: today.date(),
            bars: today.len(),
            last_slot,
            gap_pct: today
                .bar(0)
                .map(|b| 100.0 * (b.open / previous_close - 1.0)),
            opening_range: OpeningRange::of(today),
            realized_variance,
            usual_variance,
            vol_ratio_vs_usual,
            block_mean_abs_returns: today.block_mean_abs_returns(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data;
    use aegis_model::Candle;
    use chrono::Duration;
    use rstest::rstest;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, d).unwrap()
    }

    /// A session of `closes` at consecutive slots from `first_slot`, each bar opening at the
    /// previous close (the first at `open`), with high/low 0.1 beyond the body.
    fn session(date: NaiveDate, first_slot: usize, open: f64, closes: &[f64]) -> Vec<IntradayBar> {
        let mut prev = open;
        closes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let t = ist_at(date, 9, 15) + Duration::minutes(5 * (first_slot + i) as i64);
                let b = Candle::new(t, prev, prev.max(c) + 0.1, prev.min(c) - 0.1, c);
                prev = c;
                b
            })
            .collect()
    }

    #[rstest]
    #[case(9, 15, Ok(0))]
    #[case(9, 45, Ok(6))]
    #[case(15, 15, Ok(72))]
    #[case(15, 25, Ok(74))]
    #[case(15, 30, Err(()))]
    #[case(9, 10, Err(()))]
    #[case(9, 17, Err(()))]
    fn slots_follow_the_ist_grid(#[case] h: u32, #[case] m: u32, #[case] want: Result<usize, ()>) {
        assert_eq!(slot_of(ist_at(day(18), h, m)).map_err(|_| ()), want);
    }

    #[rstest]
    #[case(0, 0, "09:15", "09:45")]
    #[case(5, 0, "09:15", "09:45")]
    #[case(6, 1, "09:45", "10:15")]
    #[case(71, 11, "14:45", "15:15")]
    #[case(72, 12, "15:15", "15:30")]
    #[case(74, 12, "15:15", "15:30")]
    fn blocks_cover_the_session(
        #[case] slot: usize,
        #[case] block: usize,
        #[case] start: &str,
        #[case] end: &str,
    ) {
        assert_eq!(block_of(slot), block);
        let (s, e) = block_bounds(block);
        assert_eq!(
            (s.format("%H:%M").to_string(), e.format("%H:%M").to_string()),
            (start.to_string(), end.to_string())
        );
    }

    #[test]
    fn hand_built_session_features() {
        // Opening range bars 100 → 101 → 100.5 → 100.8 → 101.2 → 100.9 (highs/lows ±0.1 of body):
        // OR high = 101.3 (bar 5 body 101.2 + 0.1), OR low = 99.9 (bar 1 body 100 − 0.1).
        let closes = [101.0, 100.5, 100.8, 101.2, 100.9, 101.0];
        let bars = session(day(19), 0, 100.0, &closes);
        let mut s = SessionBars::new(day(19));
        for b in &bars[..5] {
            s.push(b).unwrap();
        }
        let base = IntradayBaseline::new(&[], 20);
        let f = IntradayFeatures::compute(&s, 99.0, &base, 1).unwrap();
        assert_eq!(f.opening_range.state, OpeningRangeState::NotFormed);
        assert!((f.gap_pct.unwrap() - 100.0 * (100.0 / 99.0 - 1.0)).abs() < 1e-12);
        s.push(&bars[5]).unwrap();
        let or = OpeningRange::of(&s);
        assert_eq!(or.state, OpeningRangeState::Inside);
        assert!((or.high.unwrap() - 101.3).abs() < 1e-12);
        assert!((or.low.unwrap() - 99.9).abs() < 1e-12);
        // Realized variance: first return ln(101/100), then close-to-close.
        let mut want = (101.0f64 / 100.0).ln().powi(2);
        for w in closes.windows(2) {
            want += (w[1] / w[0]).ln().powi(2);
        }
        assert!((s.cumulative_variance(5).unwrap() - want).abs() < 1e-15);
        // A break above the range, then a fall below it.
        let up = session(day(19), 6, 101.0, &[101.5]);
        s.push(&up[0]).unwrap();
        assert_eq!(OpeningRange::of(&s).state, OpeningRangeState::BrokeUp);
        let down = session(day(19), 7, 101.5, &[99.5]);
        s.push(&down[0]).unwrap();
        assert_eq!(OpeningRange::of(&s).state, OpeningRangeState::BrokeDown);
    }

    #[test]
    fn missing_bars_are_not_filled() {
        // Slots 0, 1, then 3 (slot 2 missing), and a missing opening bar in another session.
        let mut bars = session(day(20), 0, 100.0, &[100.2, 100.4]);
        bars.extend(session(day(20), 3, 100.4, &[100.1]));
        let s = SessionBars::from_bars(day(20), &bars).unwrap();
        assert_eq!(s.missing_slots(), vec![2]);
        // The return into slot 3 spans the gap: it counts in the variance, not in the block mean.
        let r = [
            (100.2f64 / 100.0).ln(),
            (100.4f64 / 100.2).ln(),
            (100.1f64 / 100.4).ln(),
        ];
        assert_eq!(s.cumulative_variance(2), Some(r[0] * r[0] + r[1] * r[1]));
        let v3 = s.cumulative_variance(3).unwrap();
        assert!((v3 - r.iter().map(|x| x * x).sum::<f64>()).abs() < 1e-18);
        let block0 = s.block_mean_abs_returns()[0].unwrap();
        assert!((block0 - (r[0].abs() + r[1].abs()) / 2.0).abs() < 1e-15);
        assert_eq!(OpeningRange::of(&s).state, OpeningRangeState::NotFormed);
        // No 09:15 bar: no gap.
        let late = SessionBars::from_bars(day(21), &session(day(21), 1, 100.0, &[100.5])).unwrap();
        let f =
            IntradayFeatures::compute(&late, 100.0, &IntradayBaseline::new(&[], 20), 1).unwrap();
        assert_eq!(f.gap_pct, None);
    }

    #[test]
    fn rejects_bad_input() {
        let bars = session(day(19), 0, 100.0, &[100.2, 100.4]);
        let mut s = SessionBars::new(day(19));
        s.push(&bars[1]).unwrap();
        assert!(matches!(
            s.push(&bars[0]),
            Err(IntradayError::NotAfterPrevious {
                slot: 0,
                previous: 1,
                ..
            })
        ));
        let other = session(day(20), 2, 100.0, &[100.2]);
        assert!(matches!(
            s.push(&other[0]),
            Err(IntradayError::WrongDate { .. })
        ));
        let mut off = bars[0];
        off.key += Duration::minutes(2);
        assert!(matches!(
            SessionBars::new(day(19)).push(&off),
            Err(IntradayError::OffGrid { .. })
        ));
        // A baseline that includes today is look-ahead.
        let today = SessionBars::from_bars(day(19), &bars).unwrap();
        let base = IntradayBaseline::new(std::slice::from_ref(&today), 20);
        assert!(matches!(
            IntradayFeatures::compute(&today, 100.0, &base, 1),
            Err(IntradayError::HistoryNotBefore { .. })
        ));
        let empty = IntradayBaseline::new(&[], 20);
        assert!(matches!(
            IntradayFeatures::compute(&today, 0.0, &empty, 1),
            Err(IntradayError::BadPreviousClose(_))
        ));
    }

    #[test]
    fn usual_profile_and_ratio_from_hand_built_sessions() {
        // Two past sessions with constant per-bar moves of 0.1 % and 0.3 %: at slot k the
        // cumulative variances are (k+1)·a² and (k+1)·b², so the usual is (k+1)·(a²+b²)/2.
        let make = |d: u32, step: f64| {
            let closes: Vec<f64> = (1..=10).map(|i| 100.0 * (step * i as f64).exp()).collect();
            SessionBars::from_bars(day(d), &session(day(d), 0, 100.0, &closes)).unwrap()
        };
        let (a, b) = (0.001, 0.003);
        let hist = vec![make(17, a), make(18, b)];
        let base = IntradayBaseline::new(&hist, 20);
        let u = base.usual_variance(4).unwrap();
        assert_eq!(u.sessions, 2);
        assert!((u.mean - 5.0 * (a * a + b * b) / 2.0).abs() < 1e-15);
        assert_eq!(base.usual_variance(10), None, "no session reached slot 10");
        // Today moves 0.2 % a bar: ratio √(4/5).
        let today = make(19, 0.002);
        let f = IntradayFeatures::compute(&today, 100.0, &base, 2).unwrap();
        let want = (0.002f64 * 0.002 / ((a * a + b * b) / 2.0)).sqrt();
        assert!((f.vol_ratio_vs_usual.unwrap() - want).abs() < 1e-9);
        // Not enough sessions for the requested minimum: no ratio.
        let f = IntradayFeatures::compute(&today, 100.0, &base, 3).unwrap();
        assert_eq!(f.vol_ratio_vs_usual, None);
        // Block profile: only block 0 (slots 0–5) and block 1 (slots 6–9) have returns;
        // both have mean |r| = (a+b)/2, so both score 1.
        let p = base.block_profile();
        assert_eq!(p.blocks[0].returns, 12);
        assert_eq!(p.blocks[1].returns, 8);
        assert!((p.blocks[0].mean_abs_return.unwrap() - (a + b) / 2.0).abs() < 1e-12);
        assert!((p.blocks[1].score.unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(p.blocks[2].mean_abs_return, None);
    }

    #[test]
    fn real_five_minute_sessions() {
        let series = test_data::nifty_5m();
        let sessions = SessionBars::split(&series).unwrap();
        let counts: Vec<usize> = sessions.iter().map(SessionBars::len).collect();
        assert_eq!(counts, [75, 75, 75, 75, 75, 75, 74, 75, 56]);
        // The documented source gap: 2025-11-26 13:15 IST = slot 48.
        assert_eq!(sessions[6].date(), day(26));
        assert_eq!(sessions[6].missing_slots(), vec![48]);
        assert!(
            sessions
                .iter()
                .enumerate()
                .all(|(i, s)| i == 6 || s.missing_slots().is_empty())
        );

        let daily = test_data::nifty_yahoo();
        // Features of 2025-11-28 (partial, 56 bars) against the 8 full-ish sessions before it.
        let today = &sessions[8];
        let prev_close = daily.bars()[daily.position(day(27)).unwrap()].close;
        let base = IntradayBaseline::new(&sessions[..8], DEFAULT_LOOKBACK_SESSIONS);
        assert_eq!(base.sessions(), 8);
        let f = IntradayFeatures::compute(today, prev_close, &base, 8).unwrap();
        assert_eq!((f.bars, f.last_slot), (56, Some(55)));
        let open = today.bar(0).unwrap().open;
        assert_eq!(f.gap_pct, Some(100.0 * (open / prev_close - 1.0)));
        // Cross-check with the daily file: its open is within 0.1 % of the 09:15 bar's open.
        let daily_open = test_data::nifty_yahoo_with_partial().last().unwrap().open;
        assert!((daily_open / open - 1.0).abs() < 1e-3);
        // Usual at slot 55: the mean of the 8 sessions' own cumulative variances, recomputed
        // here directly from their bars.
        let direct: Vec<f64> = sessions[..8]
            .iter()
            .map(|s| {
                let bars: Vec<&IntradayBar> = (0..=55).filter_map(|k| s.bar(k)).collect();
                let mut v = (bars[0].close / bars[0].open).ln().powi(2);
                for w in bars.windows(2) {
                    v += (w[1].close / w[0].close).ln().powi(2);
                }
                v
            })
            .collect();
        let usual = f.usual_variance.unwrap();
        assert_eq!(usual.sessions, 8);
        assert!((usual.mean - direct.iter().sum::<f64>() / 8.0).abs() < 1e-15);
        let ratio = f.vol_ratio_vs_usual.unwrap();
        assert!((ratio - (f.realized_variance / usual.mean).sqrt()).abs() < 1e-12);
        assert!(ratio > 0.2 && ratio < 5.0, "ratio {ratio}");
        // Opening range of 2025-11-28 from its first six bars.
        let or = f.opening_range;
        let first6: Vec<&IntradayBar> = (0..6).map(|k| today.bar(k).unwrap()).collect();
        assert_eq!(
            or.high,
            Some(first6.iter().map(|b| b.high).fold(f64::MIN, f64::max))
        );
        assert_eq!(
            or.low,
            Some(first6.iter().map(|b| b.low).fold(f64::MAX, f64::min))
        );
        assert_ne!(or.state, OpeningRangeState::NotFormed);

        // Block profile over the 8 complete sessions (the 09:15 block holds the opening moves).
        let p = base.block_profile();
        assert_eq!(p.sessions, 8);
        // Each full block has 6 returns a session; block 12 has 3. On 2025-11-26 the returns
        // into slots 48 (missing) and 49 (spans the gap) are left out of block 8 (13:15–13:45).
        for (b, stat) in p.blocks.iter().enumerate() {
            let want = match b {
                8 => 6 * 8 - 2,
                12 => 3 * 8,
                _ => 6 * 8,
            };
            assert_eq!(stat.returns, want, "block {b}");
        }
        let max = p.blocks.iter().filter_map(|b| b.score).fold(0.0, f64::max);
        assert_eq!(max, 1.0);
        assert!(p.blocks.iter().all(|b| b.score.unwrap() > 0.0));
    }
}
