//! `aegis backtest`: the walk-forward of every model (or one) on the stored daily bars, the
//! volatility-forecast QLIKE comparison, and the safe-range hit rate with its breach curve.
//! Writes `backtest.json` and one reliability diagram (SVG) per classifier into the output
//! directory, and reports the state of the saved model files.

use std::fmt;
use std::path::{Path, PathBuf};

use aegis_features::FeatureSet;
use aegis_ml::modelfile::ModelKind;
use aegis_ml::predictor::ModelSet;
use aegis_ml::registry;
use aegis_ml::svg::reliability_svg;
use aegis_ml::training::{BacktestReport, ModelSummary, TrainInputs, TrainOptions, backtest_all};
use aegis_ml::volforecast::QlikeComparison;
use aegis_store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::train::read_daily;
use crate::table::Table;

/// Options of `aegis backtest`.
#[derive(Debug, Clone)]
pub struct BacktestArgs {
    /// The index.
    pub symbol: aegis_model::Symbol,
    /// Only this model.
    pub model: Option<String>,
    /// Directory for `backtest.json` and the SVG reliability diagrams.
    pub out_dir: PathBuf,
    /// Also write the JSON report here.
    pub json: Option<PathBuf>,
    /// Safe-range confidence.
    pub confidence: f64,
    /// The saved models to check.
    pub models_dir: PathBuf,
    /// Worker threads.
    pub threads: usize,
    /// The time of the run (recorded in the JSON).
    pub now: DateTime<Utc>,
}

/// What `aegis backtest` found and wrote.
#[derive(Debug)]
pub struct BacktestSummary {
    /// The report.
    pub report: BacktestReport,
    /// The confidence asked for.
    pub confidence: f64,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Per registered model: `Ok(name@version)` or the load error of its saved file.
    pub saved_models: Vec<(String, Result<String, String>)>,
}

fn skill(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| format!("{s:+.3}"))
}

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| format!("{s:.3}"))
}

fn champion_metrics(s: &ModelSummary) -> Option<&aegis_ml::Metrics> {
    match s.champion {
        Some(ModelKind::Logistic) => s.logistic.as_ref(),
        _ => s.gbt.as_ref(),
    }
}

/// The QLIKE table as text.
pub fn qlike_table(q: &QlikeComparison) -> String {
    let mut t = Table::new(&["horizon", "method", ">mean QLIKE", ">n", ">rank", "chosen"]);
    for r in &q.rows {
        let chosen = q
            .chosen
            .iter()
            .any(|c| c.horizon == r.horizon && c.method == r.method);
        t.row([
            format!("{} sessions", r.horizon),
            r.method.to_string(),
            format!("{:.4}", r.mean_qlike),
            r.n.to_string(),
            r.rank.to_string(),
            if chosen {
                "◀ chosen".into()
            } else {
                String::new()
            },
        ]);
    }
    t.render()
}

impl fmt::Display for BacktestSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        writeln!(
            f,
            "Backtest on NIFTY 50 + India VIX daily bars {} .. {} (classifiers: sessions with every feature {} .. {})",
            r.data_window.0, r.data_window.1, r.feature_window.0, r.feature_window.1
        )?;
        writeln!(
            f,
            "\nWalk-forward (expanding window, first block ≤ 500 rows, refit every 21, purge = label horizon); Brier skill vs climatology:"
        )?;
        let mut t = Table::new(&[
            "model",
            ">n oos",
            "test window",
            ">skill trees",
            ">skill logistic",
            ">skill served",
            ">AUC",
            ">ECE",
            "champion",
            "skill?",
        ]);
        let mut failed = Vec::new();
        let mut notes = Vec::new();
        for (name, m) in &r.models {
            match m {
                Ok(s) if s.n_oos.is_some() => {
                    let c = champion_metrics(s);
                    t.row([
                        format!("{}@{}", s.name, s.version),
                        s.n_oos.map_or("-".into(), |n| n.to_string()),
                        s.test_window
                            .map_or("-".into(), |(a, b)| format!("{a} .. {b}")),
                        skill(s.gbt.as_ref().and_then(|m| m.brier_skill)),
                        skill(s.logistic.as_ref().and_then(|m| m.brier_skill)),
                        skill(s.served_brier_skill),
                        num(c.and_then(|m| m.auc)),
                        num(s.served.as_ref().or(c).map(|m| m.ece)),
                        s.champion.map_or("-".into(), |k| k.to_string()),
                        if s.has_skill == Some(true) {
                            "yes".into()
                        } else {
                            "NO SKILL".into()
                        },
                    ]);
                }
                Ok(s) => notes.push(format!(
                    "{}@{}: {}",
                    s.name,
                    s.version,
                    s.note.clone().unwrap_or_default()
                )),
                Err(e) => failed.push((name, e)),
            }
        }
        f.write_str(&t.render())?;
        for n in notes {
            writeln!(f, "{n}")?;
        }
        for (name, e) in failed {
            writeln!(f, "FAILED {name}: {e}")?;
        }
        if let Some(q) = &r.qlike {
            writeln!(
                f,
                "\nVolatility forecasts, out-of-sample QLIKE of the next h sessions' realized variance (origins {} .. {}; lower is better):",
                q.first_origin, q.last_origin
            )?;
            f.write_str(&qlike_table(q))?;
        }
        if let Some(q) = &r.qlike_full_history {
            writeln!(
                f,
                "\nThe same on the whole stored history (origins {} .. {}):",
                q.first_origin, q.last_origin
            )?;
            f.write_str(&qlike_table(q))?;
        }
        match &r.safe_range {
            Ok(s) => {
                let h = &s.hit_rate;
                writeln!(
                    f,
                    "\nSafe short range at c = {:.2} (σ forecast of each day for its sessions to the nearest weekly expiry, strikes rounded outward to 50):",
                    h.confidence
                )?;
                writeln!(
                    f,
                    "  stayed inside until expiry on {} of {} days: {:.1} % (95 % Wilson {:.1} % .. {:.1} %), {:+.1} points from the target {:.0} %",
                    h.hits,
                    h.n,
                    100.0 * h.rate,
                    100.0 * h.wilson_low,
                    100.0 * h.wilson_high,
                    100.0 * (h.rate - h.confidence),
                    100.0 * h.confidence
                )?;
                if let Some((d, v)) = h.rolling.last() {
                    writeln!(
                        f,
                        "  last rolling 250-day rate: {:.1} % (to {d})",
                        100.0 * v
                    )?;
                }
                let mut t = Table::new(&[
                    ">distance",
                    ">points (last spot)",
                    ">model P(touch)",
                    ">observed",
                    ">n",
                ]);
                for b in &s.breach_curve {
                    t.row([
                        format!("{:.1} %", 100.0 * b.distance),
                        format!("{:.0}", b.points_at_last_spot),
                        format!("{:.3}", b.model_probability),
                        format!("{:.3}", b.observed_frequency),
                        b.n.to_string(),
                    ]);
                }
                writeln!(f, "Range breach curve (touch either side before expiry):")?;
                f.write_str(&t.render())?;
            }
            Err(e) => writeln!(f, "\nSafe-range backtest unavailable: {e}")?,
        }
        writeln!(f, "\nSaved model files:")?;
        for (name, s) in &self.saved_models {
            match s {
                Ok(id) => writeln!(f, "  {name}: ok ({id})")?,
                Err(e) => writeln!(f, "  {name}: UNAVAILABLE — {e}")?,
            }
        }
        writeln!(f, "\nWrote:")?;
        for p in &self.written {
            writeln!(f, "  {}", p.display())?;
        }
        writeln!(f, "Done in {:.1} s.", r.seconds)
    }
}

fn write(path: &Path, text: &str, written: &mut Vec<PathBuf>) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    written.push(path.to_path_buf());
    Ok(())
}

/// Runs the backtest and writes its files.
pub fn run(store: &Store, args: &BacktestArgs) -> Result<BacktestSummary> {
    let (nifty, vix) = read_daily(store, args.symbol)?;
    let models_dir = aegis_payload::indices::index_dir(&args.models_dir, args.symbol);
    let mut options = TrainOptions::new(&models_dir, args.now);
    options.only = args.model.clone().map(|m| vec![m]);
    options.threads = args.threads.max(1);
    options.confidence = args.confidence;
    let report = backtest_all(
        TrainInputs {
            nifty: &nifty,
            vix: &vix,
        },
        &options,
    )
    .context("aegis backtest")?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating the output directory {}", args.out_dir.display()))?;
    let mut written = Vec::new();
    for (_, m) in &report.models {
        let Ok(s) = m else { continue };
        let (bins, what) = match (&s.served, champion_metrics(s)) {
            (Some(m), _) => (
                &m.reliability,
                format!(
                    "served (calibrated {}), n = {}",
                    s.champion.map_or("-".into(), |k| k.to_string()),
                    m.n
                ),
            ),
            (None, Some(m)) if s.n_oos.is_some() => (
                &m.reliability,
                format!(
                    "raw {}, n = {}",
                    s.champion.map_or("-".into(), |k| k.to_string()),
                    m.n
                ),
            ),
            _ => continue,
        };
        let title = format!("{}@{} reliability, {what}", s.name, s.version);
        let path = args.out_dir.join(format!("{}_reliability.svg", s.name));
        write(&path, &reliability_svg(&title, bins), &mut written)?;
    }
    let set = ModelSet::load(&models_dir, &FeatureSet::standard());
    let saved_models: Vec<(String, Result<String, String>)> = registry::names()
        .into_iter()
        .filter(|n| args.model.as_ref().is_none_or(|m| m == n))
        .map(|n| {
            let s = set.get(&n).map(|m| m.id()).map_err(|e| e.to_string());
            (n, s)
        })
        .collect();
    let doc = json!({
        "generated_at": args.now,
        "confidence": args.confidence,
        "data_window": report.data_window,
        "feature_window": report.feature_window,
        "models": report.models.iter().map(|(name, m)| match m {
            Ok(s) => json!({ "name": name, "ok": s }),
            Err(e) => json!({ "name": name, "error": e }),
        }).collect::<Vec<_>>(),
        "qlike": report.qlike,
        "qlike_full_history": report.qlike_full_history,
        "safe_range": match &report.safe_range {
            Ok(s) => json!({ "ok": s }),
            Err(e) => json!({ "error": e }),
        },
        "saved_models": saved_models.iter().map(|(n, s)| match s {
            Ok(id) => json!({ "name": n, "ok": id }),
            Err(e) => json!({ "name": n, "error": e }),
        }).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).context("serialising the backtest report")?;
    write(&args.out_dir.join("backtest.json"), &text, &mut written)?;
    if let Some(p) = &args.json {
        write(p, &text, &mut written)?;
    }
    Ok(BacktestSummary {
        report,
        confidence: args.confidence,
        written,
        saved_models,
    })
}
