//! Time conventions: NSE runs on India Standard Time (UTC+05:30, no daylight saving).
//!
//! Yahoo timestamps are UTC; NSE timestamps are IST. Daily bars are keyed by
//! the IST trading date.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Seconds east of UTC for India Standard Time.
pub const IST_OFFSET_SECS: i32 = 5 * 3600 + 30 * 60;

/// The India Standard Time offset (UTC+05:30).
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(IST_OFFSET_SECS).expect("+05:30 is a valid offset")
}

/// Converts a UTC instant to IST.
pub fn to_ist(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&ist())
}

/// The IST calendar date of a UTC instant (the trading date of a bar that starts then).
pub fn ist_date(t: DateTime<Utc>) -> NaiveDate {
    to_ist(t).date_naive()
}

/// An IST wall-clock time on `date`, as a UTC instant.
///
/// # Panics
/// Panics if `hour`/`minute` are out of range (a programming error, not a data error).
pub fn ist_at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let naive = date
        .and_hms_opt(hour, minute, 0)
        .expect("hour and minute in range");
    ist()
        .from_local_datetime(&naive)
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_open_is_0345_utc() {
        let d = NaiveDate::from_ymd_opt(2025, 11, 28).unwrap();
        let open = ist_at(d, 9, 15);
        assert_eq!(open.to_rfc3339(), "2025-11-28T03:45:00+00:00");
        assert_eq!(ist_date(open), d);
        // 23:00 UTC is already the next IST day.
        let late = ist_at(d, 4, 30) - chrono::Duration::hours(1);
        assert_eq!(ist_date(late), d);
    }
}
