//! NSE's daily reports of who holds and who trades: participant-wise open interest in equity
//! derivatives, and FII/DII activity in the cash market.
//!
//! # Participant-wise open interest
//!
//! `GET {archive}/content/nsccl/fao_participant_oi_DDMMYYYY.csv` (archive host
//! `https://archives.nseindia.com`; NSE also serves the same path from
//! `https://nsearchives.nseindia.com`), published on trading days after the close; a day without
//! a file (holiday, weekend, not yet published) answers 404, reported as
//! [`ReportError::NotPublished`]. The file:
//!
//! ```text
//! ""Participant wise Open Interest (no. of contracts) in Equity Derivatives as on Nov 25, 2026"",,,,,,,,,,,,,,
//! Client Type,Future Index Long,Future Index Short,Future Stock Long,Future Stock Short       ,Option Index Call Long,Option Index Put Long,Option Index Call Short,Option Index Put Short,Option Stock Call Long,Option Stock Put Long,Option Stock Call Short,Option Stock Put Short,Total Long Contracts      ,Total Short Contracts
//! Client,…14 numbers…
//! DII,…
//! FII,…
//! Pro,…
//! TOTAL,…
//! ```
//!
//! The title line carries the session date (`as on Nov 25, 2026`; older files spell it
//! `Nov 25,2026`, `November 25, 2026` or `Nov 25 2026`, and quote the title singly); the parser
//! checks it against the date asked for ([`ReportError::WrongDate`]) and that the title names
//! open interest (the volume report `fao_participant_vol_…` has the same layout). Header names
//! may carry trailing spaces; cells may be quoted, padded or carry thousands separators.
//!
//! Checks, each from a rule that must hold, with tolerances from NSE's rounding of each cell to a
//! whole contract (contracts opened under an older lot size make OI fractional):
//!
//! * every one of `Client`, `DII`, `FII`, `Pro`, `TOTAL` exactly once, nothing else;
//! * every count finite and ≥ 0;
//! * per column, `TOTAL` = the sum of the four participants within **2** contracts (four rounded
//!   cells and a rounded total: `|error| ≤ 4·½ + ½`);
//! * per row, `Total Long Contracts` = the sum of the six long columns and `Total Short
//!   Contracts` = the sum of the six short columns, within **3** contracts (six cells and a total);
//! * in the `TOTAL` row, long = short for each instrument (every open contract has a buyer and a
//!   seller) within **1** contract (two roundings of one number).
//!
//! A participant's own long and short need not match, and do not.
//!
//! Evidence for the format (public repositories that download the file, searched 2026-11-26):
//! a Python test suite quoting `fao_participant_oi_28072026.csv` and `…13072015.csv` verbatim
//! — the doubled quotes around the 2026 title, the padding after `Future Stock Short` and `Total
//! Long Contracts`, the four title-date spellings, the `TOTAL` row whose long and short columns
//! are equal, and a one-contract gap between a `TOTAL` cell and the sum of the participants
//! ("11 of 48 files carry a discrepancy and the worst is 1 contract"); a TypeScript test quoting
//! the 14-Aug-2026 file with the same title and header; several downloaders using
//! `https://archives.nseindia.com/content/nsccl/fao_participant_oi_{DDMMYYYY}.csv` (and
//! `nsearchives.nseindia.com`), reading it with the first line skipped and 404 on days without
//! a file. In the quoted rows each participant's `Total Long Contracts` is the sum of its six long
//! columns (one row is off by one contract on the short side).
//!
//! # FII/DII cash-market activity
//!
//! `GET {api}/api/fiidiiTradeReact` (api host `https://www.nseindia.com`) answers the latest
//! published session only:
//!
//! ```text
//! [{"category":"DII **","date":"25-Nov-2026","buyValue":"16489.46","sellValue":"12828.41","netValue":"3661.05"},
//!  {"category":"FII/FPI *","date":"25-Nov-2026","buyValue":"11500.09","sellValue":"13444.28","netValue":"-1944.19"}]
//! ```
//!
//! Values are strings in ₹ crore; `category` is `DII`/`FII/FPI`, with or without trailing
//! asterisks (footnote marks). Checks: exactly one FII row and one DII row, no other category,
//! one date, buy and sell ≥ 0, and `net = buy − sell` within ₹0.015 crore (three values each
//! rounded to 0.01).
//!
//! Evidence (public repositories, searched 2026-11-26): several clients calling
//! `https://www.nseindia.com/api/fiidiiTradeReact` after visiting the home page (or
//! `/reports/fii-dii`) for cookies, with docstrings quoting responses of 28-Aug-2020 and
//! 04-Dec-2025 (`"DII **"`, `"FII/FPI *"`, string values, `dd-Mon-yyyy` dates) and of
//! 12-Jun-2026, 07-Sep-2026 and 31-Jul-2026 (`"DII"`, `"FII/FPI"`); one notes that the home
//! page sometimes answers 403 while the API still serves the data, and that there is no date
//! parameter.
//!
//! # The client
//!
//! [`NseReportsClient`] uses the shared [`HttpClient`] (timeouts, retries with deterministic
//! backoff on 429/5xx/timeouts/truncated bodies). For the API it follows the browser-session
//! pattern of [`crate::nse`]: visit `{api}/` and `{api}/reports/fii-dii` for cookies, call the API
//! with `Referer: {api}/reports/fii-dii`, and on `{}`, 401 or 403 refresh the session once. The
//! warm-up is best-effort on a refused page (403 on the home page is common and the API may still
//! answer); any other warm-up failure is reported. The session code of [`crate::nse`] is private,
//! so its small warm-up and `{}` test are repeated here. Archive files need no session; a 401 or
//! 403 there triggers one warm-up and one retry.

use std::fmt;
use std::sync::Mutex;

use chrono::NaiveDate;
use serde_json::Value;
use tracing::warn;

use crate::http::{HttpClient, HttpConfig, HttpError};

/// The service name used in errors.
pub const SERVICE: &str = "NSE reports";

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    /// `fao_participant_oi_DDMMYYYY.csv`.
    ParticipantOi,
    /// `api/fiidiiTradeReact`.
    FiiDiiActivity,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Report::ParticipantOi => "NSE participant-wise open interest",
            Report::FiiDiiActivity => "NSE FII/DII cash-market activity",
        })
    }
}

/// Why a report could not be fetched or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Transport or status failure (timeouts, retries exhausted, 401/403 after a fresh session…).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The archive has no file for the date (HTTP 404).
    #[error(
        "{report} for {date} is not published ({url} answered 404): there is no file for a holiday or a weekend, and a trading day's file appears in the evening after the close; try a trading day, or later"
    )]
    NotPublished {
        /// The report.
        report: Report,
        /// The date asked for.
        date: NaiveDate,
        /// The URL.
        url: String,
    },
    /// The file is for another session than the one asked for.
    #[error(
        "{report} from {what} is for {found}, not {asked}: NSE served another session's file; retry later, and check the date"
    )]
    WrongDate {
        /// The report.
        report: Report,
        /// Where it came from.
        what: String,
        /// The date asked for.
        asked: NaiveDate,
        /// The date in the file.
        found: NaiveDate,
    },
    /// The API answered `{}` even after a fresh session.
    #[error(
        "{report}: {url} answered an empty JSON object `{{}}` even after a fresh session: the session cookies were not accepted or NSE is blocking this client; wait a few minutes and check that www.nseindia.com opens in a browser from this network"
    )]
    Blocked {
        /// The report.
        report: Report,
        /// The URL.
        url: String,
    },
    /// The content breaks the report's format or one of its rules.
    #[error("{report} from {what}{}: {rule}; the report was rejected — if NSE changed the format, save the response and update the parser", location(*line, field.as_deref()))]
    Format {
        /// The report.
        report: Report,
        /// Where it came from (URL or file).
        what: String,
        /// 1-based line of the CSV, if the problem is on one line.
        line: Option<usize>,
        /// The column or JSON field, if the problem is in one.
        field: Option<String>,
        /// The rule broken.
        rule: String,
    },
}

fn location(line: Option<usize>, field: Option<&str>) -> String {
    match (line, field) {
        (Some(l), Some(f)) => format!(", line {l}, field `{f}`"),
        (Some(l), None) => format!(", line {l}"),
        (None, Some(f)) => format!(", field `{f}`"),
        (None, None) => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Participant-wise open interest

/// A participant category of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientType {
    /// Retail and other clients.
    Client,
    /// Domestic institutional investors.
    Dii,
    /// Foreign institutional investors (FPIs).
    Fii,
    /// Proprietary traders (brokers' own accounts).
    Pro,
    /// The market total.
    Total,
}

impl ClientType {
    /// The four participants and the total, in the report's order.
    pub const ALL: [ClientType; 5] = [
        ClientType::Client,
        ClientType::Dii,
        ClientType::Fii,
        ClientType::Pro,
        ClientType::Total,
    ];

    /// NSE's spelling: `Client`, `DII`, `FII`, `Pro`, `TOTAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Client => "Client",
            ClientType::Dii => "DII",
            ClientType::Fii => "FII",
            ClientType::Pro => "Pro",
            ClientType::Total => "TOTAL",
        }
    }

    /// Reads NSE's spelling (any case).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for ClientType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 14 numeric columns of the report, in its order.
pub const PARTICIPANT_OI_COLUMNS: [&str; 14] = [
    "Future Index Long",
    "Future Index Short",
    "Future Stock Long",
    "Future Stock Short",
    "Option Index Call Long",
    "Option Index Put Long",
    "Option Index Call Short",
    "Option Index Put Short",
    "Option Stock Call Long",
    "Option Stock Put Long",
    "Option Stock Call Short",
    "Option Stock Put Short",
    "Total Long Contracts",
    "Total Short Contracts",
];

/// Indices into [`PARTICIPANT_OI_COLUMNS`] of the six long and six short columns.
const LONG_COLUMNS: [usize; 6] = [0, 2, 4, 5, 8, 9];
const SHORT_COLUMNS: [usize; 6] = [1, 3, 6, 7, 10, 11];
/// (long, short) column pairs of one instrument, and of the totals.
const INSTRUMENT_PAIRS: [(usize, usize); 7] =
    [(0, 1), (2, 3), (4, 6), (5, 7), (8, 10), (9, 11), (12, 13)];

/// Tolerances in contracts (see the [module](self) docs).
const TOTAL_ROW_TOLERANCE: f64 = 2.0;
const ROW_TOTAL_TOLERANCE: f64 = 3.0;
const LONG_SHORT_TOLERANCE: f64 = 1.0;

/// Open interest of one participant, in contracts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParticipantContracts {
    /// Index futures, long.
    pub future_index_long: f64,
    /// Index futures, short.
    pub future_index_short: f64,
    /// Stock futures, long.
    pub future_stock_long: f64,
    /// Stock futures, short.
    pub future_stock_short: f64,
    /// Index calls, long.
    pub option_index_call_long: f64,
    /// Index puts, long.
    pub option_index_put_long: f64,
    /// Index calls, short.
    pub option_index_call_short: f64,
    /// Index puts, short.
    pub option_index_put_short: f64,
    /// Stock calls, long.
    pub option_stock_call_long: f64,
    /// Stock puts, long.
    pub option_stock_put_long: f64,
    /// Stock calls, short.
    pub option_stock_call_short: f64,
    /// Stock puts, short.
    pub option_stock_put_short: f64,
    /// All long positions.
    pub total_long: f64,
    /// All short positions.
    pub total_short: f64,
}

impl ParticipantContracts {
    /// The 14 values in the order of [`PARTICIPANT_OI_COLUMNS`].
    pub fn to_array(&self) -> [f64; 14] {
        [
            self.future_index_long,
            self.future_index_short,
            self.future_stock_long,
            self.future_stock_short,
            self.option_index_call_long,
            self.option_index_put_long,
            self.option_index_call_short,
            self.option_index_put_short,
            self.option_stock_call_long,
            self.option_stock_put_long,
            self.option_stock_call_short,
            self.option_stock_put_short,
            self.total_long,
            self.total_short,
        ]
    }

    /// From the 14 values in the order of [`PARTICIPANT_OI_COLUMNS`].
    pub fn from_array(v: [f64; 14]) -> Self {
        ParticipantContracts {
            future_index_long: v[0],
            future_index_short: v[1],
            future_stock_long: v[2],
            future_stock_short: v[3],
            option_index_call_long: v[4],
            option_index_put_long: v[5],
            option_index_call_short: v[6],
            option_index_put_short: v[7],
            option_stock_call_long: v[8],
            option_stock_put_long: v[9],
            option_stock_call_short: v[10],
            option_stock_put_short: v[11],
            total_long: v[12],
            total_short: v[13],
        }
    }

    /// Net index futures: long − short.
    pub fn net_index_futures(&self) -> f64 {
        self.future_index_long - self.future_index_short
    }
}

/// One day's participant-wise open interest, validated (see the [module](self) docs).
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantOi {
    date: NaiveDate,
    rows: [ParticipantContracts; 5],
}

impl ParticipantOi {
    /// The session date (from the title line).
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The row of one participant (or the total).
    pub fn row(&self, client: ClientType) -> &ParticipantContracts {
        &self.rows[client as usize]
    }

    /// Every row, in the order of [`ClientType::ALL`].
    pub fn rows(&self) -> impl Iterator<Item = (ClientType, &ParticipantContracts)> {
        ClientType::ALL.into_iter().zip(&self.rows)
    }
}

/// Parses a participant-wise open-interest file; `what` names it in errors (URL or path).
pub fn parse_participant_oi(bytes: &[u8], what: &str) -> Result<ParticipantOi, ReportError> {
    let report = Report::ParticipantOi;
    let fail = |line: Option<usize>, field: Option<&str>, rule: String| ReportError::Format {
        report,
        what: what.to_string(),
        line,
        field: field.map(str::to_string),
        rule,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| fail(None, None, format!("not UTF-8 text ({e})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));

    let (title_line, title) = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or_else(|| fail(None, None, "the file is empty".to_string()))?;
    let date = parse_title(title).map_err(|rule| fail(Some(title_line), None, rule))?;

    let (header_line, header) = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or_else(|| fail(None, None, "no header line after the title".to_string()))?;
    let header = split_csv_line(header).map_err(|rule| fail(Some(header_line), None, rule))?;
    if header.first().map(|h| h.trim()) != Some("Client Type") {
        return Err(fail(
            Some(header_line),
            header.first().map(String::as_str),
            "the header must start with `Client Type`".to_string(),
        ));
    }
    // Column index in the file of each of the 14 known columns.
    let mut position = [usize::MAX; 14];
    for (i, name) in header.iter().enumerate().skip(1) {
        let name = name.trim();
        let Some(k) = PARTICIPANT_OI_COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
        else {
            return Err(fail(
                Some(header_line),
                Some(name),
                "unknown column: the report has the 14 columns Future/Option × Index/Stock × Long/Short and the two totals".to_string(),
            ));
        };
        if position[k] != usize::MAX {
            return Err(fail(
                Some(header_line),
                Some(name),
                "the column appears twice".to_string(),
            ));
        }
        position[k] = i;
    }
    if let Some(k) = position.iter().position(|&p| p == usize::MAX) {
        return Err(fail(
            Some(header_line),
            Some(PARTICIPANT_OI_COLUMNS[k]),
            "the column is missing from the header".to_string(),
        ));
    }

    let mut rows: [Option<(usize, [f64; 14])>; 5] = [None; 5];
    for (n, line) in lines {
        if line.trim().trim_matches(',').trim().is_empty() {
            continue;
        }
        let cells = split_csv_line(line).map_err(|rule| fail(Some(n), None, rule))?;
        if cells.len() != header.len() {
            return Err(fail(
                Some(n),
                None,
                format!(
                    "{} cells where the header has {}",
                    cells.len(),
                    header.len()
                ),
            ));
        }
        let client = ClientType::parse(&cells[0]).ok_or_else(|| {
            fail(
                Some(n),
                Some("Client Type"),
                format!(
                    "unknown participant `{}`: expected Client, DII, FII, Pro or TOTAL",
                    cells[0].trim()
                ),
            )
        })?;
        if let Some((first, _)) = rows[client as usize] {
            return Err(fail(
                Some(n),
                Some("Client Type"),
                format!("`{client}` appears twice (first on line {first})"),
            ));
        }
        let mut values = [0.0; 14];
        for (k, value) in values.iter_mut().enumerate() {
            let cell = &cells[position[k]];
            *value = parse_count(cell)
                .map_err(|rule| fail(Some(n), Some(PARTICIPANT_OI_COLUMNS[k]), rule))?;
        }
        rows[client as usize] = Some((n, values));
    }
    let mut table = [[0.0; 14]; 5];
    let mut line_of = [0usize; 5];
    for client in ClientType::ALL {
        let (n, v) = rows[client as usize].ok_or_else(|| {
            fail(
                None,
                Some("Client Type"),
                format!("the `{client}` row is missing"),
            )
        })?;
        table[client as usize] = v;
        line_of[client as usize] = n;
    }

    let total = ClientType::Total as usize;
    for (k, name) in PARTICIPANT_OI_COLUMNS.iter().enumerate() {
        let sum: f64 = (0..4).map(|c| table[c][k]).sum();
        if (table[total][k] - sum).abs() > TOTAL_ROW_TOLERANCE {
            return Err(fail(
                Some(line_of[total]),
                Some(name),
                format!(
                    "TOTAL is {} but the four participants sum to {sum}: more than the {TOTAL_ROW_TOLERANCE} contracts rounding allows",
                    table[total][k]
                ),
            ));
        }
    }
    for client in ClientType::ALL {
        let row = &table[client as usize];
        for (cols, k, side) in [(LONG_COLUMNS, 12, "long"), (SHORT_COLUMNS, 13, "short")] {
            let sum: f64 = cols.iter().map(|&c| row[c]).sum();
            if (row[k] - sum).abs() > ROW_TOTAL_TOLERANCE {
                return Err(fail(
                    Some(line_of[client as usize]),
                    Some(PARTICIPANT_OI_COLUMNS[k]),
                    format!(
                        "{client}: {} but its six {side} columns sum to {sum}: more than the {ROW_TOTAL_TOLERANCE} contracts rounding allows",
                        row[k]
                    ),
                ));
            }
        }
    }
    for (l, s) in INSTRUMENT_PAIRS {
        let row = &table[total];
        if (row[l] - row[s]).abs() > LONG_SHORT_TOLERANCE {
            return Err(fail(
                Some(line_of[total]),
                Some(PARTICIPANT_OI_COLUMNS[s]),
                format!(
                    "the market's {} is {} but its {} is {}: every open contract has one long and one short side",
                    PARTICIPANT_OI_COLUMNS[l], row[l], PARTICIPANT_OI_COLUMNS[s], row[s]
                ),
            ));
        }
    }
    Ok(ParticipantOi {
        date,
        rows: table.map(ParticipantContracts::from_array),
    })
}

/// Reads the session date from the title line, after checking that it is the OI report.
fn parse_title(line: &str) -> Result<NaiveDate, String> {
    let title = line
        .trim()
        .trim_end_matches(',')
        .trim()
        .trim_matches('"')
        .trim();
    if !title.to_ascii_lowercase().contains("open interest") {
        return Err(format!(
            "the title `{title}` does not name open interest: this is not the participant-wise open-interest report"
        ));
    }
    let lower = title.to_ascii_lowercase();
    let at = lower
        .find("as on")
        .ok_or_else(|| format!("the title `{title}` has no `as on <date>`"))?;
    let raw = &title[at + "as on".len()..];
    let cleaned = raw.replace(',', " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let joined = words.join(" ");
    NaiveDate::parse_from_str(&joined, "%B %d %Y")
        .or_else(|_| NaiveDate::parse_from_str(&joined, "%d-%b-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(&joined, "%d %B %Y"))
        .map_err(|_| {
            format!(
                "the title date `{}` is not a date like `Nov 25, 2026`",
                raw.trim()
            )
        })
}

/// Splits one CSV line into cells (RFC 4180 quoting).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_string).collect()),
        Ok(false) => Ok(Vec::new()),
        Err(e) => Err(format!("malformed CSV ({e})")),
    }
}

/// A contract count: digits with optional thousands separators and padding; finite and ≥ 0.
fn parse_count(cell: &str) -> Result<f64, String> {
    let cleaned: String = cell.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return Err("empty: every count must be given".to_string());
    }
    let v: f64 = cleaned
        .parse()
        .map_err(|_| format!("`{}` is not a number", cell.trim()))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "{v} is not a count of contracts: it must be finite and ≥ 0"
        ));
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// FII/DII activity

/// Buying, selling and net buying of one investor category, in ₹ crore.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowValues {
    /// Gross purchases, ₹ crore.
    pub buy: f64,
    /// Gross sales, ₹ crore.
    pub sell: f64,
    /// Net purchases `buy − sell`, ₹ crore (negative = net selling).
    pub net: f64,
}

/// One session's FII/FPI and DII activity in the cash market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiiDiiActivity {
    /// The session date.
    pub date: NaiveDate,
    /// Foreign institutional / portfolio investors.
    pub fii: FlowValues,
    /// Domestic institutional investors.
    pub dii: FlowValues,
}

/// `|net − (buy − sell)|` allowed, ₹ crore: three values each rounded to 0.01.
const NET_TOLERANCE_CRORE: f64 = 0.015;

/// Parses a `fiidiiTradeReact` response; `what` names it in errors.
pub fn parse_fii_dii(bytes: &[u8], what: &str) -> Result<FiiDiiActivity, ReportError> {
    let report = Report::FiiDiiActivity;
    let fail = |field: Option<String>, rule: String| ReportError::Format {
        report,
        what: what.to_string(),
        line: None,
        field,
        rule,
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| fail(None, format!("malformed JSON ({e})")))?;
    let items = value.as_array().ok_or_else(|| {
        fail(
            None,
            format!(
                "expected a JSON list of categories, got {}",
                json_kind(&value)
            ),
        )
    })?;
    if items.is_empty() {
        return Err(fail(
            None,
            "an empty list: NSE has published no activity".to_string(),
        ));
    }
    let mut fii: Option<FlowValues> = None;
    let mut dii: Option<FlowValues> = None;
    let mut date: Option<NaiveDate> = None;
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| Some(format!("[{i}].{name}"));
        let get = |name: &str| {
            present(item, name).ok_or_else(|| fail(field(name), "missing or null".to_string()))
        };
        let category = get("category")?
            .as_str()
            .ok_or_else(|| fail(field("category"), "not a string".to_string()))?;
        let label = category
            .trim()
            .trim_end_matches('*')
            .trim()
            .to_ascii_uppercase();
        let slot = match label.as_str() {
            "FII/FPI" | "FII" | "FPI" | "FPI/FII" => &mut fii,
            "DII" => &mut dii,
            _ => {
                return Err(fail(
                    field("category"),
                    format!("unknown category `{category}`: expected FII/FPI or DII"),
                ));
            }
        };
        if slot.is_some() {
            return Err(fail(
                field("category"),
                format!("a second `{category}` row"),
            ));
        }
        let raw_date = get("date")?
            .as_str()
            .ok_or_else(|| fail(field("date"), "not a string".to_string()))?;
        let d = NaiveDate::parse_from_str(raw_date.trim(), "%d-%b-%Y").map_err(|_| {
            fail(
                field("date"),
                format!("`{raw_date}` is not a date like 25-Nov-2026"),
            )
        })?;
        if let Some(first) = date
            && first != d
        {
            return Err(fail(
                field("date"),
                format!("{d} differs from the {first} of the other row: one session per response"),
            ));
        }
        date = Some(d);
        let number = |name: &str| -> Result<f64, ReportError> {
            let v = get(name)?;
            let x = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().replace(',', "").parse::<f64>().ok(),
                _ => None,
            };
            x.filter(|x| x.is_finite())
                .ok_or_else(|| fail(field(name), format!("{v} is not an amount in ₹ crore")))
        };
        let (buy, sell, net) = (
            number("buyValue")?,
            number("sellValue")?,
            number("netValue")?,
        );
        for (name, v) in [("buyValue", buy), ("sellValue", sell)] {
            if v < 0.0 {
                return Err(fail(
                    field(name),
                    format!("{v} is negative: gross amounts are ≥ 0"),
                ));
            }
        }
        if (net - (buy - sell)).abs() > NET_TOLERANCE_CRORE + 1e-9 * buy.max(sell) {
            return Err(fail(
                field("netValue"),
                format!(
                    "{net} is not buy − sell = {buy} − {sell} = {:.2} (within ₹{NET_TOLERANCE_CRORE} crore of rounding)",
                    buy - sell
                ),
            ));
        }
        *slot = Some(FlowValues { buy, sell, net });
    }
    let date = date.expect("a non-empty list has a date");
    let fii = fii.ok_or_else(|| fail(None, "no FII/FPI row".to_string()))?;
    let dii = dii.ok_or_else(|| fail(None, "no DII row".to_string()))?;
    Ok(FiiDiiActivity { date, fii, dii })
}

/// The non-null field `name` of a JSON object.
fn present<'a>(item: &'a Value, name: &str) -> Option<&'a Value> {
    item.get(name).filter(|v| !v.is_null())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(m) if m.is_empty() => {
            "an empty object `{}` (what NSE sends without session cookies)"
        }
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// The client

/// Settings of an [`NseReportsClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NseReportsConfig {
    /// Host of the daily archive files (default `https://archives.nseindia.com`).
    pub archive_base_url: String,
    /// Host of the website and its API (default `https://www.nseindia.com`).
    pub api_base_url: String,
    /// Timeouts, retries, User-Agent.
    pub http: HttpConfig,
}

impl Default for NseReportsConfig {
    fn default() -> Self {
        NseReportsConfig {
            archive_base_url: "https://archives.nseindia.com".to_string(),
            api_base_url: "https://www.nseindia.com".to_string(),
            http: HttpConfig::default(),
        }
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => {
            "NSE refused the session (cookies missing or expired) even after a fresh visit to the home page; wait a few minutes and check that www.nseindia.com opens in a browser from this network"
        }
        403 => {
            "NSE's bot protection forbids this client; wait a few minutes, fetch the reports once a day, and check that www.nseindia.com opens in a browser from this network"
        }
        404 => "the NSE report is not there: check the date and the base URL",
        _ => "NSE rejected the request: check the base URLs",
    }
}

const ACCEPT_LANGUAGE: (&str, &str) = ("Accept-Language", "en-US,en;q=0.9");
const PAGE_ACCEPT: (&str, &str) = (
    "Accept",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
);

/// A client of NSE's daily participant-OI file and FII/DII API.
#[derive(Debug)]
pub struct NseReportsClient {
    http: HttpClient,
    config: NseReportsConfig,
    warmed: Mutex<bool>,
}

impl NseReportsClient {
    /// A client with the given settings. No request is made until the first fetch.
    pub fn new(config: NseReportsConfig) -> Self {
        NseReportsClient {
            http: HttpClient::new(SERVICE, config.http.clone(), status_hint),
            config,
            warmed: Mutex::new(false),
        }
    }

    fn api_base(&self) -> &str {
        self.config.api_base_url.trim_end_matches('/')
    }

    /// The archive URL of the participant-wise OI file of `date`.
    pub fn participant_oi_url(&self, date: NaiveDate) -> String {
        format!(
            "{}/content/nsccl/fao_participant_oi_{}.csv",
            self.config.archive_base_url.trim_end_matches('/'),
            date.format("%d%m%Y")
        )
    }

    /// The URL of the FII/DII activity API.
    pub fn fii_dii_url(&self) -> String {
        format!("{}/api/fiidiiTradeReact", self.api_base())
    }

    /// Fetches and validates the participant-wise open interest of the session `date`.
    ///
    /// # Errors
    /// [`ReportError::NotPublished`] on 404 (holiday, weekend, not yet published),
    /// [`ReportError::WrongDate`] if the file is another session's, [`ReportError::Format`] for a
    /// file that breaks the format or its rules, [`ReportError::Http`] for transport failures.
    pub fn fetch_participant_oi(&self, date: NaiveDate) -> Result<ParticipantOi, ReportError> {
        let url = self.participant_oi_url(date);
        let referer = format!("{}/", self.api_base());
        let headers = [
            ("Accept", "text/csv,text/plain,*/*"),
            ACCEPT_LANGUAGE,
            ("Referer", referer.as_str()),
        ];
        let mut outcome = self.http.get(&url, &headers);
        if let Err(HttpError::Refused {
            status: 401 | 403, ..
        }) = &outcome
        {
            warn!(
                url,
                "NSE archive refused the request; visiting the home page for cookies"
            );
            self.http.clear_cookies();
            self.warm_up()?;
            outcome = self.http.get(&url, &headers);
        }
        let response = match outcome {
            Err(HttpError::Refused { status: 404, .. }) => {
                return Err(ReportError::NotPublished {
                    report: Report::ParticipantOi,
                    date,
                    url,
                });
            }
            other => other?,
        };
        let oi = parse_participant_oi(&response.body, &url)?;
        if oi.date != date {
            return Err(ReportError::WrongDate {
                report: Report::ParticipantOi,
                what: url,
                asked: date,
                found: oi.date,
            });
        }
        Ok(oi)
    }

    /// Fetches and validates the latest published FII/DII cash-market activity (the API has no
    /// date parameter: the caller stores it under the date it carries).
    ///
    /// # Errors
    /// [`ReportError::Blocked`] on `{}` after a fresh session, [`ReportError::Format`] for a
    /// response that breaks the format or its rules, [`ReportError::Http`] for transport failures
    /// (401/403 after a fresh session included).
    pub fn fetch_fii_dii(&self) -> Result<FiiDiiActivity, ReportError> {
        let url = self.fii_dii_url();
        if !*self.warmed.lock().unwrap_or_else(|p| p.into_inner()) {
            self.warm_up()?;
        }
        let referer = format!("{}/reports/fii-dii", self.api_base());
        let headers = [
            ("Accept", "application/json, text/plain, */*"),
            ACCEPT_LANGUAGE,
            ("Referer", referer.as_str()),
        ];
        let mut refreshed = false;
        loop {
            let outcome = self.http.get(&url, &headers);
            let needs_session = match &outcome {
                Err(HttpError::Refused { status, .. }) => matches!(status, 401 | 403),
                Ok(r) => is_empty_object(&r.body),
                Err(_) => false,
            };
            if needs_session && !refreshed {
                warn!(url, "NSE refused the session; visiting the home page again");
                refreshed = true;
                self.http.clear_cookies();
                self.warm_up()?;
                continue;
            }
            let response = outcome?;
            if needs_session {
                return Err(ReportError::Blocked {
                    report: Report::FiiDiiActivity,
                    url,
                });
            }
            return parse_fii_dii(&response.body, &url);
        }
    }

    /// Visits the home page and the FII/DII report page for the session cookies. A refused page
    /// is logged and passed over (the API may answer anyway); other failures are errors.
    fn warm_up(&self) -> Result<(), ReportError> {
        let home = format!("{}/", self.api_base());
        let page = format!("{}/reports/fii-dii", self.api_base());
        for (url, referer) in [(&home, None), (&page, Some(home.as_str()))] {
            let mut headers = vec![PAGE_ACCEPT, ACCEPT_LANGUAGE];
            if let Some(r) = referer {
                headers.push(("Referer", r));
            }
            match self.http.get(url, &headers) {
                Ok(_) => {}
                Err(HttpError::Refused { status, .. }) => {
                    warn!(
                        url,
                        status, "NSE refused a page of the session warm-up; going on"
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        *self.warmed.lock().unwrap_or_else(|p| p.into_inner()) = true;
        Ok(())
    }
}

/// Whether a body is the empty JSON object `{}` (same test as [`crate::nse`]'s private helper).
fn is_empty_object(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.starts_with(b"{")
        && trimmed.ends_with(b"}")
        && trimmed[1..trimmed.len() - 1].trim_ascii().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A participant-OI file in the published format (title with doubled quotes, padded header
    /// names, NSE's one-contract rounding gaps), for 25-Nov-2026.
    const OI: &str = include_str!("../tests/data/fao_participant_oi_25112026.csv");
    const FII_DII: &str = r#"[{"category":"DII **","date":"25-Nov-2026","buyValue":"17412.58","sellValue":"13986.09","netValue":"3426.49"},{"category":"FII/FPI *","date":"25-Nov-2026","buyValue":"12087.33","sellValue":"14361.75","netValue":"-2274.42"}]"#;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn oi(text: &str) -> Result<ParticipantOi, ReportError> {
        parse_participant_oi(text.as_bytes(), "test.csv")
    }

    fn format_error(e: ReportError) -> (Option<usize>, Option<String>, String) {
        match e {
            ReportError::Format {
                report: Report::ParticipantOi | Report::FiiDiiActivity,
                line,
                field,
                rule,
                ..
            } => (line, field, rule),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_published_format() {
        let r = oi(OI).unwrap();
        assert_eq!(r.date(), d(2026, 11, 25));
        let fii = r.row(ClientType::Fii);
        assert_eq!(fii.future_index_long, 23_286.0);
        assert_eq!(fii.future_index_short, 246_677.0);
        assert_eq!(fii.net_index_futures(), 23_286.0 - 246_677.0);
        // The padded header `Future Stock Short       ` is read.
        assert_eq!(r.row(ClientType::Dii).future_stock_short, 4_264_212.0);
        assert_eq!(r.row(ClientType::Total).total_long, 19_122_946.0);
        let order: Vec<ClientType> = r.rows().map(|(c, _)| c).collect();
        assert_eq!(order, ClientType::ALL);
        let first = OI.lines().nth(2).unwrap();
        let want: Vec<f64> = first
            .split(',')
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(r.row(ClientType::Client).to_array().to_vec(), want);
        assert_eq!(
            ParticipantContracts::from_array(fii.to_array()),
            *fii,
            "array order round-trips"
        );
    }

    #[test]
    fn accepts_older_spellings_quotes_separators_and_crlf() {
        for title in [
            "\"Participant wise Open Interest (no. of contracts) in Equity Derivatives as on Nov 25,2026\",,,,",
            "Participant wise Open Interest as on November 25, 2026,,,",
            "Participant wise Open Interest as on Nov 25 2026",
        ] {
            let text = OI.replacen(OI.lines().next().unwrap(), title, 1);
            assert_eq!(oi(&text).unwrap().date(), d(2026, 11, 25), "{title}");
        }
        let quoted = OI
            .replace("FII,23286,246677,", "FII,\"23,286\",\" 246677 \",")
            .replace('\n', "\r\n");
        let with_bom = format!("\u{feff}{quoted}");
        let r = oi(&with_bom).unwrap();
        assert_eq!(r, oi(OI).unwrap());
    }

    #[test]
    fn rejects_the_volume_report_and_bad_titles() {
        let vol = OI.replace("Open Interest", "Trading Volume");
        let (line, _, rule) = format_error(oi(&vol).unwrap_err());
        assert_eq!(line, Some(1));
        assert!(rule.contains("does not name open interest"), "{rule}");
        let no_date = OI.replace("as on Nov 25, 2026", "today");
        assert!(
            format_error(oi(&no_date).unwrap_err())
                .2
                .contains("no `as on <date>`")
        );
        let bad = OI.replace("Nov 25, 2026", "Nov 31, 2026");
        assert!(format_error(oi(&bad).unwrap_err()).2.contains("not a date"));
        assert!(format_error(oi("").unwrap_err()).2.contains("empty"));
        let html = "<html><body>Resource not found</body></html>";
        assert!(
            format_error(oi(html).unwrap_err())
                .2
                .contains("does not name open interest")
        );
    }

    #[test]
    fn names_the_line_and_field_of_a_bad_cell() {
        let text = OI.replace("DII,64168,", "DII,n/a,");
        let (line, field, rule) = format_error(oi(&text).unwrap_err());
        assert_eq!(
            (line, field.as_deref()),
            (Some(4), Some("Future Index Long"))
        );
        assert!(rule.contains("`n/a` is not a number"), "{rule}");
        let e = oi(&OI.replace("Pro,35866,", "Pro,-35866,")).unwrap_err();
        assert!(
            e.to_string().contains("line 6, field `Future Index Long`"),
            "{e}"
        );
        assert!(e.to_string().contains("finite and ≥ 0"), "{e}");
        let short_row = OI.replace(",429852,2954415,2326514", ",429852,2954415");
        let (line, _, rule) = format_error(oi(&short_row).unwrap_err());
        assert_eq!(line, Some(6));
        assert!(rule.contains("14 cells where the header has 15"), "{rule}");
    }

    #[test]
    fn rejects_missing_renamed_extra_and_duplicate_rows_and_columns() {
        let renamed = OI.replace("Future Index Long", "Fut Index Long");
        let (_, field, rule) = format_error(oi(&renamed).unwrap_err());
        assert_eq!(field.as_deref(), Some("Fut Index Long"));
        assert!(rule.contains("unknown column"), "{rule}");
        let without_dii: String = OI
            .lines()
            .filter(|l| !l.starts_with("DII,"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            format_error(oi(&without_dii).unwrap_err())
                .2
                .contains("`DII` row is missing")
        );
        let extra = OI.replace("TOTAL,", "Algo,1,1,1,1,1,1,1,1,1,1,1,1,6,6\nTOTAL,");
        assert!(
            format_error(oi(&extra).unwrap_err())
                .2
                .contains("unknown participant `Algo`")
        );
        let fii_line = OI.lines().find(|l| l.starts_with("FII,")).unwrap();
        let twice = OI.replace(fii_line, &format!("{fii_line}\n{fii_line}"));
        let (line, _, rule) = format_error(oi(&twice).unwrap_err());
        assert_eq!(line, Some(6));
        assert!(rule.contains("appears twice (first on line 5)"), "{rule}");
    }

    #[test]
    fn reconciliation_tolerates_rounding_and_nothing_more() {
        // The fixture's TOTAL put columns exceed the participants' sum by one contract.
        oi(OI).unwrap();
        // A TOTAL three contracts off the participants' sum (keeping long = short) is refused.
        let off = OI.replace("TOTAL,364415,364415,", "TOTAL,364418,364418,");
        let (line, field, rule) = format_error(oi(&off).unwrap_err());
        assert_eq!(
            (line, field.as_deref()),
            (Some(7), Some("Future Index Long"))
        );
        assert!(rule.contains("four participants sum to 364415"), "{rule}");
        // A row total that is not the sum of its long columns.
        let row = OI
            .replace(",10266490,7524053", ",10266500,7524053")
            .replace(",19122946,19122946", ",19122956,19122946");
        let (line, field, rule) = format_error(oi(&row).unwrap_err());
        assert_eq!(line, Some(3));
        assert_eq!(field.as_deref(), Some("Total Long Contracts"));
        assert!(rule.contains("six long columns sum to 10266490"), "{rule}");
        // Market long ≠ market short for one instrument (participants adjusted to match TOTAL).
        let unbalanced = OI
            .replace("TOTAL,364415,364415,", "TOTAL,364415,364425,")
            .replace("Pro,35866,41386,", "Pro,35866,41396,")
            .replace(",429852,2954415,2326514", ",429852,2954415,2326524")
            .replace(",19122946,19122946", ",19122946,19122956");
        let (_, field, rule) = format_error(oi(&unbalanced).unwrap_err());
        assert_eq!(field.as_deref(), Some("Future Index Short"));
        assert!(rule.contains("one long and one short side"), "{rule}");
    }

    #[test]
    fn reads_fii_dii_in_both_category_spellings() {
        let a = parse_fii_dii(FII_DII.as_bytes(), "api").unwrap();
        assert_eq!(a.date, d(2026, 11, 25));
        assert_eq!(
            a.dii,
            FlowValues {
                buy: 17_412.58,
                sell: 13_986.09,
                net: 3_426.49
            }
        );
        assert_eq!(a.fii.net, -2_274.42);
        let plain = FII_DII
            .replace("DII **", "DII")
            .replace("FII/FPI *", "FII/FPI");
        assert_eq!(parse_fii_dii(plain.as_bytes(), "api").unwrap(), a);
        // Thousands separators and bare numbers are read too.
        let numbers = FII_DII
            .replace("\"17412.58\"", "\"17,412.58\"")
            .replace("\"12087.33\"", "12087.33");
        assert_eq!(parse_fii_dii(numbers.as_bytes(), "api").unwrap(), a);
    }

    #[test]
    fn fii_dii_rules_are_enforced_by_field() {
        let check = |body: &str, field: Option<&str>, needle: &str| {
            let (_, f, rule) = format_error(parse_fii_dii(body.as_bytes(), "api").unwrap_err());
            assert_eq!(f.as_deref(), field, "{body}");
            assert!(rule.contains(needle), "{rule}");
        };
        check(
            &FII_DII.replace("\"3426.49\"", "\"3426.52\""),
            Some("[0].netValue"),
            "is not buy − sell",
        );
        // One hundredth of rounding is accepted.
        let rounded = FII_DII.replace("\"3426.49\"", "\"3426.50\"");
        assert!(parse_fii_dii(rounded.as_bytes(), "api").is_ok());
        check(
            &FII_DII.replace("DII **", "Retail"),
            Some("[0].category"),
            "unknown category `Retail`",
        );
        check(
            &FII_DII.replace("FII/FPI *", "DII"),
            Some("[1].category"),
            "a second `DII` row",
        );
        check(
            &FII_DII.replacen("25-Nov-2026", "24-Nov-2026", 1),
            Some("[1].date"),
            "differs from the 2026-11-24",
        );
        check(
            &FII_DII.replace("\"sellValue\":\"13986.09\",", ""),
            Some("[0].sellValue"),
            "missing",
        );
        check(
            &FII_DII.replace("\"17412.58\"", "\"-\""),
            Some("[0].buyValue"),
            "not an amount",
        );
        check("[]", None, "empty list");
        check("{}", None, "an empty object `{}`");
        check(
            "[{\"category\":\"DII\",\"date\":\"25-Nov-2026\",\"buyValue\":\"1\",\"sellValue\":\"1\",\"netValue\":\"0\"}]",
            None,
            "no FII/FPI row",
        );
        check(&FII_DII[..60], None, "malformed JSON");
    }
}
