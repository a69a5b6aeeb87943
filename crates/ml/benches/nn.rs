//! Cost of the BiLSTM challenger (cargo feature `nn`) on the real 5-year NIFTY data, built as
//! `aegis train` builds it: the whole walk-forward of one direction horizon (500 initial rows,
//! refit every 63, default parameters, plus the final fit on every labelled row), and one
//! prediction of today's window.
//!
//! `CARGO_TARGET_DIR=/tmp/tgt-nn cargo bench -p aegis-ml --features nn --bench nn`

use std::sync::LazyLock;

use aegis_calendar::NseCalendar;
use aegis_ml::Classifier;
use aegis_ml::nn::{BiLstmClassifier, train_direction_challenger, window};
use aegis_ml::nn_interface::{NnParams, SequenceInputs};
use aegis_ml::registry::ModelTask;
use aegis_ml::training::{TrainingData, sequence_inputs};
use aegis_model::{Candle, DailyBar, DailySeries, DataOrigin, Interval, Series, Symbol};
use chrono::NaiveDate;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

fn yahoo_daily(name: &str, symbol: Symbol) -> DailySeries {
    let path = format!("{}/../../../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut bars: Vec<DailyBar> = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let (date, time) = f[0].split_once(' ').expect("Yahoo timestamp");
        // The last row is a partial, still-forming day: end-of-day work drops it.
        if time != "03:45:00" && time != "12:45:00" {
            continue;
        }
        let num = |i: usize| f[i].parse::<f64>().expect("price");
        bars.push(Candle::new(
            NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date"),
            num(1),
            num(2),
            num(3),
            num(4),
        ));
    }
    Series::new(symbol, Interval::Daily, DataOrigin::Yahoo, bars).expect("valid series")
}

/// Inputs of direction h = 5.
static INPUTS: LazyLock<SequenceInputs> = LazyLock::new(|| {
    let nifty = yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50);
    let vix = yahoo_daily("indiavix_daily_yahoo.csv", Symbol::IndiaVix);
    let data = TrainingData::prepare(&nifty, &vix, &NseCalendar::new()).expect("training data");
    let labels = data
        .labels(ModelTask::Direction { horizon: 5 })
        .expect("labels");
    sequence_inputs(&data, &labels, 500)
});

static MODEL: LazyLock<BiLstmClassifier> = LazyLock::new(|| {
    train_direction_challenger(&INPUTS, &NnParams::default())
        .expect("trained")
        .model
});

#[divan::bench(sample_count = 1, sample_size = 1)]
fn walk_forward_and_final_fit_h5(bencher: Bencher) {
    let inputs = &*INPUTS;
    bencher.bench(|| train_direction_challenger(black_box(inputs), &NnParams::default()).unwrap());
}

#[divan::bench(sample_count = 20)]
fn predict_today(bencher: Bencher) {
    let inputs = &*INPUTS;
    let model = &*MODEL;
    let x = window(
        &inputs.rows,
        inputs.n_features(),
        inputs.lookback,
        inputs.n_rows() - 1,
    );
    bencher.bench(|| model.predict_proba(black_box(&x)).unwrap());
}
