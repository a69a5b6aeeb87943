//! CSV import of daily and 5-minute bars.
//!
//! Two formats are recognised by their header (column order does not matter, names are matched
//! case-insensitively ignoring spaces, punctuation and a byte-order mark):
//!
//! * **Yahoo export** — `Date,Open,High,Low,Close[,Adj Close][,Volume]`. `Date` is either a UTC
//!   timestamp `YYYY-MM-DD HH:MM:SS` (an RFC 3339 offset is also accepted and converted to UTC) or a
//!   plain IST trading date `YYYY-MM-DD`. `Adj Close` is accepted and ignored (it equals `Close` for
//!   an index).
//! * **NSE index history** — `Date,Open,High,Low,Close,Shares Traded,Turnover (₹ Cr)` with dates such
//!   as `01-DEC-2020`, `01-Dec-2020` or `01 Dec 2020`, numbers possibly quoted with thousands
//!   separators, `-` for a missing turnover; and the normalised variant
//!   `Date,Open,High,Low,Close,SharesTraded,TurnoverCr` with ISO dates and empty turnover.
//!   `Shares Traded` becomes the bar volume; turnover is checked to be a number and then dropped
//!   (the model's candle has no turnover field).
//!
//! # Keys, interval and the partial last bar
//!
//! Daily bars are keyed by the IST trading date: the date part of a timestamp converted to IST.
//! Yahoo stamps complete daily rows with the session open, 03:45:00 UTC (12:45:00 UTC for a Diwali
//! Muhurat session); any other time is only allowed on the **last** row, where it is the time the
//! file was pulled. That row is marked partial when the pull time is before the session's 15:30 IST
//! close ([`PartialReason::PullTime`]).
//!
//! 5-minute rows are keyed by bar start (UTC) and must lie on the 5-minute grid. A **last** row off
//! the grid is a live tick Yahoo appends at pull time: it is dropped (counted in
//! [`ImportSummary::skipped`]) and, when it falls inside the last bar, that bar is marked partial
//! ([`PartialReason::LiveTick`]). Without such a tick the pull time is unknown; the last bar is then
//! marked partial when the file stops inside a regular session before its last bar (15:25 IST),
//! because a Yahoo export taken mid-session always ends with the bar still forming
//! ([`PartialReason::SessionCutOff`]). Off-grid rows anywhere else are errors.
//!
//! A file that is newest-first throughout (as some NSE downloads are) is reversed and says so
//! ([`ImportSummary::reversed`]); any other out-of-order row is an error.
//!
//! The interval is given by [`ImportOptions::interval`] or detected ([`detect_interval`]): plain dates
//! are daily; two rows on one IST date are 5-minute; one row per date stamped at the session open is
//! daily; anything else is [`CsvError::AmbiguousInterval`].
//!
//! # Errors
//!
//! Nothing is skipped silently. Every error names the file, the line (1-based as an editor shows
//! it, the header being line 1) and the rule, e.g.
//! `nifty.csv line 17 (2021-03-04): High must not be below Low`. The only rows that may be skipped
//! are Yahoo's all-`null` placeholder rows, and only when [`ImportOptions::skip_null_rows`] is set;
//! they are then listed in [`ImportSummary::skipped`].

use std::fmt;
use std::path::Path;

use ::csv as csv_crate;
use aegis_model::time::ist_date;
use aegis_model::{
    BarRule, Candle, DailySeries, DataOrigin, Interval, IntradaySeries, Series, Symbol,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::session::{
    five_minute_bar_end, is_daily_session_stamp, is_on_five_minute_grid,
    last_regular_bar_start_utc, regular_close_utc, regular_open_utc,
};

/// The CSV layouts this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvFormat {
    /// `Date,Open,High,Low,Close[,Adj Close][,Volume]` (yfinance / Yahoo download).
    YahooExport,
    /// `Date,Open,High,Low,Close,Shares Traded,Turnover (₹ Cr)` or its normalised variant.
    NseHistory,
}

impl fmt::Display for CsvFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CsvFormat::YahooExport => "Yahoo export",
            CsvFormat::NseHistory => "NSE index history",
        })
    }
}

/// How to import a file. The default guesses the symbol from the file name and detects the interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The instrument; `None` guesses it from the file name ([`guess_symbol`]).
    pub symbol: Option<Symbol>,
    /// The bar interval; `None` detects it ([`detect_interval`]).
    pub interval: Option<Interval>,
    /// Skip (and count) Yahoo's placeholder rows whose prices are all `null`, instead of failing.
    pub skip_null_rows: bool,
}

/// The bars of an imported file.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// Daily bars keyed by IST trading date.
    Daily(DailySeries),
    /// 5-minute bars keyed by bar start (UTC).
    Intraday(IntradaySeries),
}

impl Imported {
    /// Number of bars.
    pub fn len(&self) -> usize {
        match self {
            Imported::Daily(s) => s.len(),
            Imported::Intraday(s) => s.len(),
        }
    }

    /// Whether there are no bars (never true for a successful import).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the last bar is marked partial.
    pub fn last_is_partial(&self) -> bool {
        match self {
            Imported::Daily(s) => s.last().is_some_and(|b| b.partial),
            Imported::Intraday(s) => s.last().is_some_and(|b| b.partial),
        }
    }

    /// The daily series, if this is one.
    pub fn into_daily(self) -> Option<DailySeries> {
        match self {
            Imported::Daily(s) => Some(s),
            Imported::Intraday(_) => None,
        }
    }

    /// The intraday series, if this is one.
    pub fn into_intraday(self) -> Option<IntradaySeries> {
        match self {
            Imported::Intraday(s) => Some(s),
            Imported::Daily(_) => None,
        }
    }
}

/// Why the last bar was marked partial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialReason {
    /// The last daily row carries its pull time, which is before that session's close.
    PullTime {
        /// The stamp found on the row (UTC).
        stamp: DateTime<Utc>,
    },
    /// A live-tick row inside the last 5-minute bar shows the bar was still forming.
    LiveTick {
        /// The tick's stamp (UTC).
        stamp: DateTime<Utc>,
    },
    /// The 5-minute file stops inside a regular session, before its 15:25 IST bar.
    SessionCutOff {
        /// Start of the last bar (UTC).
        last_bar: DateTime<Utc>,
    },
}

impl fmt::Display for PartialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialReason::PullTime { stamp } => write!(
                f,
                "the last row was pulled at {stamp}, before the session's 15:30 IST close"
            ),
            PartialReason::LiveTick { stamp } => {
                write!(f, "a live tick at {stamp} falls inside the last bar")
            }
            PartialReason::SessionCutOff { last_bar } => write!(
                f,
                "the file stops at the {last_bar} bar, inside the session (before 15:25 IST)"
            ),
        }
    }
}

/// A row that was read but not turned into a bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedRow {
    /// 1-based line number (header = line 1).
    pub line: u64,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why a row was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Every price was `null` and [`ImportOptions::skip_null_rows`] was set.
    AllNull,
    /// A trailing 5-minute row off the 5-minute grid: a live tick appended at pull time.
    LiveTick {
        /// The tick's stamp (UTC).
        stamp: DateTime<Utc>,
    },
}

/// What an import did, beside the bars.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    /// The file as the caller named it.
    pub file: String,
    /// The format recognised from the header.
    pub format: CsvFormat,
    /// The instrument.
    pub symbol: Symbol,
    /// Whether the symbol was guessed from the file name.
    pub symbol_guessed: bool,
    /// The bar interval.
    pub interval: Interval,
    /// Whether the interval was detected rather than given.
    pub interval_detected: bool,
    /// Data rows read (header and blank lines excluded), skipped rows included.
    pub rows_read: usize,
    /// Why the last bar is partial, if it is.
    pub partial_last: Option<PartialReason>,
    /// Rows read but not imported, with reasons.
    pub skipped: Vec<SkippedRow>,
    /// Whether the file was newest-first (strictly descending throughout) and was reversed.
    pub reversed: bool,
}

/// A successful import: the bars and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvImport {
    /// The validated bars.
    pub series: Imported,
    /// Counts and decisions.
    pub summary: ImportSummary,
}

/// What is wrong with one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellProblem {
    /// Empty where a price is required.
    Empty,
    /// `null` where a price is required.
    Null,
    /// Not a number.
    NotANumber,
    /// `NaN` or infinite.
    NotFinite,
    /// Not a date in an accepted format.
    NotADate,
}

/// A timestamp rule a row broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StampRule {
    /// A daily row (not the last) with a time other than the session open.
    #[error(
        "a daily row must be stamped at the session open, 03:45:00 UTC (12:45:00 UTC for a Muhurat session); only the last row may carry the time the file was pulled"
    )]
    NotSessionOpen,
    /// A 5-minute row (not the last) off the 5-minute grid.
    #[error(
        "a 5-minute bar must start on the 5-minute grid (HH:M0:00 or HH:M5:00 UTC); only a trailing live-tick row may be off the grid"
    )]
    OffGrid,
    /// A 5-minute row with a date but no time.
    #[error("a 5-minute row needs a time, `YYYY-MM-DD HH:MM:SS` in UTC")]
    NoTime,
}

/// Why a CSV file was refused. Every variant names the file; row-level ones name the line.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read.
    #[error("cannot read `{file}`: {source}; check the path and permissions")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Nothing in the file, not even a header.
    #[error(
        "`{file}` is empty: expected a header line such as `Date,Open,High,Low,Close,Volume` (Yahoo export) or `Date,Open,High,Low,Close,Shares Traded,Turnover (₹ Cr)` (NSE index history)"
    )]
    Empty {
        /// The file.
        file: String,
    },
    /// A header but no data rows.
    #[error("`{file}` has a header but no data rows: export the data again")]
    NoRows {
        /// The file.
        file: String,
    },
    /// A required column is missing from the header.
    #[error(
        "{file} line 1: missing column `{column}` (header is `{header}`); expected `Date,Open,High,Low,Close` followed by `Volume` (Yahoo export) or `Shares Traded,Turnover (₹ Cr)` (NSE index history)"
    )]
    MissingColumn {
        /// The file.
        file: String,
        /// The column that is missing.
        column: &'static str,
        /// The header as found.
        header: String,
    },
    /// A header column this importer does not know.
    #[error(
        "{file} line 1: unknown column `{column}`; accepted columns are Date, Open, High, Low, Close, Adj Close, Volume (Yahoo) or Shares Traded, Turnover (₹ Cr) (NSE): remove the column or fix its name"
    )]
    UnknownColumn {
        /// The file.
        file: String,
        /// The unknown column name.
        column: String,
    },
    /// A column appears twice, or the header mixes the Yahoo and NSE layouts.
    #[error("{file} line 1: {detail}")]
    BadHeader {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A row the CSV reader could not split (wrong number of fields, invalid UTF-8).
    #[error("{file} line {line}: {detail}")]
    Malformed {
        /// The file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What the reader reported.
        detail: String,
    },
    /// A cell that is not what its column requires.
    #[error("{file} line {line}: column `{column}` {}", describe_cell(text, *problem))]
    Cell {
        /// The file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The column.
        column: &'static str,
        /// The cell's text.
        text: String,
        /// What is wrong with it.
        problem: CellProblem,
    },
    /// A Yahoo placeholder row whose prices are all `null`, while skipping was not allowed.
    #[error(
        "{file} line {line} ({date}): every price is null (a Yahoo placeholder for a day without data); remove the row, or import with `skip_null_rows` to skip and count such rows"
    )]
    NullRow {
        /// The file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The row's date text.
        date: String,
    },
    /// A timestamp that breaks a rule of its interval.
    #[error("{file} line {line} ({stamp}): {rule}")]
    Stamp {
        /// The file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The timestamp text.
        stamp: String,
        /// The rule broken.
        rule: StampRule,
    },
    /// A bar or series rule (OHLC consistency, order, uniqueness) broken at a row.
    #[error("{file} line {line} ({key}): {rule}{}", previous_line_note(*previous_line))]
    Rule {
        /// The file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The bar's key (IST date or UTC bar start).
        key: String,
        /// The rule broken.
        rule: BarRule,
        /// For duplicates and unsorted rows, the line of the row before.
        previous_line: Option<u64>,
    },
    /// No symbol given and none could be guessed from the file name.
    #[error(
        "cannot tell which index `{file}` holds: name the file after it (nifty50 / NSEI, indiavix, banknifty / nsebank, finnifty, midcpnifty) or give the symbol explicitly"
    )]
    UnknownSymbol {
        /// The file.
        file: String,
    },
    /// The interval could not be detected.
    #[error(
        "cannot tell the bar interval of `{file}`: {reason}; give the interval explicitly (1d or 5m)"
    )]
    AmbiguousInterval {
        /// The file.
        file: String,
        /// Why detection failed.
        reason: String,
    },
    /// The interval asked for does not fit the file.
    #[error("`{file}` cannot be imported as {interval} bars: {reason}")]
    IntervalMismatch {
        /// The file.
        file: String,
        /// The interval asked for.
        interval: Interval,
        /// Why not.
        reason: &'static str,
    },
}

fn describe_cell(text: &str, problem: CellProblem) -> String {
    match problem {
        CellProblem::Empty => "is empty; every price must be present".to_string(),
        CellProblem::Null => "is `null` (a missing value); every price must be present".to_string(),
        CellProblem::NotANumber => format!("is `{text}`, not a number"),
        CellProblem::NotFinite => format!("is `{text}`, not a finite number"),
        CellProblem::NotADate => format!(
            "is `{text}`, not a date like 2021-03-04, 2021-03-04 03:45:00 (UTC), 04-Mar-2021 or 04 Mar 2021"
        ),
    }
}

fn previous_line_note(previous: Option<u64>) -> String {
    previous.map_or_else(String::new, |p| format!(" (the row before is line {p})"))
}

/// Imports a CSV file, guessing the interval, and the symbol too when `symbol` is `None`.
pub fn import_path(path: impl AsRef<Path>, symbol: Option<Symbol>) -> Result<CsvImport, CsvError> {
    import_path_with(
        path,
        &ImportOptions {
            symbol,
            ..ImportOptions::default()
        },
    )
}

/// Imports a CSV file with explicit options.
pub fn import_path_with(
    path: impl AsRef<Path>,
    options: &ImportOptions,
) -> Result<CsvImport, CsvError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CsvError::Io {
        file: file.clone(),
        source,
    })?;
    import_bytes(&file, &bytes, options)
}

/// Imports CSV text already in memory; `file` names it in errors and drives symbol guessing.
pub fn import_bytes(
    file: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<CsvImport, CsvError> {
    let mut parsed = parse_rows(file, bytes, options.skip_null_rows)?;
    let reversed = oldest_first(&mut parsed.rows);
    let (symbol, symbol_guessed) = match options.symbol {
        Some(s) => (s, false),
        None => (
            guess_symbol(file).ok_or_else(|| CsvError::UnknownSymbol {
                file: file.to_string(),
            })?,
            true,
        ),
    };
    let (interval, interval_detected) = match options.interval {
        Some(i) => (i, false),
        None => (
            detect(&parsed.rows).map_err(|reason| ambiguous(file, reason))?,
            true,
        ),
    };
    if parsed.format == CsvFormat::NseHistory && interval != Interval::Daily {
        return Err(CsvError::IntervalMismatch {
            file: file.to_string(),
            interval,
            reason: "an NSE index-history file has one row per day",
        });
    }
    let mut summary = ImportSummary {
        file: file.to_string(),
        format: parsed.format,
        symbol,
        symbol_guessed,
        interval,
        interval_detected,
        rows_read: parsed.rows_read,
        partial_last: None,
        skipped: parsed.skipped,
        reversed,
    };
    let series = match interval {
        Interval::Daily => Imported::Daily(build_daily(file, symbol, parsed.rows, &mut summary)?),
        Interval::FiveMinute => {
            Imported::Intraday(build_intraday(file, symbol, parsed.rows, &mut summary)?)
        }
    };
    Ok(CsvImport { series, summary })
}

/// Detects the bar interval of CSV text without importing it: plain dates are daily; two rows on
/// one IST date are 5-minute; one row per date stamped at the session open (the last row may carry
/// a pull time) is daily; anything else is [`CsvError::AmbiguousInterval`].
pub fn detect_interval(file: &str, bytes: &[u8]) -> Result<Interval, CsvError> {
    let mut parsed = parse_rows(file, bytes, true)?;
    // As the import does: the rule about the last row means the newest row.
    oldest_first(&mut parsed.rows);
    detect(&parsed.rows).map_err(|reason| ambiguous(file, reason))
}

/// Reverses rows that are newest-first throughout (strictly descending); whether it did.
fn oldest_first(rows: &mut [Row]) -> bool {
    let reversed = rows.len() > 1
        && rows
            .windows(2)
            .all(|w| w[0].stamp.instant() > w[1].stamp.instant());
    if reversed {
        rows.reverse();
    }
    reversed
}

fn ambiguous(file: &str, reason: String) -> CsvError {
    CsvError::AmbiguousInterval {
        file: file.to_string(),
        reason,
    }
}

/// Guesses the instrument from a file name: `indiavix`/`vix` → India VIX; `banknifty`/`nsebank`/
/// `niftybank` → NIFTY BANK; `finnifty` → FIN NIFTY; `midcpnifty`/`midcapselect` → MIDCAP SELECT;
/// `nifty50`/`nsei`/`nifty` → NIFTY 50 (checked in that order, ignoring case and punctuation).
pub fn guess_symbol(file: &str) -> Option<Symbol> {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| file.to_string());
    let norm: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| norm.contains(w));
    if has(&["indiavix", "vix"]) {
        Some(Symbol::IndiaVix)
    } else if has(&["banknifty", "nsebank", "niftybank"]) {
        Some(Symbol::NiftyBank)
    } else if has(&["finnifty", "finservice"]) {
        Some(Symbol::FinNifty)
    } else if has(&["midcpnifty", "midcapselect", "midselect"]) {
        Some(Symbol::MidcapSelect)
    } else if has(&["nifty50", "nsei", "nifty"]) {
        Some(Symbol::Nifty50)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Header

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Date,
    Open,
    High,
    Low,
    Close,
    AdjClose,
    Volume,
    SharesTraded,
    Turnover,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Date => "Date",
            Column::Open => "Open",
            Column::High => "High",
            Column::Low => "Low",
            Column::Close => "Close",
            Column::AdjClose => "Adj Close",
            Column::Volume => "Volume",
            Column::SharesTraded => "Shares Traded",
            Column::Turnover => "Turnover (₹ Cr)",
        }
    }

    fn from_header(raw: &str) -> Option<Column> {
        let norm: String = raw
            .trim_start_matches('\u{feff}')
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match norm.as_str() {
            "date" => Column::Date,
            "open" => Column::Open,
            "high" => Column::High,
            "low" => Column::Low,
            "close" => Column::Close,
            "adjclose" => Column::AdjClose,
            "volume" => Column::Volume,
            "sharestraded" => Column::SharesTraded,
            "turnovercr" | "turnoverrscr" | "turnover" => Column::Turnover,
            _ => return None,
        })
    }
}

struct Layout {
    format: CsvFormat,
    date: usize,
    ohlc: [usize; 4],
    volume: Option<usize>,
    turnover: Option<usize>,
}

const OHLC: [Column; 4] = [Column::Open, Column::High, Column::Low, Column::Close];

fn layout(file: &str, header: &csv_crate::StringRecord) -> Result<Layout, CsvError> {
    let mut found: Vec<(Column, usize)> = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let col = Column::from_header(raw).ok_or_else(|| CsvError::UnknownColumn {
            file: file.to_string(),
            column: raw.trim_start_matches('\u{feff}').to_string(),
        })?;
        if found.iter().any(|(c, _)| *c == col) {
            return Err(CsvError::BadHeader {
                file: file.to_string(),
                detail: format!("column `{}` appears twice", col.name()),
            });
        }
        found.push((col, i));
    }
    let pos = |c: Column| found.iter().find(|(x, _)| *x == c).map(|(_, i)| *i);
    let nse = pos(Column::SharesTraded).is_some() || pos(Column::Turnover).is_some();
    let yahoo = pos(Column::Volume).is_some() || pos(Column::AdjClose).is_some();
    if nse && yahoo {
        return Err(CsvError::BadHeader {
            file: file.to_string(),
            detail: "the header mixes Yahoo columns (Volume, Adj Close) with NSE columns (Shares Traded, Turnover): use one layout".to_string(),
        });
    }
    let require = |c: Column| {
        pos(c).ok_or_else(|| CsvError::MissingColumn {
            file: file.to_string(),
            column: c.name(),
            header: header.iter().collect::<Vec<_>>().join(","),
        })
    };
    let date = require(Column::Date)?;
    let mut ohlc = [0; 4];
    for (slot, c) in ohlc.iter_mut().zip(OHLC) {
        *slot = require(c)?;
    }
    Ok(if nse {
        Layout {
            format: CsvFormat::NseHistory,
            date,
            ohlc,
            volume: Some(require(Column::SharesTraded)?),
            turnover: pos(Column::Turnover),
        }
    } else {
        Layout {
            format: CsvFormat::YahooExport,
            date,
            ohlc,
            volume: pos(Column::Volume),
            turnover: None,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Rows

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl Stamp {
    /// For ordering rows: a plain date counts as its midnight.
    fn instant(self) -> DateTime<Utc> {
        match self {
            Stamp::Date(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            Stamp::Time(t) => t,
        }
    }
}

struct Row {
    line: u64,
    stamp: Stamp,
    stamp_text: String,
    ohlc: [f64; 4],
    volume: Option<f64>,
}

struct Parsed {
    format: CsvFormat,
    rows: Vec<Row>,
    rows_read: usize,
    skipped: Vec<SkippedRow>,
}

fn parse_rows(file: &str, bytes: &[u8], skip_null_rows: bool) -> Result<Parsed, CsvError> {
    let empty = || CsvError::Empty {
        file: file.to_string(),
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == b',') {
        return Err(empty());
    }
    let mut reader = csv_crate::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv_crate::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| csv_failure(file, bytes, &e))?
        .clone();
    if header.iter().all(str::is_empty) {
        return Err(empty());
    }
    let layout = layout(file, &header)?;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut rows_read = 0usize;
    let mut record = csv_crate::StringRecord::new();
    let mut lines = LineCounter::new(bytes);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_failure(file, bytes, &e)),
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        rows_read += 1;
        match parse_row(file, line, &record, &layout)? {
            Some(row) => rows.push(row),
            None if skip_null_rows => skipped.push(SkippedRow {
                line,
                reason: SkipReason::AllNull,
            }),
            None => {
                return Err(CsvError::NullRow {
                    file: file.to_string(),
                    line,
                    date: record.get(layout.date).unwrap_or_default().to_string(),
                });
            }
        }
    }
    if rows_read == 0 {
        return Err(CsvError::NoRows {
            file: file.to_string(),
        });
    }
    Ok(Parsed {
        format: layout.format,
        rows,
        rows_read,
        skipped,
    })
}

/// 1-based line numbers from byte offsets.
///
/// The `csv` crate's own line numbers are wrong after blank lines and with CRLF endings, and its
/// byte offsets may point at the line break before a record; this counts newlines itself and skips
/// such breaks.
struct LineCounter<'a> {
    bytes: &'a [u8],
    cursor: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            cursor: 0,
            line: 1,
        }
    }

    /// The line of the record whose reported start is `byte` (offsets must not decrease).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if at < self.cursor {
            self.cursor = 0;
            self.line = 1;
        }
        let newlines = self.bytes[self.cursor..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.line += newlines as u64;
        while let Some(b) = self.bytes.get(at)
            && matches!(b, b'\r' | b'\n')
        {
            if *b == b'\n' {
                self.line += 1;
            }
            at += 1;
        }
        self.cursor = at;
        self.line
    }
}

fn csv_failure(file: &str, bytes: &[u8], e: &csv_crate::Error) -> CsvError {
    let line = e
        .position()
        .map_or(1, |p| LineCounter::new(bytes).line_at(p.byte()));
    let detail = match e.kind() {
        csv_crate::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields but the header has {expected_len}"),
        csv_crate::ErrorKind::Utf8 { .. } => {
            "is not valid UTF-8 text; save the file as UTF-8".to_string()
        }
        _ => e.to_string(),
    };
    CsvError::Malformed {
        file: file.to_string(),
        line,
        detail,
    }
}

/// Parses one record; `Ok(None)` for a row whose prices are all `null`/empty.
fn parse_row(
    file: &str,
    line: u64,
    record: &csv_crate::StringRecord,
    layout: &Layout,
) -> Result<Option<Row>, CsvError> {
    let cell = |i: usize| record.get(i).unwrap_or_default();
    let bad = |column: Column, text: &str, problem| CsvError::Cell {
        file: file.to_string(),
        line,
        column: column.name(),
        text: text.to_string(),
        problem,
    };
    let stamp_text = cell(layout.date);
    let stamp = parse_stamp(stamp_text, layout.format)
        .ok_or_else(|| bad(Column::Date, stamp_text, CellProblem::NotADate))?;
    let texts = layout.ohlc.map(cell);
    if texts.iter().all(|t| is_missing(t)) {
        return Ok(None);
    }
    let mut ohlc = [0.0; 4];
    for ((value, text), column) in ohlc.iter_mut().zip(texts).zip(OHLC) {
        *value = parse_number(text).map_err(|p| bad(column, text, p))?;
    }
    let volume_column = match layout.format {
        CsvFormat::YahooExport => Column::Volume,
        CsvFormat::NseHistory => Column::SharesTraded,
    };
    let volume = match layout.volume {
        Some(i) => parse_optional(cell(i)).map_err(|p| bad(volume_column, cell(i), p))?,
        None => None,
    };
    if let Some(i) = layout.turnover {
        parse_optional(cell(i)).map_err(|p| bad(Column::Turnover, cell(i), p))?;
    }
    Ok(Some(Row {
        line,
        stamp,
        stamp_text: stamp_text.to_string(),
        ohlc,
        volume,
    }))
}

fn is_missing(text: &str) -> bool {
    text.is_empty() || text.eq_ignore_ascii_case("null")
}

fn parse_number(text: &str) -> Result<f64, CellProblem> {
    if text.is_empty() {
        return Err(CellProblem::Empty);
    }
    if text.eq_ignore_ascii_case("null") {
        return Err(CellProblem::Null);
    }
    let value = if text.contains([',', ' ']) {
        text.replace([',', ' '], "").parse::<f64>()
    } else {
        text.parse::<f64>()
    }
    .map_err(|_| CellProblem::NotANumber)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(CellProblem::NotFinite)
    }
}

/// Volume-like cells: empty, `-` and `null` mean "not reported".
fn parse_optional(text: &str) -> Result<Option<f64>, CellProblem> {
    if text.is_empty() || text == "-" || text.eq_ignore_ascii_case("null") {
        Ok(None)
    } else {
        parse_number(text).map(Some)
    }
}

fn parse_stamp(text: &str, format: CsvFormat) -> Option<Stamp> {
    let b = text.as_bytes();
    let iso_date = b.len() >= 10 && b[4] == b'-' && b[7] == b'-';
    if iso_date && b.len() == 10 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(Stamp::Date);
    }
    if !iso_date {
        return ["%d-%b-%Y", "%d %b %Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .map(Stamp::Date);
    }
    if format == CsvFormat::NseHistory {
        // NSE history rows are IST trading dates; a time would be meaningless there.
        return None;
    }
    if b.len() == 19 {
        let f = if b[10] == b'T' {
            "%Y-%m-%dT%H:%M:%S"
        } else {
            "%Y-%m-%d %H:%M:%S"
        };
        return NaiveDateTime::parse_from_str(text, f)
            .ok()
            .map(|t| Stamp::Time(t.and_utc()));
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%:z"))
        .ok()
        .map(|t| Stamp::Time(t.with_timezone(&Utc)))
}

fn detect(rows: &[Row]) -> Result<Interval, String> {
    if rows.is_empty() {
        return Err("it has no bars".to_string());
    }
    if rows.iter().all(|r| matches!(r.stamp, Stamp::Date(_))) {
        return Ok(Interval::Daily);
    }
    let day = |s: Stamp| match s {
        Stamp::Date(d) => d,
        Stamp::Time(t) => ist_date(t),
    };
    // Two different times on one IST date (a repeated stamp is a duplicate, not an interval).
    let same_day = rows.windows(2).any(|w| {
        matches!((w[0].stamp, w[1].stamp), (Stamp::Time(a), Stamp::Time(b)) if a != b)
            && day(w[0].stamp) == day(w[1].stamp)
    });
    if same_day {
        return Ok(Interval::FiveMinute);
    }
    let stamped_at_open = |r: &Row| match r.stamp {
        Stamp::Date(_) => true,
        Stamp::Time(t) => is_daily_session_stamp(t),
    };
    if rows.len() >= 2 && rows[..rows.len() - 1].iter().all(stamped_at_open) {
        return Ok(Interval::Daily);
    }
    Err(if rows.len() < 2 {
        "it has a single timestamped row".to_string()
    } else {
        "every IST date has at most one row, but the times are not the daily session-open stamps (03:45:00 / 12:45:00 UTC)".to_string()
    })
}

fn candle<K>(key: K, row: &Row) -> Candle<K> {
    let [open, high, low, close] = row.ohlc;
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

fn build_daily(
    file: &str,
    symbol: Symbol,
    rows: Vec<Row>,
    summary: &mut ImportSummary,
) -> Result<DailySeries, CsvError> {
    let n = rows.len();
    let mut bars = Vec::with_capacity(n);
    let mut lines = Vec::with_capacity(n);
    for (i, row) in rows.iter().enumerate() {
        let key = match row.stamp {
            Stamp::Date(d) => d,
            Stamp::Time(t) => {
                if !is_daily_session_stamp(t) {
                    if i + 1 != n {
                        return Err(CsvError::Stamp {
                            file: file.to_string(),
                            line: row.line,
                            stamp: row.stamp_text.clone(),
                            rule: StampRule::NotSessionOpen,
                        });
                    }
                    if t < regular_close_utc(ist_date(t)) {
                        summary.partial_last = Some(PartialReason::PullTime { stamp: t });
                    }
                }
                ist_date(t)
            }
        };
        let mut bar = candle(key, row);
        bar.partial = i + 1 == n && summary.partial_last.is_some();
        bars.push(bar);
        lines.push(row.line);
    }
    validated(file, symbol, Interval::Daily, bars, &lines)
}

fn build_intraday(
    file: &str,
    symbol: Symbol,
    mut rows: Vec<Row>,
    summary: &mut ImportSummary,
) -> Result<IntradaySeries, CsvError> {
    let stamp_error = |row: &Row, rule| CsvError::Stamp {
        file: file.to_string(),
        line: row.line,
        stamp: row.stamp_text.clone(),
        rule,
    };
    let mut tick = None;
    // A live tick is appended at pull time, so it comes after the row before it; an off-grid
    // last row that does not is refused below like any other off-grid row.
    if let [.., before, last] = rows.as_slice()
        && let Stamp::Time(t) = last.stamp
        && !is_on_five_minute_grid(t)
        && t > before.stamp.instant()
    {
        summary.skipped.push(SkippedRow {
            line: last.line,
            reason: SkipReason::LiveTick { stamp: t },
        });
        tick = Some(t);
        rows.pop();
    }
    let mut bars = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let Stamp::Time(t) = row.stamp else {
            return Err(stamp_error(row, StampRule::NoTime));
        };
        if !is_on_five_minute_grid(t) {
            return Err(stamp_error(row, StampRule::OffGrid));
        }
        bars.push(candle(t, row));
        lines.push(row.line);
    }
    let one_per_day = bars
        .windows(2)
        .all(|w| ist_date(w[0].key) != ist_date(w[1].key));
    if bars.len() > 1 && one_per_day {
        return Err(CsvError::IntervalMismatch {
            file: file.to_string(),
            interval: Interval::FiveMinute,
            reason: "every IST date has a single row, as in a daily file; import it as 1d",
        });
    }
    if let Some(last) = bars.last_mut() {
        let start = last.key;
        let day = ist_date(start);
        summary.partial_last = match tick {
            Some(stamp) if stamp >= start && stamp < five_minute_bar_end(start) => {
                Some(PartialReason::LiveTick { stamp })
            }
            Some(_) => None,
            None if start >= regular_open_utc(day) && start < last_regular_bar_start_utc(day) => {
                Some(PartialReason::SessionCutOff { last_bar: start })
            }
            None => None,
        };
        last.partial = summary.partial_last.is_some();
    }
    validated(file, symbol, Interval::FiveMinute, bars, &lines)
}

fn validated<K: aegis_model::BarKey>(
    file: &str,
    symbol: Symbol,
    interval: Interval,
    bars: Vec<Candle<K>>,
    lines: &[u64],
) -> Result<Series<K>, CsvError> {
    Series::new(symbol, interval, DataOrigin::CsvImport, bars).map_err(|e| {
        let previous_line = match e.rule {
            BarRule::Duplicate | BarRule::NotSorted if e.index > 0 => Some(lines[e.index - 1]),
            _ => None,
        };
        CsvError::Rule {
            file: file.to_string(),
            line: lines[e.index],
            key: e.key,
            rule: e.rule,
            previous_line,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn import(name: &str, text: &str) -> Result<CsvImport, CsvError> {
        import_bytes(name, text.as_bytes(), &ImportOptions::default())
    }

    const NSE_DASH: &str = "\"Date \",\"Open \",\"High \",\"Low \",\"Close \",\"Shares Traded \",\"Turnover (₹ Cr)\"\n\
        \"01-DEC-2020\",\"13,062.20\",\"13,128.40\",\"12,962.80\",\"13,109.05\",\"58,36,33,902\",\"32,917.26\"\n\
        \"02-DEC-2020\",\"13,121.40\",\"13,128.50\",\"12,983.55\",\"13,113.75\",\"71,77,11,761\",\"-\"\n";

    #[test]
    fn nse_export_with_quoted_indian_grouping_and_dash_turnover() {
        let got = import("NIFTY 50_Historical_PR.csv", NSE_DASH).unwrap();
        assert_eq!(got.summary.format, CsvFormat::NseHistory);
        assert_eq!(got.summary.symbol, Symbol::Nifty50);
        assert!(got.summary.symbol_guessed);
        let s = got.series.into_daily().unwrap();
        assert_eq!(s.len(), 2);
        let b = s.bars()[0];
        assert_eq!(b.key, NaiveDate::from_ymd_opt(2020, 12, 1).unwrap());
        assert_eq!(
            (b.open, b.high, b.low, b.close),
            (13062.2, 13128.4, 12962.8, 13109.05)
        );
        assert_eq!(b.volume, Some(583_633_902.0));
        assert!(!b.partial);
    }

    #[rstest]
    #[case("nifty50.csv", Some(Symbol::Nifty50))]
    #[case("^NSEI_daily.csv", Some(Symbol::Nifty50))]
    #[case("data/INDIAVIX_intraday.csv", Some(Symbol::IndiaVix))]
    #[case("banknifty_2020.csv", Some(Symbol::NiftyBank))]
    #[case("NSEBANK.csv", Some(Symbol::NiftyBank))]
    #[case("prices.csv", None)]
    fn guesses_symbols_from_names(#[case] name: &str, #[case] want: Option<Symbol>) {
        assert_eq!(guess_symbol(name), want);
    }

    #[rstest]
    #[case("13,109.05", Ok(13109.05))]
    #[case("1 234.5", Ok(1234.5))]
    #[case("", Err(CellProblem::Empty))]
    #[case("null", Err(CellProblem::Null))]
    #[case("NaN", Err(CellProblem::NotFinite))]
    #[case("inf", Err(CellProblem::NotFinite))]
    #[case("12a", Err(CellProblem::NotANumber))]
    fn parses_numbers_strictly(#[case] text: &str, #[case] want: Result<f64, CellProblem>) {
        assert_eq!(parse_number(text), want);
    }

    #[rstest]
    #[case("2021-03-04", CsvFormat::YahooExport, Some("2021-03-04"))]
    #[case("04-MAR-2021", CsvFormat::NseHistory, Some("2021-03-04"))]
    #[case("04-Mar-2021", CsvFormat::NseHistory, Some("2021-03-04"))]
    #[case("04 Mar 2021", CsvFormat::NseHistory, Some("2021-03-04"))]
    #[case(
        "2021-03-04 03:45:00",
        CsvFormat::YahooExport,
        Some("2021-03-04 03:45:00 UTC")
    )]
    #[case(
        "2021-03-04T03:45:00",
        CsvFormat::YahooExport,
        Some("2021-03-04 03:45:00 UTC")
    )]
    #[case(
        "2021-03-04 09:15:00+05:30",
        CsvFormat::YahooExport,
        Some("2021-03-04 03:45:00 UTC")
    )]
    #[case(
        "2021-03-04T09:15:00+05:30",
        CsvFormat::YahooExport,
        Some("2021-03-04 03:45:00 UTC")
    )]
    #[case("2021-03-04 03:45:00", CsvFormat::NseHistory, None)]
    #[case("2021/03/04", CsvFormat::YahooExport, None)]
    #[case("2021-02-30", CsvFormat::YahooExport, None)]
    #[case("", CsvFormat::YahooExport, None)]
    fn parses_stamps(#[case] text: &str, #[case] format: CsvFormat, #[case] want: Option<&str>) {
        let got = parse_stamp(text, format).map(|s| match s {
            Stamp::Date(d) => d.to_string(),
            Stamp::Time(t) => t.to_string(),
        });
        assert_eq!(got.as_deref(), want);
    }

    #[test]
    fn rule_error_names_file_line_key_and_rule() {
        let text = "Date,Open,High,Low,Close,Volume\n\
            2021-03-03 03:45:00,100,101,99,100.5,0\n\
            2021-03-04 03:45:00,100,98,99,98.5,0\n";
        let e = import("nifty.csv", text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "nifty.csv line 3 (2021-03-04): High must not be below Low"
        );
    }

    #[test]
    fn duplicate_names_both_lines() {
        let text = "Date,Open,High,Low,Close\n2021-03-03,1,2,1,2\n\n2021-03-03,1,2,1,2\n";
        let e = import("nifty.csv", text).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::Rule {
                    line: 4,
                    rule: BarRule::Duplicate,
                    previous_line: Some(2),
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "nifty.csv line 4 (2021-03-03): each date/timestamp may appear only once (the row before is line 2)"
        );
    }

    #[rstest]
    #[case("a,b\n1,2\n\n3,4\n", vec![2, 4])]
    #[case("a,b\r\n1,2\r\n\r\n3,4\r\n5,6\n", vec![2, 4, 5])]
    #[case("a,b\n\"x\ny\",2\n3,4\n", vec![2, 4])]
    #[case("a,b\n1,2\n\n\n3,4\n5,6", vec![2, 5, 6])]
    fn line_numbers_survive_blank_lines_crlf_and_quoted_breaks(
        #[case] text: &str,
        #[case] want: Vec<u64>,
    ) {
        let mut reader = csv_crate::Reader::from_reader(text.as_bytes());
        let mut counter = LineCounter::new(text.as_bytes());
        let got: Vec<u64> = reader
            .records()
            .map(|r| counter.line_at(r.unwrap().position().unwrap().byte()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn null_rows_fail_unless_skipping_is_asked_for() {
        let text = "Date,Open,High,Low,Close,Adj Close,Volume\n\
            2021-03-03,1,2,1,2,2,0\n2021-03-04,null,null,null,null,null,null\n2021-03-05,1,2,1,2,2,0\n";
        let e = import("nifty.csv", text).unwrap_err();
        assert!(matches!(e, CsvError::NullRow { line: 3, .. }), "{e:?}");
        let opts = ImportOptions {
            skip_null_rows: true,
            ..Default::default()
        };
        let got = import_bytes("nifty.csv", text.as_bytes(), &opts).unwrap();
        assert_eq!(got.series.len(), 2);
        assert_eq!(got.summary.rows_read, 3);
        assert_eq!(
            got.summary.skipped,
            vec![SkippedRow {
                line: 3,
                reason: SkipReason::AllNull
            }]
        );
        // One null among numbers is never skipped.
        let some_null = "Date,Open,High,Low,Close\n2021-03-03,1,null,1,2\n";
        let e = import_bytes("nifty.csv", some_null.as_bytes(), &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "nifty.csv line 2: column `High` is `null` (a missing value); every price must be present"
        );
    }

    #[test]
    fn daily_middle_row_off_the_session_stamp_is_refused() {
        let text = "Date,Open,High,Low,Close\n2021-03-03 03:45:00,1,2,1,2\n2021-03-04 08:00:00,1,2,1,2\n2021-03-05 03:45:00,1,2,1,2\n";
        let opts = ImportOptions {
            interval: Some(Interval::Daily),
            ..Default::default()
        };
        let e = import_bytes("nifty.csv", text.as_bytes(), &opts).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::Stamp {
                    line: 3,
                    rule: StampRule::NotSessionOpen,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn daily_pull_stamp_after_the_close_is_complete() {
        let text =
            "Date,Open,High,Low,Close\n2021-03-03 03:45:00,1,2,1,2\n2021-03-04 10:30:00,1,2,1,2\n";
        let got = import("nifty.csv", text).unwrap();
        assert_eq!(got.summary.interval, Interval::Daily);
        assert!(!got.series.last_is_partial());
        assert_eq!(got.summary.partial_last, None);
    }

    #[test]
    fn intraday_off_grid_rows() {
        let text = "Date,Open,High,Low,Close\n\
            2025-11-24 03:45:00,1,2,1,2\n2025-11-24 03:50:00,1,2,1,2\n2025-11-24 03:52:10,1,2,1,2\n";
        let got = import("nifty.csv", text).unwrap();
        assert_eq!(got.summary.interval, Interval::FiveMinute);
        assert_eq!(got.series.len(), 2);
        assert_eq!(got.summary.skipped.len(), 1);
        assert!(matches!(
            got.summary.partial_last,
            Some(PartialReason::LiveTick { .. })
        ));
        assert!(got.series.last_is_partial());

        let middle = "Date,Open,High,Low,Close\n\
            2025-11-24 03:45:00,1,2,1,2\n2025-11-24 03:47:00,1,2,1,2\n2025-11-24 03:50:00,1,2,1,2\n";
        let e = import("nifty.csv", middle).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::Stamp {
                    line: 3,
                    rule: StampRule::OffGrid,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    /// Fuzz finding (csv_import): an off-grid last row dated before the bars above it was
    /// dropped as a live tick, hiding an out-of-order file; it is now refused as off the grid.
    #[test]
    fn fuzz_off_grid_last_row_before_the_bars_is_not_a_live_tick() {
        let text = "Date,Open,High,Low,Close,Volume\n\
            2025-11-24 03:45:00,1,2,1,2,0.0\n2025-11-24 03:50:00,1,2,1,2,0.0\n\
            2025-11-20 03:57:10,1,2,1,2,0.0\n";
        let e = import("nifty.csv", text).unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::Stamp {
                    line: 4,
                    rule: StampRule::OffGrid,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn intraday_full_session_is_not_partial() {
        let text =
            "Date,Open,High,Low,Close\n2025-11-24 09:50:00,1,2,1,2\n2025-11-24 09:55:00,1,2,1,2\n";
        let got = import("nifty.csv", text).unwrap();
        assert!(!got.series.last_is_partial());
    }

    #[test]
    fn ambiguous_interval_is_an_error() {
        let text = "Date,Open,High,Low,Close\n2025-11-24 03:45:00,1,2,1,2\n";
        let e = import("nifty.csv", text).unwrap_err();
        assert!(matches!(e, CsvError::AmbiguousInterval { .. }), "{e:?}");
        let e = detect_interval(
            "nifty.csv",
            b"Date,Open,High,Low,Close\n2025-11-24 06:00:00,1,2,1,2\n2025-11-25 06:00:00,1,2,1,2\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("give the interval explicitly"),
            "{e}"
        );
    }

    /// Fuzz finding (csv_import): on a newest-first daily file whose newest row carries the
    /// pull time, `detect_interval` judged the rows in file order and called the file ambiguous,
    /// while the import (which reverses first) read it as daily.
    #[test]
    fn fuzz_detect_interval_agrees_with_import_on_newest_first_files() {
        let text =
            "Date,Open,High,Low,Close\n2025-11-28 08:22:29,1,2,1,2\n2025-11-27 03:45:00,1,2,1,2\n";
        let got = import("nifty50.csv", text).unwrap();
        assert!(got.summary.reversed);
        assert_eq!(got.summary.interval, Interval::Daily);
        assert_eq!(
            detect_interval("nifty50.csv", text.as_bytes()).unwrap(),
            Interval::Daily
        );
    }

    #[test]
    fn header_problems() {
        let e = import(
            "nifty.csv",
            "Date,Open,High,Low,Volume\n2021-01-01,1,2,1,0\n",
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                CsvError::MissingColumn {
                    column: "Close",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = import("nifty.csv", "Date,Open,High,Low,Close,Foo\n").unwrap_err();
        assert!(matches!(e, CsvError::UnknownColumn { .. }), "{e:?}");
        let e = import("nifty.csv", "Date,Open,High,Low,Close,Close\n").unwrap_err();
        assert!(matches!(e, CsvError::BadHeader { .. }), "{e:?}");
        let e = import("nifty.csv", "Date,Open,High,Low,Close,Volume\n").unwrap_err();
        assert!(matches!(e, CsvError::NoRows { .. }), "{e:?}");
        let e = import("nifty.csv", "\n\n").unwrap_err();
        assert!(matches!(e, CsvError::Empty { .. }), "{e:?}");
    }

    #[test]
    fn nse_file_cannot_be_five_minute() {
        let opts = ImportOptions {
            interval: Some(Interval::FiveMinute),
            ..Default::default()
        };
        let e = import_bytes("nifty50.csv", NSE_DASH.as_bytes(), &opts).unwrap_err();
        assert!(matches!(e, CsvError::IntervalMismatch { .. }), "{e:?}");
    }

    proptest::proptest! {
        /// Any finite number written with `{}` reads back exactly.
        #[test]
        fn numbers_round_trip(x in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
            proptest::prop_assert_eq!(parse_number(&format!("{x}")), Ok(x));
        }

        /// Line numbers stay right whatever blank lines and line endings surround the records.
        #[test]
        fn line_numbers_match_the_text(
            blanks in proptest::collection::vec(0usize..3, 1..20),
            crlf in proptest::bool::ANY,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("a,b{eol}");
            let mut line = 1u64;
            let mut want = Vec::new();
            for (i, blank) in blanks.iter().enumerate() {
                for _ in 0..*blank {
                    text.push_str(eol);
                    line += 1;
                }
                line += 1;
                want.push(line);
                text.push_str(&format!("{i},x{eol}"));
            }
            let mut reader = csv_crate::Reader::from_reader(text.as_bytes());
            let mut counter = LineCounter::new(text.as_bytes());
            let got: Vec<u64> = reader
                .records()
                .map(|r| counter.line_at(r.unwrap().position().unwrap().byte()))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }

        /// A valid daily file imports every row, whatever the prices.
        #[test]
        fn consistent_bars_always_import(
            bars in proptest::collection::vec((1.0f64..1e5, 0.0f64..0.1, 0.0f64..0.1, 0.0f64..1.0), 1..40)
        ) {
            let mut text = String::from("Date,Open,High,Low,Close\n");
            let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            for (i, (base, up, down, frac)) in bars.iter().enumerate() {
                let (high, low) = (base * (1.0 + up), base * (1.0 - down));
                let open = low + (high - low) * frac;
                let close = low + (high - low) * (1.0 - frac);
                let day = start + chrono::Days::new(i as u64);
                text.push_str(&format!("{day},{open},{high},{low},{close}\n"));
            }
            let got = import("nifty50.csv", &text).unwrap();
            proptest::prop_assert_eq!(got.series.len(), bars.len());
            proptest::prop_assert_eq!(got.summary.rows_read, bars.len());
        }
    }
}
