//! The scheduler inside `aegis serve`: fetch and run on the NSE calendar, retrain after the
//! close, never two jobs at once, back off after failures, keep the server serving.
//!
//! * During a session (09:15–15:30 IST on a regular day), one **intraday** cycle (fetch, then
//!   [`pipeline::run_cycle`]) per `schedule.run_every_minutes` slot counted from the open.
//! * After the close of a session, one **post-close** cycle; then, on the configured cadence
//!   (`schedule.retrain`: weekly on `retrain_day`, daily or never), a **retrain** into a fresh
//!   versioned directory that is installed (an atomic swap of the `paths.models` link) only if
//!   every model loads and passes the model-file checks ([`ModelSet::load`]).
//! * Before the open, on weekends and on holidays: nothing.
//! * One worker thread runs the jobs; a tick that finds a job still running is skipped and
//!   counted. A failed job is logged and retried after an exponential backoff
//!   (`retry_base_secs`, doubled per failure, capped at `retry_max_secs`); a job slower than
//!   `slow_job_secs` is logged and counted. When every source of a fetch fails, nothing new can
//!   be published: the job fails and the last good payload stays byte-identical.
//!
//! Time comes from a [`Clock`], so tests drive the scheduler across the open and the close
//! with a [`ManualClock`] instead of sleeping.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use aegis_calendar::{CalendarError, MarketState, NseCalendar};
use aegis_dashboard::{JobOutcome, JobRecord, Telemetry};
use aegis_features::FeatureSet;
use aegis_ml::predictor::ModelSet;
use aegis_ml::training::{TrainInputs, TrainOptions, train_all_with_progress};
use aegis_model::Symbol;
use aegis_model::time::ist_date;
use aegis_payload::indices::index_dir;
use aegis_store::ModelMeta;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use crate::commands::{self, fetch, run as run_cmd, train};
use crate::config::{Config, RetrainCadence, ScheduleConfig};
use crate::{exit, pipeline};

/// The source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A kind of scheduled job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A fetch-and-run cycle during a session.
    Intraday,
    /// The fetch-and-run cycle after the close.
    PostClose,
    /// Retraining after the close.
    Retrain,
}

impl JobKind {
    /// The name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Intraday => "intraday",
            JobKind::PostClose => "post_close",
            JobKind::Retrain => "retrain",
        }
    }
}

/// A job the planner found due: its kind, the IST session date, and (intraday) its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueJob {
    /// What to run.
    pub kind: JobKind,
    /// The session date it belongs to.
    pub date: NaiveDate,
    /// Intraday slot number: whole `run_every` periods since the open.
    pub slot: i64,
}

/// The scheduler's timing rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSettings {
    /// Period of intraday cycles.
    pub every: Duration,
    /// Retraining cadence.
    pub retrain: RetrainCadence,
    /// Day of the weekly retrain.
    pub retrain_day: Weekday,
    /// First retry delay.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// A job longer than this is slow.
    pub slow_job: Duration,
}

impl ScheduleSettings {
    /// The settings of `[schedule]`.
    pub fn from_config(cfg: &ScheduleConfig) -> Result<Self> {
        let secs = |v: u64| Duration::seconds(i64::try_from(v).unwrap_or(i64::MAX / 1000));
        Ok(ScheduleSettings {
            every: Duration::minutes(
                i64::try_from(cfg.run_every_minutes).unwrap_or(i64::MAX / 60_000),
            ),
            retrain: cfg.retrain,
            retrain_day: cfg.retrain_weekday()?,
            retry_base: secs(cfg.retry_base_secs),
            retry_max: secs(cfg.retry_max_secs),
            slow_job: secs(cfg.slow_job_secs),
        })
    }
}

/// Decides which job is due at a given time; pure, so tests can walk it through a day.
#[derive(Debug, Clone)]
pub struct Planner {
    settings: ScheduleSettings,
    last_slot: Option<(NaiveDate, i64)>,
    post_close_done: Option<NaiveDate>,
    last_retrain: Option<NaiveDate>,
    failures: u32,
    retry_at: Option<DateTime<Utc>>,
}

impl Planner {
    /// A planner; `last_retrain` is the IST date the models in use were trained (`None`: no
    /// models, so the first post-close retrain is due).
    pub fn new(settings: ScheduleSettings, last_retrain: Option<NaiveDate>) -> Self {
        Planner {
            settings,
            last_slot: None,
            post_close_done: None,
            last_retrain,
            failures: 0,
            retry_at: None,
        }
    }

    /// The job due at `now`, if any.
    ///
    /// # Errors
    /// When the calendar does not cover `now`'s year.
    pub fn due(
        &self,
        cal: &NseCalendar,
        now: DateTime<Utc>,
    ) -> Result<Option<DueJob>, CalendarError> {
        if self.retry_at.is_some_and(|r| now < r) {
            return Ok(None);
        }
        let today = ist_date(now);
        Ok(match cal.market_state(now)? {
            MarketState::Open => {
                let Some(session) = cal.session(today)? else {
                    return Ok(None);
                };
                let every = self.settings.every.num_seconds().max(1);
                let slot = (now - session.open).num_seconds().max(0) / every;
                (self.last_slot != Some((today, slot))).then_some(DueJob {
                    kind: JobKind::Intraday,
                    date: today,
                    slot,
                })
            }
            MarketState::PostClose => {
                if self.post_close_done != Some(today) {
                    Some(DueJob {
                        kind: JobKind::PostClose,
                        date: today,
                        slot: 0,
                    })
                } else if self.retrain_due(today) {
                    Some(DueJob {
                        kind: JobKind::Retrain,
                        date: today,
                        slot: 0,
                    })
                } else {
                    None
                }
            }
            MarketState::PreOpen | MarketState::Closed => None,
        })
    }

    fn retrain_due(&self, today: NaiveDate) -> bool {
        if self.last_retrain == Some(today) {
            return false;
        }
        match self.settings.retrain {
            RetrainCadence::Never => false,
            RetrainCadence::Daily => true,
            RetrainCadence::Weekly => match self.last_retrain {
                None => true,
                // On the day, or a week after the last one (the day was a holiday).
                Some(last) => {
                    today.weekday() == self.settings.retrain_day
                        || today - last >= Duration::days(7)
                }
            },
        }
    }

    /// Records the end of `job` at `finished`: marks it done on success; on failure, sets the
    /// backoff (a failed retrain is not repeated until its next due date: training is
    /// deterministic, so it would fail the same way).
    pub fn finished(&mut self, job: DueJob, finished: DateTime<Utc>, succeeded: bool) {
        if succeeded {
            self.failures = 0;
            self.retry_at = None;
        } else {
            self.failures = self.failures.saturating_add(1);
            self.retry_at = Some(finished + self.backoff(self.failures));
        }
        match job.kind {
            JobKind::Intraday if succeeded => self.last_slot = Some((job.date, job.slot)),
            JobKind::PostClose if succeeded => self.post_close_done = Some(job.date),
            JobKind::Retrain => self.last_retrain = Some(job.date),
            _ => {}
        }
    }

    /// The delay before the retry after `failures` failures in a row.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        let delay = self.settings.retry_base * (1_i32 << doublings);
        delay.min(self.settings.retry_max)
    }

    /// When the next attempt may run after a failure.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        self.retry_at
    }
}

/// One source's fetch result within a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceResult {
    /// `yahoo` or `nse`.
    pub source: &'static str,
    /// The request, e.g. `Yahoo ^NSEI 5m`.
    pub request: String,
    /// What was stored, or the error.
    pub result: Result<String, String>,
}

/// What a cycle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleReport {
    /// Fetch results, one per request (empty when fetching is off).
    pub fetched: Vec<SourceResult>,
    /// The run: `Ok((degraded, summary))`, or why nothing was published.
    pub run: Result<(bool, String), String>,
}

/// The work the scheduler runs (the real pipeline, or a stand-in in tests).
pub trait Jobs: Send + Sync {
    /// A fetch-and-run cycle at `now`.
    fn cycle(&self, kind: JobKind, now: DateTime<Utc>) -> CycleReport;
    /// Retrains and installs the models; returns what was done.
    fn retrain(&self, now: DateTime<Utc>) -> Result<String>;
}

/// The real jobs: `aegis fetch` + `aegis run`, and `aegis train` with a checked swap.
#[derive(Debug, Clone)]
pub struct PipelineJobs {
    cfg: Config,
    cal: NseCalendar,
}

impl PipelineJobs {
    /// Jobs on the configuration's store, models and output directory.
    pub fn new(cfg: Config, cal: NseCalendar) -> Self {
        PipelineJobs { cfg, cal }
    }
}

impl Jobs for PipelineJobs {
    fn cycle(&self, _kind: JobKind, now: DateTime<Utc>) -> CycleReport {
        let mut fetched = Vec::new();
        if self.cfg.schedule.fetch {
            let report = commands::indices(&self.cfg, None).and_then(|symbols| {
                let mut store = commands::open_store(&self.cfg.paths.store)?;
                fetch::run(
                    &mut store,
                    &self.cfg,
                    &symbols,
                    fetch::FetchWhat::default(),
                    now,
                )
            });
            match report {
                Ok(report) => {
                    fetched = report
                        .outcomes
                        .into_iter()
                        .map(|o| SourceResult {
                            source: if o.source.starts_with("NSE") {
                                "nse"
                            } else {
                                "yahoo"
                            },
                            request: o.source,
                            result: o.result,
                        })
                        .collect();
                }
                Err(e) => {
                    return CycleReport {
                        fetched,
                        run: Err(format!("fetching: {e:#}")),
                    };
                }
            }
            if !fetched.is_empty() && fetched.iter().all(|f| f.result.is_err()) {
                let causes: Vec<String> = fetched
                    .iter()
                    .map(|f| format!("{}: {}", f.request, f.result.as_ref().unwrap_err()))
                    .collect();
                return CycleReport {
                    fetched,
                    run: Err(format!(
                        "every source failed, so there is nothing new to publish and the last good payload stays ({}); the job is retried with backoff",
                        causes.join("; ")
                    )),
                };
            }
        }
        let opts = run_cmd::options(&self.cfg, &run_cmd::RunArgs::default(), now);
        let symbols = match commands::indices(&self.cfg, None) {
            Ok(s) => s,
            Err(e) => {
                return CycleReport {
                    fetched,
                    run: Err(format!("{e:#}")),
                };
            }
        };
        let run = summarize_runs(&opts, pipeline::run_indices(&opts, &symbols, &self.cal));
        CycleReport { fetched, run }
    }

    fn retrain(&self, now: DateTime<Utc>) -> Result<String> {
        retrain_and_install(&self.cfg, now)
    }
}

/// One job outcome from the runs of every index: an error when the primary index (NIFTY 50)
/// failed — its last good payload stays — else degraded when any index has an unavailable
/// metric or failed, with each index's line.
fn summarize_runs(
    opts: &pipeline::RunOptions,
    runs: Vec<(Symbol, pipeline::IndexRun)>,
) -> Result<(bool, String), String> {
    let mut degraded = false;
    let mut lines = Vec::new();
    for (symbol, outcome) in runs {
        let name = symbol.display_name();
        match outcome {
            pipeline::IndexRun::Ran(Ok(o)) => {
                let mut msg = format!(
                    "{name}: run {} wrote {} ({:.2} s)",
                    o.run_id,
                    o.written.payload.display(),
                    o.seconds
                );
                if o.exit_code == exit::DEGRADED {
                    degraded = true;
                    let unavailable = o.payload.meta.health.unavailable_metrics();
                    msg.push_str(&format!("; unavailable: {}", unavailable.join(", ")));
                }
                lines.push(msg);
            }
            pipeline::IndexRun::Ran(Err(e)) => {
                let dir = aegis_payload::indices::index_dir(&opts.out_dir, symbol);
                let msg = format!(
                    "{name}: {e:#}; the last good payload in {} is untouched",
                    dir.display()
                );
                if symbol == aegis_payload::indices::PRIMARY {
                    return Err(msg);
                }
                degraded = true;
                lines.push(format!("{name} FAILED: {msg}"));
            }
            pipeline::IndexRun::Skipped(why) => lines.push(format!("{name} skipped: {why}")),
        }
    }
    Ok((degraded, lines.join(" | ")))
}

/// The directory holding the versions of a model directory: `<models>.d`.
pub fn versions_dir(models: &Path) -> PathBuf {
    let mut name = models
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "models".into());
    name.push(".d");
    models.with_file_name(name)
}

/// Trains every model into a new version directory, checks that every model loads
/// ([`ModelSet::load`]: checksums, feature hash, format), installs it with [`install_models`],
/// and records the models in the store. Nothing changes for the server unless every check
/// passes.
pub fn retrain_and_install(cfg: &Config, now: DateTime<Utc>) -> Result<String> {
    let mut store = commands::open_store(&cfg.paths.store)?;
    let mut symbols = Vec::new();
    for symbol in commands::indices(cfg, None)? {
        if pipeline::skip_reason(&store, symbol)?.is_none() {
            symbols.push(symbol);
        }
    }
    let models = &cfg.paths.models;
    let staged = versions_dir(models).join(now.format("%Y%m%dT%H%M%SZ").to_string());
    if staged.exists() {
        std::fs::remove_dir_all(&staged)
            .with_context(|| format!("removing the leftover {}", staged.display()))?;
    }
    let discard = |e: anyhow::Error| {
        let _ = std::fs::remove_dir_all(&staged);
        e
    };
    let mut trained = Vec::new();
    for &symbol in &symbols {
        let report = train_index(cfg, &store, symbol, &staged, now).map_err(discard)?;
        trained.push((symbol, report));
    }
    install_models(models, &staged)?;
    let mut lines = Vec::new();
    for (symbol, report) in &trained {
        for m in &report.models {
            let Ok(t) = &m.result else { continue };
            let card = t.file.card();
            let path = match t.path.file_name() {
                Some(f) => index_dir(models, *symbol).join(f),
                None => t.path.clone(),
            };
            let name = train::stored_model_name(*symbol, &card.name);
            store
                .upsert_model_meta(&ModelMeta {
                    name: name.clone(),
                    version: card.version,
                    path,
                    sha256: t.sha256.clone(),
                    feature_hash: card.feature_hash.clone(),
                    trained_at: card.created_at,
                    card_json: serde_json::to_string(card).context("serialising a model card")?,
                })
                .with_context(|| format!("recording model `{name}` in the store"))?;
        }
        lines.push(format!(
            "{}: {} models on {} .. {}",
            symbol.display_name(),
            report.models.len(),
            report.data_window.0,
            report.data_window.1
        ));
    }
    Ok(format!(
        "{}; checked and installed ({} → {})",
        lines.join("; "),
        models.display(),
        staged.display()
    ))
}

/// Trains one index into its directory under `staged` and checks that every model loads.
fn train_index(
    cfg: &Config,
    store: &aegis_store::Store,
    symbol: Symbol,
    staged: &Path,
    now: DateTime<Utc>,
) -> Result<aegis_ml::training::TrainReport> {
    let name = symbol.display_name();
    let (nifty, vix) = train::read_daily(store, symbol)?;
    let dir = index_dir(staged, symbol);
    let mut options = TrainOptions::new(&dir, now);
    options.threads = cfg.schedule.training_threads.max(1);
    options.git_describe = option_env!("AEGIS_GIT_DESCRIBE").map(String::from);
    let report = train_all_with_progress(
        TrainInputs {
            nifty: &nifty,
            vix: &vix,
        },
        &options,
        &|_| {},
    )
    .with_context(|| format!("retraining {name}"))?;
    let failed: Vec<String> = report
        .failures()
        .iter()
        .map(|(model, e)| format!("{model}: {e}"))
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "retraining {name} failed for {}; the models in use are unchanged",
            failed.join("; ")
        );
    }
    let set = ModelSet::load(&dir, &FeatureSet::standard());
    let rejected: Vec<String> = set
        .failures()
        .iter()
        .map(|(model, e)| format!("{model}: {e}"))
        .collect();
    if !rejected.is_empty() {
        anyhow::bail!(
            "the retrained {name} models failed their checks ({}); the models in use are unchanged",
            rejected.join("; ")
        );
    }
    Ok(report)
}

/// How many model versions are kept in `<models>.d` (the one in use included).
pub const KEPT_VERSIONS: usize = 3;

/// Makes `models` point at `staged` (a directory inside [`versions_dir`]) atomically: a new
/// symbolic link renamed over `models`, so a reader sees the old set or the new one. The first
/// time, when `models` is a plain directory (trained by `aegis train`), it is moved into the
/// versions directory first (a moment without models: the scheduler's own runs cannot overlap,
/// and the dashboard's model report retries on its next request). Old versions beyond
/// [`KEPT_VERSIONS`] are removed.
pub fn install_models(models: &Path, staged: &Path) -> Result<()> {
    let versions = versions_dir(models);
    let rel = Path::new(
        versions
            .file_name()
            .context("the model directory has no name")?,
    )
    .join(
        staged
            .file_name()
            .context("the staged directory has no name")?,
    );
    match std::fs::symlink_metadata(models) {
        Ok(m) if m.file_type().is_symlink() => {}
        Ok(m) if m.is_dir() => {
            let initial = versions.join("0-initial");
            if initial.exists() {
                std::fs::remove_dir_all(&initial)
                    .with_context(|| format!("removing {}", initial.display()))?;
            }
            std::fs::rename(models, &initial).with_context(|| {
                format!(
                    "moving {} to {} to replace it with a link",
                    models.display(),
                    initial.display()
                )
            })?;
        }
        Ok(_) => bail!(
            "{} is neither a directory nor a link; move it away (paths.models)",
            models.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("inspecting {}", models.display()));
        }
    }
    let link_name = format!(
        ".{}.link-{}",
        models.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    );
    let tmp_link = models.with_file_name(link_name);
    let _ = std::fs::remove_file(&tmp_link);
    link(&rel, &tmp_link)?;
    std::fs::rename(&tmp_link, models).with_context(|| {
        format!(
            "renaming the new link {} onto {}",
            tmp_link.display(),
            models.display()
        )
    })?;
    prune_versions(&versions, staged);
    Ok(())
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, at)
        .with_context(|| format!("creating the link {} → {}", at.display(), target.display()))
}

#[cfg(not(unix))]
fn link(_target: &Path, at: &Path) -> Result<()> {
    bail!(
        "installing retrained models needs symbolic links ({}); set schedule.retrain = \"never\" and retrain with `aegis train`",
        at.display()
    )
}

fn prune_versions(versions: &Path, current: &Path) {
    let Ok(entries) = std::fs::read_dir(versions) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p != current)
        .collect();
    dirs.sort();
    let keep_old = KEPT_VERSIONS.saturating_sub(1);
    let excess = dirs.len().saturating_sub(keep_old);
    for old in dirs.into_iter().take(excess) {
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!(
                "could not remove the old model version {}: {e}",
                old.display()
            );
        }
    }
}

/// The IST date the oldest model in `models` was trained (`None` without loadable models).
pub fn models_trained_on(models: &Path) -> Option<NaiveDate> {
    let set = ModelSet::load(models, &FeatureSet::standard());
    set.loaded()
        .iter()
        .filter_map(|name| set.get(name).ok())
        .map(|m| m.file.card().created_at)
        .min()
        .map(ist_date)
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tick {
    /// A job was still running: skipped (and counted).
    Skipped,
    /// Nothing was due.
    Idle,
    /// A job was handed to the worker thread.
    Dispatched(JobKind),
    /// A job ran on the calling thread and ended so.
    Ran(JobKind, JobOutcome),
}

struct Shared {
    planner: Mutex<Planner>,
    busy: AtomicBool,
    clock: Arc<dyn Clock>,
    jobs: Arc<dyn Jobs>,
    cal: NseCalendar,
    telemetry: Telemetry,
}

/// The scheduler: a planner, the jobs, a clock and the shared telemetry.
#[derive(Clone)]
pub struct Scheduler {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("busy", &self.shared.busy.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler (not yet running: call [`Scheduler::tick`] or [`Scheduler::start`]).
    pub fn new(
        planner: Planner,
        clock: Arc<dyn Clock>,
        jobs: Arc<dyn Jobs>,
        cal: NseCalendar,
        telemetry: Telemetry,
    ) -> Self {
        telemetry.set_scheduler_enabled(true);
        Scheduler {
            shared: Arc::new(Shared {
                planner: Mutex::new(planner),
                busy: AtomicBool::new(false),
                clock,
                jobs,
                cal,
                telemetry,
            }),
        }
    }

    /// The scheduler of `aegis serve` for `cfg`: real jobs, the system clock.
    pub fn for_config(cfg: &Config, cal: NseCalendar, telemetry: Telemetry) -> Result<Self> {
        let settings = ScheduleSettings::from_config(&cfg.schedule)?;
        let planner = Planner::new(settings, models_trained_on(&cfg.paths.models));
        Ok(Scheduler::new(
            planner,
            Arc::new(SystemClock),
            Arc::new(PipelineJobs::new(cfg.clone(), cal.clone())),
            cal,
            telemetry,
        ))
    }

    /// The shared telemetry.
    pub fn telemetry(&self) -> &Telemetry {
        &self.shared.telemetry
    }

    /// Claims the worker and finds the due job; `Err(tick)` when there is nothing to run.
    fn claim(&self) -> Result<DueJob, Tick> {
        let s = &self.shared;
        if s.busy.swap(true, Ordering::SeqCst) {
            s.telemetry.tick_skipped();
            tracing::debug!("scheduler tick skipped: a job is still running");
            return Err(Tick::Skipped);
        }
        let now = s.clock.now();
        let due = s
            .planner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .due(&s.cal, now);
        match due {
            Ok(Some(job)) => Ok(job),
            Ok(None) => {
                s.busy.store(false, Ordering::SeqCst);
                Err(Tick::Idle)
            }
            Err(e) => {
                s.busy.store(false, Ordering::SeqCst);
                tracing::error!(
                    "scheduler: the NSE calendar cannot place {now}: {e}; update aegis"
                );
                Err(Tick::Idle)
            }
        }
    }

    /// Checks what is due and runs it on the calling thread (tests, and the worker).
    pub fn tick(&self) -> Tick {
        match self.claim() {
            Ok(job) => Tick::Ran(job.kind, self.execute(job)),
            Err(t) => t,
        }
    }

    /// Runs a claimed job, records it, and releases the worker.
    fn execute(&self, job: DueJob) -> JobOutcome {
        let s = &self.shared;
        let name = job.kind.as_str();
        s.telemetry.job_started(name);
        let started_at = s.clock.now();
        let t0 = Instant::now();
        tracing::info!(job = name, "scheduled job started");
        let (outcome, message) = match job.kind {
            JobKind::Intraday | JobKind::PostClose => {
                let report = s.jobs.cycle(job.kind, started_at);
                for source in aegis_dashboard::telemetry::SOURCES {
                    let errors: Vec<String> = report
                        .fetched
                        .iter()
                        .filter(|f| f.source == source)
                        .filter_map(|f| {
                            f.result
                                .as_ref()
                                .err()
                                .map(|e| format!("{}: {e}", f.request))
                        })
                        .collect();
                    let asked = report.fetched.iter().any(|f| f.source == source);
                    if !asked {
                        continue;
                    }
                    let result = if errors.is_empty() {
                        Ok(())
                    } else {
                        tracing::warn!(job = name, source, "fetch failed: {}", errors.join("; "));
                        Err(errors.join("; "))
                    };
                    s.telemetry.fetch_result(source, started_at, result);
                }
                let fetch_failed = report.fetched.iter().any(|f| f.result.is_err());
                match report.run {
                    Ok((degraded, msg)) if degraded || fetch_failed => (JobOutcome::Degraded, msg),
                    Ok((_, msg)) => (JobOutcome::Ok, msg),
                    Err(e) => (JobOutcome::Failed, e),
                }
            }
            JobKind::Retrain => match s.jobs.retrain(started_at) {
                Ok(msg) => (JobOutcome::Ok, msg),
                Err(e) => (JobOutcome::Failed, format!("{e:#}")),
            },
        };
        let seconds = t0.elapsed().as_secs_f64();
        let slow_limit = s.shared_slow_limit();
        if seconds > slow_limit {
            s.telemetry.job_slow();
            tracing::warn!(
                job = name,
                seconds,
                limit = slow_limit,
                "scheduled job was slow"
            );
        }
        match outcome {
            JobOutcome::Ok => tracing::info!(job = name, seconds, "{message}"),
            JobOutcome::Degraded => tracing::warn!(job = name, seconds, "degraded: {message}"),
            JobOutcome::Failed => tracing::error!(job = name, seconds, "failed: {message}"),
        }
        let finished = s.clock.now();
        let retry_at = {
            let mut planner = s.planner.lock().unwrap_or_else(|e| e.into_inner());
            planner.finished(job, finished, outcome != JobOutcome::Failed);
            planner.retry_at()
        };
        if let Some(at) = retry_at {
            tracing::warn!(job = name, "next attempt not before {at}");
        }
        s.telemetry.set_retry_at(retry_at);
        s.telemetry.job_finished(JobRecord {
            job: name.to_string(),
            outcome,
            started_at,
            seconds,
            message,
        });
        s.busy.store(false, Ordering::SeqCst);
        outcome
    }

    /// Starts the ticker and the worker threads: a tick every `every` (the first at once).
    pub fn start(self, every: std::time::Duration) -> Result<RunningScheduler> {
        let (job_tx, job_rx) = mpsc::channel::<DueJob>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let worker_self = self.clone();
        let worker = std::thread::Builder::new()
            .name("aegis-scheduler-worker".into())
            .spawn(move || {
                for job in job_rx {
                    worker_self.execute(job);
                }
            })
            .context("starting the scheduler's worker thread")?;
        let ticker_self = self.clone();
        let ticker = std::thread::Builder::new()
            .name("aegis-scheduler-ticker".into())
            .spawn(move || {
                loop {
                    if let Ok(job) = ticker_self.claim() {
                        tracing::debug!(job = job.kind.as_str(), "dispatching");
                        if job_tx.send(job).is_err() {
                            break;
                        }
                    }
                    match stop_rx.recv_timeout(every) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        _ => break,
                    }
                }
            })
            .context("starting the scheduler's ticker thread")?;
        Ok(RunningScheduler {
            scheduler: self,
            stop: stop_tx,
            ticker,
            worker,
        })
    }

    /// Whether a job is running.
    pub fn busy(&self) -> bool {
        self.shared.busy.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn shared_slow_limit(&self) -> f64 {
        let p = self.planner.lock().unwrap_or_else(|e| e.into_inner());
        p.settings.slow_job.num_milliseconds() as f64 / 1000.0
    }
}

/// A scheduler running on its threads.
#[derive(Debug)]
pub struct RunningScheduler {
    scheduler: Scheduler,
    stop: mpsc::Sender<()>,
    ticker: JoinHandle<()>,
    worker: JoinHandle<()>,
}

impl RunningScheduler {
    /// The scheduler.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Stops ticking; waits for the worker unless a job is still running (it is then left to
    /// the process exit: payload writes are atomic and the store is transactional).
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.ticker.join();
        if self.scheduler.busy() {
            tracing::warn!(
                "a scheduled job is still running at exit; it is abandoned (payload writes are atomic, the store is transactional)"
            );
        } else {
            let _ = self.worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_model::time::ist_at;
    use std::sync::atomic::AtomicUsize;

    fn settings() -> ScheduleSettings {
        ScheduleSettings::from_config(&ScheduleConfig::default()).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        ist_at(NaiveDate::from_ymd_opt(y, m, d).unwrap(), h, min).with_timezone(&Utc)
    }

    /// Records every job it runs; fails while `fail` is set; optionally blocks until released.
    #[derive(Default)]
    struct FakeJobs {
        log: Mutex<Vec<(JobKind, DateTime<Utc>)>>,
        fail: AtomicBool,
        gate: Mutex<Option<mpsc::Receiver<()>>>,
        running: AtomicUsize,
        max_running: AtomicUsize,
    }

    impl FakeJobs {
        fn enter(&self) {
            let n = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_running.fetch_max(n, Ordering::SeqCst);
            if let Some(rx) = self.gate.lock().unwrap().as_ref() {
                let _ = rx.recv();
            }
        }
        fn kinds(&self) -> Vec<JobKind> {
            self.log.lock().unwrap().iter().map(|(k, _)| *k).collect()
        }
    }

    impl Jobs for FakeJobs {
        fn cycle(&self, kind: JobKind, now: DateTime<Utc>) -> CycleReport {
            self.enter();
            self.log.lock().unwrap().push((kind, now));
            self.running.fetch_sub(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                CycleReport {
                    fetched: vec![SourceResult {
                        source: "nse",
                        request: "NSE NIFTY option chain".into(),
                        result: Err("HTTP 503".into()),
                    }],
                    run: Err("every source failed".into()),
                }
            } else {
                CycleReport {
                    fetched: vec![],
                    run: Ok((false, "ok".into())),
                }
            }
        }
        fn retrain(&self, now: DateTime<Utc>) -> Result<String> {
            self.log.lock().unwrap().push((JobKind::Retrain, now));
            Ok("retrained".into())
        }
    }

    fn scheduler(
        clock: &Arc<ManualClock>,
        jobs: &Arc<FakeJobs>,
        last_retrain: Option<NaiveDate>,
    ) -> Scheduler {
        Scheduler::new(
            Planner::new(settings(), last_retrain),
            clock.clone(),
            jobs.clone(),
            NseCalendar::new(),
            Telemetry::new(),
        )
    }

    /// A regular Thursday walked minute by minute from 08:00 to 18:00 IST: nothing before the
    /// open, one intraday run per 5-minute slot from 09:15 (75 slots to 15:30), the
    /// post-close run exactly once, and no retrain (Friday is the retrain day).
    #[test]
    fn a_session_day_runs_every_slot_then_post_close_once() {
        let clock = Arc::new(ManualClock::new(at(2025, 11, 27, 8, 0)));
        let jobs = Arc::new(FakeJobs::default());
        let s = scheduler(&clock, &jobs, NaiveDate::from_ymd_opt(2025, 11, 21));
        let mut first_run = None;
        for _ in 0..600 {
            if let Tick::Ran(JobKind::Intraday, _) = s.tick()
                && first_run.is_none()
            {
                first_run = Some(clock.now());
            }
            clock.advance(Duration::minutes(1));
        }
        assert_eq!(
            first_run,
            Some(at(2025, 11, 27, 9, 15)),
            "starts at the open"
        );
        let kinds = jobs.kinds();
        let intraday = kinds.iter().filter(|k| **k == JobKind::Intraday).count();
        assert_eq!(intraday, 75, "(15:30 - 09:15) / 5 min");
        assert_eq!(
            kinds.iter().filter(|k| **k == JobKind::PostClose).count(),
            1
        );
        assert!(!kinds.contains(&JobKind::Retrain));
        let log = jobs.log.lock().unwrap();
        let last_intraday = log
            .iter()
            .rfind(|(k, _)| *k == JobKind::Intraday)
            .unwrap()
            .1;
        assert_eq!(last_intraday, at(2025, 11, 27, 15, 25));
        let post = log
            .iter()
            .find(|(k, _)| *k == JobKind::PostClose)
            .unwrap()
            .1;
        assert_eq!(post, at(2025, 11, 27, 15, 30));
    }

    #[test]
    fn weekends_and_holidays_run_nothing_and_friday_retrains_after_the_post_close_run() {
        let jobs = Arc::new(FakeJobs::default());
        // Saturday and Sunday, then Wednesday 5 November 2025 (Guru Nanak Jayanti, a holiday).
        for start in [
            at(2025, 11, 29, 0, 0),
            at(2025, 11, 30, 0, 0),
            at(2025, 11, 5, 0, 0),
        ] {
            let clock = Arc::new(ManualClock::new(start));
            let s = scheduler(&clock, &jobs, NaiveDate::from_ymd_opt(2025, 11, 21));
            for _ in 0..(24 * 12) {
                assert_eq!(s.tick(), Tick::Idle, "at {}", clock.now());
                clock.advance(Duration::minutes(5));
            }
        }
        assert!(jobs.kinds().is_empty());
        // Friday 28 November 2025 after the close: post-close, then the weekly retrain, once.
        let clock = Arc::new(ManualClock::new(at(2025, 11, 28, 15, 31)));
        let s = scheduler(&clock, &jobs, NaiveDate::from_ymd_opt(2025, 11, 21));
        assert_eq!(s.tick(), Tick::Ran(JobKind::PostClose, JobOutcome::Ok));
        assert_eq!(s.tick(), Tick::Ran(JobKind::Retrain, JobOutcome::Ok));
        for _ in 0..50 {
            clock.advance(Duration::minutes(5));
            assert_eq!(s.tick(), Tick::Idle);
        }
    }

    #[test]
    fn weekly_retrain_falls_on_the_next_session_when_the_day_is_a_holiday() {
        let mut p = Planner::new(
            ScheduleSettings {
                retrain_day: Weekday::Wed,
                ..settings()
            },
            NaiveDate::from_ymd_opt(2025, 10, 29),
        );
        let cal = NseCalendar::new();
        // Wednesday 5 November 2025 is a holiday; Thursday 6th is 8 days after the last.
        let thu = at(2025, 11, 6, 16, 0);
        let post = p.due(&cal, thu).unwrap().unwrap();
        assert_eq!(post.kind, JobKind::PostClose);
        p.finished(post, thu, true);
        assert_eq!(p.due(&cal, thu).unwrap().unwrap().kind, JobKind::Retrain);
        let mut never = Planner::new(
            ScheduleSettings {
                retrain: RetrainCadence::Never,
                ..settings()
            },
            None,
        );
        never.finished(post, thu, true);
        assert_eq!(never.due(&cal, thu).unwrap(), None);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap_and_a_success_resets() {
        let clock = Arc::new(ManualClock::new(at(2025, 11, 27, 10, 0)));
        let jobs = Arc::new(FakeJobs::default());
        jobs.fail.store(true, Ordering::SeqCst);
        let s = scheduler(&clock, &jobs, None);
        let p = Planner::new(settings(), None);
        assert_eq!(p.backoff(1), Duration::seconds(30));
        assert_eq!(p.backoff(2), Duration::seconds(60));
        assert_eq!(p.backoff(5), Duration::seconds(480));
        assert_eq!(p.backoff(6), Duration::seconds(900), "capped");
        assert_eq!(p.backoff(60), Duration::seconds(900));
        assert_eq!(s.tick(), Tick::Ran(JobKind::Intraday, JobOutcome::Failed));
        assert_eq!(s.telemetry().status().consecutive_failures, 1);
        assert_eq!(s.telemetry().fetch_errors("nse"), 1);
        assert!(
            s.telemetry().status().fetch_failures["nse"]
                .message
                .contains("HTTP 503")
        );
        // Inside the 30 s backoff: nothing; after it: the retry (and a 60 s backoff).
        clock.advance(Duration::seconds(29));
        assert_eq!(s.tick(), Tick::Idle);
        clock.advance(Duration::seconds(1));
        assert_eq!(s.tick(), Tick::Ran(JobKind::Intraday, JobOutcome::Failed));
        assert_eq!(
            s.telemetry().status().retry_at,
            Some(clock.now() + Duration::seconds(60))
        );
        clock.advance(Duration::seconds(59));
        assert_eq!(s.tick(), Tick::Idle);
        clock.advance(Duration::seconds(1));
        jobs.fail.store(false, Ordering::SeqCst);
        assert_eq!(s.tick(), Tick::Ran(JobKind::Intraday, JobOutcome::Ok));
        let st = s.telemetry().status();
        assert_eq!(st.consecutive_failures, 0);
        assert_eq!(st.retry_at, None);
        assert_eq!(s.telemetry().jobs_total(JobOutcome::Failed), 2);
        // The slot is done: the next run waits for the next slot (10:05).
        assert_eq!(s.tick(), Tick::Idle);
        clock.set(at(2025, 11, 27, 10, 5));
        assert_eq!(s.tick(), Tick::Ran(JobKind::Intraday, JobOutcome::Ok));
    }

    #[test]
    fn a_tick_during_a_running_job_is_skipped_and_counted_and_jobs_never_overlap() {
        let clock = Arc::new(ManualClock::new(at(2025, 11, 27, 10, 0)));
        let jobs = Arc::new(FakeJobs::default());
        let (release, gate) = mpsc::channel();
        *jobs.gate.lock().unwrap() = Some(gate);
        let s = scheduler(&clock, &jobs, None);
        let running = s
            .clone()
            .start(std::time::Duration::from_millis(5))
            .unwrap();
        // Wait until the worker is inside the job, then let ticks pile up against it.
        while jobs.running.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        clock.advance(Duration::minutes(5)); // a new slot is due, but the worker is busy
        while s.telemetry().status().skipped_ticks < 3 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(s.tick(), Tick::Skipped);
        assert_eq!(s.telemetry().status().running.as_deref(), Some("intraday"));
        release.send(()).unwrap();
        release.send(()).unwrap();
        while jobs.kinds().len() < 2 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        running.stop();
        assert_eq!(jobs.max_running.load(Ordering::SeqCst), 1);
        assert_eq!(jobs.kinds(), vec![JobKind::Intraday, JobKind::Intraday]);
    }

    #[test]
    fn install_swaps_a_link_atomically_and_keeps_a_few_versions() {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("models");
        std::fs::create_dir_all(&models).unwrap();
        std::fs::write(models.join("a.json"), "hand-trained").unwrap();
        let versions = versions_dir(&models);
        assert_eq!(versions, dir.path().join("models.d"));
        for (i, stamp) in [
            "20251101T100000Z",
            "20251108T100000Z",
            "20251115T100000Z",
            "20251122T100000Z",
        ]
        .iter()
        .enumerate()
        {
            let staged = versions.join(stamp);
            std::fs::create_dir_all(&staged).unwrap();
            std::fs::write(staged.join("a.json"), format!("v{i}")).unwrap();
            install_models(&models, &staged).unwrap();
            assert!(
                std::fs::symlink_metadata(&models)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            assert_eq!(
                std::fs::read_to_string(models.join("a.json")).unwrap(),
                format!("v{i}")
            );
        }
        let mut left: Vec<String> = std::fs::read_dir(&versions)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        // The one in use and the two before it; the hand-trained directory went first.
        assert_eq!(
            left,
            ["20251108T100000Z", "20251115T100000Z", "20251122T100000Z"]
        );
        assert_eq!(KEPT_VERSIONS, 3);
    }
}
