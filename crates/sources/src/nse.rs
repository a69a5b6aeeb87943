//! NSE option chains: the live client and the parser of saved chain JSON.
//!
//! # Endpoints and shapes
//!
//! Since late 2025 NSE serves the option chain per expiry:
//!
//! 1. `GET {base}/api/option-chain-expiry-dates?type=Indices&symbol=NIFTY` →
//!    `{"expiryDates": ["02-Dec-2025", ...], ...}`;
//! 2. `GET {base}/api/option-chain-v3?type=Indices&symbol=NIFTY&expiry=02-Dec-2025` →
//!    `{"records": {"timestamp": "28-Nov-2025 15:30:00", "underlyingValue": 26202.95,
//!    "data": [{"strikePrice": 26000, "expiryDates": "02-Dec-2025", "CE": {leg}, "PE": {leg}}, ...],
//!    "expiryDates": [...], "strikePrices": [...]}, "filtered": {...}}`.
//!
//! The older all-expiries endpoint `GET {base}/api/option-chain-indices?symbol=NIFTY` answers
//! `{"records": {"expiryDates": [...], "timestamp": ..., "underlyingValue": ...,
//! "data": [{"strikePrice": ..., "expiryDate": "13-Aug-2020", "CE": {leg}, "PE": {leg}}]}, "filtered": {...}}`
//! (see `shared/data/option_chain/*.json`).
//!
//! Evidence for the v3 shape (no saved v3 response was found in public repositories): client code
//! in public repositories written against it — a Go client declaring `NSEOptionData { expiryDates
//! string; strikePrice; CE; PE }` under `records.{timestamp, underlyingValue, data, expiryDates,
//! strikePrices}` with legs carrying `buyPrice1`/`sellPrice1` for the best bid/ask; a TypeScript
//! client reading `records.data[].expiryDates`, `records.underlyingValue`, `records.timestamp`;
//! a Python client reading `expiryDates` from `option-chain-expiry-dates?type=Indices&symbol=...`.
//! Hence the parser accepts, per row, `expiryDate` or `expiryDates`, and per leg `bidprice` or
//! `buyPrice1`, `askPrice` or `sellPrice1`.
//!
//! # Leg fields
//!
//! `openInterest`, `changeinOpenInterest`, `totalTradedVolume` are required numbers (fractional OI
//! is allowed: contracts opened under an older lot size). `impliedVolatility`, `lastPrice` and the
//! bid/ask are NSE placeholders when `0` (or `null`): they become `None`, never a price of zero.
//! Rows may lack `CE` or `PE`. `records.timestamp` is IST, `DD-Mon-YYYY HH:MM:SS`.
//!
//! # The client
//!
//! NSE serves its API only to a session that looks like a browser: the client first GETs the home
//! page `{base}/` and then `{base}/option-chain` to collect the session cookies (kept in the ureq
//! cookie store), then calls the API with browser headers and `Referer: {base}/option-chain`. NSE
//! answers `{}` (or 401/403) when the cookies are missing or stale: the client then refreshes the
//! session once and repeats the call; a second `{}` is [`NseError::Blocked`].
//!
//! NSE refreshes the chain about every three minutes, so the client refuses to fetch the same
//! symbol again before [`NseConfig::min_poll_interval`] (default 180 s) has passed since the last
//! attempt: [`NseError::TooSoon`] says how long to wait. It does not sleep: the caller's scheduler
//! decides.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aegis_model::time::ist;
use aegis_model::{ChainError, ChainRow, DataOrigin, Expiry, OptionChain, OptionQuote, Symbol};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use crate::http::{HttpClient, HttpConfig, HttpError, encode_component};

/// The service name used in errors.
pub const SERVICE: &str = "NSE";

/// Settings of an [`NseClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NseConfig {
    /// Scheme and host, without a trailing slash (default `https://www.nseindia.com`).
    pub base_url: String,
    /// Timeouts, retries, User-Agent.
    pub http: HttpConfig,
    /// Shortest time between two fetches of one symbol's chain (default 180 s).
    pub min_poll_interval: Duration,
    /// Fetch only the nearest this-many expiries (`None` = every listed expiry).
    pub max_expiries: Option<usize>,
}

impl Default for NseConfig {
    fn default() -> Self {
        NseConfig {
            base_url: "https://www.nseindia.com".to_string(),
            http: HttpConfig::default(),
            min_poll_interval: Duration::from_secs(180),
            max_expiries: None,
        }
    }
}

/// The two known layouts of NSE chain JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainShape {
    /// `option-chain-indices`: every expiry in one response, rows keyed by `expiryDate`.
    Indices,
    /// `option-chain-v3`: one expiry per response, rows keyed by `expiryDates`.
    V3,
}

/// Why an option chain could not be fetched or read.
#[derive(Debug, thiserror::Error)]
pub enum NseError {
    /// Transport or status failure (timeouts, retries exhausted, 401/403 after a fresh session, …).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// NSE answered `{}`, even after a fresh session.
    #[error(
        "{SERVICE}: {url} answered an empty JSON object `{{}}` even after a fresh session: the session cookies were not accepted or NSE is blocking this client; wait a few minutes, poll less often, and check that www.nseindia.com opens in a browser from this network"
    )]
    Blocked {
        /// The URL.
        url: String,
    },
    /// Not valid JSON.
    #[error(
        "{what}: malformed JSON ({detail}); the chain was rejected — retry, and if it persists save the response and check whether NSE changed the format"
    )]
    Json {
        /// The response or file.
        what: String,
        /// The parser's message.
        detail: String,
    },
    /// An empty object `{}`: what NSE sends to a client without session cookies.
    #[error(
        "{what}: an empty JSON object `{{}}`, which NSE sends when the session cookies are missing or the client is blocked; save a response fetched with a fresh session (the client visits the home page first)"
    )]
    EmptyResponse {
        /// The response or file.
        what: String,
    },
    /// Valid JSON that is not an option chain of a known shape.
    #[error(
        "{what}: not an NSE option chain: {detail}; the chain was rejected — if NSE changed the format, save the response and update the parser"
    )]
    Shape {
        /// The response or file.
        what: String,
        /// What is missing or inconsistent.
        detail: String,
    },
    /// The chain broke a rule of [`OptionChain::new`] (no rows, duplicate strikes, negative OI, …).
    #[error("{what}: {source}{}", chain_hint(source))]
    Chain {
        /// The response or file.
        what: String,
        /// The rule broken.
        source: ChainError,
    },
    /// Fetched again before the minimum poll interval.
    #[error(
        "{SERVICE} refreshes the {symbol} option chain about every 3 minutes and it was fetched {} s ago: wait {} s more",
        elapsed.as_secs(),
        wait.as_secs().max(1)
    )]
    TooSoon {
        /// The symbol.
        symbol: Symbol,
        /// Time since the last fetch began.
        elapsed: Duration,
        /// Time still to wait.
        wait: Duration,
    },
    /// The symbol has no index options on NSE (India VIX).
    #[error(
        "{symbol} has no index options on NSE: ask for NIFTY50, NIFTYBANK, FINNIFTY or MIDCAPSELECT"
    )]
    NoOptions {
        /// The symbol.
        symbol: Symbol,
    },
    /// The expiry list was empty.
    #[error(
        "{SERVICE} listed no expiries for {symbol} at {url}; NSE may be blocking this client or the endpoint changed — try again later"
    )]
    NoExpiries {
        /// The symbol.
        symbol: Symbol,
        /// The URL.
        url: String,
    },
    /// A saved file could not be read.
    #[error("cannot read `{file}`: {source}; check the path and permissions")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn chain_hint(e: &ChainError) -> &'static str {
    match e {
        ChainError::Empty => {
            "; NSE serves an empty chain when it throttles a client or before the first snapshot of the day — try again in a few minutes"
        }
        _ => "; the snapshot was rejected",
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => {
            "NSE refused the session (cookies missing or expired) even after a fresh visit to the home page; wait a few minutes and check that www.nseindia.com opens in a browser from this network"
        }
        403 => {
            "NSE's bot protection forbids this client; wait a few minutes, poll no faster than every 3 minutes, and check that www.nseindia.com opens in a browser from this network"
        }
        404 => {
            "the NSE endpoint is not there: NSE may have moved its API; check the base URL and the option-chain endpoints"
        }
        _ => "NSE rejected the request: check the symbol and the base URL",
    }
}

#[derive(Debug, Default)]
struct SessionState {
    warmed: bool,
    last_fetch: HashMap<Symbol, Instant>,
}

/// A client of the NSE option-chain API.
#[derive(Debug)]
pub struct NseClient {
    http: HttpClient,
    config: NseConfig,
    state: Mutex<SessionState>,
}

const ACCEPT_LANGUAGE: (&str, &str) = ("Accept-Language", "en-US,en;q=0.9");

impl NseClient {
    /// A client with the given settings. No request is made until the first fetch.
    pub fn new(config: NseConfig) -> Self {
        NseClient {
            http: HttpClient::new(SERVICE, config.http.clone(), status_hint),
            config,
            state: Mutex::new(SessionState::default()),
        }
    }

    fn base(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    /// Fetches the whole chain of `symbol`: the expiry list, then one `option-chain-v3` call per
    /// expiry (the nearest [`NseConfig::max_expiries`] if set), merged into one snapshot stamped
    /// with the latest of the per-expiry timestamps (and that response's underlying value).
    pub fn fetch_chain(&self, symbol: Symbol) -> Result<OptionChain, NseError> {
        let nse_symbol = symbol
            .nse_option_symbol()
            .ok_or(NseError::NoOptions { symbol })?;
        self.claim_poll_slot(symbol)?;
        let mut expiries = self.expiries(symbol, nse_symbol)?;
        let listed = expiries.clone();
        if let Some(max) = self.config.max_expiries {
            expiries.truncate(max);
        }
        let mut parts = Vec::with_capacity(expiries.len());
        for expiry in expiries {
            let url = format!(
                "{}/api/option-chain-v3?type=Indices&symbol={}&expiry={}",
                self.base(),
                encode_component(nse_symbol),
                expiry.nse_format()
            );
            let value = self.api_json(&url)?;
            let what = format!("{SERVICE} response from {url}");
            let part = parse_part(&value, &what)?;
            if let Some(found) = part.symbol
                && found != symbol
            {
                return Err(shape(
                    &what,
                    format!("it is the {found} chain, not {symbol}"),
                ));
            }
            if let Some(other) = part.rows.iter().find(|r| r.expiry != expiry) {
                return Err(shape(
                    &what,
                    format!(
                        "asked for expiry {}, got a row of {}",
                        expiry.nse_format(),
                        other.expiry.nse_format()
                    ),
                ));
            }
            parts.push(part);
        }
        let latest = parts
            .iter()
            .max_by_key(|p| p.timestamp)
            .map(|p| (p.timestamp, p.underlying));
        let Some((timestamp, underlying)) = latest else {
            return Err(NseError::NoExpiries {
                symbol,
                url: self.expiry_url(nse_symbol),
            });
        };
        let rows: Vec<ChainRow> = parts.into_iter().flat_map(|p| p.rows).collect();
        OptionChain::new(symbol, timestamp, underlying, listed, rows, DataOrigin::Nse).map_err(
            |source| NseError::Chain {
                what: format!("{SERVICE} {symbol} option chain"),
                source,
            },
        )
    }

    /// Fetches the whole chain of `symbol` from the older all-expiries endpoint
    /// `{base}/api/option-chain-indices?symbol=NIFTY` (one request; NSE may retire it).
    pub fn fetch_chain_legacy(&self, symbol: Symbol) -> Result<OptionChain, NseError> {
        let nse_symbol = symbol
            .nse_option_symbol()
            .ok_or(NseError::NoOptions { symbol })?;
        self.claim_poll_slot(symbol)?;
        let url = format!(
            "{}/api/option-chain-indices?symbol={}",
            self.base(),
            encode_component(nse_symbol)
        );
        let value = self.api_json(&url)?;
        let what = format!("{SERVICE} response from {url}");
        let part = parse_part(&value, &what)?;
        if let Some(found) = part.symbol
            && found != symbol
        {
            return Err(shape(
                &what,
                format!("it is the {found} chain, not {symbol}"),
            ));
        }
        OptionChain::new(
            symbol,
            part.timestamp,
            part.underlying,
            part.expiries,
            part.rows,
            DataOrigin::Nse,
        )
        .map_err(|source| NseError::Chain { what, source })
    }

    /// The listed expiries of `symbol`, ascending.
    pub fn fetch_expiries(&self, symbol: Symbol) -> Result<Vec<Expiry>, NseError> {
        let nse_symbol = symbol
            .nse_option_symbol()
            .ok_or(NseError::NoOptions { symbol })?;
        self.expiries(symbol, nse_symbol)
    }

    fn expiry_url(&self, nse_symbol: &str) -> String {
        format!(
            "{}/api/option-chain-expiry-dates?type=Indices&symbol={}",
            self.base(),
            encode_component(nse_symbol)
        )
    }

    fn expiries(&self, symbol: Symbol, nse_symbol: &str) -> Result<Vec<Expiry>, NseError> {
        let url = self.expiry_url(nse_symbol);
        let value = self.api_json(&url)?;
        let what = format!("{SERVICE} response from {url}");
        let list = value
            .get("expiryDates")
            .or_else(|| value.get("records").and_then(|r| r.get("expiryDates")))
            .ok_or_else(|| shape(&what, "no `expiryDates` list".to_string()))?;
        let mut expiries = parse_expiry_list(list, &what)?;
        if expiries.is_empty() {
            return Err(NseError::NoExpiries { symbol, url });
        }
        expiries.sort();
        expiries.dedup();
        Ok(expiries)
    }

    fn claim_poll_slot(&self, symbol: Symbol) -> Result<(), NseError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(last) = state.last_fetch.get(&symbol) {
            let elapsed = now.duration_since(*last);
            if elapsed < self.config.min_poll_interval {
                return Err(NseError::TooSoon {
                    symbol,
                    elapsed,
                    wait: self.config.min_poll_interval - elapsed,
                });
            }
        }
        state.last_fetch.insert(symbol, now);
        Ok(())
    }

    /// Visits the home page and the option-chain page to collect the session cookies.
    fn warm_up(&self) -> Result<(), NseError> {
        let page_accept = (
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        );
        let home = format!("{}/", self.base());
        self.http.get(&home, &[page_accept, ACCEPT_LANGUAGE])?;
        let page = format!("{}/option-chain", self.base());
        self.http
            .get(&page, &[page_accept, ACCEPT_LANGUAGE, ("Referer", &home)])?;
        self.state.lock().unwrap_or_else(|p| p.into_inner()).warmed = true;
        Ok(())
    }

    /// GETs an API URL as JSON, refreshing the session once on `{}`, 401 or 403.
    fn api_json(&self, url: &str) -> Result<Value, NseError> {
        let warmed = self.state.lock().unwrap_or_else(|p| p.into_inner()).warmed;
        if !warmed {
            self.warm_up()?;
        }
        let referer = format!("{}/option-chain", self.base());
        let headers = [
            ("Accept", "application/json, text/plain, */*"),
            ACCEPT_LANGUAGE,
            ("Referer", referer.as_str()),
        ];
        let mut refreshed = false;
        loop {
            let outcome = self.http.get(url, &headers);
            let needs_session = match &outcome {
                Err(HttpError::Refused { status, .. }) => matches!(status, 401 | 403),
                Ok(r) => is_empty_object(&r.body),
                Err(_) => false,
            };
            if needs_session && !refreshed {
                tracing::warn!(url, "NSE refused the session; visiting the home page again");
                refreshed = true;
                self.http.clear_cookies();
                self.warm_up()?;
                continue;
            }
            let response = outcome?;
            if needs_session {
                return Err(NseError::Blocked {
                    url: url.to_string(),
                });
            }
            return serde_json::from_slice(&response.body).map_err(|e| NseError::Json {
                what: format!("{SERVICE} response from {url}"),
                detail: e.to_string(),
            });
        }
    }
}

fn is_empty_object(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.starts_with(b"{")
        && trimmed.ends_with(b"}")
        && trimmed[1..trimmed.len() - 1].trim_ascii().is_empty()
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parses chain JSON of either shape (detected per row) into a validated snapshot; the symbol is
/// read from the legs' `underlying` (or `records.index.indexSymbol`). An empty object `{}` — what
/// NSE sends to a client without session cookies — is [`NseError::EmptyResponse`].
pub fn parse_chain_json(bytes: &[u8], origin: DataOrigin) -> Result<OptionChain, NseError> {
    parse_named(bytes, origin, "chain JSON")
}

/// Reads a saved chain response (either shape) from a file; the snapshot's origin is
/// [`DataOrigin::CsvImport`] (an imported file).
pub fn import_chain_path(path: impl AsRef<Path>) -> Result<OptionChain, NseError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| NseError::Io {
        file: file.clone(),
        source,
    })?;
    parse_named(
        &bytes,
        DataOrigin::CsvImport,
        &format!("saved chain `{file}`"),
    )
}

/// Which layout chain JSON has, from its rows (`None` when it has no rows to tell by).
pub fn detect_chain_shape(bytes: &[u8]) -> Result<Option<ChainShape>, NseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| NseError::Json {
        what: "chain JSON".to_string(),
        detail: e.to_string(),
    })?;
    let first = value
        .get("records")
        .and_then(|r| r.get("data"))
        .and_then(Value::as_array)
        .and_then(|d| d.first());
    Ok(first.and_then(|row| {
        if row.get("expiryDates").is_some_and(Value::is_string) {
            Some(ChainShape::V3)
        } else if row.get("expiryDate").is_some() {
            Some(ChainShape::Indices)
        } else {
            None
        }
    }))
}

fn parse_named(bytes: &[u8], origin: DataOrigin, what: &str) -> Result<OptionChain, NseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| NseError::Json {
        what: what.to_string(),
        detail: e.to_string(),
    })?;
    let part = parse_part(&value, what)?;
    let symbol = part.symbol.ok_or_else(|| {
        shape(
            what,
            "no leg names its `underlying` and there is no `records.index.indexSymbol`".to_string(),
        )
    })?;
    OptionChain::new(
        symbol,
        part.timestamp,
        part.underlying,
        part.expiries,
        part.rows,
        origin,
    )
    .map_err(|source| NseError::Chain {
        what: what.to_string(),
        source,
    })
}

fn shape(what: &str, detail: String) -> NseError {
    NseError::Shape {
        what: what.to_string(),
        detail,
    }
}

/// One response's worth of chain, before validation.
struct ChainPart {
    symbol: Option<Symbol>,
    timestamp: DateTime<FixedOffset>,
    underlying: f64,
    expiries: Vec<Expiry>,
    rows: Vec<ChainRow>,
}

fn parse_part(value: &Value, what: &str) -> Result<ChainPart, NseError> {
    let top = value
        .as_object()
        .ok_or_else(|| shape(what, "the top level is not an object".to_string()))?;
    if top.is_empty() {
        return Err(NseError::EmptyResponse {
            what: what.to_string(),
        });
    }
    let records = top
        .get("records")
        .and_then(Value::as_object)
        .ok_or_else(|| shape(what, "no `records` object".to_string()))?;
    let timestamp_text = records
        .get("timestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| shape(what, "no `records.timestamp` string".to_string()))?;
    let timestamp = parse_ist_timestamp(timestamp_text).ok_or_else(|| {
        shape(
            what,
            format!("`records.timestamp` is `{timestamp_text}`, not `DD-Mon-YYYY HH:MM:SS` (IST)"),
        )
    })?;
    let underlying = records
        .get("underlyingValue")
        .and_then(number)
        .ok_or_else(|| shape(what, "no numeric `records.underlyingValue`".to_string()))?;
    let expiries = match records.get("expiryDates") {
        Some(list) => parse_expiry_list(list, what)?,
        None => Vec::new(),
    };
    let data = records
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| shape(what, "no `records.data` array".to_string()))?;
    let mut symbol = None;
    let mut rows = Vec::with_capacity(data.len());
    for (i, item) in data.iter().enumerate() {
        let row = item
            .as_object()
            .ok_or_else(|| shape(what, format!("`records.data[{i}]` is not an object")))?;
        rows.push(parse_row(row, i, what, &mut symbol)?);
    }
    if symbol.is_none() {
        symbol = records
            .get("index")
            .and_then(|x| x.get("indexSymbol"))
            .and_then(Value::as_str)
            .and_then(|s| Symbol::from_str(s).ok());
    }
    Ok(ChainPart {
        symbol,
        timestamp,
        underlying,
        expiries,
        rows,
    })
}

fn parse_expiry_list(list: &Value, what: &str) -> Result<Vec<Expiry>, NseError> {
    let items = list
        .as_array()
        .ok_or_else(|| shape(what, "`expiryDates` is not a list".to_string()))?;
    items
        .iter()
        .map(|v| {
            let text = v
                .as_str()
                .ok_or_else(|| shape(what, format!("expiry `{v}` is not a string")))?;
            Expiry::from_str(text).map_err(|e| shape(what, e.to_string()))
        })
        .collect()
}

fn parse_ist_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%d-%b-%Y %H:%M:%S").ok()?;
    ist().from_local_datetime(&naive).single()
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

fn parse_row(
    row: &Map<String, Value>,
    index: usize,
    what: &str,
    symbol: &mut Option<Symbol>,
) -> Result<ChainRow, NseError> {
    let at = |detail: String| shape(what, format!("`records.data[{index}]`: {detail}"));
    let strike = row
        .get("strikePrice")
        .and_then(number)
        .ok_or_else(|| at("no numeric `strikePrice`".to_string()))?;
    let expiry_text = row
        .get("expiryDate")
        .or_else(|| row.get("expiryDates"))
        .and_then(Value::as_str)
        .ok_or_else(|| at("no `expiryDate` / `expiryDates` string".to_string()))?;
    let expiry = Expiry::from_str(expiry_text).map_err(|e| at(e.to_string()))?;
    let mut legs = [None, None];
    for (slot, side) in legs.iter_mut().zip(["CE", "PE"]) {
        let Some(leg) = row.get(side) else { continue };
        if leg.is_null() {
            continue;
        }
        let leg = leg
            .as_object()
            .ok_or_else(|| at(format!("`{side}` is not an object")))?;
        let ctx = |detail: String| at(format!("{side} {strike} {expiry_text}: {detail}"));
        if let Some(s) = leg.get("strikePrice").and_then(number)
            && s != strike
        {
            return Err(ctx(format!("the leg's strikePrice is {s}")));
        }
        if let Some(e) = leg.get("expiryDate").and_then(Value::as_str)
            && Expiry::from_str(e).ok() != Some(expiry)
        {
            return Err(ctx(format!("the leg's expiryDate is `{e}`")));
        }
        if symbol.is_none()
            && let Some(u) = leg.get("underlying").and_then(Value::as_str)
        {
            *symbol = Some(Symbol::from_str(u).map_err(|e| ctx(e.to_string()))?);
        }
        *slot = Some(parse_leg(leg).map_err(ctx)?);
    }
    let [call, put] = legs;
    Ok(ChainRow {
        expiry,
        strike,
        call,
        put,
    })
}

fn parse_leg(leg: &Map<String, Value>) -> Result<OptionQuote, String> {
    let required = |name: &str| -> Result<f64, String> {
        match leg.get(name) {
            None => Err(format!("field `{name}` is missing")),
            Some(Value::Null) => Err(format!("field `{name}` is null")),
            Some(v) => number(v).ok_or_else(|| format!("field `{name}` is `{v}`, not a number")),
        }
    };
    // Zero and null mean "not reported" for IV and prices.
    let quoted = |names: &[&str]| -> Result<Option<f64>, String> {
        let Some((name, v)) = names.iter().find_map(|n| leg.get(*n).map(|v| (*n, v))) else {
            return Err(format!("field `{}` is missing", names.join("` / `")));
        };
        match v {
            Value::Null => Ok(None),
            Value::String(s) if s.trim() == "-" => Ok(None),
            _ => {
                let x =
                    number(v).ok_or_else(|| format!("field `{name}` is `{v}`, not a number"))?;
                Ok((x != 0.0).then_some(x))
            }
        }
    };
    Ok(OptionQuote {
        open_interest: required("openInterest")?,
        change_in_oi: required("changeinOpenInterest")?,
        volume: required("totalTradedVolume")?,
        iv_percent: quoted(&["impliedVolatility"])?,
        last_price: quoted(&["lastPrice"])?,
        bid: quoted(&["bidprice", "buyPrice1"])?,
        ask: quoted(&["askPrice", "sellPrice1"])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V3: &str = r#"{"records":{"timestamp":"28-Nov-2025 15:30:00","underlyingValue":26202.95,
        "data":[
          {"strikePrice":26200,"expiryDates":"02-Dec-2025",
           "CE":{"strikePrice":26200,"expiryDate":"02-Dec-2025","underlying":"NIFTY","openInterest":1200.5,
                 "changeinOpenInterest":-30,"totalTradedVolume":5000,"impliedVolatility":9.8,"lastPrice":110.5,
                 "buyPrice1":110.2,"sellPrice1":110.9},
           "PE":{"strikePrice":26200,"expiryDate":"02-Dec-2025","underlying":"NIFTY","openInterest":900,
                 "changeinOpenInterest":12,"totalTradedVolume":0,"impliedVolatility":0,"lastPrice":null,
                 "buyPrice1":0,"sellPrice1":95.1}},
          {"strikePrice":26250,"expiryDates":"02-Dec-2025",
           "PE":{"strikePrice":26250,"expiryDate":"02-Dec-2025","underlying":"NIFTY","openInterest":10,
                 "changeinOpenInterest":0,"totalTradedVolume":1,"impliedVolatility":10.1,"lastPrice":140,
                 "buyPrice1":139,"sellPrice1":141}}]}}"#;

    #[test]
    fn parses_v3_rows_with_placeholders() {
        assert_eq!(
            detect_chain_shape(V3.as_bytes()).unwrap(),
            Some(ChainShape::V3)
        );
        let c = parse_chain_json(V3.as_bytes(), DataOrigin::Nse).unwrap();
        assert_eq!(c.symbol, Symbol::Nifty50);
        assert_eq!(c.timestamp.to_rfc3339(), "2025-11-28T15:30:00+05:30");
        assert_eq!(c.rows.len(), 2);
        let call = c.rows[0].call.unwrap();
        assert_eq!(
            (call.open_interest, call.bid, call.ask),
            (1200.5, Some(110.2), Some(110.9))
        );
        let put = c.rows[0].put.unwrap();
        assert_eq!(
            (put.iv_percent, put.last_price, put.bid, put.ask),
            (None, None, None, Some(95.1))
        );
        assert!(c.rows[1].call.is_none());
    }

    #[test]
    fn missing_required_field_is_named() {
        let broken = V3.replacen(r#""openInterest":1200.5,"#, "", 1);
        let e = parse_chain_json(broken.as_bytes(), DataOrigin::Nse).unwrap_err();
        assert_eq!(
            e.to_string(),
            "chain JSON: not an NSE option chain: `records.data[0]`: CE 26200 02-Dec-2025: field `openInterest` is missing; the chain was rejected — if NSE changed the format, save the response and update the parser"
        );
    }

    #[test]
    fn empty_object_says_cookies() {
        let e = parse_chain_json(b" {} ", DataOrigin::Nse).unwrap_err();
        assert!(matches!(e, NseError::EmptyResponse { .. }));
        assert_eq!(
            e.to_string(),
            "chain JSON: an empty JSON object `{}`, which NSE sends when the session cookies are missing or the client is blocked; save a response fetched with a fresh session (the client visits the home page first)"
        );
        assert!(is_empty_object(b" { \n } "));
        assert!(!is_empty_object(br#"{"a":1}"#));
    }

    #[test]
    fn no_rows_is_a_chain_error() {
        let empty = r#"{"records":{"timestamp":"28-Nov-2025 15:30:00","underlyingValue":26202.95,"data":[],"index":{"indexSymbol":"NIFTY 50"}}}"#;
        let e = parse_chain_json(empty.as_bytes(), DataOrigin::Nse).unwrap_err();
        assert!(
            matches!(
                e,
                NseError::Chain {
                    source: ChainError::Empty,
                    ..
                }
            ),
            "{e}"
        );
    }
}
