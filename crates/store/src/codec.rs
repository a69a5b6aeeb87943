//! How values are written to and read from SQLite columns.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::StoreError;

/// Years the store accepts: four-digit years keep the text forms sorting in time order.
const YEARS: std::ops::RangeInclusive<i32> = 1000..=9999;

fn year_error(what: &str, shown: String) -> StoreError {
    StoreError::InvalidInput {
        what: format!("{what} {shown}"),
        reason: "the year is outside 1000..=9999".to_string(),
        fix: "check the date; the store keeps four-digit years only".to_string(),
    }
}

/// Fixed-width UTC text, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`: exact to the nanosecond and
/// sorting in time order.
pub(crate) fn time_text(what: &str, t: DateTime<Utc>) -> Result<String, StoreError> {
    if !YEARS.contains(&t.year()) {
        return Err(year_error(what, t.to_rfc3339()));
    }
    Ok(t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string())
}

/// Parses [`time_text`].
pub(crate) fn parse_time_text(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// ISO date text `YYYY-MM-DD`.
pub(crate) fn date_text(what: &str, d: NaiveDate) -> Result<String, StoreError> {
    if !YEARS.contains(&d.year()) {
        return Err(year_error(what, d.to_string()));
    }
    Ok(d.format("%Y-%m-%d").to_string())
}

/// Parses [`date_text`].
pub(crate) fn parse_date_text(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Unix seconds of an instant that must be a whole second (bar starts, chain timestamps).
pub(crate) fn whole_seconds(what: &str, t: DateTime<Utc>) -> Result<i64, StoreError> {
    if t.nanosecond() != 0 {
        return Err(StoreError::InvalidInput {
            what: format!("{what} {}", t.to_rfc3339()),
            reason: "it has a fraction of a second, and the store keys by whole unix seconds"
                .to_string(),
            fix: "round the timestamp to whole seconds before storing".to_string(),
        });
    }
    if !YEARS.contains(&t.year()) {
        return Err(year_error(what, t.to_rfc3339()));
    }
    Ok(t.timestamp())
}

/// The instant of unix seconds `s`.
pub(crate) fn from_seconds(s: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(s, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_text_sorts_and_round_trips_to_the_nanosecond() {
        let a = DateTime::parse_from_rfc3339("2025-11-28T09:59:59.999999999Z")
            .unwrap()
            .with_timezone(&Utc);
        let b = DateTime::parse_from_rfc3339("2025-11-28T15:30:00+05:30")
            .unwrap()
            .with_timezone(&Utc);
        let (ta, tb) = (time_text("t", a).unwrap(), time_text("t", b).unwrap());
        assert_eq!(tb, "2025-11-28T10:00:00.000000000Z");
        assert!(ta < tb);
        assert_eq!(parse_time_text(&ta), Some(a));
        assert_eq!(parse_time_text(&tb), Some(b));
    }

    #[test]
    fn rejects_fractions_of_seconds_and_five_digit_years() {
        let t = DateTime::from_timestamp(1_764_300_000, 5).unwrap();
        let e = whole_seconds("bar start", t).unwrap_err();
        assert!(e.to_string().contains("fraction of a second"), "{e}");
        let d = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert!(date_text("date", d).is_err());
        assert_eq!(
            date_text("date", NaiveDate::from_ymd_opt(2025, 2, 1).unwrap()).unwrap(),
            "2025-02-01"
        );
    }
}
