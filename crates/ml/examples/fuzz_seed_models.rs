//! Writes small, valid v2 model files to seed the `model_file` fuzz target (`fuzz/seed.sh`).
//!
//! `cargo run -p aegis-ml --example fuzz_seed_models -- OUT_DIR [SHARED_DATA_DIR]`
//!
//! Always: tiny gradient-boosted trees (binary with a Platt calibrator, three classes with an
//! isotonic one) and logistic models (binary, three classes) fitted on synthetic data. With the
//! shared data directory: the regime HMM and the volatility forecaster trained by `train_all` on
//! the real NIFTY 50 and India VIX daily files (they carry state labels and an `oos` section).

use std::path::{Path, PathBuf};

use aegis_ml::modelfile::{CodeVersion, Learner, ModelBody, TrainingWindow};
use aegis_ml::synthetic::{SyntheticSpec, logistic_dataset};
use aegis_ml::training::{TrainInputs, TrainOptions, train_all};
use aegis_ml::{
    CalibrationMethod, Classifier, Dataset, GbtModel, GbtParams, LogisticModel, LogisticParams,
    ModelCard, ModelFile, ModelKind, ProbabilityCalibrator, sha256,
};
use aegis_model::Symbol;
use chrono::{DateTime, Utc};

fn card(name: &str, ds: &Dataset, kind: ModelKind) -> ModelCard {
    ModelCard {
        name: name.to_string(),
        version: 1,
        kind,
        feature_names: ds.feature_names().to_vec(),
        feature_hash: sha256::digest_hex(ds.feature_names().join("\n").as_bytes()),
        classes: ds.classes().to_vec(),
        label_horizon: Some(ds.label_horizon()),
        training_window: TrainingWindow {
            first: ds.dates()[0],
            last: *ds.dates().last().expect("rows"),
        },
        n_train: ds.n_rows(),
        hyper_parameters: serde_json::json!({ "seed_for": "fuzz" }),
        oos_metrics: None,
        selection: None,
        state_labels: None,
        code_version: CodeVersion::current(None),
        created_at: created_at(),
    }
}

fn created_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

fn data(n_classes: usize) -> Dataset {
    logistic_dataset(&SyntheticSpec {
        n_rows: 160,
        n_features: 3,
        n_classes,
        missing_fraction: 0.05,
        seed: 7,
        ..SyntheticSpec::default()
    })
}

fn write(dir: &Path, name: &str, file: &ModelFile) {
    let path = dir.join(format!("{name}.json"));
    file.save(&path).expect("save the model file");
    println!("{}", path.display());
}

fn tiny_models(dir: &Path) {
    let tiny_trees = GbtParams {
        max_trees: 3,
        max_depth: 2,
        early_stopping: None,
        ..GbtParams::default()
    };
    for (n_classes, method) in [
        (2, CalibrationMethod::Platt),
        (3, CalibrationMethod::Isotonic),
    ] {
        let ds = data(n_classes);
        let train = ds.select(0..120).expect("rows");
        let holdout = ds.select(120..160).expect("rows");
        let gbt = GbtModel::fit(&train, &tiny_trees).expect("fit trees");
        let calibrator = ProbabilityCalibrator::fit(
            &gbt.predict_proba(holdout.features()).expect("predict"),
            holdout.labels(),
            method,
        )
        .expect("fit calibrator");
        let name = format!("gbt{n_classes}");
        let file = ModelFile::new(
            card(&name, &train, ModelKind::Gbt),
            ModelBody {
                learner: Learner::Gbt(gbt),
                calibrator: Some(calibrator),
            },
        )
        .expect("consistent file");
        write(dir, &name, &file);

        let logistic = LogisticModel::fit(&ds, &LogisticParams::default()).expect("fit logistic");
        let name = format!("logistic{n_classes}");
        let file = ModelFile::new(
            card(&name, &ds, ModelKind::Logistic),
            ModelBody {
                learner: Learner::Logistic(logistic),
                calibrator: None,
            },
        )
        .expect("consistent file");
        write(dir, &name, &file);
    }
}

fn real_models(dir: &Path, data_dir: &Path) {
    let load = |file: &str, symbol| {
        aegis_sources::csv::import_path(data_dir.join(file), Some(symbol))
            .expect("import shared data")
            .series
            .into_daily()
            .expect("daily file")
    };
    let nifty = load("nifty50_daily_yahoo.csv", Symbol::Nifty50);
    let vix = load("indiavix_daily_yahoo.csv", Symbol::IndiaVix);
    let mut options = TrainOptions::new(dir, created_at());
    options.only = Some(vec!["regime_hmm".into(), "vol_forecast".into()]);
    let report = train_all(
        TrainInputs {
            nifty: &nifty,
            vix: &vix,
        },
        &options,
    )
    .expect("train");
    for m in &report.models {
        if let Err(e) = &m.result {
            panic!("{}: {e}", m.spec.name);
        }
        println!("{}", dir.join(format!("{}.json", m.spec.name)).display());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: fuzz_seed_models OUT_DIR [SHARED_DATA_DIR]"),
    );
    std::fs::create_dir_all(&dir).expect("create the output directory");
    tiny_models(&dir);
    if let Some(data_dir) = args.next() {
        real_models(&dir, Path::new(&data_dir));
    }
}
