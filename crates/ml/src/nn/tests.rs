//! Tests of the challenger: determinism, learning, files, real data.

use std::fs;
use std::path::{Path, PathBuf};

use rstest::rstest;
use serde_json::Value;

use super::*;
use crate::modelfile::{CodeVersion, Expected, ModelFileError, ModelKind, canonical_json};
use crate::rng::SplitMix64;
use crate::sha256;

/// Env var that turns the ignored child tests on (the directory to use).
const CHILD_ENV: &str = "AEGIS_NN_CHILD_DIR";
const CHILD_PREDICT: &str = "nn::tests::child_loads_and_predicts";
const CHILD_TRAIN: &str = "nn::tests::child_trains_and_prints_weights";

/// Three standard-normal features; the label of row `t` is the sign class of
/// feature 0 three rows earlier (`UP` above 0.43, `DOWN` below −0.43, else
/// `NEUTRAL`: about a third each). Rows before 3 and the last row are
/// unlabelled; feature 2 is missing on ~5 % of rows.
fn lagged_sign_inputs(n: usize, seed: u64) -> SequenceInputs {
    let mut rng = SplitMix64::new(seed);
    let p = 3;
    let mut rows = Vec::with_capacity(n * p);
    for _ in 0..n {
        rows.push(rng.normal());
        rows.push(rng.normal());
        let x2 = rng.normal();
        rows.push(if rng.next_f64() < 0.05 { f64::NAN } else { x2 });
    }
    let labels = (0..n)
        .map(|t| {
            if t < 3 || t + 1 == n {
                return None;
            }
            let x = rows[(t - 3) * p];
            Some(if x > 0.43 {
                2
            } else if x < -0.43 {
                0
            } else {
                1
            })
        })
        .collect();
    SequenceInputs {
        feature_names: vec!["x0".into(), "x1".into(), "x2".into()],
        rows,
        dates: crate::synthetic::weekdays(n),
        labels,
        horizon: 1,
        lookback: 6,
        initial_train_rows: 300,
        refit_every: 21,
    }
}

fn small_params() -> NnParams {
    NnParams {
        hidden: 8,
        epochs: 40,
        learning_rate: 0.01,
        seed: 11,
        refit_every: Some(150),
    }
}

/// A quick fit on the first 300 labelled rows.
fn quick_model(seed: u64) -> BiLstmClassifier {
    let inputs = lagged_sign_inputs(320, 5);
    let data = encode::window_dataset(&inputs).unwrap();
    let params = NnParams {
        epochs: 4,
        seed,
        ..small_params()
    };
    fit::fit(
        &data.select(0..300).unwrap(),
        &inputs.feature_names,
        inputs.lookback,
        &params,
    )
    .unwrap()
}

fn weight_bits(m: &BiLstmClassifier) -> Vec<u64> {
    m.parameters()
        .flat_map(|(_, _, v)| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        .chain(m.standardiser().mean().iter().map(|x| x.to_bits()))
        .chain(m.standardiser().sd().iter().map(|x| x.to_bits()))
        .collect()
}

fn digest(bits: &[u64]) -> String {
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    sha256::digest_hex(&bytes)
}

#[test]
fn same_seed_gives_bit_identical_weights_and_another_seed_does_not() {
    let a = quick_model(3);
    let b = quick_model(3);
    assert_eq!(weight_bits(&a), weight_bits(&b));
    assert_eq!(a, b);
    let c = quick_model(4);
    assert_ne!(weight_bits(&a), weight_bits(&c));
    // The fit did train: the kept weights are not the initialisation.
    let init = a.layout().init(3);
    assert_ne!(a.parameters[0], init[0]);
    assert!(a.fit_summary().best_epoch >= 1 && a.fit_summary().epochs_run <= 4);
}

#[test]
#[ignore = "child half of training_is_bit_identical_with_one_or_more_threads"]
fn child_trains_and_prints_weights() {
    std::env::var(CHILD_ENV).expect("run by the parent test");
    println!("AEGIS-NN-WEIGHTS {}", digest(&weight_bits(&quick_model(3))));
}

fn run_child(test: &str, dir: &Path, threads: Option<&str>) -> Vec<String> {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, dir);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // libtest may print "test <name> ... " before the first line of output.
        .filter_map(|l| l.find("AEGIS-NN-").map(|i| l[i..].to_string()))
        .collect()
}

#[test]
fn training_is_bit_identical_with_one_or_more_threads() {
    let want = vec![format!(
        "AEGIS-NN-WEIGHTS {}",
        digest(&weight_bits(&quick_model(3)))
    )];
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_child(CHILD_TRAIN, dir.path(), Some("1")), want);
    assert_eq!(run_child(CHILD_TRAIN, dir.path(), Some("4")), want);
}

#[test]
fn learns_a_lagged_sign_task_out_of_sample() {
    let inputs = lagged_sign_inputs(700, 21);
    let params = small_params();
    let t = train_direction_challenger(&inputs, &params).unwrap();
    let labelled = inputs.labelled_rows().len();
    let plan = inputs.fold_plan().unwrap();
    let first_test = plan[0].test.start;
    assert_eq!(t.oos.predictions.len(), labelled - first_test);
    assert_eq!(t.oos.metrics.n, labelled - first_test);
    assert_eq!(t.skill.folds, (labelled - first_test).div_ceil(150));
    // Test dates are those of the trees' plan (which refits every 21 rows).
    let dates: Vec<_> = t.oos.predictions.iter().map(|p| p.0).collect();
    let lab = inputs.labelled_rows();
    let want: Vec<_> = plan
        .iter()
        .flat_map(|f| f.test.clone())
        .map(|i| inputs.dates[lab[i]])
        .collect();
    assert_eq!(dates, want);
    let m = &t.oos.metrics;
    println!(
        "AEGIS-NN-SYNTHETIC oos={} acc={:.3} brier_skill={:?} | baseline acc={:.3}",
        m.n, m.accuracy, m.brier_skill, t.skill.baseline.accuracy
    );
    // The label is a deterministic function of a value 3 rows back: chance is ~1/3.
    assert!(m.accuracy > 0.6, "{m:?}");
    assert!(m.brier_skill.unwrap() > 0.2, "{m:?}");
    // The current-row baseline cannot see it.
    assert!(t.skill.baseline.accuracy < 0.45, "{:?}", t.skill.baseline);
    assert!(m.log_loss < t.skill.baseline.log_loss);
    for (_, p, y) in &t.oos.predictions {
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(y.is_some());
    }
    // The final model trained on every labelled row.
    assert_eq!(t.model.fit_summary().n_train, labelled);
    assert!(t.architecture.contains("BiLSTM"));
}

#[test]
fn the_classifier_checks_its_input() {
    let m = quick_model(3);
    assert_eq!(m.n_features(), 6 * 3);
    assert!(matches!(
        m.predict_proba(&[0.0; 17]),
        Err(MlError::FeatureCountMismatch { expected: 18, .. })
    ));
    let mut x = vec![0.0; 18];
    x[4] = f64::INFINITY;
    assert!(matches!(
        m.predict_proba(&x),
        Err(MlError::NonFinite { .. })
    ));
    x[4] = f64::NAN;
    let p = m.predict_proba(&x).unwrap();
    assert_eq!(p.n_rows(), 1);
}

#[test]
fn too_few_rows_and_bad_inputs_are_errors() {
    let mut inputs = lagged_sign_inputs(200, 1);
    assert!(matches!(
        train_direction_challenger(&inputs, &small_params()),
        Err(MlError::InsufficientRows { .. })
    ));
    inputs.labels.pop();
    assert!(matches!(
        train_direction_challenger(&inputs, &small_params()),
        Err(MlError::InvalidDataset { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Files.

const HASH: &str = "feature-hash-for-tests";

fn trained_file() -> (NnModelFile, SequenceInputs) {
    let inputs = lagged_sign_inputs(420, 8);
    let params = NnParams {
        epochs: 3,
        refit_every: Some(200),
        ..small_params()
    };
    let t = train_direction_challenger(&inputs, &params).unwrap();
    let file = NnModelFile::from_trained(
        &t,
        "direction_h1_challenger",
        2,
        HASH,
        CodeVersion::current(Some("v0-test".into())),
    )
    .unwrap();
    (file, inputs)
}

/// Windows of the last 50 frame rows of `inputs`.
fn probe(inputs: &SequenceInputs) -> Vec<f64> {
    let n = inputs.n_rows();
    (n - 50..n)
        .flat_map(|t| window(&inputs.rows, inputs.n_features(), inputs.lookback, t))
        .collect()
}

fn prediction_lines(p: &Probabilities) -> Vec<String> {
    p.as_slice()
        .iter()
        .map(|v| format!("AEGIS-NN-PRED {:016x}", v.to_bits()))
        .collect()
}

fn expected(names: &[String]) -> Expected<'_> {
    Expected {
        kind: ModelKind::BiLstm,
        feature_names: names,
        feature_hash: HASH,
    }
}

#[test]
#[ignore = "child half of fresh_process_load_gives_bit_identical_predictions"]
fn child_loads_and_predicts() {
    let dir = PathBuf::from(std::env::var(CHILD_ENV).expect("run by the parent test"));
    let inputs = lagged_sign_inputs(420, 8);
    let file = NnModelFile::load(
        &dir.join("challenger.json"),
        &expected(&inputs.feature_names),
    )
    .unwrap();
    for line in prediction_lines(&file.predict_proba(&probe(&inputs)).unwrap()) {
        println!("{line}");
    }
}

#[test]
fn fresh_process_load_gives_bit_identical_predictions() {
    let (file, inputs) = trained_file();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("challenger.json");
    file.save(&path).unwrap();
    assert!(weights_path(&path).exists());
    let want = prediction_lines(&file.predict_proba(&probe(&inputs)).unwrap());
    assert_eq!(want.len(), 150);
    assert_eq!(run_child(CHILD_PREDICT, dir.path(), None), want);
    // In-process: the loaded file equals the saved one, and saving it again gives the same bytes.
    let loaded = NnModelFile::load(&path, &expected(&inputs.feature_names)).unwrap();
    assert_eq!(loaded, file);
    let again = dir.path().join("again.json");
    loaded.save(&again).unwrap();
    assert_eq!(
        fs::read(weights_path(&again)).unwrap(),
        fs::read(weights_path(&path)).unwrap()
    );
    // The card carries what the brief asks for.
    let card = loaded.card();
    assert_eq!(card.kind, ModelKind::BiLstm);
    assert_eq!(card.feature_names, inputs.feature_names);
    assert_eq!(card.feature_hash, HASH);
    assert!(card.oos_metrics.is_some());
    assert_eq!(card.hyper_parameters["params"]["hidden"], 8);
    assert_eq!(card.code_version.git_describe.as_deref(), Some("v0-test"));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}

fn edit_json(path: &Path, f: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let Value::Object(mut map) = serde_json::from_slice(&fs::read(path).unwrap()).unwrap() else {
        unreachable!()
    };
    f(&mut map);
    fs::write(
        path,
        serde_json::to_string_pretty(&Value::Object(map)).unwrap(),
    )
    .unwrap();
}

/// Re-records the card and network checksums, so the edit itself is what is tested.
fn reseal(path: &Path) {
    edit_json(path, |m| {
        for part in ["card", "network"] {
            let c = sha256::digest_hex(canonical_json(&m[part]).as_bytes());
            m.insert(format!("{part}_sha256"), Value::from(c));
        }
    });
}

/// Rewrites the weights file with `f` applied to its tensors, and records its new SHA-256.
fn rewrite_weights(
    path: &Path,
    f: impl FnOnce(&mut Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)>),
) {
    let wpath = weights_path(path);
    let bytes = fs::read(&wpath).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    f(&mut tensors);
    let views: Vec<_> = tensors
        .iter()
        .map(|(n, d, s, b)| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
            )
        })
        .collect();
    let meta = [("format".to_string(), WEIGHTS_FORMAT.to_string())]
        .into_iter()
        .collect();
    let new = safetensors::serialize(views, Some(meta)).unwrap();
    fs::write(&wpath, &new).unwrap();
    let sha = sha256::digest_hex(&new);
    edit_json(path, |m| m["network"]["weights_sha256"] = Value::from(sha));
    reseal(path);
}

#[rstest]
#[case::card_missing("card does not exist")]
#[case::weights_missing("weights do not exist")]
#[case::card_truncated("card truncated")]
#[case::weights_truncated("weights truncated")]
#[case::weights_corrupt("weights corrupt")]
#[case::weights_altered("integrity check: the SHA-256 of `weights`")]
#[case::card_altered("integrity check: the SHA-256 of `card`")]
#[case::network_altered("integrity check: the SHA-256 of `network`")]
#[case::wrong_shape("has shape [32, 5], expected [32, 6]")]
#[case::missing_tensor("tensor `head.bias` is missing")]
#[case::extra_tensor("unexpected tensor `head.extra`")]
#[case::wrong_dtype("has dtype F32, expected F64")]
#[case::non_finite("value 0 is not finite")]
#[case::feature_mismatch("trained on different features")]
#[case::feature_order("different order: column 0")]
#[case::feature_hash("feature hash")]
#[case::wrong_kind("holds a `bilstm` model but a `gbt` model was expected")]
#[case::json_model_file("but a BiLSTM card has format")]
#[case::version("format_version is 2, this build reads only version 1")]
#[case::weights_file_escape("must be a plain file name")]
fn each_bad_file_is_a_clear_error(#[case] needle: &str) {
    static FILE: std::sync::OnceLock<(NnModelFile, SequenceInputs)> = std::sync::OnceLock::new();
    let (file, inputs) = FILE.get_or_init(trained_file);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("challenger.json");
    file.save(&path).unwrap();
    let wpath = weights_path(&path);
    let mut names = inputs.feature_names.clone();
    let mut hash = HASH.to_string();
    let mut kind = ModelKind::BiLstm;
    let mut named = path.clone();
    match needle {
        "card does not exist" => fs::remove_file(&path).unwrap(),
        "weights do not exist" => {
            fs::remove_file(&wpath).unwrap();
            named = wpath.clone();
        }
        "card truncated" => {
            let b = fs::read(&path).unwrap();
            fs::write(&path, &b[..b.len() / 2]).unwrap();
        }
        "weights truncated" => {
            let b = fs::read(&wpath).unwrap();
            fs::write(&wpath, &b[..b.len() - 100]).unwrap();
            named = wpath.clone();
        }
        "weights corrupt" => {
            fs::write(&wpath, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}").unwrap();
            named = wpath.clone();
        }
        s if s.contains("`weights`") => {
            // Flip one byte of the last tensor's data; the file stays valid safetensors.
            let mut b = fs::read(&wpath).unwrap();
            let last = b.len() - 3;
            b[last] ^= 0x40;
            fs::write(&wpath, b).unwrap();
            named = wpath.clone();
        }
        s if s.contains("`card`") => edit_json(&path, |m| m["card"]["n_train"] = Value::from(1)),
        s if s.contains("`network`") => {
            edit_json(&path, |m| m["network"]["lookback"] = Value::from(7))
        }
        s if s.starts_with("has shape") => {
            rewrite_weights(&path, |t| {
                // Hidden 8 → 4H = 32 rows, 2p = 6 inputs; drop one input column.
                let w = t.iter_mut().find(|x| x.0 == "lstm_fwd.weight_ih").unwrap();
                w.2 = vec![32, 5];
                w.3.truncate(32 * 5 * 8);
            });
            named = wpath.clone();
        }
        s if s.contains("is missing") => {
            rewrite_weights(&path, |t| t.retain(|x| x.0 != "head.bias"));
            named = wpath.clone();
        }
        s if s.starts_with("unexpected tensor") => {
            rewrite_weights(&path, |t| {
                t.push((
                    "head.extra".into(),
                    safetensors::Dtype::F64,
                    vec![1],
                    vec![0; 8],
                ))
            });
            named = wpath.clone();
        }
        s if s.contains("dtype F32") => {
            rewrite_weights(&path, |t| {
                let w = t.iter_mut().find(|x| x.0 == "head.bias").unwrap();
                w.1 = safetensors::Dtype::F32;
                w.3 = vec![0; 12];
            });
            named = wpath.clone();
        }
        s if s.contains("not finite") => {
            rewrite_weights(&path, |t| {
                let w = t.iter_mut().find(|x| x.0 == "head.bias").unwrap();
                w.3[..8].copy_from_slice(&f64::NAN.to_le_bytes());
            });
            named = wpath.clone();
        }
        "trained on different features" => names[2] = "other".into(),
        s if s.starts_with("different order") => names.swap(0, 1),
        "feature hash" => hash = "0".repeat(64),
        s if s.starts_with("holds a") => kind = ModelKind::Gbt,
        s if s.contains("BiLSTM card has format") => {
            edit_json(&path, |m| {
                m.insert("format".into(), Value::from("aegismatrix-model"));
            });
        }
        s if s.starts_with("format_version") => edit_json(&path, |m| {
            m.insert("format_version".into(), Value::from(2));
        }),
        s if s.contains("plain file name") => {
            edit_json(&path, |m| {
                m["network"]["weights_file"] = Value::from("../elsewhere.safetensors")
            });
            reseal(&path);
        }
        other => panic!("unknown case {other}"),
    }
    let err = NnModelFile::load(
        &path,
        &Expected {
            kind,
            feature_names: &names,
            feature_hash: &hash,
        },
    )
    .unwrap_err();
    let msg = err.to_string();
    let words = match needle {
        "card does not exist" | "weights do not exist" => "does not exist",
        "card truncated" | "weights truncated" => "truncated",
        "weights corrupt" => "not a valid safetensors file",
        other => other,
    };
    assert!(msg.contains(words), "`{msg}` should say `{words}`");
    assert!(
        msg.contains(&named.display().to_string()),
        "`{msg}` should name {}",
        named.display()
    );
    assert!(
        msg.contains("run `aegis train`"),
        "`{msg}` should give the fix"
    );
    if needle.starts_with("weights truncated") {
        assert!(matches!(err, ModelFileError::Truncated { .. }));
    }
}

#[test]
fn a_card_that_disagrees_with_its_model_is_refused() {
    let (file, _) = trained_file();
    let mut card = file.card().clone();
    card.n_train += 1;
    assert!(NnModelFile::new(card, file.model().clone()).is_err());
    let mut card = file.card().clone();
    card.kind = ModelKind::Gbt;
    assert!(NnModelFile::new(card, file.model().clone()).is_err());
    let err = file
        .save(Path::new("/nonexistent-dir-aegis/sub/x.json"))
        .unwrap_err();
    assert!(matches!(err, ModelFileError::Write { .. }));
}

// ---------------------------------------------------------------------------------------
// Real data.

mod real {
    use super::*;
    use crate::registry::ModelTask;
    use crate::training::{TrainingData, sequence_inputs};
    use aegis_calendar::NseCalendar;
    use aegis_model::{Candle, DailyBar, DailySeries, DataOrigin, Interval, Series, Symbol};
    use chrono::NaiveDate;

    fn yahoo_daily(name: &str, symbol: Symbol) -> DailySeries {
        let path = format!("{}/../../../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut bars: Vec<DailyBar> = Vec::new();
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            let (date, time) = f[0].split_once(' ').unwrap();
            // The last row is a partial, still-forming day: end-of-day work drops it.
            if time != "03:45:00" && time != "12:45:00" {
                continue;
            }
            let num = |i: usize| f[i].parse::<f64>().unwrap();
            bars.push(Candle::new(
                NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
                num(1),
                num(2),
                num(3),
                num(4),
            ));
        }
        Series::new(symbol, Interval::Daily, DataOrigin::Yahoo, bars).unwrap()
    }

    /// The challenger's inputs for direction horizon `h` on the 5-year NIFTY file, built
    /// exactly as `aegis train` builds them (complete feature rows, direction labels).
    pub(super) fn nifty_inputs(h: usize) -> SequenceInputs {
        let nifty = yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50);
        let vix = yahoo_daily("indiavix_daily_yahoo.csv", Symbol::IndiaVix);
        let data = TrainingData::prepare(&nifty, &vix, &NseCalendar::new()).unwrap();
        let labels = data.labels(ModelTask::Direction { horizon: h }).unwrap();
        sequence_inputs(&data, &labels, 500)
    }

    /// Runs the challenger on the real data and checks only validity (no skill is asserted).
    pub(super) fn run(h: usize, params: &NnParams) -> NnTrained {
        let inputs = nifty_inputs(h);
        let t = train_direction_challenger(&inputs, params).unwrap();
        let plan = inputs.fold_plan().unwrap();
        let n_test: usize = plan.iter().map(|f| f.test.len()).sum();
        assert_eq!(t.oos.predictions.len(), n_test);
        assert_eq!(t.oos.metrics.n, n_test);
        assert_eq!(t.skill.baseline.n, n_test);
        let lab = inputs.labelled_rows();
        let want_dates: Vec<_> = plan
            .iter()
            .flat_map(|f| f.test.clone())
            .map(|i| inputs.dates[lab[i]])
            .collect();
        let dates: Vec<_> = t.oos.predictions.iter().map(|p| p.0).collect();
        assert_eq!(dates, want_dates);
        for (_, p, y) in &t.oos.predictions {
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(y.is_some_and(|c| c < 3));
        }
        let m = &t.oos.metrics;
        let b = &t.skill.baseline;
        println!(
            "AEGIS-NN-REAL h={h}: rows={} labelled={} oos={} ({}..{}) folds={} | BiLSTM log_loss={:.4} \
             brier={:.4} brier_skill={:.4} acc={:.3} auc={:.3} ece={:.3} | baseline log_loss={:.4} \
             brier_skill={:.4} acc={:.3} | climatology {:.3?} | final fit best_epoch={} of {}",
            inputs.n_rows(),
            lab.len(),
            m.n,
            t.skill.first_test_date,
            t.skill.last_test_date,
            t.skill.folds,
            m.log_loss,
            m.brier,
            m.brier_skill.unwrap_or(f64::NAN),
            m.accuracy,
            m.auc.unwrap_or(f64::NAN),
            m.ece,
            b.log_loss,
            b.brier_skill.unwrap_or(f64::NAN),
            b.accuracy,
            m.climatology,
            t.model.fit_summary().best_epoch,
            t.model.fit_summary().epochs_run,
        );
        t
    }
}

#[test]
fn runs_end_to_end_on_the_real_nifty_data() {
    // Small settings keep the test quick; the measured run is the `nn` benchmark.
    let params = NnParams {
        hidden: 8,
        epochs: 3,
        refit_every: Some(252),
        ..NnParams::default()
    };
    real::run(5, &params);
}

#[test]
#[ignore = "full-size real-data run (minutes); prints OOS metrics for h = 1 and h = 5"]
fn real_data_full_size_report() {
    for h in [1, 5] {
        let started = std::time::Instant::now();
        real::run(h, &NnParams::default());
        println!(
            "AEGIS-NN-REAL h={h} took {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}
