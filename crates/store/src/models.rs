//! Metadata of trained models: one row per model name, replaced when the model is retrained.
//! The model files themselves live on disk (`path`); the store keeps what is needed to find
//! and verify them.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::Store;
use crate::codec::{parse_time_text, time_text};
use crate::error::{SqlContext, StoreError};
use crate::runs::is_sha256_hex;

/// What the store knows about one trained model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelMeta {
    /// Model name, e.g. `seller_trap`.
    pub name: String,
    /// Model version (shown as `name@version` in provenance).
    pub version: u32,
    /// Where the model file is.
    pub path: PathBuf,
    /// SHA-256 of the model file, 64 lowercase hex digits.
    pub sha256: String,
    /// Hash of the feature names the model was trained on.
    pub feature_hash: String,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// The model card, as JSON.
    pub card_json: String,
}

type RawModel = (String, i64, String, String, String, String, String);

const COLUMNS: &str = "name, version, path, sha256, feature_hash, trained_at, card_json";

fn decode(path: &Path, raw: RawModel) -> Result<ModelMeta, StoreError> {
    let (name, version, file, sha256, feature_hash, trained_at, card_json) = raw;
    let bad = |detail: String| StoreError::BadStoredValue {
        path: path.to_path_buf(),
        table: "models",
        detail,
    };
    Ok(ModelMeta {
        version: u32::try_from(version)
            .map_err(|_| bad(format!("model `{name}` has version {version}")))?,
        trained_at: parse_time_text(&trained_at)
            .ok_or_else(|| bad(format!("model `{name}` has trained_at `{trained_at}`")))?,
        name,
        path: PathBuf::from(file),
        sha256,
        feature_hash,
        card_json,
    })
}

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawModel> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

impl Store {
    /// Inserts or replaces the metadata of model `meta.name`.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] for an empty name, a non-UTF-8 path, a `sha256` that is
    /// not 64 lowercase hex digits, or a `card_json` that is not JSON.
    pub fn upsert_model_meta(&mut self, meta: &ModelMeta) -> Result<(), StoreError> {
        let invalid = |reason: String, fix: &str| StoreError::InvalidInput {
            what: format!("the metadata of model `{}`", meta.name),
            reason,
            fix: fix.to_string(),
        };
        if meta.name.trim().is_empty() {
            return Err(invalid("its name is empty".into(), "name the model"));
        }
        let file = meta.path.to_str().ok_or_else(|| {
            invalid(
                format!("its path {} is not UTF-8", meta.path.display()),
                "keep model files under a UTF-8 path",
            )
        })?;
        if !is_sha256_hex(&meta.sha256) {
            return Err(invalid(
                format!("sha256 `{}` is not 64 lowercase hex digits", meta.sha256),
                "pass the SHA-256 of the model file in lowercase hex",
            ));
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&meta.card_json) {
            return Err(invalid(
                format!("its card is not valid JSON: {e}"),
                "store the model card as written beside the model file",
            ));
        }
        let trained_at = time_text("model training time", meta.trained_at)?;
        self.write("storing model metadata", |tx, path, _| {
            tx.execute(
                &format!(
                    "INSERT INTO models ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET \
                     version = excluded.version, path = excluded.path, sha256 = excluded.sha256, \
                     feature_hash = excluded.feature_hash, trained_at = excluded.trained_at, \
                     card_json = excluded.card_json"
                ),
                params![
                    meta.name,
                    i64::from(meta.version),
                    file,
                    meta.sha256,
                    meta.feature_hash,
                    trained_at,
                    meta.card_json
                ],
            )
            .ctx(path, "storing model metadata")?;
            Ok(())
        })
    }

    /// The metadata of model `name`, if stored.
    pub fn model_meta(&self, name: &str) -> Result<Option<ModelMeta>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM models WHERE name = ?"),
                [name],
                raw,
            )
            .optional()
            .ctx(&self.path, "reading model metadata")?;
        row.map(|r| decode(&self.path, r)).transpose()
    }

    /// The metadata of every stored model, sorted by name.
    pub fn list_models(&self) -> Result<Vec<ModelMeta>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM models ORDER BY name"))
            .ctx(path, "listing models")?;
        let rows = stmt
            .query_map([], raw)
            .ctx(path, "listing models")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, "listing models")?;
        rows.into_iter().map(|r| decode(path, r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, version: u32) -> ModelMeta {
        ModelMeta {
            name: name.to_string(),
            version,
            path: PathBuf::from(format!("models/{name}@{version}.json")),
            sha256: "0123456789abcdef".repeat(4),
            feature_hash: "f00d".to_string(),
            trained_at: DateTime::parse_from_rfc3339("2025-11-28T11:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            card_json: r#"{"format_version":1}"#.to_string(),
        }
    }

    #[test]
    fn model_metadata_is_upserted_by_name() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.model_meta("seller_trap").unwrap(), None);
        store.upsert_model_meta(&meta("seller_trap", 2)).unwrap();
        store.upsert_model_meta(&meta("direction_h1", 1)).unwrap();
        store.upsert_model_meta(&meta("seller_trap", 3)).unwrap();
        assert_eq!(
            store.model_meta("seller_trap").unwrap(),
            Some(meta("seller_trap", 3))
        );
        let names: Vec<_> = store
            .list_models()
            .unwrap()
            .into_iter()
            .map(|m| (m.name, m.version))
            .collect();
        assert_eq!(
            names,
            vec![("direction_h1".into(), 1), ("seller_trap".into(), 3)]
        );
    }

    #[test]
    fn malformed_metadata_is_refused() {
        let mut store = Store::open_in_memory().unwrap();
        let mut bad_sha = meta("m", 1);
        bad_sha.sha256 = "abc".into();
        let mut bad_card = meta("m", 1);
        bad_card.card_json = "{".into();
        for m in [bad_sha, bad_card] {
            let e = store.upsert_model_meta(&m).unwrap_err();
            assert!(matches!(e, StoreError::InvalidInput { .. }), "{e:?}");
        }
        assert!(store.list_models().unwrap().is_empty());
    }
}
