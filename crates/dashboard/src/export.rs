//! The static export: the same site as the server, written to a directory that any static
//! host (or CDN) can serve. The pages fetch `data/*.json` by relative URLs, which the export
//! writes as files and the server answers dynamically.

use std::path::{Path, PathBuf};

use aegis_payload::PAYLOAD_FILE;
use serde_json::Value;

use crate::assets::{self, ASSETS, PAGES};
use crate::data;
use crate::error::DashboardError;
use crate::payload_cache;

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The site's directory.
    pub site_dir: PathBuf,
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Data the site shows as unavailable (no store, no models), each with its fix.
    pub warnings: Vec<String>,
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Exported the dashboard to {} ({} files, {:.1} KB); serve that directory with any static web server.",
            self.site_dir.display(),
            self.files,
            self.bytes as f64 / 1024.0
        )?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

struct Writer {
    root: PathBuf,
    files: usize,
    bytes: u64,
}

impl Writer {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), DashboardError> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| DashboardError::Io {
                action: "creating the directory",
                path: dir.to_path_buf(),
                source,
            })?;
        }
        aegis_payload::write_file_atomic(&path, bytes).map_err(|e| DashboardError::Io {
            action: "writing",
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        self.files += 1;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

fn problem_warning(doc: &Value) -> Option<String> {
    let p = doc.get("problem")?;
    let cause = p.get("cause")?.as_str()?;
    let fix = p.get("fix").and_then(Value::as_str).unwrap_or("");
    Some(format!("{cause}; {fix}"))
}

/// Writes the dashboard as a self-contained static site into `site_dir`: the pages, the
/// assets, `data/payload.json` (the payload of `payload_dir`, byte for byte),
/// `data/schema.json`, `data/history.json` (the main metrics from the store at `store_path`)
/// and `data/models.json` (the cards of the model files in `models_dir`).
///
/// # Errors
/// [`DashboardError::Payload`] when the payload is missing or invalid (a site without it
/// would show nothing), [`DashboardError::Io`] when a file cannot be written. A missing store
/// or models directory is not an error: the pages say so, and the report lists it.
pub fn export(
    site_dir: &Path,
    payload_dir: &Path,
    store_path: &Path,
    models_dir: &Path,
) -> Result<ExportReport, DashboardError> {
    let loaded = payload_cache::load(&payload_dir.join(PAYLOAD_FILE)).map_err(|p| {
        DashboardError::Payload {
            cause: p.cause,
            fix: p.fix,
        }
    })?;
    let mut w = Writer {
        root: site_dir.to_path_buf(),
        files: 0,
        bytes: 0,
    };
    for page in PAGES {
        let html = assets::render_page(page.bytes, crate::DEFAULT_REFRESH_SECS);
        w.write(page.path, html.as_bytes())?;
    }
    for a in ASSETS {
        w.write(&format!("assets/{}/{}", assets::version(), a.path), a.bytes)?;
    }
    w.write("data/payload.json", &loaded.bytes)?;
    let schema = serde_json::to_vec_pretty(&aegis_payload::schema()).expect("schema serialises");
    w.write("data/schema.json", &schema)?;
    let mut warnings = Vec::new();
    let history = data::history_document(store_path);
    warnings.extend(problem_warning(&history));
    w.write(
        "data/history.json",
        &serde_json::to_vec(&history).expect("JSON"),
    )?;
    let models = data::models_document(models_dir);
    warnings.extend(problem_warning(&models));
    w.write(
        "data/models.json",
        &serde_json::to_vec(&models).expect("JSON"),
    )?;
    // The alerts document, when a run has written one (the banner says when there is none).
    if let Ok(bytes) = std::fs::read(payload_dir.join(crate::toolkit_api::ALERTS_FILE))
        && serde_json::from_slice::<Value>(&bytes).is_ok()
    {
        w.write("data/alerts.json", &bytes)?;
    }
    // The toolkit document (Chain and Strategy tabs): copied when valid, otherwise the tabs say
    // it is missing and the report says how to get it.
    let toolkit_path = payload_dir.join(aegis_toolkit::TOOLKIT_FILE);
    match std::fs::read(&toolkit_path) {
        Ok(bytes) => match serde_json::from_slice::<aegis_toolkit::Toolkit>(&bytes) {
            Ok(_) => w.write("data/toolkit.json", &bytes)?,
            Err(e) => warnings.push(format!(
                "{} is not a valid toolkit document ({e}): run `aegis run` to write it again",
                toolkit_path.display()
            )),
        },
        Err(e) => warnings.push(format!(
            "no toolkit document at {} ({e}): the Chain and Strategy tabs will say so; run `aegis run`",
            toolkit_path.display()
        )),
    }
    Ok(ExportReport {
        site_dir: site_dir.to_path_buf(),
        files: w.files,
        bytes: w.bytes,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_every_page_asset_and_data_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let fixture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/payload.json"
        ))
        .unwrap();
        std::fs::write(out.join(PAYLOAD_FILE), &fixture).unwrap();
        let site = dir.path().join("site");
        let report = export(
            &site,
            &out,
            &dir.path().join("none.db"),
            &dir.path().join("models"),
        )
        .unwrap();
        assert_eq!(report.files, PAGES.len() + ASSETS.len() + 4);
        assert_eq!(
            std::fs::read(site.join("data/payload.json")).unwrap(),
            fixture
        );
        let index = std::fs::read_to_string(site.join("index.html")).unwrap();
        let app = format!("assets/{}/js/app.js", assets::version());
        assert!(index.contains(&app));
        assert!(site.join(&app).is_file());
        let schema: Value =
            serde_json::from_slice(&std::fs::read(site.join("data/schema.json")).unwrap()).unwrap();
        assert_eq!(schema, aegis_payload::schema());
        // No store, no models, no toolkit document.
        assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
        assert!(report.to_string().contains("aegis train"));
    }

    #[test]
    fn refuses_to_export_without_a_valid_payload() {
        let dir = tempfile::tempdir().unwrap();
        let err = export(&dir.path().join("site"), dir.path(), dir.path(), dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("no payload at") && msg.contains("aegis run"),
            "{msg}"
        );
        assert!(!dir.path().join("site").exists());
    }
}
