//! Fit costs of the learners and of a walk-forward run, on synthetic data of
//! the product's shape (1,250 rows ≈ 5 years of trading days, 30 features).
//!
//! Two signal strengths, because early stopping makes the tree count (and so
//! the cost) depend on how much there is to learn: `strong` (signal scale 1,
//! plus an interaction; out-of-sample AUC ≈ 0.8) and `weak` (scale 0.15, like
//! daily market direction; AUC ≈ 0.55).
//!
//! `CARGO_TARGET_DIR=/tmp/tgt-ml cargo bench -p aegis-ml --bench ml`

use std::sync::LazyLock;

use aegis_ml::synthetic::{SyntheticSpec, logistic_dataset, regime_observations};
use aegis_ml::walkforward::CalibrationConfig;
use aegis_ml::{
    CalibrationMethod, Dataset, GaussianHmm, GbtModel, GbtParams, HmmParams, LogisticModel,
    LogisticParams, WalkForwardConfig, walk_forward,
};
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

fn data(n_classes: usize, strong: bool) -> Dataset {
    logistic_dataset(&SyntheticSpec {
        n_rows: 1250,
        n_features: 30,
        n_classes,
        label_horizon: 5,
        signal_scale: if strong { 1.0 } else { 0.15 },
        interaction: if strong { 1.0 } else { 0.15 },
        missing_fraction: 0.01,
        seed: 2026,
    })
}

/// (classes, signal) cases: binary and 3-class direction, strong and weak signal.
const CASES: [(usize, &str); 4] = [(2, "strong"), (2, "weak"), (3, "strong"), (3, "weak")];

static DATA: LazyLock<Vec<Dataset>> =
    LazyLock::new(|| CASES.iter().map(|&(k, s)| data(k, s == "strong")).collect());

fn dataset(case: (usize, &str)) -> &'static Dataset {
    let i = CASES.iter().position(|&c| c == case).expect("known case");
    &DATA[i]
}

#[divan::bench(args = CASES, sample_count = 10)]
fn gbt_fit_1250x30(bencher: Bencher, case: (usize, &str)) {
    let ds = dataset(case);
    bencher.bench(|| GbtModel::fit(black_box(ds), &GbtParams::default()).unwrap());
}

#[divan::bench(args = [2, 3], sample_count = 10)]
fn logistic_fit_1250x30(bencher: Bencher, n_classes: usize) {
    let ds = dataset((n_classes, "strong"));
    bencher.bench(|| LogisticModel::fit(black_box(ds), &LogisticParams::default()).unwrap());
}

#[divan::bench(sample_count = 10)]
fn hmm_fit_1250x2_4_states(bencher: Bencher) {
    let (obs, _) = regime_observations(1250, 9);
    bencher.bench(|| GaussianHmm::fit(black_box(&obs), 2, &HmmParams::default()).unwrap());
}

/// Walk-forward over 1,250 rows: 500 initial training rows, refit every 21,
/// GBT model + logistic baseline each fold, isotonic calibration.
#[divan::bench(args = CASES, sample_count = 3)]
fn walk_forward_1250_refit_21(bencher: Bencher, case: (usize, &str)) {
    let ds = dataset(case);
    let config = WalkForwardConfig {
        initial_train_rows: 500,
        refit_every: 21,
        calibration: Some(CalibrationConfig {
            method: CalibrationMethod::Isotonic,
            min_rows: 100,
        }),
    };
    bencher.bench(|| {
        walk_forward(
            black_box(ds),
            &config,
            |t| GbtModel::fit(t, &GbtParams::default()),
            |t| LogisticModel::fit(t, &LogisticParams::default()),
        )
        .unwrap()
    });
}
