//! `aegis_sources::nse::{parse_chain_json, detect_chain_shape}` on NSE option-chain JSON of both
//! shapes (`option-chain-indices` and `option-chain-v3`).
//!
//! On `Ok`: the chain satisfies every `OptionChain` rule (see `aegis_fuzz::check_chain`), zero
//! placeholders became `None`, and a chain of rows is never of unknown shape.
#![no_main]

use aegis_fuzz::{check_chain, check_error_names, report};
use aegis_model::DataOrigin;
use aegis_sources::nse::{detect_chain_shape, parse_chain_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let shape = detect_chain_shape(data);
    match parse_chain_json(data, DataOrigin::Nse) {
        Ok(chain) => {
            report(format_args!(
                "ok {} rows, shape {shape:?}",
                chain.rows.len()
            ));
            check_chain(&chain);
            assert_eq!(chain.origin, DataOrigin::Nse);
            assert!(
                matches!(shape, Ok(Some(_))),
                "parsed as a chain but detect_chain_shape says {shape:?}"
            );
        }
        Err(e) => {
            report(format_args!("err {e}"));
            check_error_names(&e.to_string(), "chain JSON");
        }
    }
});
