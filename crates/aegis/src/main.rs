//! The `aegis` command-line tool: see `aegis --help` and README.md.

use std::path::PathBuf;
use std::process::ExitCode;

use aegis::commands::{
    self, backtest, chain, data, demo, export, fetch, import, run as run_cmd, serve, simulate,
    strategy, train,
};
use aegis::config::Config;
use aegis::exit;
use aegis_calendar::NseCalendar;
use aegis_model::{Interval, Symbol};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

const ABOUT: &str = "AegisMatrix: NIFTY 50 options intelligence — where the index is likely to go, \
where it is statistically safe to sell options, and when buying them is justified.";

const AFTER_HELP: &str = "\
Pipeline: sources → store → features → models → engines → payload → dashboard.
Start offline with `aegis demo`; with real data: `aegis import FILE…` or `aegis fetch`, then `aegis data`.

Configuration: defaults, then the TOML file (--config, or ./aegis.toml if present), then
environment variables AEGIS_<SECTION>__<KEY> (e.g. AEGIS_ENGINE__CONFIDENCE=0.95).
Logging: AEGIS_LOG=debug (or any tracing filter), --log-json for JSON lines on stderr.
";

#[derive(Parser, Debug)]
#[command(name = "aegis", version, about = ABOUT, after_help = format!("{AFTER_HELP}\n{}", exit::HELP))]
struct Cli {
    /// Configuration file (TOML). Default: ./aegis.toml if it exists.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Store file; overrides `paths.store` of the configuration.
    #[arg(long, global = true, value_name = "FILE")]
    store: Option<PathBuf>,
    /// Write logs as JSON lines.
    #[arg(long, global = true)]
    log_json: bool,
    /// More log output (-v info, -vv debug); the default shows warnings and errors.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import CSV bars (Yahoo export or NSE index history) and saved NSE option-chain JSON.
    ///
    /// Every file is validated first (sorted, no duplicate dates, High ≥ max(Open, Close),
    /// min(Open, Close) ≥ Low > 0, numbers only); one bad file refuses the whole import and
    /// the store is left unchanged. The symbol is guessed from the file name (nifty50, indiavix,
    /// nsebank…) unless --symbol is given; the interval is detected unless --interval is given.
    ///
    /// Example: aegis import ../shared/data/nifty50_daily_yahoo.csv ../shared/data/indiavix_daily_yahoo.csv
    Import {
        /// Files: `.csv` bars or `.json` option chains.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Symbol of every CSV file (NIFTY50, INDIAVIX, NIFTYBANK, ^NSEI, …).
        #[arg(long)]
        symbol: Option<Symbol>,
        /// Interval of every CSV file: 1d or 5m.
        #[arg(long, value_parser = parse_interval)]
        interval: Option<Interval>,
        /// Skip (and count) rows whose prices are all `null` instead of refusing the file.
        #[arg(long)]
        skip_null_rows: bool,
    },
    /// Fetch what the store lacks from Yahoo (daily and 5-minute bars of the index and India VIX)
    /// and NSE (the option chain, at most once every 3 minutes).
    ///
    /// With no flags, fetches all three. Each source that fails is named; the others are stored.
    Fetch {
        /// Daily bars only (combine with the other flags to choose).
        #[arg(long)]
        daily: bool,
        /// 5-minute bars.
        #[arg(long)]
        intraday: bool,
        /// The option chain.
        #[arg(long)]
        chain: bool,
        /// NSE's daily reports instead: participant-wise open interest of the last 5 closed
        /// sessions the store lacks, and the latest FII/DII cash-market activity.
        #[arg(long)]
        reports: bool,
        /// Only this index (NIFTY50, NIFTYBANK, FINNIFTY, MIDCAPSELECT); default: every index
        /// of `[indices] list`. India VIX is always fetched with the bars.
        #[arg(long, alias = "symbol", value_name = "INDEX")]
        index: Option<Symbol>,
    },
    /// Show what the store holds: per symbol and interval the first and last bar, the count,
    /// the origin, and gaps against the NSE calendar; and the stored option-chain snapshots.
    Data,
    /// Option-chain analytics of a stored snapshot: max pain and its zone, put–call ratios,
    /// OI walls and change-in-OI leaders, the parity forward, our own implied-vol smile, ATM and
    /// 25-delta vols, risk reversal, butterfly and the straddle-implied move, per expiry.
    Chain {
        /// The index.
        #[arg(long, default_value = "NIFTY50")]
        symbol: Symbol,
        /// Use the newest snapshot at or before this time (RFC 3339, e.g. 2025-07-16T15:30:00+05:30).
        #[arg(long)]
        at: Option<DateTime<chrono::FixedOffset>>,
        /// Only this expiry (YYYY-MM-DD or DD-Mon-YYYY).
        #[arg(long)]
        expiry: Option<aegis_model::Expiry>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// Show the chain explorer instead: N strikes each side of the money with quotes, our
        /// IV and greeks, OI, change in OI and volume; ATM, max pain and the OI walls marked.
        #[arg(long, value_name = "N")]
        strikes: Option<usize>,
    },
    /// Analyse an option strategy on the newest stored chain: payoff, breakevens, max profit and
    /// loss, net premium, net greeks, probability of profit and of touching each breakeven.
    Strategy {
        /// The index.
        #[arg(long, default_value = "NIFTY50")]
        symbol: Symbol,
        /// Use the newest snapshot at or before this time (RFC 3339).
        #[arg(long)]
        at: Option<DateTime<chrono::FixedOffset>>,
        /// A leg, side:kind:strike:expiry:lots (e.g. sell:call:25500:2025-07-17:1); repeatable.
        #[arg(long = "leg", value_name = "LEG")]
        legs: Vec<aegis_toolkit::LegSpec>,
        /// A preset on the nearest expiry: short-strangle, iron-condor (both at the payload's
        /// safe range), long-straddle, bull-call-spread.
        #[arg(long)]
        preset: Option<aegis_toolkit::Preset>,
        /// Volatility of the probabilities: atm-iv, vix or forecast.
        #[arg(long, default_value = "atm-iv")]
        vol: aegis_toolkit::VolChoice,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the seeded simulated market (10 years of daily bars, VIX, 60 sessions of 5-minute
    /// bars, option chains) to the store. Everything is marked simulated; the store refuses to
    /// mix it with market data, so give it its own --store.
    Simulate {
        /// Simulator seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Years of daily history.
        #[arg(long, default_value_t = 10)]
        years: u32,
        /// The simulated "now" (RFC 3339, e.g. 2026-11-25T11:02:00+05:30); default: the real now.
        #[arg(long)]
        end: Option<DateTime<chrono::FixedOffset>>,
    },
    /// Serve the dashboard (default http://127.0.0.1:8080) until Ctrl-C or SIGTERM: the payload
    /// in paths.out, history from the store, model cards from paths.models, /healthz and
    /// /metrics (Prometheus).
    ///
    /// The scheduler runs beside the server: during NSE sessions a fetch and a run every
    /// schedule.run_every_minutes (default 5), one run after the close, nothing on weekends and
    /// holidays, a retrain after the close on schedule.retrain (default weekly) installed only if
    /// every model passes its checks. Failed jobs are retried with backoff; the server keeps
    /// serving. See docs/operations.md.
    Serve {
        /// Address to listen on (IP:PORT); default `serve.bind` of the configuration.
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// Seconds between the browser's automatic refreshes of the payload (at least 5).
        #[arg(long, default_value_t = aegis_dashboard::DEFAULT_REFRESH_SECS, value_name = "N")]
        refresh_secs: u64,
        /// Serve only: no scheduled fetches, runs or retrains.
        #[arg(long)]
        no_schedule: bool,
    },
    /// Write the dashboard as a static site (pages, assets, payload, schema, history and
    /// model cards) that any static web host can serve.
    Export {
        /// Directory to write the site into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Train every model (or one) on the stored NIFTY 50 and India VIX daily bars: walk-forward
    /// evaluation against the logistic baseline, calibration on out-of-sample predictions,
    /// the final fit, the model files (paths.models or --models) and their metadata in the store.
    ///
    /// Example: aegis train --model breakout_d1
    Train {
        /// Only this model (e.g. direction_h5, breakout_d1, vol_trap, regime_hmm, vol_forecast).
        #[arg(long)]
        model: Option<String>,
        /// Model directory; overrides `paths.models`.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Only this index; default: every index of `[indices] list` that has daily bars.
        #[arg(long, value_name = "INDEX")]
        index: Option<Symbol>,
    },
    /// Walk-forward report of every model (or one), the volatility-forecast QLIKE comparison and
    /// the safe-range hit rate with its breach curve; writes backtest.json and SVG reliability
    /// diagrams (default directory: <paths.out>/backtest).
    Backtest {
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
        /// Output directory for backtest.json and the SVG files.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also write the JSON report to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Model directory whose files are checked; overrides `paths.models`.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// The index.
        #[arg(long, value_name = "INDEX", default_value = "NIFTY50")]
        index: Symbol,
    },
    /// One cycle: read the store as of now (or --as-of), load the models, run the Direction,
    /// Option Sellers and Option Buyers engines, write the payload (aegismatrix.json) and its
    /// JSON Schema atomically into paths.out (or --out), record the run and every metric in the
    /// store, and print a summary of the three views.
    ///
    /// Exit codes: 0 all metrics available (stale ones are marked); 3 the payload was written but
    /// some metrics are unavailable (each says why and what to do); 4 the run failed and the last
    /// good payload is untouched.
    ///
    /// Example: aegis run --as-of 2025-11-28T13:55:00+05:30
    Run {
        /// Fetch first (as `aegis fetch`); sources that fail are reported and the run goes on.
        #[arg(long)]
        fetch: bool,
        /// Run on the data as it stood at this time (RFC 3339, e.g. 2025-11-28T13:55:00+05:30):
        /// daily bars of the sessions closed by then, 5-minute bars complete by then, the newest
        /// chain stamped at or before it.
        #[arg(long, value_name = "TIME")]
        as_of: Option<DateTime<chrono::FixedOffset>>,
        /// Model directory; overrides `paths.models`.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Output directory of the payload and its schema; overrides `paths.out`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Only this index; default: every index of `[indices] list` (one without daily bars
        /// in the store is skipped, except NIFTY50). NIFTY 50's documents are written to the
        /// output directory, the others' to `indices/<CODE>/`, and `indices.json` lists them.
        #[arg(long, value_name = "INDEX")]
        index: Option<Symbol>,
    },
    /// The offline demo: simulate a market in ./aegis-demo/, train every model on it, run the
    /// engines once, and serve the dashboard (default http://127.0.0.1:8080, `serve.bind`) until
    /// Ctrl-C. Everything derived from the simulator is marked simulated.
    Demo {
        /// Directory for the demo's store, models and payload.
        #[arg(long, default_value = "aegis-demo")]
        dir: PathBuf,
        /// Simulator seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Stop after writing the payload instead of serving the dashboard.
        #[arg(long)]
        no_serve: bool,
    },
}

fn parse_interval(s: &str) -> Result<Interval, String> {
    Interval::from_code(s).ok_or_else(|| format!("`{s}` is not an interval: use 1d or 5m"))
}

fn init_logging(verbose: u8, json: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_env("AEGIS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.log_json);
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::FAILED as u8)
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    let mut cfg = Config::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(store) = cli.store {
        cfg.paths.store = store;
    }
    let cal = NseCalendar::try_new().context("loading the NSE calendar tables")?;
    let now = Utc::now();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    match cli.command {
        Command::Import {
            files,
            symbol,
            interval,
            skip_null_rows,
        } => {
            let mut store = commands::open_store(&cfg.paths.store)?;
            let report = import::run(
                &mut store,
                &import::ImportArgs {
                    files,
                    symbol,
                    interval,
                    skip_null_rows,
                },
            )?;
            print!("{report}");
        }
        Command::Fetch {
            daily,
            intraday,
            chain,
            reports,
            index,
        } => {
            if reports {
                let mut store = commands::open_store(&cfg.paths.store)?;
                let report = fetch::into_result(fetch::reports(&mut store, &cfg, &cal, now)?)?;
                print!("{report}");
                if !(daily || intraday || chain) {
                    return Ok(exit::OK);
                }
            }
            let what = if daily || intraday || chain {
                fetch::FetchWhat {
                    daily,
                    intraday,
                    chain,
                }
            } else {
                fetch::FetchWhat::default()
            };
            let mut store = commands::open_store(&cfg.paths.store)?;
            let symbols = commands::indices(&cfg, index)?;
            let report = fetch::run(&mut store, &cfg, &symbols, what, now)?;
            let report = fetch::into_result(report)?;
            print!("{report}");
        }
        Command::Data => {
            let store = commands::open_store(&cfg.paths.store)?;
            print!("{}", data::run(&store, &cal)?);
        }
        Command::Chain {
            symbol,
            at,
            expiry,
            json,
            strikes,
        } => {
            let store = commands::open_store(&cfg.paths.store)?;
            let args = chain::ChainArgs { symbol, at, expiry };
            if let Some(n) = strikes {
                let report = chain::explorer(&store, &cal, &args, n)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{report}");
                }
            } else {
                let report = chain::run(&store, &args)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{report}");
                }
            }
        }
        Command::Strategy {
            symbol,
            at,
            legs,
            preset,
            vol,
            json,
        } => {
            let store = commands::open_store(&cfg.paths.store)?;
            let args = strategy::StrategyArgs {
                symbol,
                at,
                legs,
                preset,
                vol,
            };
            let report = strategy::run(&store, &cal, &cfg.paths.out, &args)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
        }
        Command::Simulate { seed, years, end } => {
            let mut store = commands::open_store(&cfg.paths.store)?;
            let report = simulate::run(
                &mut store,
                &cal,
                &simulate::SimulateArgs {
                    seed,
                    years,
                    end: end.map(|e| e.with_timezone(&Utc)).unwrap_or(now),
                    progress,
                    others: commands::indices(&cfg, None)?,
                },
            )?;
            print!("{report}");
        }
        Command::Serve {
            bind,
            refresh_secs,
            no_schedule,
        } => {
            serve::run(
                &cfg,
                &serve::ServeArgs { bind, refresh_secs },
                &cal,
                !no_schedule,
            )?;
        }
        Command::Export { out } => {
            print!("{}", export::run(&cfg, &export::ExportArgs { out })?);
        }
        Command::Train {
            model,
            models,
            threads,
            index,
        } => {
            let mut store = commands::open_store(&cfg.paths.store)?;
            let args = train::TrainArgs {
                symbol: aegis_payload::indices::PRIMARY,
                models_dir: models.unwrap_or_else(|| cfg.paths.models.clone()),
                model,
                now,
                progress,
                threads,
            };
            let symbols = commands::indices(&cfg, index)?;
            for summary in train::run_indices(&mut store, &args, &symbols, index.is_none())? {
                print!("{}", train::into_result(summary)?);
            }
        }
        Command::Backtest {
            model,
            out,
            json,
            models,
            threads,
            index,
        } => {
            let store = commands::open_store(&cfg.paths.store)?;
            let summary = backtest::run(
                &store,
                &backtest::BacktestArgs {
                    symbol: index,
                    model,
                    out_dir: out.unwrap_or_else(|| cfg.paths.out.join("backtest")),
                    json,
                    confidence: cfg.engine.confidence,
                    models_dir: models.unwrap_or_else(|| cfg.paths.models.clone()),
                    threads,
                    now,
                },
            )?;
            print!("{summary}");
        }
        Command::Run {
            fetch,
            as_of,
            models,
            out,
            index,
        } => {
            let args = run_cmd::RunArgs {
                fetch,
                as_of,
                models,
                out,
                index,
            };
            return Ok(run_cmd::run(&cfg, &args, &cal, now));
        }
        Command::Demo {
            dir,
            seed,
            no_serve,
        } => {
            let report = demo::run(
                &demo::DemoArgs {
                    dir,
                    seed,
                    now,
                    progress,
                    settings: aegis_engines::EngineSettings {
                        confidence: cfg.engine.confidence,
                        stale_after_minutes: cfg.engine.stale_after_minutes,
                        seller_expiries: cfg.engine.seller_expiries,
                    },
                    indices: commands::indices(&cfg, None)?,
                },
                &cal,
            )?;
            print!("{report}");
            if !no_serve {
                let mut demo_cfg = cfg.clone();
                demo_cfg.paths.store = report.paths.store.clone();
                demo_cfg.paths.models = report.paths.models.clone();
                demo_cfg.paths.out = report.paths.out.clone();
                let sc = serve::serve_config(
                    &demo_cfg,
                    &serve::ServeArgs {
                        bind: None,
                        refresh_secs: aegis_dashboard::DEFAULT_REFRESH_SECS,
                    },
                )?;
                println!(
                    "Dashboard: http://{} (Ctrl-C to stop; simulated data)",
                    sc.bind
                );
                aegis_dashboard::serve(sc).context("serving the demo dashboard")?;
            }
        }
    }
    Ok(exit::OK)
}
