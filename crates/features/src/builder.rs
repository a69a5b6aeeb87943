//! The daily feature builder: replays history through the streaming indicators.

use aegis_calendar::{CalendarError, NseCalendar};
use aegis_model::{BarRule, DailyBar, DailySeries, DataOrigin, Symbol};
use chrono::NaiveDate;

use crate::indicators::{
    Adx, Atr, Autocorrelation, Ema, Indicator, RealizedVol, RollingHigh, RollingLogReturn,
    RollingLow, RollingPercentile, Rsi, VarianceRatio, VolEstimator,
};
use crate::rolling::Ring;
use crate::spec::{FeatureHash, FeatureKind, FeatureSet};

/// Why a bar could not be turned into features.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureError {
    /// A NIFTY bar broke an OHLC rule.
    #[error("bar {date}: {rule}; fix or re-fetch the series before building features")]
    InvalidBar {
        /// The bar's date.
        date: NaiveDate,
        /// The rule broken.
        rule: BarRule,
    },
    /// A VIX bar broke an OHLC rule.
    #[error("India VIX bar {date}: {rule}; fix or re-fetch the VIX series")]
    InvalidVixBar {
        /// The bar's date.
        date: NaiveDate,
        /// The rule broken.
        rule: BarRule,
    },
    /// Bars must arrive in strictly increasing date order.
    #[error(
        "bar {date} is not after the last bar fed ({previous}): feed each trading date once, oldest first"
    )]
    NotAfterPrevious {
        /// The offending bar's date.
        date: NaiveDate,
        /// The last date already fed.
        previous: NaiveDate,
    },
    /// The VIX bar given with a NIFTY bar is for another date.
    #[error(
        "India VIX bar {vix} given with the NIFTY bar of {nifty}: VIX is joined on the trading date; pass None when that date has no VIX row"
    )]
    VixDateMismatch {
        /// The NIFTY bar's date.
        nifty: NaiveDate,
        /// The VIX bar's date.
        vix: NaiveDate,
    },
    /// `push` was given a still-forming bar.
    #[error(
        "bar {date} is partial (still forming): push() takes complete bars only, use preview() for live values"
    )]
    PartialBar {
        /// The bar's date.
        date: NaiveDate,
    },
    /// A partial VIX bar joined to a complete NIFTY bar.
    #[error(
        "the India VIX bar of {date} is partial but the NIFTY bar is complete: re-fetch VIX after the close"
    )]
    PartialVixOnCompleteBar {
        /// The date.
        date: NaiveDate,
    },
    /// The feature set has VIX features but no VIX series was given.
    #[error(
        "features {features:?} need the India VIX series: pass it, or use a feature set without VIX features (FeatureSet::without(FeatureKind::needs_vix))"
    )]
    VixRequired {
        /// The features that need VIX.
        features: Vec<String>,
    },
    /// The series given as VIX is another symbol.
    #[error("the VIX input is a {got} series; pass the India VIX (^INDIAVIX) series")]
    NotVix {
        /// The symbol found.
        got: Symbol,
    },
    /// The calendar could not answer for this date (e.g. a year without a holiday table).
    #[error(
        "expiry features for {date}: {source}; or use a feature set without calendar features (FeatureSet::without(FeatureKind::needs_calendar))"
    )]
    Calendar {
        /// The bar's date.
        date: NaiveDate,
        /// The calendar's error.
        source: CalendarError,
    },
}

/// The features of one trading date, in the set's column order; NaN marks a missing value
/// (not enough history yet, no VIX row that day, or undefined such as 0/0).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// The trading date.
    pub date: NaiveDate,
    /// One value per feature.
    pub values: Vec<f64>,
    /// Computed from a still-forming bar: for live display only, never for training.
    pub partial: bool,
}

/// Per-feature streaming state.
#[derive(Debug, Clone)]
enum Node {
    LogReturn(RollingLogReturn),
    Vol(RealizedVol),
    AtrPct(Atr),
    Rsi(Rsi),
    EmaSlope {
        ema: Ema,
        history: Ring,
        lookback: f64,
    },
    Adx(Adx),
    VarianceRatio(VarianceRatio),
    Autocorr(Autocorrelation),
    DistHigh(RollingHigh),
    DistLow(RollingLow),
    RangeCompression {
        short_high: RollingHigh,
        short_low: RollingLow,
        long_high: RollingHigh,
        long_low: RollingLow,
    },
    VixLevel,
    VixChange {
        previous: Option<f64>,
        current: Option<f64>,
    },
    VixPercentile(RollingPercentile),
    VixRvSpread(RealizedVol),
    WeeklyExpiry,
    MonthlyExpiry,
}

fn or_nan(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

impl Node {
    fn new(kind: FeatureKind) -> Self {
        let u = |x: u32| x as usize;
        match kind {
            FeatureKind::LogReturn { days } => Node::LogReturn(RollingLogReturn::new(u(days))),
            FeatureKind::RealizedVol { estimator, days } => {
                Node::Vol(RealizedVol::new(estimator, u(days)))
            }
            FeatureKind::AtrPct { period } => Node::AtrPct(Atr::new(u(period))),
            FeatureKind::Rsi { period } => Node::Rsi(Rsi::new(u(period))),
            FeatureKind::EmaSlope { period, lookback } => Node::EmaSlope {
                ema: Ema::new(u(period)),
                history: Ring::new(u(lookback) + 1),
                lookback: f64::from(lookback),
            },
            FeatureKind::Adx { period } => Node::Adx(Adx::new(u(period))),
            FeatureKind::VarianceRatio { q, days } => {
                Node::VarianceRatio(VarianceRatio::new(u(q), u(days)))
            }
            FeatureKind::Autocorr1 { days } => Node::Autocorr(Autocorrelation::new(u(days))),
            FeatureKind::DistHigh { days } => Node::DistHigh(RollingHigh::new(u(days))),
            FeatureKind::DistLow { days } => Node::DistLow(RollingLow::new(u(days))),
            FeatureKind::RangeCompression { short, long } => Node::RangeCompression {
                short_high: RollingHigh::new(u(short)),
                short_low: RollingLow::new(u(short)),
                long_high: RollingHigh::new(u(long)),
                long_low: RollingLow::new(u(long)),
            },
            FeatureKind::VixLevel => Node::VixLevel,
            FeatureKind::VixChange1d => Node::VixChange {
                previous: None,
                current: None,
            },
            FeatureKind::VixPercentile { days } => {
                Node::VixPercentile(RollingPercentile::new(u(days)))
            }
            FeatureKind::VixRvSpread { days } => {
                Node::VixRvSpread(RealizedVol::new(VolEstimator::CloseToClose, u(days)))
            }
            FeatureKind::DaysToWeeklyExpiry => Node::WeeklyExpiry,
            FeatureKind::DaysToMonthlyExpiry => Node::MonthlyExpiry,
        }
    }

    /// Feeds today's bar (and today's VIX close, if any) and returns today's value.
    /// `expiry_days` carries the calendar answer for the expiry features.
    fn step(&mut self, bar: &DailyBar, vix: Option<f64>, expiry_days: [Option<u32>; 2]) -> f64 {
        match self {
            Node::LogReturn(r) => {
                r.update(bar.close);
                or_nan(r.value())
            }
            Node::Vol(rv) => {
                rv.update(bar);
                or_nan(rv.value())
            }
            Node::AtrPct(atr) => {
                atr.update(bar);
                or_nan(atr.value().map(|a| 100.0 * a / bar.close))
            }
            Node::Rsi(rsi) => {
                rsi.update(bar.close);
                or_nan(rsi.value())
            }
            Node::EmaSlope {
                ema,
                history,
                lookback,
            } => {
                ema.update(bar.close);
                if let Some(e) = ema.value() {
                    history.push(e);
                }
                if !history.is_full() {
                    return f64::NAN;
                }
                match (history.back(), history.front()) {
                    (Some(now), Some(then)) => 100.0 * (now / then).ln() / *lookback,
                    _ => f64::NAN,
                }
            }
            Node::Adx(adx) => {
                adx.update(bar);
                or_nan(adx.value())
            }
            Node::VarianceRatio(vr) => {
                vr.update(bar.close);
                or_nan(vr.value())
            }
            Node::Autocorr(ac) => {
                ac.update(bar.close);
                or_nan(ac.value())
            }
            Node::DistHigh(hi) => {
                hi.update(bar.high);
                or_nan(hi.value().map(|h| 100.0 * (bar.close / h).ln()))
            }
            Node::DistLow(lo) => {
                lo.update(bar.low);
                or_nan(lo.value().map(|l| 100.0 * (bar.close / l).ln()))
            }
            Node::RangeCompression {
                short_high,
                short_low,
                long_high,
                long_low,
            } => {
                short_high.update(bar.high);
                short_low.update(bar.low);
                long_high.update(bar.high);
                long_low.update(bar.low);
                match (
                    short_high.value(),
                    short_low.value(),
                    long_high.value(),
                    long_low.value(),
                ) {
                    (Some(sh), Some(sl), Some(lh), Some(ll)) if lh > ll => (sh - sl) / (lh - ll),
                    _ => f64::NAN,
                }
            }
            Node::VixLevel => or_nan(vix),
            Node::VixChange { previous, current } => {
                *previous = *current;
                *current = vix;
                match (*previous, *current) {
                    (Some(p), Some(c)) => (c / p).ln(),
                    _ => f64::NAN,
                }
            }
            Node::VixPercentile(p) => match vix {
                Some(v) => {
                    p.update(v);
                    or_nan(p.value())
                }
                None => f64::NAN,
            },
            Node::VixRvSpread(rv) => {
                rv.update(bar);
                match (vix, rv.value()) {
                    (Some(v), Some(sigma)) => v - 100.0 * sigma,
                    _ => f64::NAN,
                }
            }
            Node::WeeklyExpiry => or_nan(expiry_days[0].map(f64::from)),
            Node::MonthlyExpiry => or_nan(expiry_days[1].map(f64::from)),
        }
    }
}

/// Streams daily bars into features: one [`FeatureRow`] per bar, O(1) amortised per bar.
///
/// A row can only depend on the bars fed before it and the bar itself, so the features of
/// day `t` are the same whether or not later days exist (the no-look-ahead property, tested
/// on the real series in this crate).
#[derive(Debug, Clone)]
pub struct FeatureBuilder {
    set: FeatureSet,
    underlying: Symbol,
    calendar: Option<NseCalendar>,
    nodes: Vec<Node>,
    last_date: Option<NaiveDate>,
}

impl FeatureBuilder {
    /// A builder for `set`, with expiries looked up for the options of `underlying`.
    pub fn new(set: FeatureSet, underlying: Symbol) -> Self {
        let calendar = set.needs_calendar().then(NseCalendar::new);
        let nodes = set.kinds().iter().map(|&k| Node::new(k)).collect();
        FeatureBuilder {
            set,
            underlying,
            calendar,
            nodes,
            last_date: None,
        }
    }

    /// The feature set (the columns of every row).
    pub fn feature_set(&self) -> &FeatureSet {
        &self.set
    }

    /// The date of the last bar pushed.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.last_date
    }

    /// Feeds the next complete bar of the day and that date's India VIX bar (`None` when the
    /// date has no VIX row: the VIX features are then NaN, never carried forward) and returns
    /// the day's features. On error the builder is unchanged.
    pub fn push(
        &mut self,
        bar: &DailyBar,
        vix: Option<&DailyBar>,
    ) -> Result<FeatureRow, FeatureError> {
        if bar.partial {
            return Err(FeatureError::PartialBar { date: bar.key });
        }
        self.apply(bar, vix)
    }

    /// The features a bar would get, without changing the builder: for a still-forming
    /// (partial) bar during the session, or to look at a complete bar before committing it.
    /// Costs one copy of the streaming state (a few kilobytes), independent of history length.
    pub fn preview(
        &self,
        bar: &DailyBar,
        vix: Option<&DailyBar>,
    ) -> Result<FeatureRow, FeatureError> {
        self.clone().apply(bar, vix)
    }

    fn apply(
        &mut self,
        bar: &DailyBar,
        vix: Option<&DailyBar>,
    ) -> Result<FeatureRow, FeatureError> {
        let date = bar.key;
        bar.check()
            .map_err(|rule| FeatureError::InvalidBar { date, rule })?;
        if let Some(previous) = self.last_date
            && date <= previous
        {
            return Err(FeatureError::NotAfterPrevious { date, previous });
        }
        if let Some(v) = vix {
            if v.key != date {
                return Err(FeatureError::VixDateMismatch {
                    nifty: date,
                    vix: v.key,
                });
            }
            v.check()
                .map_err(|rule| FeatureError::InvalidVixBar { date, rule })?;
            if v.partial && !bar.partial {
                return Err(FeatureError::PartialVixOnCompleteBar { date });
            }
        }
        // Calendar look-ups first: if one fails, nothing has been mutated.
        let expiry_days = self.expiry_days(date)?;
        let vix_close = vix.map(|v| v.close);
        let values = self
            .nodes
            .iter_mut()
            .map(|n| n.step(bar, vix_close, expiry_days))
            .collect();
        self.last_date = Some(date);
        Ok(FeatureRow {
            date,
            values,
            partial: bar.partial,
        })
    }

    fn expiry_days(&self, date: NaiveDate) -> Result<[Option<u32>; 2], FeatureError> {
        let Some(cal) = &self.calendar else {
            return Ok([None, None]);
        };
        let err = |source| FeatureError::Calendar { date, source };
        let kinds = self.set.kinds();
        let mut out = [None, None];
        if kinds.contains(&FeatureKind::DaysToWeeklyExpiry) {
            let e = cal
                .weekly_expiry_on_or_after(self.underlying, date)
                .map_err(err)?;
            out[0] = Some(cal.trading_days_between(date, e.date()).map_err(err)?);
        }
        if kinds.contains(&FeatureKind::DaysToMonthlyExpiry) {
            let e = cal
                .monthly_expiry_on_or_after(self.underlying, date)
                .map_err(err)?;
            out[1] = Some(cal.trading_days_between(date, e.date()).map_err(err)?);
        }
        Ok(out)
    }

    /// Replays a whole NIFTY series (and the India VIX series, joined on date) and returns the
    /// builder, ready for the next [`push`](Self::push), with the frame of every row.
    ///
    /// A partial last bar is previewed, not pushed: its row is in the frame (flagged by
    /// [`FeatureFrame::partial_last`]) but the returned builder stands at the last complete bar.
    /// VIX rows on dates without a NIFTY bar are skipped and listed in
    /// [`FeatureFrame::vix_unmatched`].
    pub fn replay(
        set: FeatureSet,
        nifty: &DailySeries,
        vix: Option<&DailySeries>,
    ) -> Result<(FeatureBuilder, FeatureFrame), FeatureError> {
        if let Some(v) = vix
            && v.symbol() != Symbol::IndiaVix
        {
            return Err(FeatureError::NotVix { got: v.symbol() });
        }
        if vix.is_none() && set.needs_vix() {
            return Err(FeatureError::VixRequired {
                features: set
                    .kinds()
                    .iter()
                    .filter(|k| k.needs_vix())
                    .map(FeatureKind::name)
                    .collect(),
            });
        }
        let mut builder = FeatureBuilder::new(set, nifty.symbol());
        let n_cols = builder.set.len();
        let mut frame = FeatureFrame {
            names: builder.set.names().to_vec(),
            hash: builder.set.feature_hash(),
            origin: nifty.origin(),
            dates: Vec::with_capacity(nifty.len()),
            values: Vec::with_capacity(nifty.len() * n_cols),
            n_cols,
            partial_last: false,
            vix_unmatched: Vec::new(),
            vix_missing: Vec::new(),
        };
        let vix_bars = vix.map(DailySeries::bars).unwrap_or(&[]);
        let mut j = 0;
        for bar in nifty.bars() {
            while j < vix_bars.len() && vix_bars[j].key < bar.key {
                frame.vix_unmatched.push(vix_bars[j].key);
                j += 1;
            }
            let today_vix = (j < vix_bars.len() && vix_bars[j].key == bar.key).then(|| {
                j += 1;
                &vix_bars[j - 1]
            });
            if vix.is_some() && today_vix.is_none() {
                frame.vix_missing.push(bar.key);
            }
            let row = if bar.partial {
                builder.preview(bar, today_vix)?
            } else {
                builder.push(bar, today_vix)?
            };
            frame.partial_last = row.partial;
            frame.dates.push(row.date);
            frame.values.extend_from_slice(&row.values);
        }
        frame
            .vix_unmatched
            .extend(vix_bars[j..].iter().map(|b| b.key));
        Ok((builder, frame))
    }
}

/// Features of every bar of a series: one row per bar, one column per feature, row-major.
/// NaN marks a missing value (warm-up, no VIX row that day, undefined).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureFrame {
    names: Vec<String>,
    hash: FeatureHash,
    origin: DataOrigin,
    dates: Vec<NaiveDate>,
    values: Vec<f64>,
    n_cols: usize,
    partial_last: bool,
    vix_unmatched: Vec<NaiveDate>,
    vix_missing: Vec<NaiveDate>,
}

impl FeatureFrame {
    /// Builds the frame of a series; see [`FeatureBuilder::replay`].
    pub fn build(
        set: FeatureSet,
        nifty: &DailySeries,
        vix: Option<&DailySeries>,
    ) -> Result<FeatureFrame, FeatureError> {
        FeatureBuilder::replay(set, nifty, vix).map(|(_, frame)| frame)
    }

    /// Column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The feature set's hash.
    pub fn feature_hash(&self) -> FeatureHash {
        self.hash
    }
    /// Where the NIFTY bars came from (a simulated origin stays visible downstream).
    pub fn origin(&self) -> DataOrigin {
        self.origin
    }
    /// Row dates, oldest first.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }
    /// Number of rows (one per bar).
    pub fn n_rows(&self) -> usize {
        self.dates.len()
    }
    /// Number of columns (features).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }
    /// All values, row-major (`n_rows × n_cols`).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    /// Row `i`.
    ///
    /// # Panics
    /// If `i ≥ n_rows()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.n_cols..(i + 1) * self.n_cols]
    }
    /// Column index of a feature name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
    /// A column by name, oldest first.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let c = self.column_index(name)?;
        Some(
            self.values
                .iter()
                .skip(c)
                .step_by(self.n_cols)
                .copied()
                .collect(),
        )
    }
    /// Whether the last row comes from a partial (still-forming) bar: never train on it.
    pub fn partial_last(&self) -> bool {
        self.partial_last
    }
    /// Whether row `i` has every feature and is not the partial last row.
    pub fn is_complete(&self, i: usize) -> bool {
        let partial = self.partial_last && i + 1 == self.n_rows();
        !partial && self.row(i).iter().all(|v| !v.is_nan())
    }
    /// The first complete row (every feature present), if any.
    pub fn first_complete_row(&self) -> Option<usize> {
        (0..self.n_rows()).find(|&i| self.is_complete(i))
    }
    /// Indices of all complete rows (what training uses); rows with a missing VIX value after
    /// the warm-up are excluded, as is a partial last row.
    pub fn complete_rows(&self) -> Vec<usize> {
        (0..self.n_rows())
            .filter(|&i| self.is_complete(i))
            .collect()
    }
    /// VIX dates that had no NIFTY bar (skipped by the join).
    pub fn vix_unmatched(&self) -> &[NaiveDate] {
        &self.vix_unmatched
    }
    /// NIFTY dates without a VIX row (their VIX features are NaN); empty when no VIX was given.
    pub fn vix_missing(&self) -> &[NaiveDate] {
        &self.vix_missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::naive;
    use crate::test_data;
    use aegis_model::Candle;
    use rstest::rstest;
    use std::collections::HashMap;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn no_calendar() -> FeatureSet {
        FeatureSet::standard()
            .without(FeatureKind::needs_calendar)
            .unwrap()
    }

    fn yahoo_frame() -> FeatureFrame {
        FeatureFrame::build(
            no_calendar(),
            &test_data::nifty_yahoo(),
            Some(&test_data::vix_yahoo()),
        )
        .unwrap()
    }

    #[test]
    fn every_feature_matches_a_direct_computation_on_real_data() {
        let nifty = test_data::nifty_yahoo();
        let vix = test_data::vix_yahoo();
        let frame = yahoo_frame();
        let bars = nifty.bars();
        let closes = nifty.closes();
        let cols: HashMap<&str, Vec<f64>> = frame
            .names()
            .iter()
            .map(|n| (n.as_str(), frame.column(n).unwrap()))
            .collect();
        let col = |name: &str| &cols[name];
        let ema20 = naive::ema(&closes, 20);
        let atr = naive::atr(bars, 14);
        let rsi = naive::rsi(&closes, 14);
        let adx = naive::adx(bars, 14);
        let vix_close = |i: usize| vix.position(bars[i].key).map(|j| vix.bars()[j].close);
        let check = |name: &str, i: usize, want: Option<f64>| {
            naive::assert_close(Some(col(name)[i]).filter(|v| !v.is_nan()), want, 1e-9, i);
        };
        for i in 0..bars.len() {
            let w = |n: usize| &bars[(i + 1).saturating_sub(n)..=i];
            let full = |n: usize| i + 1 >= n;
            check(
                "ret_log_5d",
                i,
                (i >= 5).then(|| (closes[i] / closes[i - 5]).ln()),
            );
            for est in crate::indicators::VolEstimator::ALL {
                for days in [10, 20, 60] {
                    let name = format!("rv_{}_{days}d", est.code());
                    check(&name, i, naive::realized_vol(&bars[..=i], est, days));
                }
            }
            check("atr_14_pct", i, atr[i].map(|a| 100.0 * a / closes[i]));
            check("rsi_14", i, rsi[i]);
            check("adx_14", i, adx[i]);
            check(
                "ema_20_slope",
                i,
                (i >= 24).then(|| 100.0 * (ema20[i].unwrap() / ema20[i - 5].unwrap()).ln() / 5.0),
            );
            check("vr_60", i, naive::variance_ratio(&closes[..=i], 5, 60));
            check("ac1_60", i, naive::autocorr1(&closes[..=i], 60));
            let hh = |n| w(n).iter().map(|b| b.high).fold(f64::MIN, f64::max);
            let ll = |n| w(n).iter().map(|b| b.low).fold(f64::MAX, f64::min);
            check(
                "dist_high_10d_pct",
                i,
                full(10).then(|| 100.0 * (closes[i] / hh(10)).ln()),
            );
            check(
                "dist_low_20d_pct",
                i,
                full(20).then(|| 100.0 * (closes[i] / ll(20)).ln()),
            );
            check(
                "range_comp_10_60",
                i,
                full(60).then(|| (hh(10) - ll(10)) / (hh(60) - ll(60))),
            );
            check("vix_level", i, vix_close(i));
            let prev_vix = if i > 0 { vix_close(i - 1) } else { None };
            check(
                "vix_chg_1d",
                i,
                vix_close(i).zip(prev_vix).map(|(c, p)| (c / p).ln()),
            );
            let rv20 = naive::realized_vol(
                &bars[..=i],
                crate::indicators::VolEstimator::CloseToClose,
                20,
            );
            check(
                "vix_rv_spread_20d",
                i,
                vix_close(i).zip(rv20).map(|(v, s)| v - 100.0 * s),
            );
        }
        // The percentile: over the VIX observations joined so far (gaps skipped), 252 of them.
        let pct = col("vix_pct_252");
        let mut seen = Vec::new();
        for (i, &got) in pct.iter().enumerate() {
            if let Some(v) = vix_close(i) {
                seen.push(v);
                let want = (seen.len() >= 252).then(|| {
                    let win = &seen[seen.len() - 252..];
                    win.iter().filter(|&&x| x <= v).count() as f64 / 252.0
                });
                naive::assert_close(Some(got).filter(|v| !v.is_nan()), want, 0.0, i);
            } else {
                assert!(got.is_nan());
            }
        }
    }

    #[test]
    fn vix_gaps_make_vix_features_missing_not_carried() {
        let frame = yahoo_frame();
        let documented = [
            d(2021, 1, 1),
            d(2021, 1, 22),
            d(2021, 2, 15),
            d(2021, 2, 17),
            d(2021, 5, 5),
            d(2021, 5, 11),
            d(2021, 5, 20),
            d(2021, 5, 25),
            d(2021, 5, 31),
            d(2021, 7, 5),
            d(2022, 12, 26),
            d(2024, 1, 1),
            d(2024, 2, 19),
            d(2025, 1, 1),
            d(2025, 2, 1),
        ];
        assert_eq!(frame.vix_missing(), documented);
        assert!(frame.vix_unmatched().is_empty());
        let level = frame.column("vix_level").unwrap();
        let chg = frame.column("vix_chg_1d").unwrap();
        let rsi = frame.column("rsi_14").unwrap();
        for date in documented {
            let i = frame.dates().iter().position(|x| *x == date).unwrap();
            assert!(level[i].is_nan() && chg[i].is_nan(), "{date}");
            // The day after a gap has no 1-day change either (its previous session had no VIX).
            assert!(chg[i + 1].is_nan(), "day after {date}");
            assert!(!frame.is_complete(i));
            if i > 60 {
                assert!(!rsi[i].is_nan(), "NIFTY features are unaffected on {date}");
            }
        }
        // Rows with a VIX gap after the warm-up are excluded from the complete rows.
        let complete = frame.complete_rows();
        let first = frame.first_complete_row().unwrap();
        assert_eq!(complete[0], first);
        let gap_2024 = frame
            .dates()
            .iter()
            .position(|x| *x == d(2024, 1, 1))
            .unwrap();
        assert!(!complete.contains(&gap_2024));
        assert!(complete.contains(&(gap_2024 + 2)));
    }

    #[test]
    fn warm_up_ends_when_the_longest_window_fills() {
        let frame = yahoo_frame();
        let first = frame.first_complete_row().unwrap();
        // vix_pct_252 needs 252 VIX observations; 10 of the NIFTY sessions before then had none.
        let vix_rows_before = first + 1
            - frame
                .vix_missing()
                .iter()
                .filter(|x| **x <= frame.dates()[first])
                .count();
        assert_eq!(vix_rows_before, 252);
        assert!(frame.row(first - 1).iter().any(|v| v.is_nan()));
        assert!(frame.row(first).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn pushing_bar_by_bar_reproduces_the_frame() {
        let nifty = test_data::nifty_yahoo();
        let vix = test_data::vix_yahoo();
        let frame = yahoo_frame();
        let mut b = FeatureBuilder::new(no_calendar(), Symbol::Nifty50);
        for (i, bar) in nifty.bars().iter().enumerate() {
            let v = vix.position(bar.key).map(|j| vix.bars()[j]);
            let preview = b.preview(bar, v.as_ref()).unwrap();
            let row = b.push(bar, v.as_ref()).unwrap();
            assert_eq!(preview.values.len(), row.values.len());
            for (c, ((x, y), z)) in row
                .values
                .iter()
                .zip(frame.row(i))
                .zip(&preview.values)
                .enumerate()
            {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "row {i} col {c}"
                );
                assert!(
                    x.to_bits() == z.to_bits() || (x.is_nan() && z.is_nan()),
                    "preview {i} col {c}"
                );
            }
        }
        assert_eq!(b.last_date(), nifty.last().map(|x| x.key));
    }

    #[test]
    fn partial_last_bar_is_previewed_and_flagged() {
        let complete = yahoo_frame();
        let (builder, frame) = FeatureBuilder::replay(
            no_calendar(),
            &test_data::nifty_yahoo_with_partial(),
            Some(&test_data::vix_yahoo_with_partial()),
        )
        .unwrap();
        assert!(frame.partial_last() && !complete.partial_last());
        assert_eq!(frame.n_rows(), complete.n_rows() + 1);
        assert_eq!(frame.dates().last(), Some(&d(2025, 11, 28)));
        for i in 0..complete.n_rows() {
            assert_eq!(
                frame.row(i).iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                complete
                    .row(i)
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            );
        }
        let last = frame.n_rows() - 1;
        assert!(
            frame.row(last).iter().all(|v| v.is_finite()),
            "live values exist"
        );
        assert!(!frame.is_complete(last), "but never count as training rows");
        assert!(!frame.complete_rows().contains(&last));
        // The builder stands at the last complete bar, ready for the day's final bar.
        assert_eq!(builder.last_date(), Some(d(2025, 11, 27)));
    }

    fn bar(day: u32, c: f64) -> DailyBar {
        Candle::new(d(2025, 11, day), c, c + 1.0, c - 1.0, c)
    }

    #[test]
    fn bad_input_is_rejected_and_leaves_the_builder_unchanged() {
        let mut b = FeatureBuilder::new(no_calendar(), Symbol::Nifty50);
        b.push(&bar(3, 100.0), None).unwrap();
        let before = format!("{b:?}");
        let partial = Candle {
            partial: true,
            ..bar(4, 100.0)
        };
        assert_eq!(
            b.push(&partial, None),
            Err(FeatureError::PartialBar {
                date: d(2025, 11, 4)
            })
        );
        assert!(b.preview(&partial, None).unwrap().partial);
        assert_eq!(
            b.push(&bar(3, 101.0), None),
            Err(FeatureError::NotAfterPrevious {
                date: d(2025, 11, 3),
                previous: d(2025, 11, 3)
            })
        );
        let vix = Candle::new(d(2025, 11, 5), 12.0, 12.5, 11.5, 12.0);
        assert_eq!(
            b.push(&bar(4, 100.0), Some(&vix)),
            Err(FeatureError::VixDateMismatch {
                nifty: d(2025, 11, 4),
                vix: d(2025, 11, 5)
            })
        );
        let partial_vix = Candle {
            partial: true,
            key: d(2025, 11, 4),
            ..vix
        };
        assert_eq!(
            b.push(&bar(4, 100.0), Some(&partial_vix)),
            Err(FeatureError::PartialVixOnCompleteBar {
                date: d(2025, 11, 4)
            })
        );
        let broken = Candle::new(d(2025, 11, 4), 100.0, 99.0, 98.0, 100.0);
        assert!(matches!(
            b.push(&broken, None),
            Err(FeatureError::InvalidBar {
                rule: BarRule::HighBelowOpenOrClose,
                ..
            })
        ));
        assert_eq!(format!("{b:?}"), before, "no failed call changed the state");
    }

    #[rstest]
    #[case::missing_vix(true)]
    #[case::wrong_symbol(false)]
    fn replay_checks_its_inputs(#[case] missing: bool) {
        let nifty = test_data::nifty_yahoo();
        let err = if missing {
            FeatureFrame::build(no_calendar(), &nifty, None).unwrap_err()
        } else {
            FeatureFrame::build(no_calendar(), &nifty, Some(&nifty)).unwrap_err()
        };
        let want = if missing {
            FeatureError::VixRequired {
                features: [
                    "vix_level",
                    "vix_chg_1d",
                    "vix_pct_252",
                    "vix_rv_spread_20d",
                ]
                .map(String::from)
                .to_vec(),
            }
        } else {
            FeatureError::NotVix {
                got: Symbol::Nifty50,
            }
        };
        assert_eq!(err, want);
        // Without VIX features no VIX series is needed.
        let set = no_calendar().without(FeatureKind::needs_vix).unwrap();
        let frame = FeatureFrame::build(set, &nifty, None).unwrap();
        assert_eq!(frame.n_cols(), 28);
        assert!(frame.vix_missing().is_empty());
    }

    #[test]
    fn frame_accessors_agree() {
        let frame = yahoo_frame();
        assert_eq!(frame.n_cols(), 32);
        assert_eq!(frame.values().len(), frame.n_rows() * frame.n_cols());
        let c = frame.column_index("adx_14").unwrap();
        let col = frame.column("adx_14").unwrap();
        assert_eq!(col.len(), frame.n_rows());
        assert_eq!(col[500].to_bits(), frame.row(500)[c].to_bits());
        assert_eq!(frame.feature_hash(), no_calendar().feature_hash());
        assert_eq!(frame.origin(), DataOrigin::Yahoo);
        assert!(frame.column("nope").is_none());
    }

    #[rstest]
    #[case::monday_before_a_tuesday_expiry(d(2025, 11, 24), 1, Some(1))]
    #[case::expiry_day(d(2025, 11, 25), 0, Some(0))]
    #[case::wednesday_after(d(2025, 11, 26), 4, None)]
    #[case::thursday_expiries_in_2021(d(2021, 11, 22), 3, Some(3))]
    fn days_to_expiry_on_known_dates(
        #[case] date: NaiveDate,
        #[case] weekly: u32,
        #[case] monthly: Option<u32>,
    ) {
        let set = FeatureSet::new(vec![
            FeatureKind::DaysToWeeklyExpiry,
            FeatureKind::DaysToMonthlyExpiry,
        ])
        .unwrap();
        let mut b = FeatureBuilder::new(set, Symbol::Nifty50);
        let row = b
            .push(&Candle::new(date, 100.0, 101.0, 99.0, 100.0), None)
            .unwrap();
        assert_eq!(row.values[0], f64::from(weekly));
        // Hand counts where no holiday is involved; otherwise the calendar's own answer.
        let want = monthly.unwrap_or_else(|| {
            let cal = NseCalendar::new();
            let e = cal
                .monthly_expiry_on_or_after(Symbol::Nifty50, date)
                .unwrap();
            cal.trading_days_between(date, e.date()).unwrap()
        });
        assert_eq!(row.values[1], f64::from(want));
    }

    #[test]
    fn years_without_a_holiday_table_are_an_error_not_a_guess() {
        let nifty = test_data::nifty_nse(); // starts 2000-01-03
        let first_year = NseCalendar::new().covered_years().start().to_owned();
        assert!(first_year > 2000);
        let err = FeatureFrame::build(FeatureSet::standard(), &nifty, Some(&test_data::vix_2008()))
            .unwrap_err();
        assert_eq!(
            err,
            FeatureError::Calendar {
                date: d(2000, 1, 3),
                source: CalendarError::YearNotCovered { year: 2000 }
            }
        );
        assert!(err.to_string().contains("without calendar features"));
    }

    #[test]
    fn weekly_equals_monthly_before_nifty_weeklies_existed() {
        let nifty = test_data::nifty_nse();
        let from_2016 = nifty.bars().partition_point(|b| b.key < d(2016, 1, 1));
        let bars = nifty.bars()[from_2016..].to_vec();
        let nifty = aegis_model::Series::new(
            Symbol::Nifty50,
            aegis_model::Interval::Daily,
            DataOrigin::Nse,
            bars,
        )
        .unwrap();
        let set = FeatureSet::new(vec![
            FeatureKind::DaysToWeeklyExpiry,
            FeatureKind::DaysToMonthlyExpiry,
        ])
        .unwrap();
        let frame = FeatureFrame::build(set, &nifty, None).unwrap();
        let (mut before, mut after_differs) = (0, false);
        for i in 0..frame.n_rows() {
            let r = frame.row(i);
            if frame.dates()[i] < d(2019, 2, 1) {
                assert_eq!(r[0], r[1], "{}", frame.dates()[i]);
                before += 1;
            } else if r[0] < r[1] {
                after_differs = true;
            }
        }
        assert!(before > 700 && after_differs);
    }

    #[test]
    fn expiry_features_over_the_yahoo_series_agree_with_the_calendar() {
        let nifty = test_data::nifty_yahoo();
        let set = FeatureSet::new(vec![
            FeatureKind::DaysToWeeklyExpiry,
            FeatureKind::DaysToMonthlyExpiry,
        ])
        .unwrap();
        let frame = FeatureFrame::build(set, &nifty, None).unwrap();
        let w = frame.column("days_to_weekly_expiry").unwrap();
        let m = frame.column("days_to_monthly_expiry").unwrap();
        let cal = NseCalendar::new();
        for i in 0..frame.n_rows() {
            assert!(
                w[i] >= 0.0 && w[i] <= 6.0,
                "{}: weekly {}",
                frame.dates()[i],
                w[i]
            );
            assert!(
                m[i] >= w[i] && m[i] <= 25.0,
                "{}: monthly {}",
                frame.dates()[i],
                m[i]
            );
            // Wired to the right calendar question.
            let t = frame.dates()[i];
            let e = cal.weekly_expiry_on_or_after(Symbol::Nifty50, t).unwrap();
            assert_eq!(
                w[i],
                f64::from(cal.trading_days_between(t, e.date()).unwrap())
            );
        }
    }
}
