//! Time to compute the toolkit document and to price a strategy from the saved NSE chain.

use aegis_calendar::NseCalendar;
use aegis_model::{OptionChain, Symbol};
use aegis_toolkit::{
    Preset, StrategyDesk, ToolkitConfig, ToolkitInputs, VolChoice, VolInputs, build,
};

fn main() {
    divan::main();
}

fn chain() -> OptionChain {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/option_chain/nifty_2025-07-16_eod.json"
    );
    aegis_sources::nse::import_chain_path(path).expect("the saved chain imports")
}

/// The whole document from one chain (explorer and GEX of every live expiry, GEX total, presets).
#[divan::bench]
fn build_document(bencher: divan::Bencher) {
    let chain = chain();
    let cal = NseCalendar::new();
    let inputs = ToolkitInputs {
        latest: Some(chain.clone()),
        session: vec![chain.clone()],
        daily: vec![chain.clone()],
        ..ToolkitInputs::default()
    };
    let now = chain.timestamp.to_utc();
    bencher.bench(|| {
        build(
            &inputs,
            Symbol::Nifty50,
            &cal,
            &ToolkitConfig::default(),
            now,
        )
    });
}

/// One `/api/strategy` request's computation: an iron condor priced and analysed.
#[divan::bench]
fn analyze_strategy(bencher: divan::Bencher) {
    let chain = chain();
    let cal = NseCalendar::new();
    let desk = StrategyDesk::new(&chain, &cal, VolInputs::default());
    let legs = desk.preset(Preset::LongStraddle, None).unwrap();
    bencher.bench(|| {
        let desk = StrategyDesk::new(&chain, &cal, VolInputs::default());
        desk.analyze("straddle", &legs, VolChoice::AtmIv).unwrap()
    });
}
