//! `aegis train`: trains every model (or one) of an index on its stored daily bars and India
//! VIX's, writes the model files (NIFTY 50's at the root of the model directory, the other
//! indices' in `indices/<CODE>/`), records their metadata in the store, and prints the
//! out-of-sample skill of each model beside its baseline.

use std::fmt;
use std::path::PathBuf;

use aegis_ml::modelfile::ModelKind;
use aegis_ml::training::{
    Progress, TrainInputs, TrainOptions, TrainReport, train_all_with_progress,
};
use aegis_model::Symbol;
use aegis_payload::indices::{PRIMARY, index_dir};
use aegis_store::{ModelMeta, Store};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::table::Table;

/// Options of `aegis train`.
#[derive(Debug, Clone)]
pub struct TrainArgs {
    /// The index.
    pub symbol: Symbol,
    /// The model directory (the root: see the module documentation).
    pub models_dir: PathBuf,
    /// Only this model (a registry name).
    pub model: Option<String>,
    /// The training time recorded in every card.
    pub now: DateTime<Utc>,
    /// Show a progress bar.
    pub progress: bool,
    /// Worker threads.
    pub threads: usize,
}

/// One line of the summary.
#[derive(Debug, Clone)]
pub struct TrainedLine {
    /// `name@version`.
    pub id: String,
    /// Out-of-sample rows.
    pub n_oos: Option<usize>,
    /// Brier skill of the trees.
    pub gbt_skill: Option<f64>,
    /// Brier skill of the logistic baseline.
    pub baseline_skill: Option<f64>,
    /// Brier skill as served (calibrated champion).
    pub served_skill: Option<f64>,
    /// AUC of the champion.
    pub auc: Option<f64>,
    /// Accuracy of the champion.
    pub accuracy: Option<f64>,
    /// ECE as served.
    pub ece: Option<f64>,
    /// Champion learner.
    pub champion: Option<ModelKind>,
    /// Whether it beats climatology.
    pub has_skill: Option<bool>,
    /// Note for non-classifiers.
    pub note: Option<String>,
    /// Seconds (walk-forward + final fit).
    pub seconds: f64,
}

/// What `aegis train` did.
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// The index.
    pub symbol: Symbol,
    /// The index's model directory.
    pub models_dir: PathBuf,
    /// Sessions used.
    pub data_window: (NaiveDate, NaiveDate),
    /// Sessions with every feature.
    pub feature_window: (NaiveDate, NaiveDate),
    /// Trained models.
    pub lines: Vec<TrainedLine>,
    /// Models that failed, with the reason.
    pub failures: Vec<(String, String)>,
    /// Seconds for the whole run.
    pub seconds: f64,
}

fn skill(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| format!("{s:+.3}"))
}

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| format!("{s:.3}"))
}

impl fmt::Display for TrainSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Trained on {} + India VIX daily bars {} .. {} (classifiers: the sessions with every feature, {} .. {}; the first session is 1 January of the first year the NSE calendar covers, or the day the index's options were listed, whichever is later)",
            self.symbol.display_name(),
            self.data_window.0,
            self.data_window.1,
            self.feature_window.0,
            self.feature_window.1
        )?;
        writeln!(f, "Model files: {}", self.models_dir.display())?;
        writeln!(
            f,
            "Out-of-sample (walk-forward) scores; Brier skill is against climatology (the training window's base rates)."
        )?;
        let mut t = Table::new(&[
            "model",
            ">n oos",
            ">skill trees",
            ">skill logistic",
            ">skill served",
            ">AUC",
            ">accuracy",
            ">ECE",
            "champion",
            "skill?",
            ">seconds",
        ]);
        for l in &self.lines {
            let verdict = match l.has_skill {
                Some(true) => "yes",
                Some(false) => "NO SKILL",
                None => "-",
            };
            t.row([
                l.id.clone(),
                l.n_oos.map_or("-".into(), |n| n.to_string()),
                skill(l.gbt_skill),
                skill(l.baseline_skill),
                skill(l.served_skill),
                num(l.auc),
                num(l.accuracy),
                num(l.ece),
                l.champion.map_or("-".into(), |c| c.to_string()),
                verdict.to_string(),
                format!("{:.2}", l.seconds),
            ]);
        }
        f.write_str(&t.render())?;
        for l in &self.lines {
            if let Some(note) = &l.note {
                writeln!(f, "{}: {note}", l.id)?;
            }
        }
        let small: Vec<String> = self
            .lines
            .iter()
            .filter_map(|l| {
                l.n_oos
                    .filter(|&n| n < 200)
                    .map(|n| format!("{} ({n})", l.id))
            })
            .collect();
        if !small.is_empty() {
            writeln!(
                f,
                "Few out-of-sample rows: {}; their skill estimates have wide error bars.",
                small.join(", ")
            )?;
        }
        let none: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| l.has_skill == Some(false))
            .map(|l| l.id.as_str())
            .collect();
        if !none.is_empty() {
            writeln!(
                f,
                "No skill: {} do not beat climatology out of sample (Brier skill ≤ 0); the dashboard says so on their tiles.",
                none.join(", ")
            )?;
        }
        for (name, e) in &self.failures {
            writeln!(f, "FAILED {name}: {e}")?;
        }
        writeln!(f, "Done in {:.1} s.", self.seconds)
    }
}

fn summary(report: &TrainReport, symbol: Symbol, models_dir: PathBuf) -> TrainSummary {
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for m in &report.models {
        match &m.result {
            Ok(t) => {
                let s = &t.summary;
                let champ = match s.champion {
                    Some(ModelKind::Logistic) => s.logistic.as_ref(),
                    _ => s.gbt.as_ref(),
                };
                lines.push(TrainedLine {
                    id: format!("{}@{}", s.name, s.version),
                    n_oos: s.n_oos,
                    gbt_skill: s.gbt.as_ref().and_then(|m| m.brier_skill),
                    baseline_skill: s.logistic.as_ref().and_then(|m| m.brier_skill),
                    served_skill: s.served_brier_skill,
                    auc: champ.and_then(|m| m.auc),
                    accuracy: champ.map(|m| m.accuracy),
                    ece: s.served.as_ref().or(champ).map(|m| m.ece),
                    champion: s.champion,
                    has_skill: s.has_skill,
                    note: s.note.clone(),
                    seconds: s.walk_forward_seconds + s.fit_seconds,
                });
            }
            Err(e) => failures.push((m.spec.name.clone(), e.to_string())),
        }
    }
    TrainSummary {
        symbol,
        models_dir,
        data_window: report.data_window,
        feature_window: report.feature_window,
        lines,
        failures,
        seconds: report.seconds,
    }
}

/// Reads the daily series of an index and India VIX's, refusing empty ones with the fix.
pub fn read_daily(
    store: &Store,
    symbol: Symbol,
) -> Result<(aegis_model::DailySeries, aegis_model::DailySeries)> {
    let nifty = store
        .daily(symbol)
        .with_context(|| format!("reading {symbol} daily bars from the store"))?;
    let vix = store
        .daily(Symbol::IndiaVix)
        .context("reading India VIX daily bars from the store")?;
    if nifty.is_empty() {
        bail!(
            "the store {} has no {} daily bars: run `aegis import <daily csv>` or `aegis fetch --daily --index {symbol}` first",
            store.path().display(),
            symbol.display_name()
        );
    }
    if vix.is_empty() {
        bail!(
            "the store {} has no India VIX daily bars: run `aegis import <indiavix daily csv>` or `aegis fetch --daily` first",
            store.path().display()
        );
    }
    Ok((nifty, vix))
}

/// The name a model of `symbol` is recorded under in the store: the registry name for NIFTY 50,
/// `<CODE>/<name>` for the other indices.
pub fn stored_model_name(symbol: Symbol, name: &str) -> String {
    if symbol == PRIMARY {
        name.to_string()
    } else {
        format!("{}/{name}", symbol.code())
    }
}

/// Trains one index, writes the files and records their metadata.
pub fn run(store: &mut Store, args: &TrainArgs) -> Result<TrainSummary> {
    let (nifty, vix) = read_daily(store, args.symbol)?;
    let models_dir = index_dir(&args.models_dir, args.symbol);
    let mut options = TrainOptions::new(&models_dir, args.now);
    options.only = args.model.clone().map(|m| vec![m]);
    options.threads = args.threads.max(1);
    options.git_describe = option_env!("AEGIS_GIT_DESCRIBE").map(String::from);
    let bar = if args.progress {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} training [{bar:20}] {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let on_progress = |p: Progress| match p {
        Progress::Prepared { models } => bar.set_length(models as u64),
        Progress::Finished { name, ok } => {
            bar.set_message(if ok { name } else { format!("{name} FAILED") });
            bar.inc(1);
        }
    };
    let report = train_all_with_progress(
        TrainInputs {
            nifty: &nifty,
            vix: &vix,
        },
        &options,
        &on_progress,
    )
    .context("aegis train")?;
    bar.finish_and_clear();
    for m in &report.models {
        let Ok(t) = &m.result else { continue };
        let card = t.file.card();
        store
            .upsert_model_meta(&ModelMeta {
                name: stored_model_name(args.symbol, &card.name),
                version: card.version,
                path: t.path.clone(),
                sha256: t.sha256.clone(),
                feature_hash: card.feature_hash.clone(),
                trained_at: card.created_at,
                card_json: serde_json::to_string(card).context("serialising a model card")?,
            })
            .with_context(|| format!("recording model `{}` in the store", card.name))?;
    }
    Ok(summary(&report, args.symbol, models_dir))
}

/// Trains each index of `symbols` in turn (`args.symbol` is replaced). With `skip_empty`, an
/// index other than NIFTY 50 without daily bars in the store is skipped with a message on
/// stderr; otherwise every index must have data.
///
/// # Errors
/// The first index that could not be trained at all.
pub fn run_indices(
    store: &mut Store,
    args: &TrainArgs,
    symbols: &[Symbol],
    skip_empty: bool,
) -> Result<Vec<TrainSummary>> {
    let mut out = Vec::new();
    for &symbol in symbols {
        if skip_empty && let Some(why) = crate::pipeline::skip_reason(store, symbol)? {
            eprintln!("skipped {}: {why}", symbol.display_name());
            continue;
        }
        let args = TrainArgs {
            symbol,
            ..args.clone()
        };
        out.push(run(store, &args).with_context(|| format!("training {}", symbol.display_name()))?);
    }
    Ok(out)
}

/// Fails naming every model that did not train, after printing what did.
pub fn into_result(summary: TrainSummary) -> Result<TrainSummary> {
    if summary.failures.is_empty() {
        return Ok(summary);
    }
    print!("{summary}");
    let names: Vec<&str> = summary.failures.iter().map(|f| f.0.as_str()).collect();
    Err(anyhow::anyhow!(
        "{} model(s) did not train: {}; the others were written",
        names.len(),
        names.join(", ")
    ))
    .context("aegis train")
}
