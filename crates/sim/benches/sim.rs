//! Speed of the simulator: the default configuration (10 years of daily bars, 60 sessions of
//! 5-minute bars, 10 days of option chains with 15-minute snapshots through the latest session),
//! and each index derived from it.

use aegis_calendar::NseCalendar;
use aegis_model::Symbol;
use aegis_sim::{SimConfig, simulate, simulate_index};

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

/// Deriving one index (NIFTY BANK, FINNIFTY, NIFTY MIDCAP SELECT) from the default NIFTY market:
/// NIFTY's paths regenerated and checked, the index's bars and its option chains.
#[divan::bench(sample_count = 10, args = [Symbol::NiftyBank, Symbol::FinNifty, Symbol::MidcapSelect])]
fn derived_index(bencher: divan::Bencher, symbol: Symbol) {
    let cal = NseCalendar::new();
    let config = SimConfig::default();
    let nifty = simulate(&config, &cal).unwrap();
    bencher.bench(|| simulate_index(divan::black_box(&config), &nifty, symbol, &cal).unwrap());
}
