//! NSE trading calendar: sessions, holidays, option expiries and contract specifications.
//!
//! Everything is data shipped in the repository and embedded at compile time:
//!
//! * `data/nse_holidays.toml` — exchange holidays and special sessions per year (2016–2026), with the
//!   NSE circulars as sources, checked against the real NSE and Yahoo daily histories;
//! * `data/expiry_rules.toml` — weekly/monthly expiry weekdays per index with their effective dates;
//! * `data/contract_specs.toml` — lot sizes and strike steps keyed by expiry date.
//!
//! Conventions:
//!
//! * A **trading day** is a date with any cash session: a regular weekday session (09:15–15:30 IST)
//!   or a special session (Muhurat trading, a Budget weekend session, a disaster-recovery drill). The
//!   daily series of NSE and Yahoo carry a row for special sessions, so they count in
//!   [`NseCalendar::trading_days_between`] and friends.
//! * An **expiry** always falls on a regular session: a nominal expiry day that is not one moves to the
//!   previous regular session (the NIFTY weekly of Tue 2025-10-21, a Muhurat day, expired Mon 2025-10-20).
//! * Dates outside the holiday table are [`CalendarError::YearNotCovered`], never guessed.
//!
//! ```
//! use aegis_calendar::{ExpiryKind, NseCalendar};
//! use aegis_model::{Expiry, Symbol};
//! use chrono::NaiveDate;
//!
//! let cal = NseCalendar::new();
//! let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
//! assert!(!cal.is_trading_day(d(2025, 10, 22))?); // Diwali Balipratipada
//! let e = cal.weekly_expiry_on_or_after(Symbol::Nifty50, d(2025, 8, 29))?;
//! assert_eq!(e, Expiry(d(2025, 9, 2))); // the first Tuesday weekly
//! assert_eq!(cal.expiry_kind(Symbol::Nifty50, e)?, ExpiryKind::Weekly);
//! assert_eq!(cal.contract_spec(Symbol::Nifty50, e).lot_size, 75);
//! # Ok::<(), aegis_calendar::CalendarError>(())
//! ```

mod contract;
mod expiry;
mod holidays;
mod session;
mod tables;

use std::sync::{Arc, OnceLock};

use aegis_model::time::{ist_date, to_ist};
use aegis_model::{Expiry, Symbol};
use chrono::{DateTime, Days, NaiveDate, Utc};

pub use contract::ContractSpec;
pub use expiry::ExpiryKind;
pub use session::{MarketState, Session};
pub use tables::{Holiday, SessionWindow, SpecialSession};

use contract::SpecTable;
use expiry::Schedule;
use holidays::DayTable;

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
    /// The symbol has no listed options (India VIX).
    #[error(
        "{symbol} has no listed options, so it has no expiries or contract specifications: ask about NIFTY50, NIFTYBANK, FINNIFTY or MIDCAPSELECT"
    )]
    NoOptions {
        /// The symbol asked about.
        symbol: Symbol,
    },
    /// The symbol's options were not yet listed on the date asked about.
    #[error(
        "{symbol} options were not listed on {date}: they were listed from {listed_from}; ask about a later date"
    )]
    NotListed {
        /// The symbol asked about.
        symbol: Symbol,
        /// The date asked about.
        date: NaiveDate,
        /// The first listing date in crates/calendar/data/expiry_rules.toml.
        listed_from: NaiveDate,
    },
    /// The date is not an expiry of the symbol under the rules in the repository.
    #[error(
        "{date} is not a {symbol} expiry under crates/calendar/data/expiry_rules.toml: use a date from expiries_between, or fix the rules if NSE listed it"
    )]
    NotAnExpiry {
        /// The symbol asked about.
        symbol: Symbol,
        /// The date asked about.
        date: NaiveDate,
    },
    /// A special session is known to have been held but its hours are not recorded.
    #[error(
        "the special session on {date} ({name}) has no recorded hours: add its windows from the NSE circular to crates/calendar/data/nse_holidays.toml"
    )]
    SessionHoursUnknown {
        /// The session date.
        date: NaiveDate,
        /// The session's name in the table.
        name: String,
    },
    /// The contract specification is not established for that expiry.
    #[error(
        "no contract specification for {symbol} options expiring {expiry}: {reason}; add it to crates/calendar/data/contract_specs.toml"
    )]
    SpecUnknown {
        /// The symbol asked about.
        symbol: Symbol,
        /// The expiry asked about.
        expiry: NaiveDate,
        /// Why it is unknown.
        reason: String,
    },
    /// A data file shipped with the crate is malformed.
    #[error("{file} is invalid: {detail}")]
    BadTable {
        /// The file, relative to the workspace root.
        file: &'static str,
        /// What is wrong and where.
        detail: String,
    },
}

/// Everything parsed from the data files.
#[derive(Debug)]
struct Tables {
    days: DayTable,
    schedules: Vec<Schedule>,
    specs: SpecTable,
}

impl Tables {
    fn load(holidays: &str, expiry_rules: &str, specs: &str) -> Result<Self, CalendarError> {
        let days = DayTable::build(tables::parse_holidays(holidays)?)?;
        let rules = tables::parse_expiry_rules(expiry_rules)?;
        let schedules = rules
            .iter()
            .map(|r| Schedule::build(r, &days))
            .collect::<Result<Vec<_>, _>>()?;
        let (lots, steps) = tables::parse_specs(specs)?;
        Ok(Self {
            days,
            schedules,
            specs: SpecTable::new(lots, steps),
        })
    }
}

/// The NSE calendar with the holiday table, expiry rules and contract specifications shipped in the
/// repository. Cheap to clone (the tables are shared).
#[derive(Clone)]
pub struct NseCalendar {
    inner: Arc<Tables>,
}

impl std::fmt::Debug for NseCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NseCalendar")
            .field("covered_years", &self.covered_years())
            .finish()
    }
}

impl Default for NseCalendar {
    fn default() -> Self {
        Self::new()
    }
}

impl NseCalendar {
    /// The calendar with the holiday table shipped in the repository.
    ///
    /// # Panics
    /// Panics if the embedded data files are malformed (the crate's tests parse them, so a released
    /// build cannot hit this); use [`NseCalendar::try_new`] to get the error instead.
    pub fn new() -> Self {
        Self::try_new().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The calendar with the shipped tables, or the error naming the malformed file and entry.
    /// The tables are parsed once per process and shared.
    pub fn try_new() -> Result<Self, CalendarError> {
        static LOADED: OnceLock<Result<Arc<Tables>, CalendarError>> = OnceLock::new();
        LOADED
            .get_or_init(|| {
                Tables::load(
                    tables::HOLIDAYS_TOML,
                    tables::EXPIRY_TOML,
                    tables::SPECS_TOML,
                )
                .map(Arc::new)
            })
            .clone()
            .map(|inner| Self { inner })
    }

    /// The years the holiday table covers.
    pub fn covered_years(&self) -> std::ops::RangeInclusive<i32> {
        self.inner.days.first_year..=self.inner.days.last_year
    }

    /// Whether `date` is an NSE trading day (any cash session, special sessions included).
    pub fn is_trading_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.inner.days.is_trading_day(date)
    }

    /// Whether `date` holds a special session (Muhurat, Budget weekend, DR drill) instead of the
    /// regular one.
    pub fn is_special_session(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.inner.days.special(date)?.is_some())
    }

    /// The special session held on `date`, if any, with its name and IST windows.
    pub fn special_session(
        &self,
        date: NaiveDate,
    ) -> Result<Option<&SpecialSession>, CalendarError> {
        self.inner.days.special(date)
    }

    /// The exchange holiday on `date`, if the table lists one (weekday closures are complete; some
    /// weekend holidays are listed for information).
    pub fn holiday(&self, date: NaiveDate) -> Result<Option<&Holiday>, CalendarError> {
        self.inner.days.holiday(date)
    }

    /// The session on `date`, if it is a trading day.
    pub fn session(&self, date: NaiveDate) -> Result<Option<Session>, CalendarError> {
        session::session(&self.inner.days, date)
    }

    /// Market state at an instant.
    pub fn market_state(&self, at: DateTime<Utc>) -> Result<MarketState, CalendarError> {
        session::market_state(&self.inner.days, at)
    }

    /// The first trading day strictly after `date`.
    pub fn next_trading_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.inner.days.next_trading_day(date)
    }

    /// The last trading day strictly before `date`.
    pub fn prev_trading_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.inner.days.prev_trading_day(date)
    }

    /// Trading days in `(from, to]` (zero when `to <= from`). O(1).
    pub fn trading_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        self.inner.days.trading_days_between(from, to)
    }

    /// The trading days in `[from, to]`, ascending (empty when `to < from`).
    pub fn trading_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>, CalendarError> {
        Ok(self.inner.days.trading_days(from, to)?.to_vec())
    }

    fn schedule(&self, symbol: Symbol) -> Result<&Schedule, CalendarError> {
        self.inner
            .schedules
            .iter()
            .find(|s| s.symbol == symbol)
            .ok_or(CalendarError::NoOptions { symbol })
    }

    /// The first date `symbol`'s options were listed on (NIFTY's table starts with the calendar;
    /// FINNIFTY in 2021, MIDCPNIFTY in 2022): expiry questions about earlier dates are refused.
    ///
    /// # Errors
    /// [`CalendarError::NoOptions`] for a symbol without options (India VIX).
    pub fn options_listed_from(&self, symbol: Symbol) -> Result<NaiveDate, CalendarError> {
        Ok(self.schedule(symbol)?.listed_from)
    }

    /// The first weekly expiry of `symbol` on or after `date`. The month's last weekly expiry is the
    /// monthly one; where the symbol has no weeklies (NIFTY before Feb 2019, BANKNIFTY, FINNIFTY and
    /// MIDCPNIFTY after Nov 2024) this is the monthly expiry.
    pub fn weekly_expiry_on_or_after(
        &self,
        symbol: Symbol,
        date: NaiveDate,
    ) -> Result<Expiry, CalendarError> {
        let s = self.schedule(symbol)?;
        Ok(Expiry(
            s.first_on_or_after(&s.all, date, &self.inner.days)?.date,
        ))
    }

    /// The first monthly expiry of `symbol` on or after `date`.
    pub fn monthly_expiry_on_or_after(
        &self,
        symbol: Symbol,
        date: NaiveDate,
    ) -> Result<Expiry, CalendarError> {
        let s = self.schedule(symbol)?;
        Ok(Expiry(
            s.first_on_or_after(&s.monthly, date, &self.inner.days)?
                .date,
        ))
    }

    /// The next expiry still trading at instant `at` (an expiry day counts until its 15:30 IST close).
    pub fn next_expiry(&self, symbol: Symbol, at: DateTime<Utc>) -> Result<Expiry, CalendarError> {
        let date = ist_date(at);
        let e = self.weekly_expiry_on_or_after(symbol, date)?;
        if e.date() == date && to_ist(at).time() >= session::regular_window().close {
            return self.weekly_expiry_on_or_after(symbol, date + Days::new(1));
        }
        Ok(e)
    }

    /// Whether `expiry` is a weekly or the monthly expiry of `symbol`.
    pub fn expiry_kind(&self, symbol: Symbol, expiry: Expiry) -> Result<ExpiryKind, CalendarError> {
        let s = self.schedule(symbol)?;
        self.inner.days.kind(expiry.date())?;
        s.find(expiry.date())
            .map(|x| x.kind)
            .ok_or(CalendarError::NotAnExpiry {
                symbol,
                date: expiry.date(),
            })
    }

    /// Every expiry of `symbol` in `[from, to]`, ascending, with its kind.
    pub fn expiries_between(
        &self,
        symbol: Symbol,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(Expiry, ExpiryKind)>, CalendarError> {
        let s = self.schedule(symbol)?;
        self.inner.days.kind(from)?;
        self.inner.days.kind(to)?;
        Ok(s.between(from, to)
            .iter()
            .map(|x| (Expiry(x.date), x.kind))
            .collect())
    }

    /// Contract specification for `symbol` options expiring on `expiry`, or the reason it is unknown.
    ///
    /// The lot size can depend on whether the contract is a weekly or a monthly (see
    /// `data/contract_specs.toml`); for a date the schedule does not know as an expiry (outside the
    /// covered years, e.g. long-dated contracts) the answer is given only when both agree.
    pub fn try_contract_spec(
        &self,
        symbol: Symbol,
        expiry: Expiry,
    ) -> Result<ContractSpec, CalendarError> {
        let kind = match self.expiry_kind(symbol, expiry) {
            Ok(kind) => Some(kind),
            Err(CalendarError::NotAnExpiry { .. } | CalendarError::YearNotCovered { .. }) => None,
            Err(e) => return Err(e),
        };
        self.inner.specs.spec(symbol, expiry.date(), kind)
    }

    /// Contract specification for `symbol` options expiring on `expiry`.
    ///
    /// # Panics
    /// Panics with the reason when the specification is unknown (India VIX, an expiry before the
    /// table, an undocumented period); [`NseCalendar::try_contract_spec`] returns it as an error.
    pub fn contract_spec(&self, symbol: Symbol, expiry: Expiry) -> ContractSpec {
        self.try_contract_spec(symbol, expiry)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Days, NaiveDate};
    use proptest::prelude::*;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn options_are_listed_from_their_launch() {
        let cal = NseCalendar::new();
        let mid = cal.options_listed_from(Symbol::MidcapSelect).unwrap();
        assert_eq!(mid, NaiveDate::from_ymd_opt(2022, 1, 24).unwrap());
        assert!(
            cal.weekly_expiry_on_or_after(Symbol::MidcapSelect, mid)
                .is_ok()
        );
        let before = mid.pred_opt().unwrap();
        assert!(matches!(
            cal.weekly_expiry_on_or_after(Symbol::MidcapSelect, before),
            Err(CalendarError::NotListed { .. })
        ));
        assert!(cal.options_listed_from(Symbol::IndiaVix).is_err());
    }

    #[test]
    fn loads_once_and_clones_share_the_tables() {
        let a = NseCalendar::new();
        let b = NseCalendar::default();
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        assert_eq!(a.covered_years(), 2016..=2026);
        assert_eq!(
            format!("{a:?}"),
            "NseCalendar { covered_years: 2016..=2026 }"
        );
    }

    #[test]
    fn a_broken_table_is_a_typed_error() {
        let err = Tables::load(
            "[[year]]\nyear = 2016\n",
            tables::EXPIRY_TOML,
            tables::SPECS_TOML,
        )
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::BadTable { file, .. } if file == tables::HOLIDAYS_FILE),
            "{err}"
        );
    }

    /// Dates strictly inside the table, so both neighbours exist.
    fn inner_date() -> impl Strategy<Value = NaiveDate> {
        (10u64..4000).prop_map(|k| d(2016, 1, 1) + Days::new(k))
    }

    proptest! {
        #[test]
        fn next_and_prev_are_inverse_around_any_date(date in inner_date()) {
            let cal = NseCalendar::new();
            let prev = cal.prev_trading_day(date).unwrap();
            let next = cal.next_trading_day(date).unwrap();
            prop_assert!(prev < date && date < next);
            prop_assert!(cal.is_trading_day(prev).unwrap() && cal.is_trading_day(next).unwrap());
            // No trading day strictly between prev and date, or date and next.
            prop_assert_eq!(cal.trading_days_between(prev, date).unwrap(), u32::from(cal.is_trading_day(date).unwrap()));
            prop_assert_eq!(cal.trading_days_between(date, next).unwrap(), 1);
            if cal.is_trading_day(date).unwrap() {
                prop_assert_eq!(cal.next_trading_day(prev).unwrap(), date);
                prop_assert_eq!(cal.prev_trading_day(next).unwrap(), date);
            } else {
                prop_assert_eq!(cal.next_trading_day(prev).unwrap(), next);
                prop_assert_eq!(cal.prev_trading_day(next).unwrap(), prev);
            }
        }

        #[test]
        fn trading_days_between_is_additive(a in inner_date(), b in inner_date(), c in inner_date()) {
            let mut v = [a, b, c];
            v.sort();
            let cal = NseCalendar::new();
            let ab = cal.trading_days_between(v[0], v[1]).unwrap();
            let bc = cal.trading_days_between(v[1], v[2]).unwrap();
            prop_assert_eq!(ab + bc, cal.trading_days_between(v[0], v[2]).unwrap());
            prop_assert_eq!(cal.trading_days(v[0] + Days::new(1), v[2]).unwrap().len() as u32, ab + bc);
        }
    }
}
