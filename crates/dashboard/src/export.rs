//! The static export: the same site as the server, written to a directory that any static
//! host (or CDN) can serve. The pages fetch `data/*.json` by relative URLs, which the export
//! writes as files and the server answers dynamically.

use std::path::{Path, PathBuf};

use aegis_model::Symbol;
use aegis_payload::PAYLOAD_FILE;
use aegis_payload::indices::{INDICES_FILE, PRIMARY, index_dir, relative_dir};
use serde_json::Value;

use crate::assets::{self, ASSETS, PAGES};
use crate::data;
use crate::error::DashboardError;
use crate::{indices, payload_cache};

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
/// `data/schema.json`, `data/history.json` (the main metrics from the store at `store_path`),
/// `data/models.json` (the cards of the model files in `models_dir`), the toolkit and alerts
/// documents when a run wrote them; and, when `payload_dir` has an index manifest
/// (`indices.json`), the manifest as `data/indices.json` and the same documents of every other
/// index it lists under `data/indices/<CODE>/`.
///
/// # Errors
/// [`DashboardError::Payload`] when the NIFTY 50 payload is missing or invalid (a site without
/// it would show nothing), [`DashboardError::Io`] when a file cannot be written. A missing
/// store, models directory, toolkit document or another index's payload (e.g. after its run
/// failed) is not an error: the pages say so, and the report lists it; an unreadable manifest
/// is reported and the site shows NIFTY 50 only.
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
    let mut warnings = Vec::new();
    let sources = Sources {
        payload_dir,
        store_path,
        models_dir,
    };
    w.write("data/payload.json", &loaded.bytes)?;
    sources.write_documents(&mut w, PRIMARY, &mut warnings)?;
    match indices::read_manifest(payload_dir) {
        Ok(None) => {}
        Ok(Some((bytes, manifest))) => {
            w.write(&format!("data/{INDICES_FILE}"), &bytes)?;
            for entry in manifest.indices.iter().filter(|e| e.symbol != PRIMARY) {
                let symbol = entry.symbol;
                let dir = index_dir(payload_dir, symbol);
                match payload_cache::load(&dir.join(PAYLOAD_FILE)) {
                    Ok(p) => w.write(&data_path(symbol, "payload.json"), &p.bytes)?,
                    Err(p) => warnings.push(format!(
                        "{} has no payload to export ({}; {}); the index selector shows it as {} with its message",
                        symbol.display_name(),
                        p.cause,
                        p.fix,
                        serde_json::to_value(entry.state)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    )),
                }
                sources.write_documents(&mut w, symbol, &mut warnings)?;
            }
        }
        Err(p) => warnings.push(format!(
            "{}; {} (the site shows {} only)",
            p.cause,
            p.fix,
            PRIMARY.display_name()
        )),
    }
    Ok(ExportReport {
        site_dir: site_dir.to_path_buf(),
        files: w.files,
        bytes: w.bytes,
        warnings,
    })
}

/// The site path of an index's document: `data/<doc>` for the primary index,
/// `data/indices/<CODE>/<doc>` otherwise (the URLs the server answers).
fn data_path(symbol: Symbol, doc: &str) -> String {
    format!("data/{}{doc}", relative_dir(symbol))
}

/// Where the documents besides the payload are read from.
struct Sources<'a> {
    payload_dir: &'a Path,
    store_path: &'a Path,
    models_dir: &'a Path,
}

impl Sources<'_> {
    /// Writes the schema, history, models, alerts and toolkit documents of an index.
    fn write_documents(
        &self,
        w: &mut Writer,
        symbol: Symbol,
        warnings: &mut Vec<String>,
    ) -> Result<(), DashboardError> {
        // Warnings about another index name it.
        let about = |s: String| {
            if symbol == PRIMARY {
                s
            } else {
                format!("{}: {s}", symbol.display_name())
            }
        };
        let schema =
            serde_json::to_vec_pretty(&aegis_payload::schema()).expect("schema serialises");
        w.write(&data_path(symbol, "schema.json"), &schema)?;
        let history = data::history_document(self.store_path, symbol);
        warnings.extend(problem_warning(&history).map(about));
        w.write(
            &data_path(symbol, "history.json"),
            &serde_json::to_vec(&history).expect("JSON"),
        )?;
        let models = data::models_document(&index_dir(self.models_dir, symbol));
        warnings.extend(problem_warning(&models).map(about));
        w.write(
            &data_path(symbol, "models.json"),
            &serde_json::to_vec(&models).expect("JSON"),
        )?;
        let dir = index_dir(self.payload_dir, symbol);
        // The alerts document, when a run has written one (the banner says when there is none).
        if let Ok(bytes) = std::fs::read(dir.join(crate::toolkit_api::ALERTS_FILE))
            && serde_json::from_slice::<Value>(&bytes).is_ok()
        {
            w.write(&data_path(symbol, "alerts.json"), &bytes)?;
        }
        // The toolkit document (Chain and Strategy tabs): copied when valid, otherwise the tabs
        // say it is missing and the report says how to get it.
        let toolkit_path = dir.join(aegis_toolkit::TOOLKIT_FILE);
        match std::fs::read(&toolkit_path) {
            Ok(bytes) => match serde_json::from_slice::<aegis_toolkit::Toolkit>(&bytes) {
                Ok(_) => w.write(&data_path(symbol, "toolkit.json"), &bytes)?,
                Err(e) => warnings.push(about(format!(
                    "{} is not a valid toolkit document ({e}): run `aegis run` to write it again",
                    toolkit_path.display()
                ))),
            },
            Err(e) => warnings.push(about(format!(
                "no toolkit document at {} ({e}): the Chain and Strategy tabs will say so; run `aegis run`",
                toolkit_path.display()
            ))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of the payload fixture.
    fn payload_fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/payload.json"
        ))
        .unwrap()
    }

    /// Exports the run output `out` to `dir/site`, with no store and no models (both paths
    /// under `dir` do not exist); returns the site's directory and the report.
    fn export_without_store(dir: &Path, out: &Path) -> (PathBuf, ExportReport) {
        let site = dir.join("site");
        let report = export(&site, out, &dir.join("none.db"), &dir.join("models")).unwrap();
        (site, report)
    }

    #[test]
    fn exports_every_page_asset_and_data_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let fixture = payload_fixture();
        std::fs::write(out.join(PAYLOAD_FILE), &fixture).unwrap();
        let (site, report) = export_without_store(dir.path(), &out);
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
    fn exports_every_listed_index_under_the_server_paths() {
        use aegis_payload::indices::{IndexEntry, RunState, record_run};
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let fixture = payload_fixture();
        let bank_dir = index_dir(&out, Symbol::NiftyBank);
        std::fs::create_dir_all(&bank_dir).unwrap();
        std::fs::write(out.join(PAYLOAD_FILE), &fixture).unwrap();
        let mut bank: Value = serde_json::from_slice(&fixture).unwrap();
        bank["market"]["symbol"] = Value::from("NIFTYBANK");
        let bank = serde_json::to_vec(&bank).unwrap();
        std::fs::write(bank_dir.join(PAYLOAD_FILE), &bank).unwrap();
        std::fs::write(bank_dir.join("alerts.json"), b"{\"rules\":[]}").unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2025-11-28T13:55:00+05:30").unwrap();
        for (symbol, state) in [
            (Symbol::Nifty50, RunState::Ok),
            (Symbol::NiftyBank, RunState::Degraded),
            (Symbol::FinNifty, RunState::Failed),
        ] {
            record_run(
                &out,
                IndexEntry {
                    symbol,
                    name: symbol.display_name().into(),
                    dir: relative_dir(symbol),
                    last_run_at: t,
                    state,
                    message: "m".into(),
                    payload: None,
                },
            )
            .unwrap();
        }
        let (site, report) = export_without_store(dir.path(), &out);
        assert_eq!(
            std::fs::read(site.join("data/indices.json")).unwrap(),
            std::fs::read(out.join(INDICES_FILE)).unwrap()
        );
        assert_eq!(
            std::fs::read(site.join("data/indices/NIFTYBANK/payload.json")).unwrap(),
            bank
        );
        assert_eq!(
            std::fs::read(site.join("data/payload.json")).unwrap(),
            fixture
        );
        for doc in ["schema.json", "history.json", "models.json", "alerts.json"] {
            assert!(
                site.join("data/indices/NIFTYBANK").join(doc).is_file(),
                "{doc}"
            );
        }
        let history: Value = serde_json::from_slice(
            &std::fs::read(site.join("data/indices/NIFTYBANK/history.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(history["index"], "NIFTYBANK");
        // The failed index: no payload, said in the report; its other documents are there.
        assert!(!site.join("data/indices/FINNIFTY/payload.json").exists());
        assert!(site.join("data/indices/FINNIFTY/history.json").is_file());
        assert!(!site.join("data/indices/NIFTY50").exists());
        let fin: Vec<_> = report
            .warnings
            .iter()
            .filter(|w| w.contains("NIFTY FIN SERVICE has no payload"))
            .collect();
        assert_eq!(fin.len(), 1, "{:?}", report.warnings);
        assert!(fin[0].contains("failed"), "{}", fin[0]);
        // Pages + assets + NIFTY 50's payload, schema, history, models + the manifest + NIFTY
        // BANK's payload, schema, history, models, alerts + FINNIFTY's schema, history, models.
        assert_eq!(report.files, PAGES.len() + ASSETS.len() + 4 + 1 + 5 + 3);
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
