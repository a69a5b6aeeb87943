//! The day table: every calendar day of the covered years classified once, with a cumulative count
//! of trading days so that day queries are O(1) array look-ups.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::CalendarError;
use crate::tables::{Holiday, HolidayTable, SpecialSession};

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayKind {
    /// Monday–Friday with the regular 09:15–15:30 IST session.
    Regular,
    /// Saturday or Sunday without a session.
    Weekend,
    /// A weekday exchange holiday without a session.
    Holiday,
    /// A special session (index into [`DayTable::specials`]) on a weekend or holiday.
    Special(u16),
}

impl DayKind {
    fn is_trading(self) -> bool {
        matches!(self, DayKind::Regular | DayKind::Special(_))
    }
}

/// Every day of the covered years, classified.
#[derive(Debug)]
pub(crate) struct DayTable {
    pub(crate) first_year: i32,
    pub(crate) last_year: i32,
    start: NaiveDate,
    kinds: Vec<DayKind>,
    /// `cum[i]`: trading days in `[start, start + i]`.
    cum: Vec<u32>,
    /// All trading days in ascending order; `trading[k]` is the (k+1)-th.
    trading: Vec<NaiveDate>,
    holidays: Vec<Holiday>,
    pub(crate) specials: Vec<SpecialSession>,
}

impl DayTable {
    pub(crate) fn build(t: HolidayTable) -> Result<Self, CalendarError> {
        let start = NaiveDate::from_ymd_opt(t.first_year, 1, 1).ok_or_else(|| {
            crate::tables::bad(crate::tables::HOLIDAYS_FILE, "first year out of range")
        })?;
        let end = NaiveDate::from_ymd_opt(t.last_year, 12, 31).ok_or_else(|| {
            crate::tables::bad(crate::tables::HOLIDAYS_FILE, "last year out of range")
        })?;
        let n = (end - start).num_days() as usize + 1;
        let mut kinds = Vec::with_capacity(n);
        let mut cum = Vec::with_capacity(n);
        let mut trading = Vec::with_capacity(n * 5 / 7);
        let mut count = 0u32;
        for (i, date) in start.iter_days().take(n).enumerate() {
            let kind = if let Ok(s) = t.specials.binary_search_by_key(&date, |s| s.date) {
                DayKind::Special(u16::try_from(s).map_err(|_| {
                    crate::tables::bad(crate::tables::HOLIDAYS_FILE, "too many special sessions")
                })?)
            } else if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                DayKind::Weekend
            } else if t.holidays.binary_search_by_key(&date, |h| h.date).is_ok() {
                DayKind::Holiday
            } else {
                DayKind::Regular
            };
            if kind.is_trading() {
                count += 1;
                trading.push(date);
            }
            debug_assert_eq!(kinds.len(), i);
            kinds.push(kind);
            cum.push(count);
        }
        Ok(Self {
            first_year: t.first_year,
            last_year: t.last_year,
            start,
            kinds,
            cum,
            trading,
            holidays: t.holidays,
            specials: t.specials,
        })
    }

    /// The index of `date`, or the error naming its year.
    #[inline]
    fn index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let i = (date - self.start).num_days();
        if i < 0 || i as usize >= self.kinds.len() {
            return Err(CalendarError::YearNotCovered { year: date.year() });
        }
        Ok(i as usize)
    }

    #[inline]
    pub(crate) fn kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        Ok(self.kinds[self.index(date)?])
    }

    #[inline]
    pub(crate) fn is_trading_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.kind(date)?.is_trading())
    }

    /// Trading days on or before `date`'s index (`cum`), and whether `date` itself trades.
    #[inline]
    fn count_through(&self, date: NaiveDate) -> Result<(u32, bool), CalendarError> {
        let i = self.index(date)?;
        Ok((self.cum[i], self.kinds[i].is_trading()))
    }

    pub(crate) fn next_trading_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let (through, _) = self.count_through(date)?;
        self.trading
            .get(through as usize)
            .copied()
            .ok_or(CalendarError::YearNotCovered {
                year: self.last_year + 1,
            })
    }

    pub(crate) fn prev_trading_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let (through, trades) = self.count_through(date)?;
        let before = through - u32::from(trades);
        before
            .checked_sub(1)
            .map(|k| self.trading[k as usize])
            .ok_or(CalendarError::YearNotCovered {
                year: self.first_year - 1,
            })
    }

    pub(crate) fn trading_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let (a, _) = self.count_through(from)?;
        let (b, _) = self.count_through(to)?;
        Ok(b.saturating_sub(a))
    }

    /// Trading days in `[from, to]`.
    pub(crate) fn trading_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<&[NaiveDate], CalendarError> {
        let (a, a_trades) = self.count_through(from)?;
        let (b, _) = self.count_through(to)?;
        let lo = (a - u32::from(a_trades)) as usize;
        let hi = b as usize;
        Ok(if hi > lo { &self.trading[lo..hi] } else { &[] })
    }

    /// The last regular (full, weekday, non-holiday) session on or before `date`.
    pub(crate) fn regular_on_or_before(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut i = self.index(date)?;
        loop {
            if self.kinds[i] == DayKind::Regular {
                return Ok(self.start + Days::new(i as u64));
            }
            i = i.checked_sub(1).ok_or(CalendarError::YearNotCovered {
                year: self.first_year - 1,
            })?;
        }
    }

    pub(crate) fn holiday(&self, date: NaiveDate) -> Result<Option<&Holiday>, CalendarError> {
        self.index(date)?;
        Ok(self
            .holidays
            .binary_search_by_key(&date, |h| h.date)
            .ok()
            .map(|i| &self.holidays[i]))
    }

    pub(crate) fn special(
        &self,
        date: NaiveDate,
    ) -> Result<Option<&SpecialSession>, CalendarError> {
        Ok(match self.kind(date)? {
            DayKind::Special(i) => Some(&self.specials[usize::from(i)]),
            _ => None,
        })
    }

    /// Weekday holidays (closures of the regular session, special sessions or not) in `year`.
    #[cfg(test)]
    pub(crate) fn weekday_holidays(&self, year: i32) -> impl Iterator<Item = &Holiday> {
        self.holidays.iter().filter(move |h| {
            h.date.year() == year && !matches!(h.date.weekday(), Weekday::Sat | Weekday::Sun)
        })
    }
}

#[cfg(test)]
mod tests {
    //! The holiday table checked against the real data: the data is authoritative for past years.
    use std::collections::BTreeSet;

    use chrono::{Datelike, NaiveDate, Weekday};
    use rstest::rstest;

    use crate::{CalendarError, NseCalendar};

    const NSE_DAILY: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/nifty50_daily_nse_2000_2022.csv"
    );
    const YAHOO_DAILY: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/nifty50_daily_yahoo.csv"
    );

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The date column of a daily CSV (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`), header skipped.
    fn dates_of(path: &str) -> BTreeSet<NaiveDate> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, line)| {
                let field = line.split(',').next().unwrap();
                let day = field.get(..10).unwrap_or(field);
                NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .unwrap_or_else(|e| panic!("{path} line {}: bad date {field:?}: {e}", i + 2))
            })
            .collect()
    }

    fn is_weekday(date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    #[test]
    fn trading_days_2016_to_2022_equal_the_nse_history_exactly() {
        let cal = NseCalendar::new();
        let nse = dates_of(NSE_DAILY);
        let mut wrong = Vec::new();
        for date in d(2016, 1, 1)
            .iter_days()
            .take_while(|x| *x <= d(2022, 12, 31))
        {
            let ours = cal.is_trading_day(date).unwrap();
            let theirs = nse.contains(&date);
            if ours != theirs {
                wrong.push(format!(
                    "{date} {:?}: calendar {ours}, NSE history {theirs}",
                    date.weekday()
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "fix data/nse_holidays.toml:\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn every_weekday_missing_from_the_nse_history_is_a_listed_holiday() {
        let cal = NseCalendar::new();
        let nse = dates_of(NSE_DAILY);
        for date in d(2016, 1, 1)
            .iter_days()
            .take_while(|x| *x <= d(2022, 12, 31))
        {
            if is_weekday(date) && !nse.contains(&date) {
                assert!(
                    cal.holiday(date).unwrap().is_some(),
                    "{date} has no NSE row but is not a listed holiday"
                );
            }
        }
    }

    #[test]
    fn every_yahoo_row_is_a_trading_day_and_every_yahoo_gap_is_a_holiday() {
        let cal = NseCalendar::new();
        let yahoo = dates_of(YAHOO_DAILY);
        assert!(yahoo.len() > 1200);
        for date in &yahoo {
            assert!(
                cal.is_trading_day(*date).unwrap(),
                "Yahoo has a row on {date} but the calendar is closed"
            );
        }
        let (first, last) = (*yahoo.first().unwrap(), *yahoo.last().unwrap());
        for date in first.iter_days().take_while(|x| *x <= last) {
            if is_weekday(date) && !yahoo.contains(&date) {
                assert!(
                    cal.holiday(date).unwrap().is_some(),
                    "Yahoo has no row on weekday {date} and it is not a holiday"
                );
            }
        }
    }

    #[test]
    fn yahoo_evening_rows_start_at_the_muhurat_session_open() {
        // Two Yahoo daily rows are stamped 12:45 UTC = 18:15 IST, the Muhurat opens of 2021 and 2022.
        let cal = NseCalendar::new();
        let text = std::fs::read_to_string(YAHOO_DAILY).unwrap();
        let mut seen = 0;
        for line in text.lines().skip(1) {
            let stamp = line.split(',').next().unwrap();
            if stamp.ends_with(" 12:45:00") {
                let at = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
                    .unwrap()
                    .and_utc();
                let session = cal.session(at.date_naive()).unwrap().expect("a session");
                assert_eq!(session.open, at, "{stamp}");
                assert!(cal.is_special_session(at.date_naive()).unwrap());
                seen += 1;
            }
        }
        assert_eq!(seen, 2);
    }

    #[test]
    fn table_covers_every_year_from_2016_through_the_current_year() {
        // The simulator's window is the ten years ending 2026; from 2027 on this test fails until
        // that year's NSE holiday circular is added to the table, as it should.
        let current_year = chrono::Utc::now().year().max(2026);
        let cal = NseCalendar::new();
        let years = cal.covered_years();
        assert!(
            *years.start() <= 2016 && *years.end() >= current_year,
            "{years:?}"
        );
        for year in 2016..=current_year {
            let n = cal.inner.days.weekday_holidays(year).count();
            assert!(
                (10..=20).contains(&n),
                "{year} has {n} weekday holidays: implausible, check the table"
            );
            assert!(cal.is_trading_day(d(year, 6, 30)).is_ok());
        }
    }

    #[rstest]
    #[case(2015)]
    #[case(2027)]
    #[case(1999)]
    fn years_outside_the_table_are_errors(#[case] year: i32) {
        let cal = NseCalendar::new();
        let date = d(year, 3, 10);
        assert_eq!(
            cal.is_trading_day(date),
            Err(CalendarError::YearNotCovered { year })
        );
        assert_eq!(
            cal.session(date),
            Err(CalendarError::YearNotCovered { year })
        );
        assert!(cal.next_trading_day(date).is_err());
    }

    #[rstest]
    #[case::republic_day(d(2025, 1, 27), true)] // 26th was a Sunday
    #[case::holi_2025(d(2025, 3, 14), false)]
    #[case::ram_mandir(d(2024, 1, 22), false)]
    #[case::saturday_full_session(d(2024, 1, 20), true)]
    #[case::budget_saturday(d(2025, 2, 1), true)]
    #[case::budget_sunday_2026(d(2026, 2, 1), true)]
    #[case::municipal_elections(d(2026, 1, 15), false)]
    #[case::muhurat_on_holiday(d(2025, 10, 21), true)]
    #[case::balipratipada(d(2025, 10, 22), false)]
    #[case::plain_saturday(d(2025, 11, 29), false)]
    #[case::plain_monday(d(2026, 11, 23), true)]
    fn known_days(#[case] date: NaiveDate, #[case] trading: bool) {
        assert_eq!(NseCalendar::new().is_trading_day(date), Ok(trading));
    }

    #[rstest]
    #[case::over_weekend(d(2025, 11, 21), d(2025, 11, 24), 1)]
    #[case::same_day(d(2025, 11, 24), d(2025, 11, 24), 0)]
    #[case::reversed(d(2025, 11, 28), d(2025, 11, 24), 0)]
    #[case::week(d(2025, 11, 21), d(2025, 11, 28), 5)]
    // Diwali week 2025: Muhurat Tue 21 counts, Wed 22 is a holiday.
    #[case::diwali_2025(d(2025, 10, 17), d(2025, 10, 24), 4)]
    #[case::across_years(d(2024, 12, 31), d(2025, 1, 1), 1)]
    fn trading_days_between_counts_the_half_open_interval(
        #[case] from: NaiveDate,
        #[case] to: NaiveDate,
        #[case] want: u32,
    ) {
        assert_eq!(NseCalendar::new().trading_days_between(from, to), Ok(want));
    }

    #[test]
    fn trading_days_per_year_match_the_nse_history() {
        let cal = NseCalendar::new();
        let nse = dates_of(NSE_DAILY);
        for year in 2016..=2022 {
            let want = nse.iter().filter(|x| x.year() == year).count() as u32;
            let (jan1, dec31) = (d(year, 1, 1), d(year, 12, 31));
            let got = cal.trading_days_between(jan1, dec31).unwrap()
                + u32::from(cal.is_trading_day(jan1).unwrap());
            assert_eq!(got, want, "{year}");
            assert_eq!(
                cal.trading_days(jan1, dec31).unwrap().len() as u32,
                want,
                "{year}"
            );
        }
    }

    #[rstest]
    #[case(d(2025, 11, 28), d(2025, 12, 1), d(2025, 11, 27))]
    #[case(d(2025, 10, 20), d(2025, 10, 21), d(2025, 10, 17))] // Muhurat Tuesday is a trading day
    #[case(d(2025, 10, 22), d(2025, 10, 23), d(2025, 10, 21))]
    #[case(d(2024, 1, 21), d(2024, 1, 23), d(2024, 1, 20))] // Sat session, Mon 22 closed
    fn next_and_prev(#[case] date: NaiveDate, #[case] next: NaiveDate, #[case] prev: NaiveDate) {
        let cal = NseCalendar::new();
        assert_eq!(cal.next_trading_day(date), Ok(next));
        assert_eq!(cal.prev_trading_day(date), Ok(prev));
    }

    #[test]
    fn stepping_off_the_table_names_the_missing_year() {
        let cal = NseCalendar::new();
        let last = *cal.covered_years().end();
        let first = *cal.covered_years().start();
        assert_eq!(
            cal.next_trading_day(d(last, 12, 31)),
            Err(CalendarError::YearNotCovered { year: last + 1 })
        );
        assert_eq!(
            cal.prev_trading_day(d(first, 1, 1)),
            Err(CalendarError::YearNotCovered { year: first - 1 })
        );
    }
}
