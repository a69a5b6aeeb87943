//! Feature-building benchmarks on real data: ~10 years of NIFTY daily bars (the last 2500 rows
//! of the NSE 2000–2022 file) with India VIX 2008–2022.
//!
//! `CARGO_TARGET_DIR=/tmp/tgt-features cargo bench -p aegis-features --bench features`

use aegis_features::indicators::{Indicator, RollingPercentile};
use aegis_features::{FeatureBuilder, FeatureFrame, FeatureKind, FeatureSet};
use aegis_model::{Candle, DailyBar, DailySeries, DataOrigin, Interval, Series, Symbol};
use chrono::NaiveDate;

fn main() {
    divan::main();
}

/// Reads `Date,Open,High,Low,Close,…` rows with a plain ISO date (the shared data files).
fn load(name: &str, symbol: Symbol) -> DailySeries {
    let path = format!("{}/../../../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let bars: Vec<DailyBar> = text
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let p = |i: usize| f[i].parse::<f64>().expect("price");
            let date = NaiveDate::parse_from_str(f[0], "%Y-%m-%d").expect("date");
            Candle::new(date, p(1), p(2), p(3), p(4))
        })
        .collect();
    Series::new(symbol, Interval::Daily, DataOrigin::CsvImport, bars).expect("valid")
}

fn ten_years() -> (DailySeries, DailySeries) {
    let nifty = load("nifty50_daily_nse_2000_2022.csv", Symbol::Nifty50);
    let bars = nifty.bars();
    let last = bars[bars.len() - 2500..].to_vec();
    let nifty = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Nse, last).unwrap();
    let vix = load("indiavix_daily_yahoo_2008_2022.csv", Symbol::IndiaVix);
    (nifty, vix)
}

fn since_2016() -> (DailySeries, DailySeries) {
    let (nifty, vix) = ten_years();
    let from = nifty
        .bars()
        .partition_point(|b| b.key < NaiveDate::from_ymd_opt(2016, 1, 1).unwrap());
    let bars = nifty.bars()[from..].to_vec();
    let nifty = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Nse, bars).unwrap();
    (nifty, vix)
}

/// The 10-year build: every feature except the two expiry features (the calendar's holiday
/// table starts in 2016, and the expiry features refuse uncovered years).
#[divan::bench(sample_count = 30)]
fn full_build_10y_without_calendar(bencher: divan::Bencher) {
    let (nifty, vix) = ten_years();
    let set = FeatureSet::standard()
        .without(FeatureKind::needs_calendar)
        .unwrap();
    bencher.bench(|| FeatureFrame::build(set.clone(), &nifty, Some(&vix)).expect("builds"));
}

/// The full standard set (expiry features included) on the calendar-covered 2016–2022 part.
#[divan::bench(sample_count = 30)]
fn full_build_2016_2022_standard(bencher: divan::Bencher) {
    let (nifty, vix) = since_2016();
    bencher
        .bench(|| FeatureFrame::build(FeatureSet::standard(), &nifty, Some(&vix)).expect("builds"));
}

/// One live update: push the last bar into a builder that has replayed the 2499 before it
/// (the copy of the builder is made outside the timed section).
#[divan::bench]
fn incremental_push(bencher: divan::Bencher) {
    let (nifty, vix) = since_2016();
    let last = *nifty.last().unwrap();
    let history = nifty.until(last.key - chrono::Duration::days(1));
    let (builder, _) = FeatureBuilder::replay(
        FeatureSet::standard(),
        &history,
        Some(&vix.until(last.key - chrono::Duration::days(1))),
    )
    .unwrap();
    let last_vix = vix.position(last.key).map(|i| vix.bars()[i]);
    bencher
        .with_inputs(|| builder.clone())
        .bench_local_refs(|b| b.push(&last, last_vix.as_ref()).expect("pushes"));
}

/// One live preview of a still-forming bar (includes the copy of the streaming state).
#[divan::bench]
fn incremental_preview(bencher: divan::Bencher) {
    let (nifty, vix) = since_2016();
    let last = *nifty.last().unwrap();
    let history = nifty.until(last.key - chrono::Duration::days(1));
    let (builder, _) = FeatureBuilder::replay(
        FeatureSet::standard(),
        &history,
        Some(&vix.until(last.key - chrono::Duration::days(1))),
    )
    .unwrap();
    let partial = Candle {
        partial: true,
        ..last
    };
    bencher.bench_local(|| builder.preview(&partial, None).expect("previews"));
}

/// The sorted-window percentile: one update of a full 252-value window of real VIX closes.
#[divan::bench]
fn rolling_percentile_252_update(bencher: divan::Bencher) {
    let (_, vix) = ten_years();
    let closes = vix.closes();
    let mut p = RollingPercentile::new(252);
    for &c in &closes[..252] {
        p.update(c);
    }
    let mut i = 252;
    bencher.bench_local(|| {
        p.update(closes[i % closes.len()]);
        i += 1;
        p.value()
    });
}
