//! Sessions and market state: the regular 09:15–15:30 IST session and the special sessions.

use aegis_model::time::{ist, to_ist};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::CalendarError;
use crate::holidays::{DayKind, DayTable};
use crate::tables::SessionWindow;

/// Whether the cash market is open at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketState {
    /// A trading day, before the session opens (09:15 IST on a regular day). Between the two windows
    /// of a split special session (e.g. the 2024 disaster-recovery drills) the state is also `PreOpen`:
    /// the next window has yet to open.
    PreOpen,
    /// Inside a session window: 09:15 (inclusive) to 15:30 (exclusive) IST on a regular day.
    Open,
    /// A trading day, at or after the session close (15:30 IST on a regular day).
    PostClose,
    /// Weekend or exchange holiday without a session.
    Closed,
}

/// One NSE cash session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// IST trading date.
    pub date: NaiveDate,
    /// Session open (09:15 IST on a regular day) as UTC.
    pub open: DateTime<Utc>,
    /// Session close (15:30 IST on a regular day) as UTC; for a split special session, the close of
    /// its last window.
    pub close: DateTime<Utc>,
}

/// The regular session window, 09:15–15:30 IST.
pub(crate) fn regular_window() -> SessionWindow {
    SessionWindow {
        open: NaiveTime::from_hms_opt(9, 15, 0).expect("valid time"),
        close: NaiveTime::from_hms_opt(15, 30, 0).expect("valid time"),
    }
}

fn utc(date: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    ist()
        .from_local_datetime(&date.and_time(t))
        .single()
        .expect("a fixed offset is never ambiguous")
        .with_timezone(&Utc)
}

/// The windows of the session held on `date` (empty slice: no session), or the error for a special
/// session whose hours are not recorded.
fn windows(days: &DayTable, date: NaiveDate) -> Result<Windows<'_>, CalendarError> {
    Ok(match days.kind(date)? {
        DayKind::Regular => Windows::Regular(regular_window()),
        DayKind::Weekend | DayKind::Holiday => Windows::None,
        DayKind::Special(i) => {
            let s = &days.specials[usize::from(i)];
            if s.windows.is_empty() {
                return Err(CalendarError::SessionHoursUnknown {
                    date,
                    name: s.name.clone(),
                });
            }
            Windows::Special(&s.windows)
        }
    })
}

enum Windows<'a> {
    None,
    Regular(SessionWindow),
    Special(&'a [SessionWindow]),
}

impl Windows<'_> {
    fn as_slice(&self) -> &[SessionWindow] {
        match self {
            Windows::None => &[],
            Windows::Regular(w) => std::slice::from_ref(w),
            Windows::Special(ws) => ws,
        }
    }
}

pub(crate) fn session(days: &DayTable, date: NaiveDate) -> Result<Option<Session>, CalendarError> {
    let w = windows(days, date)?;
    let ws = w.as_slice();
    Ok(match (ws.first(), ws.last()) {
        (Some(first), Some(last)) => Some(Session {
            date,
            open: utc(date, first.open),
            close: utc(date, last.close),
        }),
        _ => None,
    })
}

pub(crate) fn market_state(
    days: &DayTable,
    at: DateTime<Utc>,
) -> Result<MarketState, CalendarError> {
    let local = to_ist(at);
    let (date, t) = (local.date_naive(), local.time());
    let w = windows(days, date)?;
    let ws = w.as_slice();
    let (Some(first), Some(last)) = (ws.first(), ws.last()) else {
        return Ok(MarketState::Closed);
    };
    Ok(if t < first.open {
        MarketState::PreOpen
    } else if t >= last.close {
        MarketState::PostClose
    } else if ws.iter().any(|w| w.open <= t && t < w.close) {
        MarketState::Open
    } else {
        MarketState::PreOpen
    })
}

#[cfg(test)]
mod tests {
    use aegis_model::time::ist_at;
    use chrono::{Duration, NaiveDate};
    use rstest::rstest;

    use super::*;
    use crate::NseCalendar;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn regular_session_is_0345_to_1000_utc() {
        let s = NseCalendar::new()
            .session(d(2025, 11, 28))
            .unwrap()
            .unwrap();
        assert_eq!(s.open.to_rfc3339(), "2025-11-28T03:45:00+00:00");
        assert_eq!(s.close.to_rfc3339(), "2025-11-28T10:00:00+00:00");
        assert_eq!(NseCalendar::new().session(d(2025, 11, 29)), Ok(None));
        assert_eq!(NseCalendar::new().session(d(2025, 12, 25)), Ok(None));
    }

    #[rstest]
    #[case::before(ist_at(d(2025, 11, 27), 9, 14), MarketState::PreOpen)]
    #[case::at_open(ist_at(d(2025, 11, 27), 9, 15), MarketState::Open)]
    #[case::midday(ist_at(d(2025, 11, 27), 12, 0), MarketState::Open)]
    #[case::at_close(ist_at(d(2025, 11, 27), 15, 30), MarketState::PostClose)]
    #[case::night(ist_at(d(2025, 11, 27), 23, 59), MarketState::PostClose)]
    #[case::saturday(ist_at(d(2025, 11, 29), 11, 0), MarketState::Closed)]
    #[case::holiday(ist_at(d(2025, 11, 5), 11, 0), MarketState::Closed)]
    #[case::muhurat_before(ist_at(d(2025, 10, 21), 11, 0), MarketState::PreOpen)]
    #[case::muhurat_open(ist_at(d(2025, 10, 21), 14, 0), MarketState::Open)]
    #[case::muhurat_after(ist_at(d(2025, 10, 21), 15, 0), MarketState::PostClose)]
    #[case::dr_drill_first(ist_at(d(2024, 3, 2), 9, 30), MarketState::Open)]
    #[case::dr_drill_break(ist_at(d(2024, 3, 2), 11, 0), MarketState::PreOpen)]
    #[case::dr_drill_second(ist_at(d(2024, 3, 2), 12, 0), MarketState::Open)]
    #[case::dr_drill_after(ist_at(d(2024, 3, 2), 12, 30), MarketState::PostClose)]
    #[case::budget_sunday(ist_at(d(2026, 2, 1), 10, 0), MarketState::Open)]
    fn market_state_at(#[case] at: DateTime<Utc>, #[case] want: MarketState) {
        assert_eq!(NseCalendar::new().market_state(at), Ok(want));
    }

    #[test]
    fn utc_midnight_belongs_to_the_ist_day_already_started() {
        // 2025-11-26 20:00 UTC is 2025-11-27 01:30 IST: a trading day, before the open.
        let at = ist_at(d(2025, 11, 27), 1, 30);
        assert_eq!(at.date_naive(), d(2025, 11, 26));
        assert_eq!(
            NseCalendar::new().market_state(at),
            Ok(MarketState::PreOpen)
        );
        // One second before 09:15 IST and exactly at it.
        let open = ist_at(d(2025, 11, 27), 9, 15);
        assert_eq!(
            NseCalendar::new().market_state(open - Duration::seconds(1)),
            Ok(MarketState::PreOpen)
        );
    }

    #[test]
    fn muhurat_session_hours_come_from_the_table() {
        let cal = NseCalendar::new();
        let s = cal.session(d(2021, 11, 4)).unwrap().unwrap();
        assert_eq!(s.open, ist_at(d(2021, 11, 4), 18, 15));
        assert_eq!(s.close, ist_at(d(2021, 11, 4), 19, 15));
        let split = cal.session(d(2024, 5, 18)).unwrap().unwrap();
        assert_eq!(
            (split.open, split.close),
            (
                ist_at(d(2024, 5, 18), 9, 15),
                ist_at(d(2024, 5, 18), 12, 30)
            )
        );
    }

    #[test]
    fn unrecorded_special_hours_are_an_error_not_a_guess() {
        let cal = NseCalendar::new();
        let date = d(2026, 11, 8);
        assert_eq!(cal.is_trading_day(date), Ok(true));
        let err = cal.session(date).unwrap_err();
        assert!(matches!(err, CalendarError::SessionHoursUnknown { date: x, .. } if x == date));
        assert!(err.to_string().contains("nse_holidays.toml"), "{err}");
        assert!(cal.market_state(ist_at(date, 18, 0)).is_err());
    }
}
