//! `aegis serve`: the dashboard on loopback (default `127.0.0.1:8080`) until Ctrl-C or
//! SIGTERM, with the [scheduler](crate::scheduler) producing payloads on the NSE calendar
//! (unless `--no-schedule`).
//!
//! It serves the payload in `paths.out`, history from `paths.store`, model cards from
//! `paths.models`, `/healthz` and `/metrics`; the scheduler shares its state with the last two.

use std::net::SocketAddr;
use std::path::PathBuf;

use aegis_calendar::NseCalendar;
use aegis_dashboard::{HealthLimits, ServeConfig, Telemetry};
use anyhow::{Context, Result};

use crate::config::Config;
use crate::scheduler::Scheduler;

/// Options of `aegis serve`.
#[derive(Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on; `serve.bind` of the configuration when absent.
    pub bind: Option<String>,
    /// Seconds between the browser's automatic refreshes of the payload.
    pub refresh_secs: u64,
}

/// The server's configuration from the application's and the command line's.
pub fn serve_config(cfg: &Config, args: &ServeArgs) -> Result<ServeConfig> {
    let bind_text = args.bind.as_deref().unwrap_or(&cfg.serve.bind);
    let bind: SocketAddr = bind_text.parse().with_context(|| {
        format!("`{bind_text}` is not an address to listen on: use IP:PORT, e.g. 127.0.0.1:8080 (set by --bind or serve.bind)")
    })?;
    Ok(ServeConfig {
        bind,
        out_dir: cfg.paths.out.clone(),
        store_path: PathBuf::from(&cfg.paths.store),
        models_dir: cfg.paths.models.clone(),
        refresh_secs: args.refresh_secs,
        health: HealthLimits {
            max_model_age_days: cfg.health.max_model_age_days,
            failing_after_failed_jobs: cfg.health.failing_after_failed_jobs,
        },
    })
}

/// Serves the dashboard until Ctrl-C or SIGTERM; with `schedule`, the scheduler runs beside it
/// (a failed or slow job never stops the server).
pub fn run(cfg: &Config, args: &ServeArgs, cal: &NseCalendar, schedule: bool) -> Result<()> {
    let config = serve_config(cfg, args)?;
    let telemetry = Telemetry::new();
    let running = if schedule {
        let scheduler = Scheduler::for_config(cfg, cal.clone(), telemetry.clone())?;
        let every = std::time::Duration::from_secs(cfg.schedule.tick_secs);
        tracing::info!(
            run_every_minutes = cfg.schedule.run_every_minutes,
            retrain = ?cfg.schedule.retrain,
            fetch = cfg.schedule.fetch,
            "scheduler started"
        );
        Some(scheduler.start(every)?)
    } else {
        tracing::info!("--no-schedule: serving only");
        None
    };
    let served = aegis_dashboard::serve_with(config, telemetry);
    if let Some(running) = running {
        running.stop();
    }
    served.context("serving the dashboard")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_comes_from_the_flag_or_the_configuration_and_is_checked() {
        let cfg = Config::default();
        let args = ServeArgs {
            bind: None,
            refresh_secs: 60,
        };
        let sc = serve_config(&cfg, &args).unwrap();
        assert_eq!(sc.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(sc.out_dir, cfg.paths.out);
        assert_eq!(sc.refresh_secs, 60);
        let args = ServeArgs {
            bind: Some("127.0.0.1:9090".into()),
            refresh_secs: 30,
        };
        assert_eq!(serve_config(&cfg, &args).unwrap().bind.port(), 9090);
        let args = ServeArgs {
            bind: Some("localhost".into()),
            refresh_secs: 30,
        };
        let err = format!("{:#}", serve_config(&cfg, &args).unwrap_err());
        assert!(err.contains("IP:PORT"), "{err}");
    }
}
