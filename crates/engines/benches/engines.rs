//! Engine benchmarks on the real shared data (`../shared/data`): cutting the data at the as-of
//! time and deriving the shared inputs (`prepare`), and running the four engines (`run`).
//!
//! Models are loaded from `AEGIS_BENCH_MODELS` when it names a trained model directory
//! (`aegis train --models DIR`); otherwise the model metrics are `unavailable` and only the
//! data-driven part is measured. Run with `cargo bench -p aegis-engines --bench engines`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aegis_calendar::NseCalendar;
use aegis_engines::{EngineInputs, EngineSettings, MarketData};
use aegis_features::FeatureSet;
use aegis_ml::predictor::ModelSet;
use aegis_model::time::ist;
use aegis_sources::csv::import_path;
use aegis_sources::nse::import_chain_path;
use chrono::{DateTime, TimeZone, Utc};

fn main() {
    divan::main();
}

fn shared(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

/// Friday 28 Nov 2025, 13:55 IST: inside the last session of the shared 5-minute data.
fn as_of() -> DateTime<Utc> {
    ist()
        .with_ymd_and_hms(2025, 11, 28, 13, 55, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn data() -> &'static MarketData {
    static D: OnceLock<MarketData> = OnceLock::new();
    D.get_or_init(|| {
        let daily = |f: &str| {
            import_path(shared(f), None)
                .expect("the shared CSV imports")
                .series
                .into_daily()
                .expect("a daily file")
        };
        MarketData {
            nifty: daily("nifty50_daily_yahoo.csv"),
            vix: daily("indiavix_daily_yahoo.csv"),
            intraday: import_path(shared("nifty50_5m_yahoo.csv"), None)
                .expect("the shared 5-minute CSV imports")
                .series
                .into_intraday()
                .expect("a 5-minute file"),
            chain: Some(
                import_chain_path(shared("option_chain/nifty_2025-07-16_eod.json"))
                    .expect("the saved chain imports"),
            ),
        }
    })
}

fn models() -> &'static ModelSet {
    static M: OnceLock<ModelSet> = OnceLock::new();
    M.get_or_init(|| {
        let dir = std::env::var_os("AEGIS_BENCH_MODELS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/nonexistent-aegis-models"));
        ModelSet::load(&dir, &FeatureSet::standard())
    })
}

fn calendar() -> &'static NseCalendar {
    static C: OnceLock<NseCalendar> = OnceLock::new();
    C.get_or_init(NseCalendar::new)
}

/// Cutting the data at the as-of time and deriving what every engine shares.
#[divan::bench]
fn prepare(b: divan::Bencher) {
    let (cal, models) = (calendar(), models());
    b.with_inputs(|| data().clone()).bench_values(|d| {
        EngineInputs::prepare(d, as_of(), cal, models, EngineSettings::default())
            .expect("the inputs prepare")
    });
}

/// The four engines on prepared inputs.
#[divan::bench]
fn run(b: divan::Bencher) {
    let inputs = EngineInputs::prepare(
        data().clone(),
        as_of(),
        calendar(),
        models(),
        EngineSettings::default(),
    )
    .expect("the inputs prepare");
    b.bench(|| aegis_engines::run(&inputs));
}
