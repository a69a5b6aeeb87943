//! `aegis_sources::yahoo::{parse_daily, parse_intraday}` on Yahoo v8 chart JSON.
//!
//! Input: one option byte (daily or 5-minute, symbol), eight bytes choosing `now`, then the body.
//! On `Ok`: the series validates with the right symbol, interval and origin; only the last bar may
//! be partial; 5-minute bars lie on the grid and a dropped live tick lies after the last bar.
#![no_main]

use aegis_fuzz::{Input, check_error_names, check_series, report};
use aegis_model::{DataOrigin, Interval, Symbol};
use aegis_sources::session::is_on_five_minute_grid;
use aegis_sources::yahoo::{parse_daily, parse_intraday};
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;

/// 2025-11-28 08:22:29 UTC, the pull time of the shared daily files.
const PULLED: i64 = 1_764_318_149;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let opt = input.byte();
    let symbol = if opt & 2 == 0 {
        Symbol::Nifty50
    } else {
        Symbol::IndiaVix
    };
    // `now` near the data (±2^20 s ≈ 12 days) or anywhere chrono can represent.
    let raw = input.i64();
    let secs = if opt & 4 == 0 {
        PULLED + (raw % (1 << 20))
    } else {
        raw
    };
    let Some(now) = DateTime::<Utc>::from_timestamp(secs, 0) else {
        return;
    };
    let body = input.rest();
    if opt & 1 == 0 {
        match parse_daily(body, symbol, now) {
            Ok(f) => {
                report(format_args!("ok daily {} bars", f.series.len()));
                assert_eq!(f.series.symbol(), symbol);
                assert_eq!(f.series.interval(), Interval::Daily);
                assert_eq!(f.series.origin(), DataOrigin::Yahoo);
                assert!(f.dropped_live_tick.is_none());
                assert!(f.request.is_none());
                check_series(&f.series);
            }
            Err(e) => {
                report(format_args!("err {e}"));
                check_error_names(&e.to_string(), "Yahoo");
            }
        }
    } else {
        match parse_intraday(body, symbol, now) {
            Ok(f) => {
                report(format_args!("ok 5m {} bars", f.series.len()));
                assert_eq!(f.series.symbol(), symbol);
                assert_eq!(f.series.interval(), Interval::FiveMinute);
                assert_eq!(f.series.origin(), DataOrigin::Yahoo);
                check_series(&f.series);
                assert!(
                    f.series
                        .bars()
                        .iter()
                        .all(|b| is_on_five_minute_grid(b.key))
                );
                if let (Some(tick), Some(last)) = (f.dropped_live_tick, f.series.last()) {
                    assert!(
                        tick > last.key,
                        "live tick {tick} dropped although it is not after the last bar {}",
                        last.key
                    );
                }
            }
            Err(e) => {
                report(format_args!("err {e}"));
                check_error_names(&e.to_string(), "Yahoo");
            }
        }
    }
});
