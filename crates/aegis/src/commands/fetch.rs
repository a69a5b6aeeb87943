//! `aegis fetch`: incremental fetches from Yahoo (daily and 5-minute bars) and NSE (option chain).
//!
//! Each source asks only for what the store lacks (from its last bar, fetched again so that a
//! partial bar is replaced). A failed source leaves the store as it was; the others still run,
//! and the command fails at the end naming every source that failed.

use std::fmt;
use std::time::Duration;

use aegis_calendar::NseCalendar;
use aegis_model::time::to_ist;
use aegis_model::{Interval, Symbol};
use aegis_sources::http::{HttpConfig, RetryPolicy};
use aegis_sources::nse::{NseClient, NseConfig};
use aegis_sources::nse_reports::{ClientType, NseReportsClient, NseReportsConfig, ReportError};
use aegis_sources::yahoo::{YahooClient, YahooConfig};
use aegis_store::{FiiDiiRow, InsertOutcome, ParticipantOiRow, Store};
use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

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

/// Fetches what `what` asks for into `store`, for each index of `indices` (and India VIX once).
pub fn run(
    store: &mut Store,
    cfg: &Config,
    indices: &[Symbol],
    what: FetchWhat,
    now: DateTime<Utc>,
) -> Result<FetchReport> {
    let mut report = FetchReport::default();
    let yahoo = yahoo_client(cfg);
    let mut symbols: Vec<Symbol> = indices.to_vec();
    if !symbols.contains(&Symbol::IndiaVix) {
        symbols.push(Symbol::IndiaVix);
    }
    if what.daily {
        for &sym in &symbols {
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
        for &sym in &symbols {
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
        for &symbol in indices.iter().filter(|s| s.nse_option_symbol().is_some()) {
            fetch_chain(store, &nse, symbol, &mut report);
        }
    }
    Ok(report)
}

/// Fetches one index's option chain into the store.
fn fetch_chain(store: &mut Store, nse: &NseClient, symbol: Symbol, report: &mut FetchReport) {
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

/// Sessions whose participant-OI report is fetched when missing from the store.
pub const REPORT_SESSIONS: usize = 5;

/// The NSE daily-reports client configured from `cfg`.
pub fn reports_client(cfg: &Config) -> NseReportsClient {
    NseReportsClient::new(NseReportsConfig {
        archive_base_url: cfg.nse.archive_base_url.trim_end_matches('/').to_string(),
        api_base_url: cfg.nse.base_url.trim_end_matches('/').to_string(),
        http: http_config(cfg.nse.timeout_secs, cfg.nse.attempts),
    })
}

/// The last `n` sessions that have closed by `now`, oldest first.
fn closed_sessions(cal: &NseCalendar, now: DateTime<Utc>, n: usize) -> Result<Vec<NaiveDate>> {
    let ist = to_ist(now);
    let today = ist.date_naive();
    let close = NaiveTime::from_hms_opt(15, 30, 0).expect("a valid time");
    let mut day = if cal.is_trading_day(today)? && ist.time() >= close {
        today
    } else {
        cal.prev_trading_day(today)?
    };
    let mut out = vec![day];
    while out.len() < n {
        day = cal.prev_trading_day(day)?;
        out.push(day);
    }
    out.reverse();
    Ok(out)
}

/// Fetches NSE's daily reports into the store: the participant-wise open interest of each of
/// the last [`REPORT_SESSIONS`] closed sessions that the store lacks (a report NSE has not
/// published yet is said so, not an error), and the latest FII/DII cash-market activity.
pub fn reports(
    store: &mut Store,
    cfg: &Config,
    cal: &NseCalendar,
    now: DateTime<Utc>,
) -> Result<FetchReport> {
    let client = reports_client(cfg);
    let mut report = FetchReport::default();
    let sessions = closed_sessions(cal, now, REPORT_SESSIONS)?;
    let (first, last) = (sessions[0], sessions[sessions.len() - 1]);
    let stored: std::collections::BTreeSet<NaiveDate> = store
        .participant_oi(first, last)?
        .into_iter()
        .map(|r| r.date)
        .collect();
    for date in sessions.into_iter().filter(|d| !stored.contains(d)) {
        let result = match client.fetch_participant_oi(date) {
            Ok(oi) => {
                let rows: Vec<ParticipantOiRow> = ClientType::ALL
                    .iter()
                    .map(|&c| ParticipantOiRow {
                        date: oi.date(),
                        client_type: c.as_str().to_string(),
                        contracts: oi.row(c).to_array(),
                    })
                    .collect();
                store
                    .upsert_participant_oi(&rows)
                    .map(|u| format!("{} rows new, {} updated", u.inserted, u.updated))
                    .map_err(|e| format!("{e}"))
            }
            Err(ReportError::NotPublished { .. }) => {
                Ok("not published yet (NSE publishes it in the evening)".to_string())
            }
            Err(e) => Err(format!("{e}")),
        };
        report.outcomes.push(SourceOutcome {
            source: format!("NSE participant-wise OI {date}"),
            result,
        });
    }
    let result = client
        .fetch_fii_dii()
        .map_err(|e| format!("{e}"))
        .and_then(|a| {
            let row = |category: &str, v: aegis_sources::nse_reports::FlowValues| FiiDiiRow {
                date: a.date,
                category: category.to_string(),
                buy_crore: v.buy,
                sell_crore: v.sell,
                net_crore: v.net,
            };
            store
                .upsert_fii_dii(&[row("FII", a.fii), row("DII", a.dii)])
                .map(|u| {
                    format!(
                        "{}: FII net {:+.2} cr, DII net {:+.2} cr ({} new, {} updated)",
                        a.date, a.fii.net, a.dii.net, u.inserted, u.updated
                    )
                })
                .map_err(|e| format!("{e}"))
        });
    report.outcomes.push(SourceOutcome {
        source: "NSE FII/DII activity".into(),
        result,
    });
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
