//! NSE trading calendar: sessions, holidays, option expiries and contract specifications.
//!
//! SKELETON: the public API below is the contract other crates code against.
//! Bodies are being filled in; signatures may gain items but should not change.

use chrono::{DateTime, NaiveDate, Utc};

use aegis_model::{Expiry, Symbol};

/// Errors from calendar queries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The holiday table does not cover the year asked about.
    #[error(
        "the NSE holiday table does not cover {year}: add that year's holidays to crates/calendar/data/nse_holidays.toml"
    )]
    YearNotCovered {
        /// The year asked about.
        year: i32,
    },
}

/// Whether the cash market is open at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketState {
    /// A trading day, before 09:15 IST.
    PreOpen,
    /// 09:15–15:30 IST on a trading day.
    Open,
    /// A trading day, after 15:30 IST.
    PostClose,
    /// Weekend or exchange holiday.
    Closed,
}

/// One NSE cash session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// IST trading date.
    pub date: NaiveDate,
    /// Session open (09:15 IST) as UTC.
    pub open: DateTime<Utc>,
    /// Session close (15:30 IST) as UTC.
    pub close: DateTime<Utc>,
}

/// Weekly or monthly expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryKind {
    /// A weekly expiry that is not the month's last.
    Weekly,
    /// The month's last expiry.
    Monthly,
}

/// Contract specification of an index option for one expiry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractSpec {
    /// Units of the index per lot.
    pub lot_size: u32,
    /// Distance between listed strikes near the money, in points.
    pub strike_step: f64,
}

/// The NSE calendar with its built-in holiday table.
#[derive(Debug, Clone)]
pub struct NseCalendar {}

impl NseCalendar {
    /// The calendar with the holiday table shipped in the repository.
    pub fn new() -> Self {
        todo!()
    }
    /// The years the holiday table covers.
    pub fn covered_years(&self) -> std::ops::RangeInclusive<i32> {
        todo!()
    }
    /// Whether `date` is an NSE trading day.
    pub fn is_trading_day(&self, _date: NaiveDate) -> Result<bool, CalendarError> {
        todo!()
    }
    /// The session on `date`, if it is a trading day.
    pub fn session(&self, _date: NaiveDate) -> Result<Option<Session>, CalendarError> {
        todo!()
    }
    /// Market state at an instant.
    pub fn market_state(&self, _at: DateTime<Utc>) -> Result<MarketState, CalendarError> {
        todo!()
    }
    /// The first trading day strictly after `date`.
    pub fn next_trading_day(&self, _date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        todo!()
    }
    /// The last trading day strictly before `date`.
    pub fn prev_trading_day(&self, _date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        todo!()
    }
    /// Trading days in `(from, to]`.
    pub fn trading_days_between(
        &self,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        todo!()
    }
    /// The first weekly expiry of `symbol` on or after `date`.
    pub fn weekly_expiry_on_or_after(
        &self,
        _symbol: Symbol,
        _date: NaiveDate,
    ) -> Result<Expiry, CalendarError> {
        todo!()
    }
    /// The first monthly expiry of `symbol` on or after `date`.
    pub fn monthly_expiry_on_or_after(
        &self,
        _symbol: Symbol,
        _date: NaiveDate,
    ) -> Result<Expiry, CalendarError> {
        todo!()
    }
    /// The next expiry still trading at instant `at` (an expiry day counts until its 15:30 IST close).
    pub fn next_expiry(
        &self,
        _symbol: Symbol,
        _at: DateTime<Utc>,
    ) -> Result<Expiry, CalendarError> {
        todo!()
    }
    /// Contract specification for `symbol` options expiring on `expiry`.
    pub fn contract_spec(&self, _symbol: Symbol, _expiry: Expiry) -> ContractSpec {
        todo!()
    }
}
