//! `aegis_sources::csv::import_bytes` on both CSV formats (Yahoo export, NSE index history).
//!
//! Input: one option byte (file name, symbol, interval, null-row skipping), then the CSV text.
//! On `Ok`: the series validates; every data row is either a bar or a counted skip; the partial
//! mark agrees with the summary; 5-minute bars lie on the grid; a dropped live tick lies after
//! the last bar; `detect_interval` agrees with the detected interval. On `Err`: the message names
//! the file.
#![no_main]

use aegis_fuzz::{Input, check_error_names, check_series, report};
use aegis_model::{Interval, Symbol};
use aegis_sources::csv::{ImportOptions, Imported, SkipReason, detect_interval, import_bytes};
use aegis_sources::session::is_on_five_minute_grid;
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 4] = [
    "nifty50_daily_yahoo.csv",
    "indiavix_5m_yahoo.csv",
    "NIFTY 50_Historical_PR.csv",
    "prices.csv",
];

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let opt = input.byte();
    let file = FILES[usize::from(opt & 3)];
    let options = ImportOptions {
        symbol: (opt & 4 != 0).then_some(Symbol::Nifty50),
        interval: match (opt >> 3) & 3 {
            1 => Some(Interval::Daily),
            2 => Some(Interval::FiveMinute),
            _ => None,
        },
        skip_null_rows: opt & 0x20 != 0,
    };
    let bytes = input.rest();
    let imported = match import_bytes(file, bytes, &options) {
        Ok(x) => x,
        Err(e) => {
            report(format_args!("err {e}"));
            check_error_names(&e.to_string(), file);
            return;
        }
    };
    report(format_args!(
        "ok {} bars, {}",
        imported.series.len(),
        imported.summary.interval
    ));
    let s = &imported.summary;
    assert_eq!(s.file, file);
    if let Some(sym) = options.symbol {
        assert_eq!(s.symbol, sym);
        assert!(!s.symbol_guessed);
    }
    if let Some(i) = options.interval {
        assert_eq!(s.interval, i);
        assert!(!s.interval_detected);
    }
    assert!(!imported.series.is_empty(), "an import returned no bars");
    assert_eq!(
        s.rows_read,
        imported.series.len() + s.skipped.len(),
        "rows read must be bars plus counted skips"
    );
    assert_eq!(imported.series.last_is_partial(), s.partial_last.is_some());
    match &imported.series {
        Imported::Daily(series) => {
            assert_eq!(s.interval, Interval::Daily);
            assert_eq!(series.symbol(), s.symbol);
            check_series(series);
        }
        Imported::Intraday(series) => {
            assert_eq!(s.interval, Interval::FiveMinute);
            assert_eq!(series.symbol(), s.symbol);
            check_series(series);
            assert!(series.bars().iter().all(|b| is_on_five_minute_grid(b.key)));
            let last = series.last().expect("non-empty").key;
            for skip in &s.skipped {
                if let SkipReason::LiveTick { stamp } = skip.reason {
                    assert!(
                        stamp > last,
                        "live tick {stamp} dropped although it is not after the last bar {last}"
                    );
                }
            }
        }
    }
    if s.interval_detected {
        let detected = detect_interval(file, bytes);
        assert!(
            matches!(detected, Ok(i) if i == s.interval),
            "detect_interval says {detected:?} but the import detected {}",
            s.interval
        );
    }
    // Deterministic.
    let again = import_bytes(file, bytes, &options).expect("second import");
    assert_eq!(again, imported);
});
