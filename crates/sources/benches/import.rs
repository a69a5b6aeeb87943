//! Import speed: CSV files of the shared data and the 2025 option-chain JSON.
//!
//! `cargo bench -p aegis-sources`. Inputs are read once; only parsing and validation are timed.

use aegis_model::DataOrigin;
use aegis_sources::csv::{ImportOptions, import_bytes};
use aegis_sources::nse::parse_chain_json;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

fn shared(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");
    std::fs::read(format!("{path}{name}")).expect("shared data file")
}

#[divan::bench(args = [
    "nifty50_daily_yahoo.csv",
    "nifty50_5m_yahoo.csv",
    "nifty50_daily_nse_2000_2022.csv",
])]
fn csv_import(bencher: Bencher, name: &str) {
    let bytes = shared(name);
    let options = ImportOptions::default();
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| import_bytes(black_box(name), black_box(&bytes), &options).expect("imports"));
}

#[divan::bench]
fn chain_json_2025(bencher: Bencher) {
    let bytes = shared("option_chain/nifty_2025-07-16_eod.json");
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| parse_chain_json(black_box(&bytes), DataOrigin::Nse).expect("parses"));
}
