//! The indices the dashboard serves: which index a URL names, and the manifest
//! ([`aegis_payload::indices::INDICES_FILE`]) that lists them.
//!
//! The primary index keeps its documents at `data/<doc>.json`; every other index listed in
//! [`OPTION_INDICES`] has the same documents at `data/indices/<CODE>/<doc>.json`.

use std::path::Path;

use aegis_model::Symbol;
use aegis_payload::indices::{INDICES_FILE, Manifest, OPTION_INDICES, PRIMARY, RunState};

use crate::payload_cache::Problem;

/// The documents every index has, by file name under its data prefix.
pub(crate) const INDEX_DOCUMENTS: [&str; 6] = [
    "payload.json",
    "schema.json",
    "history.json",
    "models.json",
    "toolkit.json",
    "alerts.json",
];

/// The codes of the indices with options, comma-separated (for error messages).
fn valid_codes() -> String {
    OPTION_INDICES
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(", ")
}

fn by_code(code: &str) -> Option<Symbol> {
    OPTION_INDICES
        .into_iter()
        .find(|s| s.code().eq_ignore_ascii_case(code))
}

fn unknown_index(code: &str) -> Problem {
    Problem {
        error: "unknown_index",
        cause: format!("there is no index `{code}`"),
        fix: format!("use one of {}", valid_codes()),
    }
}

/// The index of a `data/indices/<CODE>/` path: any index with options but the primary, whose
/// documents are at `data/`.
pub(crate) fn secondary_index(code: &str) -> Result<Symbol, Problem> {
    match by_code(code) {
        Some(s) if s == PRIMARY => Err(Problem {
            error: "unknown_index",
            cause: format!(
                "{} is the primary index: its documents are at data/payload.json, data/history.json, …, not under data/indices/{code}/",
                PRIMARY.display_name()
            ),
            fix: format!(
                "drop `indices/{code}/` from the URL, or use one of the other indices: {}",
                OPTION_INDICES
                    .iter()
                    .filter(|s| **s != PRIMARY)
                    .map(|s| s.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
        Some(s) => Ok(s),
        None => Err(unknown_index(code)),
    }
}

/// The index of an `index=` query parameter: the primary when absent.
pub(crate) fn query_index(code: Option<&str>) -> Result<Symbol, Problem> {
    match code {
        None => Ok(PRIMARY),
        Some(c) => by_code(c).ok_or_else(|| unknown_index(c)),
    }
}

/// The manifest of `out_dir`, with its bytes as written: `Ok(None)` when there is none (an
/// output directory from before there were several indices: only the primary exists).
pub(crate) fn read_manifest(out_dir: &Path) -> Result<Option<(Vec<u8>, Manifest)>, Problem> {
    let path = out_dir.join(INDICES_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Problem {
                error: "manifest_unreadable",
                cause: format!("cannot read {}: {e}", path.display()),
                fix: "check the file's permissions".into(),
            });
        }
    };
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) => Ok(Some((bytes, m))),
        Err(e) => Err(Problem {
            error: "manifest_invalid",
            cause: format!("{} is not an index manifest: {e}", path.display()),
            fix: "run `aegis run` (each run rewrites it), or delete it to serve NIFTY 50 only"
                .into(),
        }),
    }
}

/// The problem of an output directory without a manifest: only the primary index exists.
pub(crate) fn no_manifest(out_dir: &Path) -> Problem {
    Problem {
        error: "no_manifest",
        cause: format!(
            "no {INDICES_FILE} in {}: only {} is served",
            out_dir.display(),
            PRIMARY.display_name()
        ),
        fix: "run `aegis run` (it lists every index it ran in indices.json); configure more indices under [indices] in aegis.toml".into(),
    }
}

/// Why `/healthz` is degraded by the indices: every index whose last run failed (naming it, when
/// and why, and which payload is served instead), or a manifest that cannot be read.
pub(crate) fn health_reasons(manifest: &Result<Option<Manifest>, Problem>) -> Vec<String> {
    match manifest {
        Ok(None) => Vec::new(),
        Ok(Some(m)) => m
            .indices
            .iter()
            .filter(|e| e.state == RunState::Failed)
            .map(|e| {
                let served = match &e.payload {
                    Some(p) => format!(
                        "its last good payload (generated {}) is served",
                        p.generated_at.to_rfc3339()
                    ),
                    None => "it has no payload".to_string(),
                };
                format!(
                    "index {} ({}): the last run failed at {}: {}; {served}",
                    e.name,
                    e.symbol.code(),
                    e.last_run_at.to_rfc3339(),
                    e.message
                )
            })
            .collect(),
        Err(p) => vec![format!("{}; {}", p.cause, p.fix)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_payload::indices::{IndexEntry, PayloadOnDisk, relative_dir};
    use chrono::DateTime;

    #[test]
    fn codes_map_to_indices_and_unknown_ones_name_the_valid_ones() {
        assert_eq!(secondary_index("NIFTYBANK").unwrap(), Symbol::NiftyBank);
        assert_eq!(secondary_index("finnifty").unwrap(), Symbol::FinNifty);
        let p = secondary_index("NIFTY50").unwrap_err();
        assert!(p.cause.contains("primary"), "{}", p.cause);
        let p = secondary_index("SENSEX").unwrap_err();
        assert_eq!(p.error, "unknown_index");
        assert!(p.cause.contains("SENSEX"));
        assert!(
            p.fix.contains("NIFTY50, NIFTYBANK, FINNIFTY, MIDCAPSELECT"),
            "{}",
            p.fix
        );
        // India VIX has no options: not an index of the dashboard.
        assert!(secondary_index("INDIAVIX").is_err());
        assert_eq!(query_index(None).unwrap(), PRIMARY);
        assert_eq!(query_index(Some("NIFTY50")).unwrap(), PRIMARY);
        assert_eq!(
            query_index(Some("MIDCAPSELECT")).unwrap(),
            Symbol::MidcapSelect
        );
        assert!(query_index(Some("x")).is_err());
    }

    #[test]
    fn failed_runs_are_health_reasons_naming_the_index() {
        let t = DateTime::parse_from_rfc3339("2025-11-28T15:40:00+05:30").unwrap();
        let entry = |symbol: Symbol, state, payload| IndexEntry {
            symbol,
            name: symbol.display_name().into(),
            dir: relative_dir(symbol),
            last_run_at: t,
            state,
            message: format!("{} message", symbol.code()),
            payload,
        };
        let mut m = Manifest::new();
        m.upsert(entry(Symbol::Nifty50, RunState::Degraded, None));
        m.upsert(entry(Symbol::FinNifty, RunState::Failed, None));
        m.upsert(entry(
            Symbol::NiftyBank,
            RunState::Failed,
            Some(PayloadOnDisk {
                generated_at: t,
                data_as_of: t,
            }),
        ));
        let reasons = health_reasons(&Ok(Some(m)));
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].contains("NIFTY BANK (NIFTYBANK)")
                && reasons[0].contains("NIFTYBANK message")
        );
        assert!(reasons[0].contains("last good payload"), "{}", reasons[0]);
        assert!(reasons[1].contains("FINNIFTY") && reasons[1].contains("no payload"));
        assert!(health_reasons(&Ok(None)).is_empty());
    }

    #[test]
    fn manifest_absent_valid_and_invalid() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_manifest(dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join(INDICES_FILE), "[1, 2]").unwrap();
        let p = read_manifest(dir.path()).unwrap_err();
        assert_eq!(p.error, "manifest_invalid");
        assert!(p.cause.contains(INDICES_FILE), "{}", p.cause);
        let text = serde_json::to_vec(&Manifest::new()).unwrap();
        std::fs::write(dir.path().join(INDICES_FILE), &text).unwrap();
        let (bytes, m) = read_manifest(dir.path()).unwrap().unwrap();
        assert_eq!(bytes, text);
        assert_eq!(m, Manifest::new());
    }
}
