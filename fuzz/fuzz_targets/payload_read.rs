//! `aegis_payload::read`, the reader of the payload file the dashboard serves.
//!
//! `read` takes a path, so each input is written to one temporary file per process first.
//! On `Ok`: the schema version is the current one, and writing the payload with
//! `aegis_payload::to_json` and reading it back gives the same payload and the same text.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use aegis_payload::{SCHEMA_VERSION, read, to_json};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("aegis-fuzz-payload-{}.json", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("write the scratch file");
    let payload = match read(path) {
        Ok(p) => p,
        Err(e) => {
            let msg = e.to_string();
            aegis_fuzz::report(format_args!("err {msg}"));
            assert!(
                msg.contains(&path.display().to_string()),
                "error does not name the file: {msg}"
            );
            return;
        }
    };
    aegis_fuzz::report(format_args!("ok"));
    assert_eq!(payload.schema_version, SCHEMA_VERSION);
    let text = to_json(&payload);
    std::fs::write(path, &text).expect("write the scratch file");
    let again = read(path).unwrap_or_else(|e| panic!("a written payload does not read back: {e}"));
    assert_eq!(again, payload, "payload changed on a round trip");
    assert_eq!(
        to_json(&again),
        text,
        "payload text changed on a round trip"
    );
});
