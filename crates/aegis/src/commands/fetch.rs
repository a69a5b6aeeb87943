//! `aegis fetch`: incremental fetches from Yahoo (daily and 5-minute bars) and NSE (option chain).
//!
//! Each source asks only for what the store lacks (from its last bar, fetched again so that a
//! partial bar is replaced). A failed source leaves the store as it was; the others still run,
//! and the command fails at the end naming every source that failed.

use std::fmt;
use std::time::Duration;

use aegis_model::{Interval, Symbol};
use aegis_sources::http::{HttpConfig, RetryPolicy};
use aegis_sources::nse::{NseClient, NseConfig};
use aegis_sources::yahoo::{YahooClient, YahooConfig};
use aegis_store::{InsertOutcome, Store};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::config::Config;

/// What to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchWhat {
    /// Daily bars of the index and India VIX.
    pub daily: bool,
    /// 5-minute bars of the index and India VIX.
    pub intraday: bool,
    /// The index's option chain.
    pub chain: bool,
}

impl Default for FetchWhat {
    fn default() -> Self {
        FetchWhat {
            daily: true,
            intraday: true,
            chain: true,
        }
    }
}

/// Outcome of one source.
#[derive(Debug, Clone)]
pub struct SourceOutcome {
    /// e.g. `Yahoo ^NSEI 1d`.
    pub source: String,
    /// What was stored, or the error.
    pub result: Result<String, String>,
}

/// The report of a fetch.
#[derive(Debug, Clone, Default)]
pub struct FetchReport {
    /// One entry per source asked.
    pub outcomes: Vec<SourceOutcome>,
}

impl FetchReport {
    /// Sources that failed.
    pub fn failures(&self) -> Vec<&SourceOutcome> {
        self.outcomes.iter().filter(|o| o.result.is_err()).collect()
    }
}

impl fmt::Display for FetchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.outcomes {
            match &o.result {
                Ok(s) => writeln!(f, "ok      {}: {}", o.source, s)?,
                Err(e) => writeln!(f, "FAILED  {}: {}", o.source, e)?,
            }
        }
        Ok(())
    }
}

fn http_config(timeout_secs: u64, attempts: u32) -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(timeout_secs),
        connect_timeout: Duration::from_secs(timeout_secs.min(10)),
        retry: RetryPolicy {
            max_attempts: attempts.max(1),
            ..RetryPolicy::default()
        },
        ..HttpConfig::default()
    }
}

/// The Yahoo client configured from `cfg`.
pub fn yahoo_client(cfg: &Config) -> YahooClient {
    YahooClient::new(YahooConfig {
        base_url: cfg.yahoo.base_url.trim_end_matches('/').to_string(),
        http: http_config(cfg.yahoo.timeout_secs, cfg.yahoo.attempts),
        ..YahooConfig::default()
    })
}

/// The NSE client configured from `cfg`.
pub fn nse_client(cfg: &Config) -> NseClient {
    NseClient::new(NseConfig {
        base_url: cfg.nse.base_url.trim_end_matches('/').to_string(),
        http: http_config(cfg.nse.timeout_secs, cfg.nse.attempts),
        min_poll_interval: Duration::from_secs(cfg.nse.min_poll_secs),
        max_expiries: None,
    })
}

/// Fetches what `what` asks for into `store`.
pub fn run(
    store: &mut Store,
    cfg: &Config,
    symbol: Symbol,
    what: FetchWhat,
    now: DateTime<Utc>,
) -> Result<FetchReport> {
    let mut report = FetchReport::default();
    let yahoo = yahoo_client(cfg);
    let symbols = [symbol, Symbol::IndiaVix];
    if what.daily {
        for sym in symbols {
            let since = store.last_daily_date(sym)?.map(|l| l.key);
            let result = yahoo
                .fetch_daily(sym, since, now)
                .map_err(|e| format!("{e}"))
                .and_then(|f| {
                    store
                        .upsert_daily(&f.series)
                        .map(|s| {
                            format!(
                                "{} bars received, {} new, {} updated{}",
                                f.series.len(),
                                s.inserted,
                                s.updated,
                                if f.series.last().is_some_and(|b| b.partial) {
                                    " (last bar partial: session still open)"
                                } else {
                                    ""
                                }
                            )
                        })
                        .map_err(|e| format!("{e}"))
                });
            report.outcomes.push(SourceOutcome {
                source: format!("Yahoo {} 1d", sym.yahoo_ticker()),
                result,
            });
        }
    }
    if what.intraday {
        for sym in symbols {
            let since = store
                .last_intraday_ts(sym, Interval::FiveMinute)?
                .map(|l| l.key);
            let result = yahoo
                .fetch_intraday(sym, since, now)
                .map_err(|e| format!("{e}"))
                .and_then(|f| {
                    store
                        .upsert_intraday(&f.series)
                        .map(|s| {
                            let mut msg = format!(
                                "{} bars received, {} new, {} updated",
                                f.series.len(),
                                s.inserted,
                                s.updated
                            );
                            if let Some(req) = &f.request
                                && let Some(wanted) = req.clamped_from
                            {
                                msg.push_str(&format!(
                                    "; Yahoo keeps ~60 days of 5-minute bars, so bars between {wanted} and {} are lost",
                                    req.asked_from
                                ));
                            }
                            msg
                        })
                        .map_err(|e| format!("{e}"))
                });
            report.outcomes.push(SourceOutcome {
                source: format!("Yahoo {} 5m", sym.yahoo_ticker()),
                result,
            });
        }
    }
    if what.chain {
        let nse = nse_client(cfg);
        let result = nse
            .fetch_chain(symbol)
            .map_err(|e| format!("{e}"))
            .and_then(|chain| {
                store
                    .insert_chain(&chain)
                    .map(|o| {
                        format!(
                            "chain at {} ({} rows, {} expiries): {}",
                            chain.timestamp.format("%Y-%m-%d %H:%M IST"),
                            chain.rows.len(),
                            chain.expiries.len(),
                            match o {
                                InsertOutcome::Inserted => "stored",
                                InsertOutcome::AlreadyPresent => "already stored",
                                InsertOutcome::KeptEarlier => "same time already stored; kept",
                            }
                        )
                    })
                    .map_err(|e| format!("{e}"))
            });
        report.outcomes.push(SourceOutcome {
            source: format!(
                "NSE {} option chain",
                symbol.nse_option_symbol().unwrap_or("?")
            ),
            result,
        });
    }
    Ok(report)
}

/// Fails with every failed source named, after the successful ones were stored.
pub fn into_result(report: FetchReport) -> Result<FetchReport> {
    let failed: Vec<String> = report.failures().iter().map(|o| o.source.clone()).collect();
    if failed.is_empty() {
        Ok(report)
    } else {
        print!("{report}");
        Err(anyhow::anyhow!(
            "fetch failed for {}; what the other sources returned was stored",
            failed.join(", ")
        ))
        .context("aegis fetch")
    }
}
