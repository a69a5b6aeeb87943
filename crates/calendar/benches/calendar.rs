//! Per-bar calendar queries used by feature building.
//!
//! Run: `CARGO_TARGET_DIR=/tmp/tgt-calendar cargo bench -p aegis-calendar --bench calendar`

use aegis_calendar::NseCalendar;
use aegis_model::Symbol;
use aegis_model::time::ist_at;
use chrono::NaiveDate;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

/// Every day of 2016-01-01 .. 2026-12-31, the span of the table.
fn all_days() -> Vec<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    start.iter_days().take_while(|d| *d <= end).collect()
}

/// One call: trading days between a date and the date 20 calendar days later.
#[divan::bench]
fn trading_days_between(bencher: Bencher) {
    let cal = NseCalendar::new();
    let days = all_days();
    let mut i = 0usize;
    bencher.bench_local(|| {
        i = (i + 1) % (days.len() - 20);
        cal.trading_days_between(black_box(days[i]), black_box(days[i + 20]))
            .unwrap()
    });
}

/// One call: is_trading_day.
#[divan::bench]
fn is_trading_day(bencher: Bencher) {
    let cal = NseCalendar::new();
    let days = all_days();
    let mut i = 0usize;
    bencher.bench_local(|| {
        i = (i + 1) % days.len();
        cal.is_trading_day(black_box(days[i])).unwrap()
    });
}

/// One call: next NIFTY expiry at 11:00 IST of a date (IST conversion and binary search).
#[divan::bench]
fn next_expiry(bencher: Bencher) {
    let cal = NseCalendar::new();
    let instants: Vec<_> = all_days()
        .into_iter()
        .filter(|d| *d < NaiveDate::from_ymd_opt(2026, 12, 20).unwrap())
        .map(|d| ist_at(d, 11, 0))
        .collect();
    let mut i = 0usize;
    bencher.bench_local(|| {
        i = (i + 1) % instants.len();
        cal.next_expiry(Symbol::Nifty50, black_box(instants[i]))
            .unwrap()
    });
}

/// A whole 25-year-style pass: days to the next expiry for every day of the table.
#[divan::bench]
fn days_to_expiry_full_table(bencher: Bencher) {
    let cal = NseCalendar::new();
    let days: Vec<NaiveDate> = all_days()
        .into_iter()
        .filter(|d| *d < NaiveDate::from_ymd_opt(2026, 12, 20).unwrap())
        .collect();
    bencher.bench_local(|| {
        let mut total = 0u64;
        for d in &days {
            let e = cal.weekly_expiry_on_or_after(Symbol::Nifty50, *d).unwrap();
            total += u64::from(cal.trading_days_between(*d, e.date()).unwrap());
        }
        black_box(total)
    });
}

/// Building the calendar handle (tables are parsed once per process, then shared).
#[divan::bench]
fn new_handle() -> NseCalendar {
    NseCalendar::new()
}
