//! Costs of the model layer on the shared real data: the safe-range hit rate and breach curve
//! (what the engines compute at run time), the volatility walk-forward, and one full
//! `train_all` on the 5-year Yahoo data.
//!
//! `CARGO_TARGET_DIR=/tmp/tgt-ml cargo bench -p aegis-ml --bench models`

use std::path::Path;
use std::sync::LazyLock;

use aegis_calendar::NseCalendar;
use aegis_ml::saferange::{BREACH_DISTANCES, NIFTY_STRIKE_STEP, breach_curve, hit_rate};
use aegis_ml::training::{TrainInputs, TrainOptions, TrainingData, evaluate_vol, train_all};
use aegis_ml::volforecast::{COMPARISON_HORIZONS, VolConfig, VolPaths};
use aegis_model::{DailySeries, Symbol};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");

fn load(file: &str, symbol: Symbol) -> DailySeries {
    aegis_sources::csv::import_path(Path::new(DATA).join(file), Some(symbol))
        .unwrap()
        .series
        .into_daily()
        .unwrap()
}

/// (NIFTY, VIX) of the 5-year Yahoo files and of the long NSE history.
static YAHOO: LazyLock<(DailySeries, DailySeries)> = LazyLock::new(|| {
    (
        load("nifty50_daily_yahoo.csv", Symbol::Nifty50),
        load("indiavix_daily_yahoo.csv", Symbol::IndiaVix),
    )
});
static NSE: LazyLock<(DailySeries, DailySeries)> = LazyLock::new(|| {
    (
        load("nifty50_daily_nse_2000_2022.csv", Symbol::Nifty50),
        load("indiavix_daily_yahoo_2008_2022.csv", Symbol::IndiaVix),
    )
});

/// Prepared data and the walk-forward σ path of each dataset.
static PREPARED: LazyLock<Vec<(TrainingData, Vec<Option<f64>>)>> = LazyLock::new(|| {
    let cal = NseCalendar::new();
    let opts = TrainOptions::new("/nonexistent", chrono::Utc::now());
    [&*YAHOO, &*NSE]
        .into_iter()
        .map(|(n, v)| {
            let d = TrainingData::prepare(n, v, &cal).unwrap();
            let s = evaluate_vol(&d, &opts).unwrap().sigma_path;
            (d, s)
        })
        .collect()
});

const SETS: [&str; 2] = ["yahoo_2020_2025", "nse_2016_2022"];

fn set(name: &str) -> &'static (TrainingData, Vec<Option<f64>>) {
    &PREPARED[SETS.iter().position(|s| *s == name).unwrap()]
}

/// The historical hit rate at c = 0.90 over every evaluable day (≈ 975 / 1,480 days).
#[divan::bench(args = SETS)]
fn safe_range_hit_rate(bencher: Bencher, name: &str) {
    let (d, s) = set(name);
    bencher.bench(|| {
        hit_rate(
            black_box(&d.history),
            &d.windows,
            s,
            0.90,
            NIFTY_STRIKE_STEP,
        )
        .unwrap()
    });
}

/// The breach curve at 7 distances over the same days.
#[divan::bench(args = SETS)]
fn range_breach_curve(bencher: Bencher, name: &str) {
    let (d, s) = set(name);
    bencher
        .bench(|| breach_curve(black_box(&d.history), &d.windows, s, &BREACH_DISTANCES).unwrap());
}

/// The volatility walk-forward (GARCH + HAR refits every 21 sessions) on the whole history
/// of each file (NSE: 5,722 sessions from 2000).
#[divan::bench(args = ["yahoo_2020_2025", "nse_2000_2022"], sample_count = 3)]
fn vol_walk_forward(bencher: Bencher, name: &str) {
    let (n, v) = if name == SETS[0] { &*YAHOO } else { &*NSE };
    let h = aegis_ml::history::DailyHistory::new(n, Some(v)).unwrap();
    bencher.bench(|| {
        VolPaths::compute(black_box(&h), &COMPARISON_HORIZONS, VolConfig::default()).unwrap()
    });
}

/// Every model trained with its walk-forward, on 2 threads, files written to a temp dir.
#[divan::bench(sample_count = 2)]
fn train_all_yahoo_5y(bencher: Bencher) {
    let (n, v) = &*YAHOO;
    let dir = tempfile::tempdir().unwrap();
    let opts = TrainOptions::new(dir.path(), chrono::Utc::now());
    bencher.bench(|| train_all(TrainInputs { nifty: n, vix: v }, &opts).unwrap());
}
