//! Yahoo Finance v8 chart API: daily and 5-minute bars, fetched incrementally.
//!
//! Request: `GET {base}/v8/finance/chart/{ticker}?period1={unix}&period2={unix}&interval={1d|5m}
//! &includePrePost=false&events=div,split` with a browser User-Agent.
//!
//! Response (the parts used):
//!
//! ```text
//! {"chart": {"result": [{
//!     "meta": {"symbol": "^NSEI", "exchangeTimezoneName": "Asia/Kolkata", "gmtoffset": 19800,
//!              "regularMarketTime": 1764323999, "dataGranularity": "1d",
//!              "currentTradingPeriod": {"regular": {"start": 1764300600, "end": 1764322200, ...}, ...}},
//!     "timestamp": [1764213300, ...],                 // unix seconds, UTC; absent when no bars
//!     "indicators": {"quote": [{"open": [..], "high": [..], "low": [..], "close": [..],
//!                               "volume": [..]}]}}],  // entries may be null
//!   "error": null}}
//! ```
//!
//! or, for an unknown ticker (with HTTP 404) or a bad range (HTTP 422):
//! `{"chart": {"result": null, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}`.
//!
//! Rules applied to a response:
//!
//! * daily bars are keyed by the IST date of their timestamp (NSE daily stamps are the session
//!   open, 03:45 UTC); 5-minute bars by their start;
//! * a row whose open, high, low and close are **all** null is a bar Yahoo does not have: skipped
//!   and counted ([`Fetched::skipped_null_rows`]); a row with **some** null prices is refused
//!   ([`YahooError::PartialNulls`]) — half a bar is not data; a null volume alone is kept as `None`;
//! * a last 5-minute row off the 5-minute grid is Yahoo's live tick: dropped
//!   ([`Fetched::dropped_live_tick`]); off-grid rows elsewhere are refused;
//! * the last bar is marked partial when its session (daily: `meta.currentTradingPeriod.regular.end`
//!   for that day, else 15:30 IST) or its five minutes have not ended at `now`;
//! * the bars are validated by [`Series::new`]; a bad response is rejected whole.
//!
//! Yahoo serves 5-minute bars for about the last 60 days only: an intraday fetch asks from at most
//! [`YahooConfig::intraday_window`] before `now`, and when the caller's `since` is older, says so
//! ([`RequestInfo::clamped_from`] and a `tracing` warning). Those bars are lost.

use aegis_model::time::{ist_at, ist_date};
use aegis_model::{BarError, BarKey, Candle, DataOrigin, Interval, Series, Symbol};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Deserialize;
use tracing::warn;

use crate::http::{HttpClient, HttpConfig, HttpError, encode_component};
use crate::session::{five_minute_bar_end, is_on_five_minute_grid, regular_close_utc};

/// The service name used in errors.
pub const SERVICE: &str = "Yahoo Finance";

/// Settings of a [`YahooClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YahooConfig {
    /// Scheme and host, without a trailing slash (default `https://query1.finance.yahoo.com`).
    pub base_url: String,
    /// Timeouts, retries, User-Agent.
    pub http: HttpConfig,
    /// Where a daily fetch without `since` starts (default 2007-09-17, the first `^NSEI` bar).
    pub daily_history_start: NaiveDate,
    /// How far back 5-minute bars are asked for at most (default 59 days; Yahoo keeps ~60).
    pub intraday_window: TimeDelta,
}

impl Default for YahooConfig {
    fn default() -> Self {
        YahooConfig {
            base_url: "https://query1.finance.yahoo.com".to_string(),
            http: HttpConfig::default(),
            daily_history_start: NaiveDate::from_ymd_opt(2007, 9, 17).expect("valid date"),
            intraday_window: TimeDelta::days(59),
        }
    }
}

/// What was asked of Yahoo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// The URL requested.
    pub url: String,
    /// `period1`: the first instant asked for.
    pub asked_from: DateTime<Utc>,
    /// The `since` the caller wanted when Yahoo's 5-minute window forced a later start.
    pub clamped_from: Option<DateTime<Utc>>,
    /// HTTP attempts it took.
    pub attempts: u32,
}

/// Bars from one chart response.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<K> {
    /// The validated bars (possibly empty: no new bars since `since`).
    pub series: Series<K>,
    /// Rows whose prices were all null (skipped).
    pub skipped_null_rows: usize,
    /// The stamp of a trailing off-grid live tick that was dropped (5-minute only).
    pub dropped_live_tick: Option<DateTime<Utc>>,
    /// The request, for fetched (not merely parsed) responses.
    pub request: Option<RequestInfo>,
}

/// Why a Yahoo fetch failed. The store should keep what it had.
#[derive(Debug, thiserror::Error)]
pub enum YahooError {
    /// Transport or status failure (timeouts, retries exhausted, 401/403/404, …).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Yahoo answered with a `chart.error` object.
    #[error(
        "{SERVICE} has no chart for {ticker}: {code} — {description}; check the ticker (e.g. ^NSEI) and, for 5-minute bars, that the range lies within the last 60 days"
    )]
    Api {
        /// The ticker asked for.
        ticker: String,
        /// Yahoo's error code, e.g. `Not Found`.
        code: String,
        /// Yahoo's description.
        description: String,
    },
    /// The body is not valid JSON.
    #[error(
        "{SERVICE} sent malformed JSON for {ticker}: {detail}; the response was rejected — retry later, or import a CSV export instead"
    )]
    Json {
        /// The ticker asked for.
        ticker: String,
        /// The parser's message.
        detail: String,
    },
    /// Valid JSON, but not the chart shape.
    #[error(
        "{SERVICE} response for {ticker} is not a chart: {detail}; the API may have changed — retry later, or import a CSV export instead"
    )]
    Shape {
        /// The ticker asked for.
        ticker: String,
        /// What is missing or inconsistent.
        detail: String,
    },
    /// A row with some, but not all, prices null.
    #[error(
        "{SERVICE} {ticker} bar at {stamp}: {fields} null while other prices are present; the response was rejected — retry later"
    )]
    PartialNulls {
        /// The ticker.
        ticker: String,
        /// The bar's timestamp.
        stamp: DateTime<Utc>,
        /// The null fields, e.g. `open, high`.
        fields: String,
    },
    /// A 5-minute bar (not the last) off the 5-minute grid.
    #[error(
        "{SERVICE} {ticker} 5m bar at {stamp} is off the 5-minute grid; the response was rejected — retry later"
    )]
    OffGrid {
        /// The ticker.
        ticker: String,
        /// The bar's timestamp.
        stamp: DateTime<Utc>,
    },
    /// The bars break a series rule (OHLC consistency, order, uniqueness).
    #[error(
        "{SERVICE} {ticker} {interval}: {source}; the response was rejected and the store keeps what it had"
    )]
    Invalid {
        /// The ticker.
        ticker: String,
        /// The interval asked for.
        interval: Interval,
        /// The rule broken, with the bar.
        source: BarError,
    },
}

/// A Yahoo Finance chart API client.
#[derive(Debug)]
pub struct YahooClient {
    http: HttpClient,
    config: YahooConfig,
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => {
            "Yahoo refused the request as unauthorised (the chart API may now want a cookie and crumb); try again later, or import a CSV export"
        }
        403 => {
            "Yahoo forbids requests from this client (a blocked IP or User-Agent); try again later or from another network, or import a CSV export"
        }
        404 => "no such ticker or endpoint: check the symbol (e.g. ^NSEI) and the base URL",
        _ => "Yahoo rejected the request: check the ticker, the interval and the date range",
    }
}

impl YahooClient {
    /// A client with the given settings.
    pub fn new(config: YahooConfig) -> Self {
        YahooClient {
            http: HttpClient::new(SERVICE, config.http.clone(), status_hint),
            config,
        }
    }

    /// The chart URL for a ticker, a `[period1, period2]` range and an interval.
    pub fn chart_url(
        &self,
        ticker: &str,
        period1: DateTime<Utc>,
        period2: DateTime<Utc>,
        interval: Interval,
    ) -> String {
        format!(
            "{}/v8/finance/chart/{}?period1={}&period2={}&interval={}&includePrePost=false&events=div,split",
            self.config.base_url.trim_end_matches('/'),
            encode_component(ticker),
            period1.timestamp(),
            period2.timestamp(),
            interval.code(),
        )
    }

    /// Daily bars from `since` (the store's last date, fetched again so a partial bar is replaced;
    /// `None` = full history) to `now`.
    pub fn fetch_daily(
        &self,
        symbol: Symbol,
        since: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Fetched<NaiveDate>, YahooError> {
        let start = since.unwrap_or(self.config.daily_history_start);
        let asked_from = ist_at(start, 0, 0).min(now);
        let (body, request) = self.get(symbol, asked_from, None, Interval::Daily, now)?;
        let mut fetched = parse_daily(&body, symbol, now)?;
        if let Some(since) = since {
            fetched.series = keep_from(fetched.series, since);
        }
        fetched.request = Some(request);
        Ok(fetched)
    }

    /// 5-minute bars from `since` (the store's last bar start, fetched again so a partial bar is
    /// replaced; `None` = as far back as Yahoo keeps) to `now`, clamped to the intraday window.
    pub fn fetch_intraday(
        &self,
        symbol: Symbol,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Fetched<DateTime<Utc>>, YahooError> {
        let earliest = now - self.config.intraday_window;
        let (asked_from, clamped_from) = match since {
            Some(s) if s < earliest => (earliest, Some(s)),
            Some(s) => (s.min(now), None),
            None => (earliest, None),
        };
        if let Some(wanted) = clamped_from {
            warn!(
                ticker = symbol.yahoo_ticker(),
                %wanted,
                %asked_from,
                "Yahoo keeps only about 60 days of 5-minute bars: asking from the window start; the bars in between are lost"
            );
        }
        let (body, request) =
            self.get(symbol, asked_from, clamped_from, Interval::FiveMinute, now)?;
        let mut fetched = parse_intraday(&body, symbol, now)?;
        if let Some(since) = since {
            fetched.series = keep_from(fetched.series, since);
        }
        fetched.request = Some(request);
        Ok(fetched)
    }

    fn get(
        &self,
        symbol: Symbol,
        asked_from: DateTime<Utc>,
        clamped_from: Option<DateTime<Utc>>,
        interval: Interval,
        now: DateTime<Utc>,
    ) -> Result<(Vec<u8>, RequestInfo), YahooError> {
        let ticker = symbol.yahoo_ticker();
        let url = self.chart_url(ticker, asked_from, now, interval);
        let response = self
            .http
            .get(&url, &[("Accept", "application/json,text/plain,*/*")])
            .map_err(|e| api_error_in_body(e, ticker))?;
        let request = RequestInfo {
            url,
            asked_from,
            clamped_from,
            attempts: response.attempts,
        };
        Ok((response.body, request))
    }
}

/// A refused status whose body carries a `chart.error` becomes [`YahooError::Api`].
fn api_error_in_body(e: HttpError, ticker: &str) -> YahooError {
    if let HttpError::Refused { body, .. } = &e
        && let Ok(envelope) = serde_json::from_str::<Envelope>(body)
        && let Some(err) = envelope.chart.error
    {
        return api_error(ticker, err);
    }
    YahooError::Http(e)
}

fn api_error(ticker: &str, err: ApiError) -> YahooError {
    YahooError::Api {
        ticker: ticker.to_string(),
        code: err.code,
        description: err.description.unwrap_or_default(),
    }
}

/// The bars with key `>= since` (the store already has the older ones).
fn keep_from<K: BarKey>(series: Series<K>, since: K) -> Series<K> {
    let (symbol, interval, origin) = (series.symbol(), series.interval(), series.origin());
    let bars: Vec<Candle<K>> = series
        .into_bars()
        .into_iter()
        .filter(|b| b.key >= since)
        .collect();
    Series::new(symbol, interval, origin, bars).expect("a suffix of a valid series is valid")
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Deserialize)]
struct Envelope {
    chart: Chart,
}

#[derive(Deserialize)]
struct Chart {
    result: Option<Vec<ChartResult>>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    code: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct ChartResult {
    meta: Meta,
    timestamp: Option<Vec<i64>>,
    indicators: Indicators,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    symbol: String,
    gmtoffset: Option<i64>,
    data_granularity: Option<String>,
    current_trading_period: Option<TradingPeriods>,
}

#[derive(Deserialize)]
struct TradingPeriods {
    regular: Option<Period>,
}

#[derive(Deserialize)]
struct Period {
    start: i64,
    end: i64,
}

#[derive(Deserialize)]
struct Indicators {
    quote: Vec<Quote>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Quote {
    open: Vec<Option<f64>>,
    high: Vec<Option<f64>>,
    low: Vec<Option<f64>>,
    close: Vec<Option<f64>>,
    volume: Vec<Option<f64>>,
}

/// One complete row of a chart response, before keying.
struct Row {
    stamp: DateTime<Utc>,
    candle: [f64; 4],
    volume: Option<f64>,
}

struct Rows {
    rows: Vec<Row>,
    skipped_null_rows: usize,
    regular_period: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Parses a saved or fetched daily (`1d`) chart response for `symbol`; `now` decides the partial mark.
pub fn parse_daily(
    body: &[u8],
    symbol: Symbol,
    now: DateTime<Utc>,
) -> Result<Fetched<NaiveDate>, YahooError> {
    let ticker = symbol.yahoo_ticker();
    let parsed = parse_rows(body, ticker, Interval::Daily)?;
    let n = parsed.rows.len();
    let mut bars = Vec::with_capacity(n);
    for (i, row) in parsed.rows.iter().enumerate() {
        let date = ist_date(row.stamp);
        let mut close = match parsed.regular_period {
            Some((start, end)) if ist_date(start) == date => end,
            _ => regular_close_utc(date),
        };
        if row.stamp >= close {
            // An evening special session (Diwali Muhurat, 18:15 IST) lasts one hour.
            close = row.stamp + TimeDelta::hours(1);
        }
        let mut bar = candle(date, row);
        bar.partial = i + 1 == n && now < close;
        bars.push(bar);
    }
    Ok(Fetched {
        series: validated(ticker, symbol, Interval::Daily, bars)?,
        skipped_null_rows: parsed.skipped_null_rows,
        dropped_live_tick: None,
        request: None,
    })
}

/// Parses a saved or fetched 5-minute (`5m`) chart response for `symbol`; `now` decides the partial mark.
pub fn parse_intraday(
    body: &[u8],
    symbol: Symbol,
    now: DateTime<Utc>,
) -> Result<Fetched<DateTime<Utc>>, YahooError> {
    let ticker = symbol.yahoo_ticker();
    let mut parsed = parse_rows(body, ticker, Interval::FiveMinute)?;
    let mut tick = None;
    // A live tick comes after the bar before it; an off-grid last row that does not is refused
    // below like any other off-grid row.
    if let [.., before, last] = parsed.rows.as_slice()
        && !is_on_five_minute_grid(last.stamp)
        && last.stamp > before.stamp
    {
        tick = Some(last.stamp);
        parsed.rows.pop();
    }
    let n = parsed.rows.len();
    let mut bars = Vec::with_capacity(n);
    for (i, row) in parsed.rows.iter().enumerate() {
        if !is_on_five_minute_grid(row.stamp) {
            return Err(YahooError::OffGrid {
                ticker: ticker.to_string(),
                stamp: row.stamp,
            });
        }
        let mut bar = candle(row.stamp, row);
        let end = five_minute_bar_end(row.stamp);
        bar.partial = i + 1 == n && (now < end || tick.is_some_and(|t| t < end));
        bars.push(bar);
    }
    Ok(Fetched {
        series: validated(ticker, symbol, Interval::FiveMinute, bars)?,
        skipped_null_rows: parsed.skipped_null_rows,
        dropped_live_tick: tick,
        request: None,
    })
}

fn candle<K>(key: K, row: &Row) -> Candle<K> {
    let [open, high, low, close] = row.candle;
    Candle {
        key,
        open,
        high,
        low,
        close,
        volume: row.volume,
        partial: false,
    }
}

fn validated<K: BarKey>(
    ticker: &str,
    symbol: Symbol,
    interval: Interval,
    bars: Vec<Candle<K>>,
) -> Result<Series<K>, YahooError> {
    Series::new(symbol, interval, DataOrigin::Yahoo, bars).map_err(|source| YahooError::Invalid {
        ticker: ticker.to_string(),
        interval,
        source,
    })
}

fn parse_rows(body: &[u8], ticker: &str, interval: Interval) -> Result<Rows, YahooError> {
    let shape = |detail: String| YahooError::Shape {
        ticker: ticker.to_string(),
        detail,
    };
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            shape(e.to_string())
        } else {
            YahooError::Json {
                ticker: ticker.to_string(),
                detail: e.to_string(),
            }
        }
    })?;
    if let Some(err) = envelope.chart.error {
        return Err(api_error(ticker, err));
    }
    let result = envelope
        .chart
        .result
        .and_then(|r| r.into_iter().next())
        .ok_or_else(|| {
            shape("`chart.result` is empty and there is no `chart.error`".to_string())
        })?;
    if result.meta.symbol != ticker {
        return Err(shape(format!(
            "it is for `{}`, not `{ticker}`",
            result.meta.symbol
        )));
    }
    if let Some(offset) = result.meta.gmtoffset
        && offset != i64::from(aegis_model::time::IST_OFFSET_SECS)
    {
        return Err(shape(format!(
            "its exchange is at UTC{offset:+} s, not IST (+19800 s): daily bars could not be keyed by IST date"
        )));
    }
    if let Some(g) = &result.meta.data_granularity
        && g != interval.code()
    {
        return Err(shape(format!(
            "its granularity is `{g}`, not the `{}` asked for",
            interval.code()
        )));
    }
    let regular_period = result
        .meta
        .current_trading_period
        .and_then(|p| p.regular)
        .and_then(|p| Some((unix(p.start)?, unix(p.end)?)));
    let stamps = result.timestamp.unwrap_or_default();
    let quote = result
        .indicators
        .quote
        .into_iter()
        .next()
        .unwrap_or_default();
    let n = stamps.len();
    let columns = [
        ("open", &quote.open),
        ("high", &quote.high),
        ("low", &quote.low),
        ("close", &quote.close),
    ];
    for (name, col) in columns {
        if col.len() != n {
            return Err(shape(format!(
                "`indicators.quote[0].{name}` has {} entries for {n} timestamps",
                col.len()
            )));
        }
    }
    if !quote.volume.is_empty() && quote.volume.len() != n {
        return Err(shape(format!(
            "`indicators.quote[0].volume` has {} entries for {n} timestamps",
            quote.volume.len()
        )));
    }
    let mut rows = Vec::with_capacity(n);
    let mut skipped_null_rows = 0;
    for (i, &ts) in stamps.iter().enumerate() {
        let stamp = unix(ts).ok_or_else(|| shape(format!("timestamp {ts} is out of range")))?;
        let values = columns.map(|(_, col)| col[i]);
        if values.iter().all(Option::is_none) {
            skipped_null_rows += 1;
            continue;
        }
        if values.iter().any(Option::is_none) {
            let fields: Vec<&str> = columns
                .iter()
                .zip(values)
                .filter(|(_, v)| v.is_none())
                .map(|((name, _), _)| *name)
                .collect();
            return Err(YahooError::PartialNulls {
                ticker: ticker.to_string(),
                stamp,
                fields: fields.join(", "),
            });
        }
        rows.push(Row {
            stamp,
            candle: values.map(|v| v.unwrap_or(f64::NAN)),
            volume: quote.volume.get(i).copied().flatten(),
        });
    }
    Ok(Rows {
        rows,
        skipped_null_rows,
        regular_period,
    })
}

/// Unix seconds as a UTC instant, if within 1900-01-01 ..= 9999-12-31 UTC: far wider than any
/// market data, and narrow enough that shifting to IST and adding a session cannot leave
/// chrono's range (which panics).
fn unix(secs: i64) -> Option<DateTime<Utc>> {
    const FIRST: i64 = -2_208_988_800; // 1900-01-01T00:00:00Z
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if (FIRST..=LAST).contains(&secs) {
        DateTime::from_timestamp(secs, 0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chart(symbol: &str, granularity: &str, stamps: &[i64], closes: &[Option<f64>]) -> String {
        let opt = |v: &Option<f64>| v.map_or("null".to_string(), |x| x.to_string());
        let col = |f: &dyn Fn(f64) -> f64| {
            closes
                .iter()
                .map(|c| opt(&c.map(f)))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"chart":{{"result":[{{"meta":{{"symbol":"{symbol}","dataGranularity":"{granularity}","exchangeTimezoneName":"Asia/Kolkata","gmtoffset":19800,"currentTradingPeriod":{{"regular":{{"timezone":"IST","start":1764300600,"end":1764322200,"gmtoffset":19800}}}}}},"timestamp":[{}],"indicators":{{"quote":[{{"open":[{}],"high":[{}],"low":[{}],"close":[{}],"volume":[{}]}}]}}}}],"error":null}}}}"#,
            stamps
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            col(&|c| c),
            col(&|c| c + 10.0),
            col(&|c| c - 10.0),
            col(&|c| c),
            col(&|_| 0.0),
        )
    }

    #[test]
    fn daily_last_bar_is_partial_until_the_close() {
        // 2025-11-27 and 2025-11-28 03:45 UTC.
        let body = chart(
            "^NSEI",
            "1d",
            &[1764215100, 1764301500],
            &[Some(26215.55), Some(26206.3)],
        );
        let during = Utc.with_ymd_and_hms(2025, 11, 28, 8, 22, 29).unwrap();
        let got = parse_daily(body.as_bytes(), Symbol::Nifty50, during).unwrap();
        assert_eq!(got.series.len(), 2);
        assert_eq!(
            got.series.last().unwrap().key,
            NaiveDate::from_ymd_opt(2025, 11, 28).unwrap()
        );
        assert!(got.series.last().unwrap().partial);
        let after = Utc.with_ymd_and_hms(2025, 11, 28, 10, 0, 0).unwrap();
        let got = parse_daily(body.as_bytes(), Symbol::Nifty50, after).unwrap();
        assert!(!got.series.last().unwrap().partial);
    }

    #[test]
    fn all_null_rows_are_counted_some_null_rows_refused() {
        let body = chart(
            "^NSEI",
            "1d",
            &[1764215100, 1764301500],
            &[None, Some(26206.3)],
        );
        let now = Utc.with_ymd_and_hms(2025, 11, 29, 0, 0, 0).unwrap();
        let got = parse_daily(body.as_bytes(), Symbol::Nifty50, now).unwrap();
        assert_eq!((got.series.len(), got.skipped_null_rows), (1, 1));

        let some = body.replacen(r#""high":[null"#, r#""high":[1.0"#, 1);
        let e = parse_daily(some.as_bytes(), Symbol::Nifty50, now).unwrap_err();
        assert!(
            matches!(&e, YahooError::PartialNulls { fields, .. } if fields == "open, low, close"),
            "{e}"
        );
    }

    #[test]
    fn refuses_wrong_symbol_and_granularity() {
        let now = Utc.with_ymd_and_hms(2025, 11, 29, 0, 0, 0).unwrap();
        let body = chart("^NSEBANK", "1d", &[1764215100], &[Some(1.0)]);
        let e = parse_daily(body.as_bytes(), Symbol::Nifty50, now).unwrap_err();
        assert!(matches!(e, YahooError::Shape { .. }), "{e}");
        let body = chart("^NSEI", "5m", &[1764215100], &[Some(1.0)]);
        let e = parse_daily(body.as_bytes(), Symbol::Nifty50, now).unwrap_err();
        assert!(e.to_string().contains("granularity is `5m`"), "{e}");
    }

    #[test]
    fn intraday_live_tick_is_dropped_and_marks_the_bar() {
        // 08:15, 08:20 and a live tick at 08:22:32 UTC on 2025-11-28.
        let base = Utc
            .with_ymd_and_hms(2025, 11, 28, 8, 15, 0)
            .unwrap()
            .timestamp();
        let body = chart(
            "^NSEI",
            "5m",
            &[base, base + 300, base + 452],
            &[Some(1.0e4), Some(1.0e4), Some(1.0e4)],
        );
        let now = Utc.with_ymd_and_hms(2025, 11, 28, 12, 0, 0).unwrap();
        let got = parse_intraday(body.as_bytes(), Symbol::Nifty50, now).unwrap();
        assert_eq!(got.series.len(), 2);
        assert_eq!(
            got.dropped_live_tick.map(|t| t.timestamp()),
            Some(base + 452)
        );
        assert!(got.series.last().unwrap().partial);
    }

    /// Fuzz finding (yahoo_chart): an off-grid last row stamped before the bar above it was
    /// dropped as a live tick (and marked that bar partial), hiding an out-of-order response.
    #[test]
    fn fuzz_off_grid_last_row_before_the_bars_is_refused() {
        let bar = Utc
            .with_ymd_and_hms(2025, 12, 3, 8, 15, 0)
            .unwrap()
            .timestamp();
        let tick = Utc
            .with_ymd_and_hms(2025, 11, 28, 8, 22, 32)
            .unwrap()
            .timestamp();
        let body = chart("^NSEI", "5m", &[bar, tick], &[Some(1.0e4), Some(1.0e4)]);
        let now = Utc.with_ymd_and_hms(2025, 12, 4, 0, 0, 0).unwrap();
        let e = parse_intraday(body.as_bytes(), Symbol::Nifty50, now).unwrap_err();
        assert!(
            matches!(e, YahooError::OffGrid { stamp, .. } if stamp.timestamp() == tick),
            "{e}"
        );
    }

    /// Fuzz finding (yahoo_chart, a boundary seed): a timestamp at the end of chrono's range
    /// panicked ("Local time out of range") when converted to the IST trading date; such
    /// stamps, and trading periods like them, are now a shape error.
    #[test]
    fn fuzz_timestamps_at_the_end_of_time_are_refused_not_panicked() {
        let now = Utc.with_ymd_and_hms(2025, 11, 29, 0, 0, 0).unwrap();
        for stamp in [8_210_266_876_799, -8_334_601_228_800, 253_402_300_800] {
            let body = chart("^NSEI", "1d", &[stamp], &[Some(1.0)]);
            let e = parse_daily(body.as_bytes(), Symbol::Nifty50, now).unwrap_err();
            assert!(
                e.to_string()
                    .contains(&format!("timestamp {stamp} is out of range")),
                "{e}"
            );
        }
        let body = chart("^NSEI", "1d", &[1764215100], &[Some(100.0)])
            .replace("1764300600", "8210266876799");
        let got = parse_daily(body.as_bytes(), Symbol::Nifty50, now).unwrap();
        assert_eq!(got.series.len(), 1, "an unusable trading period is ignored");
    }

    #[test]
    fn chart_error_object_is_typed() {
        let body = br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
        let e = parse_daily(body, Symbol::Nifty50, Utc::now()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Yahoo Finance has no chart for ^NSEI: Not Found — No data found, symbol may be delisted; check the ticker (e.g. ^NSEI) and, for 5-minute bars, that the range lies within the last 60 days"
        );
    }
}
