//! `aegis run`: one cycle of the pipeline (optionally after a fetch), the payload written
//! atomically and recorded in the store, and a compact summary of the three views.
//!
//! Exit codes ([`crate::exit`]): 0 when every metric is available (stale ones are marked in the
//! payload), 3 when the payload was written but some metric is unavailable, 4 when the run
//! failed (nothing was published: the last good payload is untouched).

use std::fmt;
use std::path::PathBuf;

use aegis_calendar::NseCalendar;
use aegis_engines::EngineSettings;
use aegis_engines::blocks::{Direction, Level3};
use aegis_model::{Metric, Status, Symbol};
use aegis_payload::Payload;
use chrono::{DateTime, FixedOffset, Utc};

use super::fetch;
use crate::config::Config;
use crate::exit;
use crate::pipeline::{self, IndexRun, RunOptions, RunOutcome};
use crate::table::Table;

/// Options of `aegis run`.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// Fetch first (as `aegis fetch`); failed sources are reported and the run goes on.
    pub fetch: bool,
    /// Run on the data as it stood at this time.
    pub as_of: Option<DateTime<FixedOffset>>,
    /// Model directory; `paths.models` when absent.
    pub models: Option<PathBuf>,
    /// Output directory; `paths.out` when absent.
    pub out: Option<PathBuf>,
    /// Only this index; every index of `[indices] list` when absent.
    pub index: Option<Symbol>,
}

/// The options of a cycle from the configuration and the command line (for the index given
/// with `--index`, else the primary index).
pub fn options(cfg: &Config, args: &RunArgs, now: DateTime<Utc>) -> RunOptions {
    RunOptions {
        symbol: args.index.unwrap_or(aegis_payload::indices::PRIMARY),
        store: cfg.paths.store.clone(),
        models_dir: args
            .models
            .clone()
            .unwrap_or_else(|| cfg.paths.models.clone()),
        out_dir: args.out.clone().unwrap_or_else(|| cfg.paths.out.clone()),
        settings: EngineSettings {
            confidence: cfg.engine.confidence,
            stale_after_minutes: cfg.engine.stale_after_minutes,
            seller_expiries: cfg.engine.seller_expiries,
        },
        as_of: args.as_of.map(|t| t.with_timezone(&Utc)),
        now,
        alerts: cfg.alerts.clone(),
    }
}

/// Runs `aegis run` and returns its exit code; prints the summary of each index (stdout) or
/// the error (stderr). With several indices the exit code is the worst of the indices run
/// (an index skipped for want of data does not count).
pub fn run(cfg: &Config, args: &RunArgs, cal: &NseCalendar, now: DateTime<Utc>) -> i32 {
    let symbols = match super::indices(cfg, args.index) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit::RUN_FAILED;
        }
    };
    if args.fetch {
        let fetched = super::open_store(&cfg.paths.store).and_then(|mut store| {
            fetch::run(&mut store, cfg, &symbols, fetch::FetchWhat::default(), now)
        });
        match fetched {
            Ok(report) => eprint!("{report}"),
            Err(e) => eprintln!("fetch failed: {e:#}; running on the stored data"),
        }
    }
    let base = options(cfg, args, now);
    let runs = match args.index {
        // An index asked for by name runs even without data (and fails saying so).
        Some(symbol) => vec![(
            symbol,
            IndexRun::Ran(pipeline::run_cycle(&base, cal).map(Box::new)),
        )],
        None => pipeline::run_indices(&base, &symbols, cal),
    };
    let several = runs.len() > 1;
    let mut code = exit::OK;
    for (symbol, outcome) in runs {
        if several {
            println!("== {} ==", symbol.display_name());
        }
        match outcome {
            IndexRun::Ran(Ok(outcome)) => {
                print!("{}", Summary(&outcome));
                code = worst(code, outcome.exit_code);
            }
            IndexRun::Ran(Err(e)) => {
                let dir = aegis_payload::indices::index_dir(&base.out_dir, symbol);
                eprintln!(
                    "error: {} run failed: {e:#}\nThe last good payload in {} is untouched.",
                    symbol.display_name(),
                    dir.display()
                );
                code = worst(code, exit::RUN_FAILED);
            }
            IndexRun::Skipped(why) => eprintln!("skipped {}: {why}", symbol.display_name()),
        }
    }
    code
}

/// The worse of two run exit codes: failed, then degraded, then ok.
fn worst(a: i32, b: i32) -> i32 {
    let rank = |c| match c {
        exit::OK => 0,
        exit::DEGRADED => 1,
        _ => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The compact summary of a run.
pub struct Summary<'a>(pub &'a RunOutcome);

fn cell<T>(m: &Metric<T>, f: impl FnOnce(&T) -> String) -> String {
    match (&m.value, m.provenance.status) {
        (Some(v), Status::Stale) => format!("{} (stale)", f(v)),
        (Some(v), _) => f(v),
        (None, _) => "unavailable".into(),
    }
}

fn pc(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn dir(d: Direction) -> &'static str {
    match d {
        Direction::Up => "UP",
        Direction::Neutral => "NEUTRAL",
        Direction::Down => "DOWN",
    }
}

fn level(l: Level3) -> &'static str {
    match l {
        Level3::Low => "LOW",
        Level3::Medium => "MEDIUM",
        Level3::High => "HIGH",
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn market_line(f: &mut fmt::Formatter<'_>, p: &Payload) -> fmt::Result {
    let m = &p.market;
    let spot = cell(&m.spot, |s| {
        format!(
            "{:.2} ({:+.2}, {:+.2}%)",
            s.value, s.change_pts, s.change_pct
        )
    });
    let vix = cell(&m.vix, |v| format!("{:.2} {}", v.value, json_name(&v.band)));
    let regime = cell(&m.regime, |r| json_name(&r.label));
    writeln!(
        f,
        "{} {spot} · India VIX {vix} · regime {regime} · session {} ({})",
        m.symbol.display_name(),
        m.session.session_date,
        m.session.state
    )
}

fn direction(f: &mut fmt::Formatter<'_>, p: &Payload) -> fmt::Result {
    let d = &p.direction;
    let mut t = Table::new(&[
        "Direction",
        "stated",
        ">conviction",
        ">up / neutral / down",
        ">exp. move",
        ">68% range",
        "skill",
    ]);
    t.row([
        "Today".to_string(),
        cell(&d.today, |v| dir(v.direction).into()),
        cell(&d.today, |v| pc(v.conviction)),
        cell(&d.today, |v| {
            format!("{} / {} / {}", pc(v.t1.up), pc(v.t1.neutral), pc(v.t1.down))
        }),
        String::new(),
        String::new(),
        cell(&d.today, |v| format!("gauge {:+.2}", v.gauge)),
    ]);
    for h in &d.horizons {
        let name = h
            .value
            .as_ref()
            .map_or("?".to_string(), |v| format!("T+{}", v.days));
        t.row([
            name,
            cell(h, |v| dir(v.direction).into()),
            cell(h, |v| pc(v.conviction)),
            cell(h, |v| {
                format!(
                    "{} / {} / {}",
                    pc(v.probs.up),
                    pc(v.probs.neutral),
                    pc(v.probs.down)
                )
            }),
            cell(h, |v| format!("{:+.0} pts", v.expected_move_pts)),
            cell(h, |v| format!("{:.0}–{:.0}", v.range68_low, v.range68_high)),
            cell(h, |v| {
                if v.skill.has_skill {
                    "yes".into()
                } else {
                    "NO SKILL".into()
                }
            }),
        ]);
    }
    f.write_str(&t.render())?;
    writeln!(
        f,
        "Risk score {}",
        cell(&d.risk, |r| format!(
            "{:.2} (vol percentile {}, entropy {:.3})",
            r.score,
            pc(r.vol_percentile),
            r.entropy
        ))
    )
}

fn sellers(f: &mut fmt::Formatter<'_>, p: &Payload) -> fmt::Result {
    let s = &p.seller;
    let mut t = Table::new(&[
        "Sellers",
        ">days",
        ">safe range",
        "σ",
        ">hit rate",
        ">max pain",
        ">PCR",
        "trap",
        "stress",
    ]);
    for e in &s.expiries {
        t.row([
            format!("{} {}", e.expiry.date(), e.kind),
            e.trading_days.to_string(),
            cell(&e.safe_range, |r| format!("{:.0}–{:.0}", r.lower, r.upper)),
            cell(&e.safe_range, |r| {
                format!("{:.2}% {}", r.sigma_vol_pct, r.sigma_source)
            }),
            cell(&e.hit_rate, |h| format!("{} of {}", pc(h.rate), h.n)),
            cell(&e.max_pain, |m| format!("{:.0}", m.max_pain)),
            cell(&e.max_pain, |m| format!("{:.2}", m.pcr_oi)),
            e.trap.as_ref().map_or(String::new(), |m| {
                cell(m, |v| format!("{} {}", level(v.label), pc(v.probability)))
            }),
            e.stress.as_ref().map_or(String::new(), |m| {
                cell(m, |v| {
                    format!("{} {}", json_name(&v.label), pc(v.probability))
                })
            }),
        ]);
    }
    f.write_str(&t.render())?;
    writeln!(
        f,
        "Seller regime {} · daily flag {}",
        cell(&s.regime, |r| json_name(&r.label)),
        cell(&s.flag, |r| json_name(&r.flag))
    )
}

fn buyers(f: &mut fmt::Formatter<'_>, p: &Payload) -> fmt::Result {
    let b = &p.buyer;
    let next: Vec<String> = b
        .breakout_next
        .iter()
        .map(|m| cell(m, |v| pc(v.probability)))
        .collect();
    writeln!(
        f,
        "Buyers: breakout today {} · D+1..D+5 {} · spike bias {}",
        cell(&b.breakout_today, |v| format!(
            "{} {} (base {})",
            pc(v.probability),
            level(v.label),
            pc(v.base_rate)
        )),
        next.join(" "),
        cell(&b.spike_bias, |v| format!(
            "up {} / down {}",
            pc(v.up),
            pc(v.down)
        )),
    )?;
    writeln!(
        f,
        "        theta vs edge {} · regime {} · gap risk {} · environment {}",
        cell(&b.theta_edge, |v| format!(
            "{} {}",
            json_name(&v.label),
            pc(v.probability)
        )),
        cell(&b.regime, |v| json_name(&v.label)),
        cell(&b.gap_risk, |v| format!(
            "{} {}",
            pc(v.probability),
            level(v.label)
        )),
        cell(&b.environment, |v| json_name(&v.label)),
    )?;
    writeln!(
        f,
        "        levels {} · gamma peak {}",
        cell(&b.levels, |v| format!(
            "10-day {:.0}–{:.0}{}",
            v.low_10d,
            v.high_10d,
            match (v.or_low, v.or_high) {
                (Some(l), Some(h)) => format!(", opening range {l:.0}–{h:.0}"),
                _ => String::new(),
            }
        )),
        cell(&b.gamma_windows, |g| {
            let b = &g.blocks[g.peak_block as usize];
            format!("{}–{} ({} sessions)", b.start, b.end, g.sessions)
        })
    )
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self.0;
        let p = &o.payload;
        let h = &p.meta.health;
        writeln!(
            f,
            "AegisMatrix run {} · data as of {} · health {} ({} unavailable, {} stale){}",
            o.run_id,
            p.meta.data_as_of.format("%Y-%m-%d %H:%M IST"),
            json_name(&h.status),
            h.unavailable.len(),
            h.stale.len(),
            if p.meta.simulated {
                " · SIMULATED"
            } else {
                ""
            }
        )?;
        market_line(f, p)?;
        writeln!(f)?;
        direction(f, p)?;
        writeln!(f)?;
        sellers(f, p)?;
        writeln!(f)?;
        buyers(f, p)?;
        if !h.unavailable.is_empty() {
            writeln!(f, "\nUnavailable:")?;
            for i in &h.unavailable {
                writeln!(
                    f,
                    "  {}: {} — fix: {}",
                    i.metric,
                    i.reason.as_deref().unwrap_or(""),
                    i.fix.as_deref().unwrap_or("")
                )?;
            }
        }
        if !h.stale.is_empty() {
            writeln!(f, "\nStale:")?;
            for i in &h.stale {
                writeln!(f, "  {}: {}", i.metric, i.reason.as_deref().unwrap_or(""))?;
            }
        }
        for n in &h.notes {
            writeln!(f, "Note: {n}")?;
        }
        match &o.alerts {
            Ok(a) => {
                for e in &a.fired {
                    writeln!(
                        f,
                        "ALERT {}: {} (value {}, against {}); webhook {}",
                        e.rule, e.condition, e.value, e.against, e.delivery
                    )?;
                }
            }
            Err(why) => writeln!(f, "Alerts not evaluated: {why}")?,
        }
        writeln!(
            f,
            "\nPayload {} (schema {}); run {} recorded in the store; {:.3} s",
            o.written.payload.display(),
            o.written.schema.display(),
            o.run_id,
            o.seconds
        )
    }
}
