//! OHLC candles and validated, sorted series of them.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Symbol;

/// What a bar is keyed by: an IST trading date (daily) or a UTC bar-start instant (intraday).
pub trait BarKey: Copy + Ord + fmt::Display + fmt::Debug {}
impl BarKey for NaiveDate {}
impl BarKey for DateTime<Utc> {}

/// One OHLC bar. Index volume is unreliable on Yahoo (see the data README), so it is optional
/// and no feature may depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle<K> {
    /// Trading date (daily bars) or bar start (intraday bars).
    pub key: K,
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing (or, for a partial bar, latest) price.
    pub close: f64,
    /// Volume as reported by the source, if any.
    pub volume: Option<f64>,
    /// `true` for a bar that was still forming when captured; never train on it.
    pub partial: bool,
}

/// A daily bar keyed by its IST trading date.
pub type DailyBar = Candle<NaiveDate>;
/// An intraday bar keyed by its start instant (UTC).
pub type IntradayBar = Candle<DateTime<Utc>>;

impl<K: BarKey> Candle<K> {
    /// A complete bar without volume.
    pub fn new(key: K, open: f64, high: f64, low: f64, close: f64) -> Self {
        Candle {
            key,
            open,
            high,
            low,
            close,
            volume: None,
            partial: false,
        }
    }

    /// Checks one bar on its own: finite, positive, `High ≥ max(Open, Close) ≥ min(Open, Close) ≥ Low > 0`.
    pub fn check(&self) -> Result<(), BarRule> {
        let v = [self.open, self.high, self.low, self.close];
        if v.iter().any(|x| !x.is_finite()) {
            return Err(BarRule::NotFinite);
        }
        if self.low <= 0.0 {
            return Err(BarRule::NotPositive);
        }
        if self.high < self.low {
            return Err(BarRule::HighBelowLow);
        }
        if self.high < self.open.max(self.close) {
            return Err(BarRule::HighBelowOpenOrClose);
        }
        if self.low > self.open.min(self.close) {
            return Err(BarRule::LowAboveOpenOrClose);
        }
        if let Some(vol) = self.volume
            && (!vol.is_finite() || vol < 0.0)
        {
            return Err(BarRule::BadVolume);
        }
        Ok(())
    }

    /// True range against the previous close: `max(H−L, |H−C₋₁|, |L−C₋₁|)`.
    pub fn true_range(&self, prev_close: Option<f64>) -> f64 {
        let hl = self.high - self.low;
        match prev_close {
            Some(pc) => hl.max((self.high - pc).abs()).max((self.low - pc).abs()),
            None => hl,
        }
    }
}

/// A rule that a bar or a series broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BarRule {
    /// A price is NaN or infinite.
    #[error("every price must be a finite number")]
    NotFinite,
    /// Low ≤ 0.
    #[error("prices must be positive (Low > 0)")]
    NotPositive,
    /// High < Low.
    #[error("High must not be below Low")]
    HighBelowLow,
    /// High < max(Open, Close).
    #[error("High must be at least max(Open, Close)")]
    HighBelowOpenOrClose,
    /// Low > min(Open, Close).
    #[error("Low must be at most min(Open, Close)")]
    LowAboveOpenOrClose,
    /// Volume negative or not finite.
    #[error("volume must be a finite non-negative number")]
    BadVolume,
    /// A key is earlier than the one before it.
    #[error("bars must be sorted by time")]
    NotSorted,
    /// A key appears twice.
    #[error("each date/timestamp may appear only once")]
    Duplicate,
    /// A partial bar that is not the last one.
    #[error("only the last bar may be partial")]
    PartialNotLast,
}

/// A validation failure at one bar of a series.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bar {index} ({key}): {rule}")]
pub struct BarError {
    /// Zero-based position of the offending bar in the input.
    pub index: usize,
    /// The bar's date or timestamp, as text.
    pub key: String,
    /// The rule broken.
    pub rule: BarRule,
}

/// Bar interval.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// One bar per trading day.
    Daily,
    /// Five-minute bars, keyed by bar start.
    FiveMinute,
}

impl Interval {
    /// The Yahoo interval code (`1d`, `5m`), also used in the store.
    pub fn code(self) -> &'static str {
        match self {
            Interval::Daily => "1d",
            Interval::FiveMinute => "5m",
        }
    }

    /// Parses `1d` / `5m`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "1d" => Some(Interval::Daily),
            "5m" => Some(Interval::FiveMinute),
            _ => None,
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a series' bars came from. The `Simulated` mark survives into the store and the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataOrigin {
    /// Yahoo Finance chart API.
    Yahoo,
    /// NSE API.
    Nse,
    /// A CSV or JSON file imported by `aegis import`.
    #[serde(rename = "import")]
    CsvImport,
    /// The project's own seeded simulator (demo mode).
    Simulated,
}

impl DataOrigin {
    /// Stable code used in the store.
    pub fn code(self) -> &'static str {
        match self {
            DataOrigin::Yahoo => "yahoo",
            DataOrigin::Nse => "nse",
            DataOrigin::CsvImport => "import",
            DataOrigin::Simulated => "simulated",
        }
    }

    /// Parses a [`DataOrigin::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "yahoo" => Some(DataOrigin::Yahoo),
            "nse" => Some(DataOrigin::Nse),
            "import" => Some(DataOrigin::CsvImport),
            "simulated" => Some(DataOrigin::Simulated),
            _ => None,
        }
    }

    /// Whether the data is simulated rather than from a market.
    pub fn is_simulated(self) -> bool {
        self == DataOrigin::Simulated
    }
}

/// A validated series: sorted by key, no duplicates, every bar consistent,
/// and only the last bar may be partial.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<K> {
    symbol: Symbol,
    interval: Interval,
    origin: DataOrigin,
    bars: Vec<Candle<K>>,
}

/// A series of daily bars.
pub type DailySeries = Series<NaiveDate>;
/// A series of intraday bars.
pub type IntradaySeries = Series<DateTime<Utc>>;

impl<K: BarKey> Series<K> {
    /// Validates `bars` and builds a series. The first broken rule is returned with its position.
    pub fn new(
        symbol: Symbol,
        interval: Interval,
        origin: DataOrigin,
        bars: Vec<Candle<K>>,
    ) -> Result<Self, BarError> {
        validate(&bars)?;
        Ok(Series {
            symbol,
            interval,
            origin,
            bars,
        })
    }

    /// An empty series.
    pub fn empty(symbol: Symbol, interval: Interval, origin: DataOrigin) -> Self {
        Series {
            symbol,
            interval,
            origin,
            bars: Vec::new(),
        }
    }

    /// The instrument.
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }
    /// The bar interval.
    pub fn interval(&self) -> Interval {
        self.interval
    }
    /// Where the bars came from.
    pub fn origin(&self) -> DataOrigin {
        self.origin
    }
    /// The bars, oldest first.
    pub fn bars(&self) -> &[Candle<K>] {
        &self.bars
    }
    /// Consumes the series, returning its bars.
    pub fn into_bars(self) -> Vec<Candle<K>> {
        self.bars
    }
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.bars.len()
    }
    /// Whether there are no bars.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
    /// The newest bar.
    pub fn last(&self) -> Option<&Candle<K>> {
        self.bars.last()
    }
    /// The oldest bar.
    pub fn first(&self) -> Option<&Candle<K>> {
        self.bars.first()
    }
    /// Closing prices, oldest first.
    pub fn closes(&self) -> Vec<f64> {
        self.bars.iter().map(|b| b.close).collect()
    }
    /// The bars with key `<= until`, as a new series (for as-of replays: no look-ahead).
    pub fn until(&self, until: K) -> Self {
        let n = self.bars.partition_point(|b| b.key <= until);
        Series {
            symbol: self.symbol,
            interval: self.interval,
            origin: self.origin,
            bars: self.bars[..n].to_vec(),
        }
    }
    /// The series without a trailing partial bar (what training and end-of-day work use).
    pub fn complete(&self) -> Self {
        let mut bars = self.bars.clone();
        if bars.last().is_some_and(|b| b.partial) {
            bars.pop();
        }
        Series {
            symbol: self.symbol,
            interval: self.interval,
            origin: self.origin,
            bars,
        }
    }
    /// Position of the bar with exactly this key.
    pub fn position(&self, key: K) -> Option<usize> {
        self.bars.binary_search_by(|b| b.key.cmp(&key)).ok()
    }
}

fn validate<K: BarKey>(bars: &[Candle<K>]) -> Result<(), BarError> {
    let err = |index: usize, rule| BarError {
        index,
        key: bars[index].key.to_string(),
        rule,
    };
    for (i, bar) in bars.iter().enumerate() {
        bar.check().map_err(|rule| err(i, rule))?;
        if i > 0 {
            match bars[i - 1].key.cmp(&bar.key) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Err(err(i, BarRule::Duplicate)),
                std::cmp::Ordering::Greater => return Err(err(i, BarRule::NotSorted)),
            }
        }
        if bar.partial && i + 1 != bars.len() {
            return Err(err(i, BarRule::PartialNotLast));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, day).unwrap()
    }

    #[rstest]
    #[case(100.0, 99.0, 98.0, 98.5, BarRule::HighBelowOpenOrClose)]
    #[case(100.0, 101.0, 100.5, 100.8, BarRule::LowAboveOpenOrClose)]
    #[case(100.0, 99.0, 101.0, 100.0, BarRule::HighBelowLow)]
    #[case(f64::NAN, 101.0, 99.0, 100.0, BarRule::NotFinite)]
    #[case(1.0, 1.0, 0.0, 1.0, BarRule::NotPositive)]
    fn rejects_inconsistent_bars(
        #[case] o: f64,
        #[case] h: f64,
        #[case] l: f64,
        #[case] c: f64,
        #[case] rule: BarRule,
    ) {
        let bars = vec![Candle::new(d(3), o, h, l, c)];
        let e = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, bars).unwrap_err();
        assert_eq!(e.rule, rule);
        assert_eq!(e.key, "2025-11-03");
    }

    #[test]
    fn rejects_duplicates_unsorted_and_inner_partial() {
        let ok = Candle::new(d(3), 10.0, 11.0, 9.0, 10.5);
        let dup = vec![ok, Candle { key: d(3), ..ok }];
        let e = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, dup).unwrap_err();
        assert_eq!((e.index, e.rule), (1, BarRule::Duplicate));
        let unsorted = vec![Candle { key: d(4), ..ok }, ok];
        let e = Series::new(
            Symbol::Nifty50,
            Interval::Daily,
            DataOrigin::Yahoo,
            unsorted,
        )
        .unwrap_err();
        assert_eq!((e.index, e.rule), (1, BarRule::NotSorted));
        let partial = vec![
            Candle {
                partial: true,
                ..ok
            },
            Candle { key: d(4), ..ok },
        ];
        let e =
            Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, partial).unwrap_err();
        assert_eq!((e.index, e.rule), (0, BarRule::PartialNotLast));
    }

    #[test]
    fn until_and_complete_never_look_ahead() {
        let ok = Candle::new(d(3), 10.0, 11.0, 9.0, 10.5);
        let bars = vec![
            ok,
            Candle { key: d(4), ..ok },
            Candle {
                key: d(5),
                partial: true,
                ..ok
            },
        ];
        let s = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, bars).unwrap();
        assert_eq!(s.until(d(4)).len(), 2);
        assert_eq!(s.complete().len(), 2);
        assert_eq!(s.position(d(4)), Some(1));
        assert_eq!(s.position(d(6)), None);
    }

    #[test]
    fn origin_serde_uses_the_code() {
        for o in [
            DataOrigin::Yahoo,
            DataOrigin::Nse,
            DataOrigin::CsvImport,
            DataOrigin::Simulated,
        ] {
            let j = serde_json::to_string(&o).unwrap();
            assert_eq!(j, format!("\"{}\"", o.code()));
            assert_eq!(DataOrigin::from_code(o.code()), Some(o));
        }
    }

    #[test]
    fn true_range_uses_previous_close() {
        let b = Candle::new(d(3), 100.0, 102.0, 99.0, 101.0);
        assert_eq!(b.true_range(None), 3.0);
        assert_eq!(b.true_range(Some(95.0)), 7.0);
        assert_eq!(b.true_range(Some(104.0)), 5.0);
    }
}
