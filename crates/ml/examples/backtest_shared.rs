//! Trains every model on the shared Yahoo data and prints the backtest figures; then the QLIKE
//! comparison and the safe-range hit rate on the long NSE history.
//!
//! `CARGO_TARGET_DIR=/tmp/tgt-ml cargo run --release -p aegis-ml --example backtest_shared`
//! (`AEGIS_ONLY=direction_h5` to train one model; add `--features nn` for the BiLSTM challenger).

use std::path::Path;
use std::time::Instant;

use aegis_calendar::NseCalendar;
use aegis_ml::history::DailyHistory;
use aegis_ml::training::{
    TrainInputs, TrainOptions, TrainingData, backtest_all, evaluate_vol, safe_range_backtest,
    train_all,
};
use aegis_ml::volforecast::{COMPARISON_HORIZONS, VolConfig, VolPaths, compare};
use aegis_model::{DailySeries, Symbol};
use chrono::NaiveDate;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");

fn load(file: &str, symbol: Symbol) -> DailySeries {
    aegis_sources::csv::import_path(Path::new(DATA).join(file), Some(symbol))
        .unwrap()
        .series
        .into_daily()
        .unwrap()
}

fn main() {
    let nifty = load("nifty50_daily_yahoo.csv", Symbol::Nifty50);
    let vix = load("indiavix_daily_yahoo.csv", Symbol::IndiaVix);
    let dir = tempfile::tempdir().unwrap();
    let mut opts = TrainOptions::new(dir.path(), chrono::Utc::now());
    // AEGIS_ONLY=direction_h5,breakout_d1 trains only those models.
    opts.only = std::env::var("AEGIS_ONLY")
        .ok()
        .map(|v| v.split(',').map(String::from).collect());
    let t = Instant::now();
    let report = train_all(
        TrainInputs {
            nifty: &nifty,
            vix: &vix,
        },
        &opts,
    )
    .unwrap();
    println!(
        "train_all: {:.2} s, window {:?}, features {:?}",
        t.elapsed().as_secs_f64(),
        report.data_window,
        report.feature_window
    );
    for m in &report.models {
        match &m.result {
            Ok(t) => {
                let s = &t.summary;
                let sk = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:+.4}"));
                println!(
                    "{:16} {:>8} n_oos {:>5} gbt {:>8} logit {:>8} served {:>8} champ {:?} skill {:?} wf {:.2}s fit {:.2}s {}",
                    s.name,
                    format!("{:?}", s.kind),
                    s.n_oos.unwrap_or(0),
                    sk(s.gbt.as_ref().and_then(|m| m.brier_skill)),
                    sk(s.logistic.as_ref().and_then(|m| m.brier_skill)),
                    sk(s.served_brier_skill),
                    s.champion,
                    s.has_skill,
                    s.walk_forward_seconds,
                    s.fit_seconds,
                    s.note.clone().unwrap_or_default()
                );
                if let Some(c) = &s.challenger {
                    let ll = |m: &Option<aegis_ml::Metrics>| {
                        m.as_ref()
                            .map(|m| (m.log_loss, m.brier, m.brier_skill, m.n))
                    };
                    println!(
                        "    challenger {} winner {:?} bilstm {:?} trees {:?} ({})",
                        c.status,
                        c.winner,
                        ll(&c.challenger_metrics),
                        ll(&c.trees_metrics),
                        c.detail
                    );
                }
            }
            Err(e) => println!("{:16} FAILED {e}", m.spec.name),
        }
    }
    let t = Instant::now();
    let bt = backtest_all(
        TrainInputs {
            nifty: &nifty,
            vix: &vix,
        },
        &opts,
    )
    .unwrap();
    println!("backtest_all: {:.2} s", t.elapsed().as_secs_f64());
    if let Some(q) = &bt.qlike {
        println!(
            "QLIKE yahoo {}..{}: {:?}",
            q.first_origin, q.last_origin, q.chosen
        );
        for r in &q.rows {
            println!(
                "  h{:<3} {:12} {:.4} n {} rank {}",
                r.horizon,
                r.method.name(),
                r.mean_qlike,
                r.n,
                r.rank
            );
        }
        println!(
            "  excluded {:?} garch failures {}",
            q.excluded,
            q.garch_failures.len()
        );
    }
    match &bt.safe_range {
        Ok(s) => {
            let h = &s.hit_rate;
            println!(
                "safe range c={} yahoo: rate {:.4} [{:.4}, {:.4}] n {} skipped {}",
                h.confidence, h.rate, h.wilson_low, h.wilson_high, h.n, h.skipped
            );
            for b in &s.breach_curve {
                println!(
                    "  {:>4.1}%  model {:.4}  observed {:.4}  n {}",
                    b.distance * 100.0,
                    b.model_probability,
                    b.observed_frequency,
                    b.n
                );
            }
        }
        Err(e) => println!("safe range failed: {e}"),
    }

    // The long NSE history.
    let nifty = load("nifty50_daily_nse_2000_2022.csv", Symbol::Nifty50);
    let vix = load("indiavix_daily_yahoo_2008_2022.csv", Symbol::IndiaVix);
    let full = DailyHistory::new(&nifty, Some(&vix)).unwrap();
    let t = Instant::now();
    let paths = VolPaths::compute(&full, &COMPARISON_HORIZONS, VolConfig::default()).unwrap();
    for from in [
        NaiveDate::from_ymd_opt(2009, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
    ] {
        let q = compare(&paths, &COMPARISON_HORIZONS, Some(from)).unwrap();
        println!(
            "QLIKE NSE from {from} ({}..{}): {:?} [{:.2} s]",
            q.first_origin,
            q.last_origin,
            q.chosen,
            t.elapsed().as_secs_f64()
        );
        for r in &q.rows {
            println!(
                "  h{:<3} {:12} {:.4} n {} rank {}",
                r.horizon,
                r.method.name(),
                r.mean_qlike,
                r.n,
                r.rank
            );
        }
        println!(
            "  excluded {:?} garch failures {:?}",
            q.excluded, q.garch_failures
        );
    }
    let cal = NseCalendar::new();
    let data = TrainingData::prepare(&nifty, &vix, &cal).unwrap();
    let v = evaluate_vol(&data, &opts).unwrap();
    let s = safe_range_backtest(&data, &v.sigma_path, 0.90).unwrap();
    diagnostics(&data, "nse");
    let yahoo = TrainingData::prepare(
        &load("nifty50_daily_yahoo.csv", Symbol::Nifty50),
        &load("indiavix_daily_yahoo.csv", Symbol::IndiaVix),
        &cal,
    )
    .unwrap();
    diagnostics(&yahoo, "yahoo");
    let h = &s.hit_rate;
    println!(
        "safe range c=0.90 NSE {:?}: rate {:.4} [{:.4}, {:.4}] n {} chosen {:?}",
        data.data_window(),
        h.rate,
        h.wilson_low,
        h.wilson_high,
        h.n,
        v.comparison.chosen
    );
    for b in &s.breach_curve {
        println!(
            "  {:>4.1}%  model {:.4}  observed {:.4}  n {}",
            b.distance * 100.0,
            b.model_probability,
            b.observed_frequency,
            b.n
        );
    }
}

/// Hit rate at c = 0.90 with each method's σ, with the 50-point grid and (almost) without
/// rounding, and the mean σ forecast beside the realized RMS vol of the same windows.
fn diagnostics(data: &TrainingData, label: &str) {
    use aegis_ml::saferange::hit_rate;
    use aegis_ml::volforecast::VolMethod;
    let mut horizons: Vec<usize> = data
        .windows
        .iter()
        .flatten()
        .map(|w| w.sessions as usize)
        .collect();
    horizons.sort_unstable();
    horizons.dedup();
    let paths = VolPaths::compute(&data.history, &horizons, VolConfig::default()).unwrap();
    let r = data.history.log_returns();
    for m in VolMethod::ALL {
        let sigma: Vec<Option<f64>> = data
            .windows
            .iter()
            .enumerate()
            .map(|(t, w)| w.and_then(|w| paths.sigma(m, t, w.sessions as usize)))
            .collect();
        // Only days where every method has a σ, so the rows are comparable.
        let common: Vec<Option<f64>> = (0..sigma.len())
            .map(|t| {
                let all = VolMethod::ALL.iter().all(|&k| {
                    data.windows[t]
                        .and_then(|w| paths.sigma(k, t, w.sessions as usize))
                        .is_some()
                });
                if all { sigma[t] } else { None }
            })
            .collect();
        let grid = hit_rate(&data.history, &data.windows, &common, 0.90, 50.0).unwrap();
        let exact = hit_rate(&data.history, &data.windows, &common, 0.90, 0.01).unwrap();
        let (mut fs, mut rs, mut n) = (0.0, 0.0, 0.0);
        for d in &grid.days {
            let t = data.history.position(d.date).unwrap();
            let w = data.windows[t].unwrap();
            let m2: f64 = r[t + 1..=w.end].iter().map(|x| x * x).sum::<f64>() / w.rows(t) as f64;
            fs += d.range.sigma;
            rs += (252.0 * m2).sqrt();
            n += 1.0;
        }
        println!(
            "{label} {:10} hit(50-pt grid) {:.4} [{:.4},{:.4}] n {}  hit(exact band) {:.4}  mean σ {:.4} mean realized {:.4}",
            m.name(),
            grid.rate,
            grid.wilson_low,
            grid.wilson_high,
            grid.n,
            exact.rate,
            fs / n,
            rs / n
        );
    }
}
