//! The configuration loader: `Config::from_toml_str` (what `Config::load` does after reading the
//! file) with `AEGIS_*` environment overrides.
//!
//! `crates/aegis/src/config.rs` is compiled here on its own (it needs only anyhow, serde, toml and
//! chrono) so that the fuzz build does not compile the whole `aegis` binary crate and the dashboard.
//!
//! Input: TOML text, optionally followed by a NUL byte and `KEY=VALUE` lines for the environment.
//! On `Ok`: the range checks pass; counts, timeouts, scheduler periods, health limits and the
//! staleness limit are at least 1 and the retrain day is a weekday (nothing downstream has to
//! adjust or refuse a value later), and the configuration written back as TOML loads to the same
//! value.
#![no_main]

#[allow(dead_code, missing_docs)]
#[path = "../../crates/aegis/src/config.rs"]
mod config;

use config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, env_part) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(text), Ok(env_text)) = (std::str::from_utf8(text), std::str::from_utf8(env_part))
    else {
        return;
    };
    let env: Vec<(String, String)> = env_text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let cfg = match Config::from_toml_str(text, env) {
        Ok(c) => c,
        Err(e) => {
            aegis_fuzz::report(format_args!("err {e:#}"));
            assert!(!format!("{e:#}").trim().is_empty());
            return;
        }
    };
    aegis_fuzz::report(format_args!("ok"));
    cfg.check()
        .expect("a loaded configuration passes its own checks");
    assert!(cfg.engine.confidence.is_finite());
    // Usable as loaded: nothing downstream has to adjust a value quietly.
    assert!(cfg.yahoo.attempts >= 1 && cfg.nse.attempts >= 1);
    assert!(cfg.yahoo.timeout_secs >= 1 && cfg.nse.timeout_secs >= 1);
    assert!(cfg.engine.seller_expiries >= 1);
    let sc = &cfg.schedule;
    assert!(sc.run_every_minutes >= 1 && sc.training_threads >= 1 && sc.tick_secs >= 1);
    assert!(
        sc.slow_job_secs >= 1 && 1 <= sc.retry_base_secs && sc.retry_base_secs <= sc.retry_max_secs
    );
    sc.retrain_weekday()
        .expect("a loaded configuration has a retrain weekday");
    assert!(cfg.health.max_model_age_days >= 1 && cfg.health.failing_after_failed_jobs >= 1);
    // The engines refuse a staleness limit below one minute at run time: it must fail at load.
    assert!(cfg.engine.stale_after_minutes >= 1);
    let written = toml::to_string(&cfg).expect("a loaded configuration serialises");
    let again = Config::from_toml_str(&written, Vec::new())
        .unwrap_or_else(|e| panic!("written configuration does not load: {e:#}\n{written}"));
    assert_eq!(again, cfg, "configuration changed on a TOML round trip");
});
