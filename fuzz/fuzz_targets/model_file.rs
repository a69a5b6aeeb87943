//! `aegis_ml::modelfile::ModelFile::from_json` (what `ModelFile::load` does after reading the file)
//! on v2 model files.
//!
//! Input: one option byte, then the document. With bit 0 set, the target first rewrites the three
//! checksums to match the (mutated) card/model/oos, so that the fuzzer reaches the structural
//! checks behind the integrity check. The expected kind, features and hash are taken from the
//! document's own card (bit 1 reverses the feature names, to exercise the mismatch errors).
//!
//! On `Ok`: the card matches what was expected; writing the model and reading it back gives the
//! same card and byte-identical JSON; predictions (classifiers) and filtered state probabilities
//! (HMMs) of the original and the reloaded model are bit-identical and are probability
//! distributions. On `Err`: the message names the file and the fix.
#![no_main]

use std::path::Path;

use aegis_fuzz::{Input, check_error_names, report};
use aegis_ml::modelfile::{Expected, FIX, Learner, ModelFile, ModelKind, canonical_json};
use aegis_ml::sha256::digest_hex;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const PATH: &str = "fuzz/model.json";

/// Rewrites `card_sha256`, `model_sha256` and `oos_sha256` to the checksums of the content.
fn fix_checksums(text: &str) -> Option<String> {
    let mut doc: Value = serde_json::from_str(text).ok()?;
    let map = doc.as_object_mut()?;
    for part in ["card", "model", "oos"] {
        if let Some(v) = map.get(part) {
            let sum = digest_hex(canonical_json(v).as_bytes());
            map.insert(format!("{part}_sha256"), Value::String(sum));
        }
    }
    serde_json::to_string(&doc).ok()
}

/// What the document's own card says: kind, feature names, feature hash.
fn expected_from(text: &str) -> (ModelKind, Vec<String>, String) {
    let doc: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let card = &doc["card"];
    let kind = serde_json::from_value(card["kind"].clone()).unwrap_or(ModelKind::Gbt);
    let names = serde_json::from_value(card["feature_names"].clone()).unwrap_or_default();
    let hash = card["feature_hash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (kind, names, hash)
}

/// Probe rows: zeros, missing values, small and large finite values.
fn probe_rows(n_features: usize) -> Vec<f64> {
    let fill = [0.0, f64::NAN, -1.5, 0.25, 3.0, 1e6, -1e6, 1e300];
    let mut x = Vec::with_capacity(fill.len() * n_features);
    for v in fill {
        x.extend(std::iter::repeat_n(v, n_features));
    }
    // One row mixing values.
    x.extend((0..n_features).map(|i| fill[i % fill.len()]));
    x
}

fn check_distribution(values: &[f64], width: usize, what: &str) {
    for row in values.chunks(width.max(1)) {
        assert!(
            row.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)),
            "{what}: {row:?}"
        );
        let s: f64 = row.iter().sum();
        assert!((s - 1.0).abs() <= 1e-9, "{what}: row sums to {s}");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let opt = input.byte();
    let Ok(raw) = std::str::from_utf8(input.rest()) else {
        return;
    };
    let fixed;
    let text = if opt & 1 == 1 {
        match fix_checksums(raw) {
            Some(t) => {
                fixed = t;
                fixed.as_str()
            }
            None => raw,
        }
    } else {
        raw
    };
    let (kind, mut names, hash) = expected_from(text);
    if opt & 2 == 2 {
        names.reverse();
    }
    let expected = Expected {
        kind,
        feature_names: &names,
        feature_hash: &hash,
    };
    let path = Path::new(PATH);
    let file = match ModelFile::from_json(text, path, &expected) {
        Ok(f) => f,
        Err(e) => {
            let msg = e.to_string();
            report(format_args!("err {msg}"));
            check_error_names(&msg, PATH);
            assert!(msg.contains(FIX), "error without the fix: {msg}");
            return;
        }
    };
    let card = file.card();
    report(format_args!("ok {} ({})", card.name, card.kind));
    assert_eq!(card.kind, kind);
    assert_eq!(card.feature_names, names);
    assert_eq!(card.feature_hash, hash);
    assert!(card.training_window.first <= card.training_window.last);

    let written = file.to_json().expect("a loaded model serialises");
    let reloaded = ModelFile::from_json(&written, path, &expected)
        .unwrap_or_else(|e| panic!("a written model does not load again: {e}"));
    assert_eq!(reloaded.card(), card, "card changed on a round trip");
    assert_eq!(
        reloaded.to_json().expect("serialises"),
        written,
        "JSON changed on a second round trip"
    );

    let n = card.feature_names.len();
    match &file.body().learner {
        Learner::Gbt(_) | Learner::Logistic(_) => {
            let x = probe_rows(n);
            let a = file.predict_proba(&x);
            let b = reloaded.predict_proba(&x);
            match (&a, &b) {
                (Ok(pa), Ok(pb)) => {
                    let bits = |p: &aegis_ml::Probabilities| -> Vec<u64> {
                        p.as_slice().iter().map(|v| v.to_bits()).collect()
                    };
                    assert_eq!(bits(pa), bits(pb), "predictions differ after a round trip");
                    assert_eq!(pa.n_classes(), card.classes.len());
                    check_distribution(pa.as_slice(), pa.n_classes(), "prediction");
                }
                (Err(ea), Err(eb)) => assert_eq!(ea.to_string(), eb.to_string()),
                _ => panic!("prediction outcome differs after a round trip: {a:?} vs {b:?}"),
            }
        }
        Learner::Hmm(h) => {
            // Observations of the scale the regime HMM sees (returns, log VIX).
            let obs: Vec<f64> = [0.0, -1.5, 0.25, 3.0]
                .iter()
                .flat_map(|v| std::iter::repeat_n(*v, n))
                .collect();
            let a = h.filtered_probabilities(&obs);
            let Learner::Hmm(h2) = &reloaded.body().learner else {
                panic!("kind changed on a round trip")
            };
            let b = h2.filtered_probabilities(&obs);
            match (&a, &b) {
                (Ok(pa), Ok(pb)) => {
                    let bits = |p: &[f64]| -> Vec<u64> { p.iter().map(|v| v.to_bits()).collect() };
                    assert_eq!(bits(pa), bits(pb), "HMM filter differs after a round trip");
                    check_distribution(pa, h.n_states(), "HMM filtered probabilities");
                }
                (Err(ea), Err(eb)) => assert_eq!(ea.to_string(), eb.to_string()),
                _ => panic!("HMM outcome differs after a round trip: {a:?} vs {b:?}"),
            }
        }
        Learner::VolForecast(_) => {}
    }
});
