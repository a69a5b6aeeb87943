//! Speed of the simulator: the default configuration (10 years of daily bars, 60 sessions of
//! 5-minute bars, 10 days of option chains with 15-minute snapshots through the latest session).

use aegis_calendar::NseCalendar;
use aegis_sim::{SimConfig, simulate};

fn main() {
    divan::main();
}

/// What `aegis demo` runs: the default configuration.
#[divan::bench(sample_count = 10)]
fn default_market(bencher: divan::Bencher) {
    let cal = NseCalendar::new();
    let config = SimConfig::default();
    bencher.bench(|| simulate(divan::black_box(&config), &cal).unwrap());
}

/// Daily and intraday bars only (no chains), to separate the two costs.
#[divan::bench(sample_count = 10)]
fn bars_only(bencher: divan::Bencher) {
    let cal = NseCalendar::new();
    let config = SimConfig {
        chain_days: 0,
        ..SimConfig::default()
    };
    bencher.bench(|| simulate(divan::black_box(&config), &cal).unwrap());
}
