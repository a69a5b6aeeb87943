//! Every real file of `shared/data` imports with the README's counts and partial marks.

mod common;

use std::collections::HashMap;

use aegis_model::{DataOrigin, Expiry, Interval, Symbol};
use aegis_sources::csv::{
    CsvFormat, ImportOptions, PartialReason, SkipReason, import_path, import_path_with,
};
use aegis_sources::nse::{ChainShape, detect_chain_shape, import_chain_path, parse_chain_json};
use chrono::{NaiveDate, TimeZone, Utc};
use common::shared;
use rstest::rstest;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[rstest]
#[case("nifty50_daily_yahoo.csv", Symbol::Nifty50, CsvFormat::YahooExport, 1236, date(2020, 12, 1), date(2025, 11, 28), Some((8, 22, 29)))]
#[case("indiavix_daily_yahoo.csv", Symbol::IndiaVix, CsvFormat::YahooExport, 1221, date(2020, 12, 1), date(2025, 11, 28), Some((7, 41, 5)))]
#[case(
    "nifty50_daily_nse_2000_2022.csv",
    Symbol::Nifty50,
    CsvFormat::NseHistory,
    5722,
    date(2000, 1, 3),
    date(2022, 12, 30),
    None
)]
#[case(
    "indiavix_daily_yahoo_2008_2022.csv",
    Symbol::IndiaVix,
    CsvFormat::YahooExport,
    3633,
    date(2008, 3, 3),
    date(2022, 12, 30),
    None
)]
fn daily_files_import_with_readme_counts(
    #[case] name: &str,
    #[case] symbol: Symbol,
    #[case] format: CsvFormat,
    #[case] rows: usize,
    #[case] first: NaiveDate,
    #[case] last: NaiveDate,
    #[case] pulled_at_utc: Option<(u32, u32, u32)>,
) {
    let got = import_path(shared(name), None).unwrap();
    let s = &got.summary;
    assert_eq!(
        (s.symbol, s.symbol_guessed, s.format),
        (symbol, true, format)
    );
    assert_eq!((s.interval, s.interval_detected), (Interval::Daily, true));
    assert_eq!((s.rows_read, s.skipped.len()), (rows, 0));
    let series = got.series.into_daily().unwrap();
    assert_eq!(series.len(), rows);
    assert_eq!(series.origin(), DataOrigin::CsvImport);
    assert_eq!(series.first().unwrap().key, first);
    assert_eq!(series.last().unwrap().key, last);
    let partial: Vec<_> = series.bars().iter().filter(|b| b.partial).collect();
    match pulled_at_utc {
        Some((h, m, sec)) => {
            assert_eq!(partial.len(), 1);
            assert!(series.last().unwrap().partial);
            let stamp = Utc.with_ymd_and_hms(2025, 11, 28, h, m, sec).unwrap();
            assert_eq!(s.partial_last, Some(PartialReason::PullTime { stamp }));
            assert_eq!(series.complete().len(), rows - 1);
        }
        None => {
            assert!(partial.is_empty());
            assert_eq!(s.partial_last, None);
        }
    }
}

#[rstest]
#[case("nifty50_5m_yahoo.csv", Symbol::Nifty50, 655, (8, 20), &[("2025-11-18", 75), ("2025-11-26", 74), ("2025-11-28", 56)])]
#[case("indiavix_5m_yahoo.csv", Symbol::IndiaVix, 346, (7, 35), &[("2025-11-24", 75), ("2025-11-26", 74), ("2025-11-28", 47)])]
fn five_minute_files_import_with_readme_counts(
    #[case] name: &str,
    #[case] symbol: Symbol,
    #[case] rows: usize,
    #[case] last_bar_utc: (u32, u32),
    #[case] sessions: &[(&str, usize)],
) {
    let got = import_path(shared(name), None).unwrap();
    assert_eq!(got.summary.symbol, symbol);
    assert_eq!(got.summary.interval, Interval::FiveMinute);
    assert!(got.summary.interval_detected);
    let series = got.series.into_intraday().unwrap();
    assert_eq!(series.len(), rows);
    let last_start = Utc
        .with_ymd_and_hms(2025, 11, 28, last_bar_utc.0, last_bar_utc.1, 0)
        .unwrap();
    assert_eq!(series.last().unwrap().key, last_start);
    // The file stops mid-session (13:50 / 13:05 IST): the last bar was still forming.
    assert!(series.last().unwrap().partial);
    assert_eq!(
        got.summary.partial_last,
        Some(PartialReason::SessionCutOff {
            last_bar: last_start
        })
    );
    assert_eq!(series.bars().iter().filter(|b| b.partial).count(), 1);
    let mut per_day: HashMap<String, usize> = HashMap::new();
    for b in series.bars() {
        *per_day
            .entry(aegis_model::time::ist_date(b.key).to_string())
            .or_default() += 1;
    }
    for (day, n) in sessions {
        assert_eq!(per_day[*day], *n, "{day}");
    }
}

#[test]
fn muhurat_and_budget_sessions_are_complete_bars() {
    let series = import_path(shared("nifty50_daily_yahoo.csv"), None)
        .unwrap()
        .series
        .into_daily()
        .unwrap();
    for d in [date(2021, 11, 4), date(2022, 10, 24), date(2025, 2, 1)] {
        let i = series.position(d).unwrap_or_else(|| panic!("{d} missing"));
        assert!(!series.bars()[i].partial);
    }
}

#[test]
fn yahoo_and_nse_closes_agree_on_common_days() {
    let yahoo = import_path(shared("nifty50_daily_yahoo.csv"), None)
        .unwrap()
        .series
        .into_daily()
        .unwrap();
    let nse = import_path(shared("nifty50_daily_nse_2000_2022.csv"), None)
        .unwrap()
        .series
        .into_daily()
        .unwrap();
    let mut common = 0;
    for b in nse.bars() {
        if let Some(i) = yahoo.position(b.key) {
            common += 1;
            let diff = (yahoo.bars()[i].close - b.close).abs();
            assert!(diff <= 0.05 + 1e-9, "{}: {diff}", b.key);
        }
    }
    assert!(common > 500, "{common}");
    // NSE volume is shares traded, present on every row.
    assert!(nse.bars().iter().all(|b| b.volume.is_some_and(|v| v > 0.0)));
}

#[test]
fn live_tick_variant_of_a_real_file_drops_the_tick() {
    // The README says the source had a trailing tick row `2025-11-28 08:22:32`; re-add one.
    let mut text = std::fs::read_to_string(shared("nifty50_5m_yahoo.csv")).unwrap();
    let last = text.lines().last().unwrap().to_string();
    let tick = last.replacen("2025-11-28 08:20:00", "2025-11-28 08:22:32", 1);
    text.push_str(&tick);
    text.push('\n');
    let got = aegis_sources::csv::import_bytes(
        "nifty50_5m_yahoo.csv",
        text.as_bytes(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(got.series.len(), 655);
    assert_eq!(got.summary.rows_read, 656);
    let stamp = Utc.with_ymd_and_hms(2025, 11, 28, 8, 22, 32).unwrap();
    assert_eq!(
        got.summary.skipped[0].reason,
        SkipReason::LiveTick { stamp }
    );
    assert_eq!(got.summary.skipped[0].line, 657);
    assert_eq!(
        got.summary.partial_last,
        Some(PartialReason::LiveTick { stamp })
    );
}

#[test]
fn explicit_symbol_and_interval_override_guessing() {
    let got = import_path_with(
        shared("indiavix_daily_yahoo.csv"),
        &ImportOptions {
            symbol: Some(Symbol::IndiaVix),
            interval: Some(Interval::Daily),
            skip_null_rows: false,
        },
    )
    .unwrap();
    assert!(!got.summary.symbol_guessed && !got.summary.interval_detected);
    assert_eq!(got.series.len(), 1221);
    // A daily file forced to 5-minute bars is refused, not imported as nonsense.
    let e = import_path_with(
        shared("indiavix_daily_yahoo.csv"),
        &ImportOptions {
            interval: Some(Interval::FiveMinute),
            ..ImportOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().ends_with(
            "indiavix_daily_yahoo.csv` cannot be imported as 5m bars: every IST date has a single row, as in a daily file; import it as 1d"
        ),
        "{e}"
    );
}

/// What the data README states about a saved chain.
struct ChainFacts {
    name: &'static str,
    rows: usize,
    calls: usize,
    puts: usize,
    expiries: usize,
    stamp: &'static str,
    underlying: f64,
    nearest: &'static str,
    filtered_call_oi: f64,
    filtered_put_oi: f64,
}

#[rstest]
#[case(ChainFacts {
    name: "nifty_2020-08-07_eod.json",
    rows: 1068,
    calls: 884,
    puts: 978,
    expiries: 17,
    stamp: "2020-08-07T15:30:00+05:30",
    underlying: 11214.05,
    nearest: "2020-08-13",
    filtered_call_oi: 256_548.0,
    filtered_put_oi: 313_964.0,
})]
#[case(ChainFacts {
    name: "nifty_2025-07-16_eod.json",
    rows: 778,
    calls: 631,
    puts: 707,
    expiries: 18,
    stamp: "2025-07-16T15:30:00+05:30",
    underlying: 25212.05,
    nearest: "2025-07-17",
    filtered_call_oi: 2_215_609.0,
    filtered_put_oi: 1_817_093.0,
})]
fn saved_chains_parse_with_readme_counts(#[case] facts: ChainFacts) {
    let ChainFacts {
        name,
        rows,
        calls,
        puts,
        expiries,
        stamp,
        underlying,
        nearest,
        filtered_call_oi,
        filtered_put_oi,
    } = facts;
    let path = shared(&format!("option_chain/{name}"));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        detect_chain_shape(&bytes).unwrap(),
        Some(ChainShape::Indices)
    );
    let chain = import_chain_path(&path).unwrap();
    assert_eq!(chain.origin, DataOrigin::CsvImport);
    assert_eq!(chain.symbol, Symbol::Nifty50);
    assert_eq!(chain.rows.len(), rows);
    assert_eq!(
        chain.rows.iter().filter(|r| r.call.is_some()).count(),
        calls
    );
    assert_eq!(chain.rows.iter().filter(|r| r.put.is_some()).count(), puts);
    assert_eq!(chain.expiries.len(), expiries);
    assert_eq!(chain.timestamp.to_rfc3339(), stamp);
    assert_eq!(chain.underlying, underlying);
    let nearest: Expiry = nearest.parse().unwrap();
    assert_eq!(chain.expiries[0], nearest);
    // NSE's own `filtered` totals are the sums of the nearest expiry's OI.
    let rows = chain.expiry_rows(nearest);
    let call_oi: f64 = rows
        .iter()
        .filter_map(|r| r.call)
        .map(|q| q.open_interest)
        .sum();
    let put_oi: f64 = rows
        .iter()
        .filter_map(|r| r.put)
        .map(|q| q.open_interest)
        .sum();
    assert_eq!((call_oi, put_oi), (filtered_call_oi, filtered_put_oi));
    // Zero placeholders never become prices.
    let legs = chain.rows.iter().flat_map(|r| [r.call, r.put]).flatten();
    for q in legs {
        assert!(q.iv_percent.is_none_or(|v| v > 0.0));
        assert!(q.last_price.is_none_or(|v| v > 0.0));
        assert!(q.bid.is_none_or(|v| v > 0.0) && q.ask.is_none_or(|v| v > 0.0));
    }
    assert_eq!(
        parse_chain_json(&bytes, DataOrigin::Nse).unwrap().rows,
        chain.rows
    );
}

#[test]
fn zero_iv_placeholders_match_the_readme() {
    // README: zero IV on 1485 of 1862 legs (2020) and 594 of 1338 legs (2025).
    for (name, zero, total) in [
        ("nifty_2020-08-07_eod.json", 1485, 1862),
        ("nifty_2025-07-16_eod.json", 594, 1338),
    ] {
        let chain = import_chain_path(shared(&format!("option_chain/{name}"))).unwrap();
        let legs: Vec<_> = chain
            .rows
            .iter()
            .flat_map(|r| [r.call, r.put])
            .flatten()
            .collect();
        assert_eq!(legs.len(), total);
        assert_eq!(legs.iter().filter(|q| q.iv_percent.is_none()).count(), zero);
    }
}

#[test]
fn fractional_open_interest_survives() {
    let chain = import_chain_path(shared("option_chain/nifty_2025-07-16_eod.json")).unwrap();
    let fractional = chain
        .rows
        .iter()
        .flat_map(|r| [r.call, r.put])
        .flatten()
        .filter(|q| q.open_interest.fract() != 0.0)
        .count();
    assert!(fractional > 0);
}
