//! `aegis data`: what the store holds, per symbol and interval, with gaps against the calendar.

use std::collections::BTreeSet;
use std::fmt;

use aegis_calendar::{CalendarError, NseCalendar};
use aegis_model::{Interval, Symbol};
use aegis_store::{BarTime, Store};
use anyhow::Result;
use chrono::NaiveDate;

use crate::table::Table;

/// Full 5-minute session: 09:15–15:25 IST bar starts.
pub const BARS_PER_SESSION: usize = 75;

/// Gaps of one series against the NSE calendar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gaps {
    /// Trading days in the covered range with no bar.
    pub missing_days: Vec<NaiveDate>,
    /// Sessions with fewer than 75 five-minute bars (date, bars), the partial last one excluded.
    pub short_sessions: Vec<(NaiveDate, usize)>,
    /// Bars on days the calendar says were closed.
    pub off_calendar: Vec<NaiveDate>,
    /// Years the holiday table does not cover, so were not checked.
    pub unchecked_years: BTreeSet<i32>,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct SeriesReport {
    /// Symbol.
    pub symbol: Symbol,
    /// Interval.
    pub interval: Interval,
    /// First bar.
    pub first: BarTime,
    /// Last bar.
    pub last: BarTime,
    /// Bars.
    pub count: usize,
    /// Where the bars came from.
    pub origin: String,
    /// Whether the last bar is partial.
    pub partial_last: bool,
    /// Calendar gaps.
    pub gaps: Gaps,
}

/// The report of `aegis data`.
#[derive(Debug, Clone)]
pub struct DataReport {
    /// The store file.
    pub store: String,
    /// One entry per stored series.
    pub series: Vec<SeriesReport>,
    /// Option-chain snapshots: (symbol, count, first, last).
    pub chains: Vec<(Symbol, usize, String, String)>,
}

/// Computes missing days, short sessions and off-calendar days for a set of bar dates.
pub fn calendar_gaps(
    cal: &NseCalendar,
    dates: &[(NaiveDate, usize)],
    intraday: bool,
    last_partial: bool,
) -> Gaps {
    let mut gaps = Gaps::default();
    let (Some(first), Some(last)) = (dates.first(), dates.last()) else {
        return gaps;
    };
    let present: BTreeSet<NaiveDate> = dates.iter().map(|d| d.0).collect();
    let mut day = first.0;
    while day <= last.0 {
        match cal.is_trading_day(day) {
            Ok(true) if !present.contains(&day) => gaps.missing_days.push(day),
            Ok(false) if present.contains(&day) => gaps.off_calendar.push(day),
            Ok(_) => {}
            Err(CalendarError::YearNotCovered { year }) => {
                gaps.unchecked_years.insert(year);
            }
            Err(_) => {}
        }
        day = day.succ_opt().expect("date in range");
    }
    if intraday {
        let n = dates.len();
        for (i, (d, count)) in dates.iter().enumerate() {
            let is_last = i + 1 == n;
            if *count < BARS_PER_SESSION && !(is_last && last_partial) {
                gaps.short_sessions.push((*d, *count));
            }
        }
    }
    gaps
}

/// Builds the report.
pub fn run(store: &Store, cal: &NseCalendar) -> Result<DataReport> {
    let mut series = Vec::new();
    for c in store.coverage()? {
        let (dates, intraday): (Vec<(NaiveDate, usize)>, bool) = match c.interval {
            Interval::Daily => (
                store
                    .daily_dates(c.symbol)?
                    .into_iter()
                    .map(|d| (d, 1))
                    .collect(),
                false,
            ),
            other => (store.intraday_session_dates(c.symbol, other)?, true),
        };
        let gaps = calendar_gaps(cal, &dates, intraday, c.partial_last);
        series.push(SeriesReport {
            symbol: c.symbol,
            interval: c.interval,
            first: c.first,
            last: c.last,
            count: c.count,
            origin: c.origin.code().to_string(),
            partial_last: c.partial_last,
            gaps,
        });
    }
    let mut chains = Vec::new();
    for sym in Symbol::ALL {
        let times = store.chain_times(sym)?;
        if let (Some(a), Some(b)) = (times.first(), times.last()) {
            chains.push((
                sym,
                times.len(),
                a.format("%Y-%m-%d %H:%M").to_string(),
                b.format("%Y-%m-%d %H:%M").to_string(),
            ));
        }
    }
    Ok(DataReport {
        store: store.path().display().to_string(),
        series,
        chains,
    })
}

fn show_dates(d: &[NaiveDate]) -> String {
    const SHOWN: usize = 6;
    let mut s: Vec<String> = d.iter().take(SHOWN).map(|x| x.to_string()).collect();
    if d.len() > SHOWN {
        s.push(format!("… (+{})", d.len() - SHOWN));
    }
    s.join(", ")
}

fn fmt_time(t: BarTime) -> String {
    match t {
        BarTime::Date(d) => d.to_string(),
        BarTime::Start(ts) => aegis_model::time::to_ist(ts)
            .format("%Y-%m-%d %H:%M IST")
            .to_string(),
    }
}

impl fmt::Display for DataReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Store: {}", self.store)?;
        if self.series.is_empty() && self.chains.is_empty() {
            return writeln!(
                f,
                "The store is empty. Import data with `aegis import FILE…`, fetch it with `aegis fetch`, or run `aegis simulate`."
            );
        }
        let mut t = Table::new(&[
            "symbol", "interval", "first", "last", ">bars", "origin", ">missing", ">short", "note",
        ]);
        for s in &self.series {
            let mut note = Vec::new();
            if s.partial_last {
                note.push("last bar partial".to_string());
            }
            if !s.gaps.unchecked_years.is_empty() {
                let ys: Vec<String> = s
                    .gaps
                    .unchecked_years
                    .iter()
                    .map(|y| y.to_string())
                    .collect();
                note.push(format!("calendar does not cover {}", ys.join(",")));
            }
            t.row([
                s.symbol.code().to_string(),
                s.interval.code().to_string(),
                fmt_time(s.first),
                fmt_time(s.last),
                s.count.to_string(),
                s.origin.clone(),
                s.gaps.missing_days.len().to_string(),
                if s.interval == Interval::Daily {
                    "-".to_string()
                } else {
                    s.gaps.short_sessions.len().to_string()
                },
                note.join("; "),
            ]);
        }
        write!(f, "{}", t.render())?;
        for s in &self.series {
            let g = &s.gaps;
            if !g.missing_days.is_empty() {
                writeln!(
                    f,
                    "{} {}: trading days without a bar: {}",
                    s.symbol,
                    s.interval,
                    show_dates(&g.missing_days)
                )?;
            }
            if !g.off_calendar.is_empty() {
                writeln!(
                    f,
                    "{} {}: bars on days the calendar has closed: {}",
                    s.symbol,
                    s.interval,
                    show_dates(&g.off_calendar)
                )?;
            }
            if !g.short_sessions.is_empty() {
                let v: Vec<String> = g
                    .short_sessions
                    .iter()
                    .take(6)
                    .map(|(d, n)| format!("{d} ({n}/{BARS_PER_SESSION})"))
                    .collect();
                writeln!(
                    f,
                    "{} {}: short sessions: {}",
                    s.symbol,
                    s.interval,
                    v.join(", ")
                )?;
            }
        }
        if !self.chains.is_empty() {
            let mut t = Table::new(&["chains", ">snapshots", "first (IST)", "last (IST)"]);
            for (s, n, a, b) in &self.chains {
                t.row([s.code().to_string(), n.to_string(), a.clone(), b.clone()]);
            }
            write!(f, "{}", t.render())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn finds_missing_and_off_calendar_days() {
        let cal = NseCalendar::new();
        // 2025-03-14 (Holi, Friday) is a holiday; 2025-03-17 (Monday) is missing from the data.
        let dates = vec![
            (d(2025, 3, 13), 1),
            (d(2025, 3, 14), 1),
            (d(2025, 3, 18), 1),
        ];
        let g = calendar_gaps(&cal, &dates, false, false);
        assert_eq!(g.missing_days, vec![d(2025, 3, 17)]);
        assert_eq!(g.off_calendar, vec![d(2025, 3, 14)]);
        assert!(g.unchecked_years.is_empty());
        let old = vec![(d(2001, 1, 2), 1), (d(2001, 1, 3), 1)];
        let g = calendar_gaps(&cal, &old, false, false);
        assert!(g.unchecked_years.contains(&2001));
    }

    #[test]
    fn short_sessions_skip_a_partial_last() {
        let cal = NseCalendar::new();
        let dates = vec![
            (d(2025, 11, 26), 74),
            (d(2025, 11, 27), 75),
            (d(2025, 11, 28), 56),
        ];
        let g = calendar_gaps(&cal, &dates, true, true);
        assert_eq!(g.short_sessions, vec![(d(2025, 11, 26), 74)]);
        let g = calendar_gaps(&cal, &dates, true, false);
        assert_eq!(g.short_sessions.len(), 2);
    }
}
