//! Test-only loaders for the shared real market data in `/work/shared/data` (never copied
//! into the repository). Deliberately minimal: the real importer lives in `aegis-sources`.
//!
//! * Yahoo daily rows `YYYY-MM-DD HH:MM:SS` (UTC): the IST trading date is the date part. The
//!   last row is the partial, still-forming day when its time is not a session stamp
//!   (`03:45:00`, or `12:45:00` for the Muhurat sessions); it is dropped or kept marked partial.
//! * NSE / year-ranged rows `YYYY-MM-DD,Open,High,Low,Close,…`.
//! * Yahoo 5-minute rows: bar start in UTC.

use std::sync::OnceLock;

use aegis_model::{
    Candle, DailyBar, DailySeries, DataOrigin, Interval, IntradayBar, IntradaySeries, Series,
    Symbol,
};
use chrono::{NaiveDate, NaiveDateTime};

fn path(name: &str) -> String {
    format!("{}/../../../shared/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn num(row: &[String], i: usize, name: &str) -> f64 {
    row[i]
        .parse()
        .unwrap_or_else(|e| panic!("{name}: field {i} of {row:?}: {e}"))
}

fn ohlc<K: aegis_model::BarKey>(key: K, row: &[String], name: &str) -> Candle<K> {
    Candle::new(
        key,
        num(row, 1, name),
        num(row, 2, name),
        num(row, 3, name),
        num(row, 4, name),
    )
}

/// Parses a Yahoo daily file; the trailing partial row is kept (marked) or dropped.
fn yahoo_daily(name: &str, symbol: Symbol, keep_partial: bool) -> DailySeries {
    let rows = rows(name);
    let mut bars: Vec<DailyBar> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let (date, time) = row[0]
            .split_once(' ')
            .unwrap_or_else(|| panic!("{name}: bad timestamp {}", row[0]));
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("ISO date");
        let mut bar = ohlc(date, row, name);
        let session_stamp = time == "03:45:00" || time == "12:45:00";
        if !session_stamp {
            assert_eq!(
                i + 1,
                rows.len(),
                "{name}: only the last row may be partial"
            );
            if !keep_partial {
                break;
            }
            bar.partial = true;
        }
        bars.push(bar);
    }
    Series::new(symbol, Interval::Daily, DataOrigin::Yahoo, bars).expect("valid series")
}

/// Parses a file whose first column is a plain ISO date.
fn dated_daily(name: &str, symbol: Symbol, origin: DataOrigin) -> DailySeries {
    let bars = rows(name)
        .iter()
        .map(|row| {
            let date = NaiveDate::parse_from_str(&row[0], "%Y-%m-%d").expect("ISO date");
            ohlc(date, row, name)
        })
        .collect();
    Series::new(symbol, Interval::Daily, origin, bars).expect("valid series")
}

macro_rules! cached {
    ($(#[$doc:meta])* $fn:ident, $ty:ty, $init:expr) => {
        $(#[$doc])*
        pub(crate) fn $fn() -> $ty {
            static CELL: OnceLock<$ty> = OnceLock::new();
            CELL.get_or_init(|| $init).clone()
        }
    };
}

cached!(
    /// NIFTY 50 daily (Yahoo, 2020-12 .. 2025-11), partial last day dropped.
    nifty_yahoo, DailySeries, yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50, false)
);
cached!(
    /// NIFTY 50 daily (Yahoo), the partial last day kept and marked.
    nifty_yahoo_with_partial, DailySeries,
    yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50, true)
);
cached!(
    /// India VIX daily (Yahoo, 2020-12 .. 2025-11), partial last day dropped.
    vix_yahoo, DailySeries, yahoo_daily("indiavix_daily_yahoo.csv", Symbol::IndiaVix, false)
);
cached!(
    /// India VIX daily (Yahoo), the partial last day kept and marked.
    vix_yahoo_with_partial, DailySeries,
    yahoo_daily("indiavix_daily_yahoo.csv", Symbol::IndiaVix, true)
);
cached!(
    /// NIFTY 50 daily from NSE, 2000-01-03 .. 2022-12-30.
    nifty_nse, DailySeries,
    dated_daily("nifty50_daily_nse_2000_2022.csv", Symbol::Nifty50, DataOrigin::Nse)
);
cached!(
    /// India VIX daily (Yahoo), 2008-03-03 .. 2022-12-30.
    vix_2008, DailySeries,
    dated_daily("indiavix_daily_yahoo_2008_2022.csv", Symbol::IndiaVix, DataOrigin::Yahoo)
);
cached!(
    /// NIFTY 50 5-minute bars (Yahoo, 9 sessions 2025-11-18 .. 2025-11-28, the last partial).
    nifty_5m, IntradaySeries, {
        let bars: Vec<IntradayBar> = rows("nifty50_5m_yahoo.csv")
            .iter()
            .map(|row| {
                let t = NaiveDateTime::parse_from_str(&row[0], "%Y-%m-%d %H:%M:%S")
                    .expect("timestamp")
                    .and_utc();
                ohlc(t, row, "nifty50_5m_yahoo.csv")
            })
            .collect();
        Series::new(Symbol::Nifty50, Interval::FiveMinute, DataOrigin::Yahoo, bars)
            .expect("valid series")
    }
);

#[test]
fn loaders_read_the_documented_row_counts() {
    assert_eq!(nifty_yahoo().len(), 1235);
    assert!(nifty_yahoo_with_partial().last().unwrap().partial);
    assert_eq!(vix_yahoo().len(), 1220);
    assert_eq!(vix_yahoo_with_partial().len(), 1221);
    assert_eq!(nifty_nse().len(), 5722);
    assert_eq!(vix_2008().len(), 3633);
    assert_eq!(nifty_5m().len(), 655);
}
