//! NSE session times and the partial-bar rule.
//!
//! A bar is *partial* when it was captured before it finished forming: a daily bar captured before
//! its session closed, a 5-minute bar captured before its five minutes were over. Partial bars are
//! kept (they carry the latest price) but marked, so that training and end-of-day work can drop them
//! ([`Series::complete`](aegis_model::Series::complete)).
//!
//! The regular NSE cash session is 09:15–15:30 IST (03:45–10:00 UTC). This module knows only the
//! regular session; holidays and special sessions belong to `aegis-calendar`, and callers that know a
//! special session's close can pass it to [`mark_partial_last`] through its `bar_end` argument.

use aegis_model::time::ist_at;
use aegis_model::{BarKey, Candle, Series};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

/// Regular session open, IST wall clock (09:15).
pub const OPEN_IST: (u32, u32) = (9, 15);
/// Regular session close, IST wall clock (15:30).
pub const CLOSE_IST: (u32, u32) = (15, 30);
/// Length of one intraday bar of [`Interval::FiveMinute`](aegis_model::Interval::FiveMinute).
pub const FIVE_MINUTES: TimeDelta = TimeDelta::minutes(5);

/// Session-open stamp of a regular daily bar, as Yahoo writes it: 03:45:00 UTC (09:15 IST).
pub fn regular_open_stamp_utc() -> NaiveTime {
    NaiveTime::from_hms_opt(3, 45, 0).expect("valid time")
}

/// Session-open stamp of a Diwali *Muhurat* evening bar, as Yahoo writes it: 12:45:00 UTC (18:15 IST).
pub fn muhurat_open_stamp_utc() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 45, 0).expect("valid time")
}

/// Whether a UTC instant is one of the session-open stamps Yahoo gives complete daily bars
/// (03:45:00 regular or 12:45:00 Muhurat).
pub fn is_daily_session_stamp(t: DateTime<Utc>) -> bool {
    let time = t.time();
    time == regular_open_stamp_utc() || time == muhurat_open_stamp_utc()
}

/// Whether a UTC instant is on the 5-minute grid (whole minute divisible by 5, zero seconds).
pub fn is_on_five_minute_grid(t: DateTime<Utc>) -> bool {
    t.timestamp().rem_euclid(300) == 0
}

/// The regular session close (15:30 IST) of an IST trading date, as a UTC instant.
pub fn regular_close_utc(date: NaiveDate) -> DateTime<Utc> {
    ist_at(date, CLOSE_IST.0, CLOSE_IST.1)
}

/// The regular session open (09:15 IST) of an IST trading date, as a UTC instant.
pub fn regular_open_utc(date: NaiveDate) -> DateTime<Utc> {
    ist_at(date, OPEN_IST.0, OPEN_IST.1)
}

/// The start of the last 5-minute bar of the regular session (15:25 IST) of an IST trading date.
pub fn last_regular_bar_start_utc(date: NaiveDate) -> DateTime<Utc> {
    regular_close_utc(date) - FIVE_MINUTES
}

/// End of a 5-minute bar that starts at `start`.
pub fn five_minute_bar_end(start: DateTime<Utc>) -> DateTime<Utc> {
    start + FIVE_MINUTES
}

/// Marks the last bar of `series` partial when `now` is before that bar's end (`bar_end(key)`),
/// i.e. when the bar was still forming at `now`.
///
/// Use [`regular_close_utc`] as `bar_end` for daily series and [`five_minute_bar_end`] for 5-minute
/// series. A bar already marked partial stays partial even if `now` is later: the flag records that
/// the *captured values* were still forming, and time passing does not make them final.
///
/// ```
/// use aegis_model::{Candle, DataOrigin, Interval, Series, Symbol};
/// use aegis_sources::session::{mark_partial_last, regular_close_utc};
/// use chrono::{NaiveDate, TimeZone, Utc};
///
/// let day = NaiveDate::from_ymd_opt(2025, 11, 28).unwrap();
/// let s = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo,
///     vec![Candle::new(day, 100.0, 101.0, 99.0, 100.5)]).unwrap();
/// let at_1352_ist = Utc.with_ymd_and_hms(2025, 11, 28, 8, 22, 29).unwrap();
/// let s = mark_partial_last(s, at_1352_ist, regular_close_utc);
/// assert!(s.last().unwrap().partial);
/// ```
pub fn mark_partial_last<K: BarKey>(
    series: Series<K>,
    now: DateTime<Utc>,
    bar_end: impl Fn(K) -> DateTime<Utc>,
) -> Series<K> {
    let forming = series
        .last()
        .is_some_and(|b| !b.partial && now < bar_end(b.key));
    if !forming {
        return series;
    }
    let (symbol, interval, origin) = (series.symbol(), series.interval(), series.origin());
    let mut bars: Vec<Candle<K>> = series.into_bars();
    if let Some(last) = bars.last_mut() {
        last.partial = true;
    }
    Series::new(symbol, interval, origin, bars)
        .expect("marking only the last bar partial keeps a valid series valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_model::{DataOrigin, Interval, Symbol};
    use chrono::TimeZone;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, day).unwrap()
    }

    fn daily() -> Series<NaiveDate> {
        let bars = vec![
            Candle::new(d(27), 10.0, 11.0, 9.0, 10.5),
            Candle::new(d(28), 10.5, 11.0, 10.0, 10.8),
        ];
        Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, bars).unwrap()
    }

    #[test]
    fn marks_only_while_the_session_is_open() {
        let before_close = Utc.with_ymd_and_hms(2025, 11, 28, 9, 59, 59).unwrap();
        let at_close = Utc.with_ymd_and_hms(2025, 11, 28, 10, 0, 0).unwrap();
        let s = mark_partial_last(daily(), before_close, regular_close_utc);
        assert!(s.last().unwrap().partial);
        assert!(!s.bars()[0].partial);
        let s = mark_partial_last(daily(), at_close, regular_close_utc);
        assert!(!s.last().unwrap().partial);
    }

    #[test]
    fn never_unmarks_a_partial_bar() {
        let early = Utc.with_ymd_and_hms(2025, 11, 28, 5, 0, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2025, 11, 29, 5, 0, 0).unwrap();
        let s = mark_partial_last(daily(), early, regular_close_utc);
        let s = mark_partial_last(s, late, regular_close_utc);
        assert!(s.last().unwrap().partial);
    }

    #[test]
    fn session_stamps_and_grid() {
        let open = Utc.with_ymd_and_hms(2025, 11, 28, 3, 45, 0).unwrap();
        assert_eq!(open, regular_open_utc(d(28)));
        assert!(is_daily_session_stamp(open));
        assert!(is_daily_session_stamp(
            Utc.with_ymd_and_hms(2021, 11, 4, 12, 45, 0).unwrap()
        ));
        let pull = Utc.with_ymd_and_hms(2025, 11, 28, 8, 22, 29).unwrap();
        assert!(!is_daily_session_stamp(pull));
        assert!(!is_on_five_minute_grid(pull));
        assert!(is_on_five_minute_grid(open));
        assert_eq!(
            last_regular_bar_start_utc(d(28)),
            Utc.with_ymd_and_hms(2025, 11, 28, 9, 55, 0).unwrap()
        );
        assert_eq!(five_minute_bar_end(open) - open, FIVE_MINUTES);
    }
}
