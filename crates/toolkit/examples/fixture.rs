//! Writes the dashboard's browser-test fixture `toolkit.json` from real data: the saved NSE chain
//! of 2025-07-16 15:30 IST with the NIFTY and India VIX daily bars of the shared data set.
//!
//! `cargo run -p aegis-toolkit --example fixture -- crates/dashboard/tests/fixtures/toolkit.json`

use aegis_calendar::NseCalendar;
use aegis_model::Symbol;
use aegis_sources::csv::{Imported, import_path};
use aegis_store::Store;
use aegis_toolkit::{ToolkitConfig, build, read_inputs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: fixture <output toolkit.json>")?;
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    let mut store = Store::open_in_memory()?;
    let chain = aegis_sources::nse::import_chain_path(format!(
        "{data}/option_chain/nifty_2025-07-16_eod.json"
    ))?;
    store.insert_chain(&chain)?;
    for (file, symbol) in [
        ("nifty50_daily_yahoo.csv", Symbol::Nifty50),
        ("indiavix_daily_yahoo.csv", Symbol::IndiaVix),
    ] {
        if let Imported::Daily(series) = import_path(format!("{data}/{file}"), Some(symbol))?.series
        {
            store.upsert_daily(&series)?;
        }
    }
    let as_of = chain.timestamp.to_utc();
    let inputs = read_inputs(&store, Symbol::Nifty50, as_of, None)?;
    let doc = build(
        &inputs,
        Symbol::Nifty50,
        &NseCalendar::new(),
        &ToolkitConfig::default(),
        as_of,
    );
    std::fs::write(&out, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!("wrote {out}");
    Ok(())
}
