//! The trading days of the simulated window, their session windows, and where "now" cuts the last one.

use aegis_calendar::NseCalendar;
use aegis_model::time::ist_date;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Timelike, Utc};

use crate::{SimConfig, SimError};

/// Minutes in a regular NSE session (09:15–15:30 IST).
pub(crate) const REGULAR_MINUTES: usize = 375;
/// Minutes per intraday bar.
pub(crate) const BAR_MINUTES: usize = 5;

/// One continuous trading window of a session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    /// Opening instant.
    pub open: DateTime<Utc>,
    /// Whole 5-minute bars' worth of minutes in the window.
    pub minutes: usize,
}

/// One simulated trading day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Day {
    /// IST trading date.
    pub date: NaiveDate,
    /// The session windows; empty for a special session whose hours the calendar does not record
    /// (such a day gets a daily bar, simulated over a regular-length path, but no intraday bars and
    /// no option chains: their times would be invented).
    pub windows: Vec<Window>,
}

impl Day {
    /// Whether the session's hours are known (so it can have intraday bars and chain snapshots).
    pub fn hours_known(&self) -> bool {
        !self.windows.is_empty()
    }

    /// Trading minutes simulated for the day's path.
    pub fn minutes(&self) -> usize {
        if self.windows.is_empty() {
            REGULAR_MINUTES
        } else {
            self.windows.iter().map(|w| w.minutes).sum()
        }
    }

    /// Start instants of the day's 5-minute bars, in order.
    pub fn bar_starts(&self) -> Vec<DateTime<Utc>> {
        self.windows
            .iter()
            .flat_map(|w| {
                (0..w.minutes / BAR_MINUTES)
                    .map(move |b| w.open + Duration::minutes((b * BAR_MINUTES) as i64))
            })
            .collect()
    }

    /// The instant of minute boundary `m` (0 = the open, `minutes()` = the close); at a boundary
    /// between two windows, the close of the earlier one.
    pub fn boundary_instant(&self, m: usize) -> DateTime<Utc> {
        let mut base = 0;
        for w in &self.windows {
            if m <= base + w.minutes {
                return w.open + Duration::minutes((m - base) as i64);
            }
            base += w.minutes;
        }
        let last = self
            .windows
            .last()
            .expect("boundary_instant needs known hours");
        last.open + Duration::minutes(last.minutes as i64)
    }

    /// The session close (end of the last window).
    pub fn close(&self) -> Option<DateTime<Utc>> {
        self.windows
            .last()
            .map(|w| w.open + Duration::minutes(w.minutes as i64))
    }
}

/// The days to simulate and how much of the last one has happened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Trading days, ascending; the last is the latest session.
    pub days: Vec<Day>,
    /// `Some(n)`: the last day is still in progress and `n ≥ 1` of its 5-minute bars are complete.
    pub partial_bars: Option<usize>,
}

impl Plan {
    /// Trading minutes of the last day that have happened (all of them unless partial).
    pub fn last_day_minutes(&self) -> usize {
        let last = self.days.last().expect("a plan has days");
        match self.partial_bars {
            Some(n) => n * BAR_MINUTES,
            None => last.minutes(),
        }
    }
}

fn day_of(cal: &NseCalendar, date: NaiveDate) -> Result<Day, SimError> {
    let windows = match cal.special_session(date)? {
        Some(special) => special
            .windows
            .iter()
            .map(|w| Window {
                open: ist_utc(date, w.open),
                minutes: minutes_between(w.open, w.close),
            })
            .filter(|w| w.minutes > 0)
            .collect(),
        None => {
            let s = cal
                .session(date)?
                .expect("a trading day without a special session is a regular session");
            vec![Window {
                open: s.open,
                minutes: whole_bars((s.close - s.open).num_minutes()),
            }]
        }
    };
    Ok(Day { date, windows })
}

fn whole_bars(minutes: i64) -> usize {
    let m = usize::try_from(minutes.max(0)).unwrap_or(0);
    m / BAR_MINUTES * BAR_MINUTES
}

fn minutes_between(open: chrono::NaiveTime, close: chrono::NaiveTime) -> usize {
    whole_bars((close - open).num_minutes())
}

fn ist_utc(date: NaiveDate, t: chrono::NaiveTime) -> DateTime<Utc> {
    aegis_model::time::ist_at(date, t.hour(), t.minute())
}

/// The latest session at `end` and how many of its bars are complete.
fn latest_session(
    cal: &NseCalendar,
    end: DateTime<Utc>,
) -> Result<(NaiveDate, Option<usize>), SimError> {
    let date = ist_date(end);
    if !cal.is_trading_day(date)? {
        return Ok((cal.prev_trading_day(date)?, None));
    }
    // A special session without recorded hours on the day of `end`: whether it has happened yet is
    // unknowable, so the calendar's error (naming the table to fix) is returned.
    cal.session(date)?;
    let day = day_of(cal, date)?;
    let starts = day.bar_starts();
    let complete = starts
        .iter()
        .filter(|&&s| s + Duration::minutes(BAR_MINUTES as i64) <= end)
        .count();
    Ok(if complete == starts.len() {
        (date, None)
    } else if complete == 0 {
        // Before the first bar has completed the session has produced nothing yet.
        (cal.prev_trading_day(date)?, None)
    } else {
        (date, Some(complete))
    })
}

/// The simulated window for `config`.
pub(crate) fn plan(config: &SimConfig, cal: &NseCalendar) -> Result<Plan, SimError> {
    let covered = cal.covered_years();
    let end_date = ist_date(config.end);
    let back = |d: NaiveDate| {
        d.checked_sub_months(Months::new(config.years.saturating_mul(12)))
            .unwrap_or(NaiveDate::MIN)
    };
    let not_covered = |first: NaiveDate| SimError::WindowNotCovered {
        first,
        last: end_date,
        covered_first: *covered.start(),
        covered_last: *covered.end(),
    };
    if !covered.contains(&end_date.year()) {
        return Err(not_covered(back(end_date)));
    }
    let (last, partial_bars) = match latest_session(cal, config.end) {
        // `end` early on the first covered day: the previous session is outside the table.
        Err(SimError::Calendar(aegis_calendar::CalendarError::YearNotCovered { .. })) => {
            return Err(not_covered(back(end_date)));
        }
        other => other?,
    };
    let first = back(last);
    if !covered.contains(&first.year()) {
        return Err(not_covered(first));
    }
    let days = cal
        .trading_days(first + Duration::days(1), last)?
        .into_iter()
        .map(|d| day_of(cal, d))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan { days, partial_bars })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_model::time::ist_at;
    use rstest::rstest;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cfg(end: DateTime<Utc>, years: u32) -> SimConfig {
        SimConfig {
            end,
            years,
            ..SimConfig::default()
        }
    }

    #[rstest]
    // Inside a session: 11:02 → bars 09:15 .. 10:55 complete (21 bars).
    #[case(ist_at(d(2026, 11, 25), 11, 2), d(2026, 11, 25), Some(21))]
    // Exactly at the close: complete.
    #[case(ist_at(d(2026, 11, 25), 15, 30), d(2026, 11, 25), None)]
    // One minute before the close: 74 of 75 bars.
    #[case(ist_at(d(2026, 11, 25), 15, 29), d(2026, 11, 25), Some(74))]
    // Before the first bar completes, and before the open: the previous session.
    #[case(ist_at(d(2026, 11, 25), 9, 17), d(2026, 11, 23), None)]
    #[case(ist_at(d(2026, 11, 26), 6, 20), d(2026, 11, 25), None)]
    // Saturday and a holiday (2026-11-24, Guru Nanak Jayanti).
    #[case(ist_at(d(2026, 11, 28), 11, 0), d(2026, 11, 27), None)]
    #[case(ist_at(d(2026, 11, 24), 11, 0), d(2026, 11, 23), None)]
    fn where_now_cuts_the_window(
        #[case] end: DateTime<Utc>,
        #[case] last: NaiveDate,
        #[case] partial: Option<usize>,
    ) {
        let p = plan(&cfg(end, 10), &NseCalendar::new()).unwrap();
        assert_eq!(p.days.last().unwrap().date, last);
        assert_eq!(p.partial_bars, partial);
        // Ten years back, exclusive of the same date ten years earlier.
        assert!(p.days[0].date > last.checked_sub_months(Months::new(120)).unwrap());
        assert!(
            p.days[0].date
                <= last.checked_sub_months(Months::new(120)).unwrap() + Duration::days(5)
        );
    }

    #[test]
    fn windows_outside_the_calendar_are_refused_clearly() {
        let cal = NseCalendar::new();
        let e = plan(&cfg(ist_at(d(2025, 11, 25), 12, 0), 10), &cal).unwrap_err();
        assert!(matches!(e, SimError::WindowNotCovered { .. }), "{e}");
        assert!(e.to_string().contains("2015-11-25"), "{e}");
        let e = plan(&cfg(ist_at(d(2027, 1, 5), 12, 0), 3), &cal).unwrap_err();
        assert!(matches!(e, SimError::WindowNotCovered { .. }), "{e}");
        // A Muhurat session without recorded hours on the day of `end`.
        let e = plan(&cfg(ist_at(d(2026, 11, 8), 19, 0), 2), &cal).unwrap_err();
        assert!(e.to_string().contains("nse_holidays.toml"), "{e}");
    }

    #[test]
    fn special_sessions_have_their_own_windows() {
        let cal = NseCalendar::new();
        let dr = day_of(&cal, d(2024, 3, 2)).unwrap();
        assert_eq!(dr.minutes(), 45 + 60);
        let starts = dr.bar_starts();
        assert_eq!(starts.len(), 21);
        assert_eq!(
            starts[8],
            ist_at(d(2024, 3, 2), 10, 0) - Duration::minutes(5)
        );
        assert_eq!(starts[9], ist_at(d(2024, 3, 2), 11, 30));
        assert_eq!(dr.boundary_instant(45), ist_at(d(2024, 3, 2), 10, 0));
        assert_eq!(dr.boundary_instant(46), ist_at(d(2024, 3, 2), 11, 31));
        assert_eq!(dr.close(), Some(ist_at(d(2024, 3, 2), 12, 30)));
        let muhurat = day_of(&cal, d(2026, 11, 8)).unwrap();
        assert!(!muhurat.hours_known());
        assert_eq!(muhurat.minutes(), REGULAR_MINUTES);
        let regular = day_of(&cal, d(2026, 11, 25)).unwrap();
        assert_eq!(regular.bar_starts().len(), 75);
        assert_eq!(
            regular.boundary_instant(375),
            ist_at(d(2026, 11, 25), 15, 30)
        );
    }
}
