//! The payload file, read once per change (mtime and size) and served from memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aegis_payload::{PAYLOAD_FILE, Payload, SCHEMA_VERSION};
use serde::Serialize;
use serde_json::Value;

use crate::assets::etag_of;

/// A payload that parsed and matched this build's schema version.
#[derive(Debug)]
pub(crate) struct LoadedPayload {
    /// The file's bytes, exactly as written (cheap to clone into a response body).
    pub bytes: axum::body::Bytes,
    /// The same bytes gzip-compressed once per version, for clients that accept gzip (the
    /// payload is read many times per write).
    pub gzip: axum::body::Bytes,
    /// ETag of the bytes.
    pub etag: String,
    /// The parsed document.
    pub payload: Payload,
}

/// Why there is no payload to serve: shown to the user as a JSON error with the fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Problem {
    /// Short machine-readable code.
    pub error: &'static str,
    /// What is wrong, naming the file.
    pub cause: String,
    /// What to do.
    pub fix: String,
}

/// Identity of a version of the file: modification time and size.
type FileKey = Option<(SystemTime, u64)>;

/// The last read: the file's identity and what it gave.
type Cached = Option<(FileKey, Result<Arc<LoadedPayload>, Problem>)>;

/// Reads the payload file when it changed since the last request.
#[derive(Debug)]
pub(crate) struct PayloadCache {
    path: PathBuf,
    state: Mutex<Cached>,
}

impl PayloadCache {
    /// A cache of `out_dir/aegismatrix.json`.
    pub fn new(out_dir: &Path) -> Self {
        PayloadCache {
            path: out_dir.join(PAYLOAD_FILE),
            state: Mutex::new(None),
        }
    }

    /// The current payload, re-read if the file's mtime or size changed.
    pub fn get(&self) -> Result<Arc<LoadedPayload>, Problem> {
        let key = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached_key, result)) = state.as_ref()
            && *cached_key == key
            && key.is_some()
        {
            return result.clone();
        }
        let result = load(&self.path).map(Arc::new);
        match &result {
            Ok(p) => tracing::info!(path = %self.path.display(), etag = %p.etag, "payload loaded"),
            Err(problem) => {
                tracing::warn!(path = %self.path.display(), cause = %problem.cause, "payload unavailable")
            }
        }
        *state = Some((key, result.clone()));
        result
    }
}

/// Reads and checks a payload file (as [`aegis_payload::read`], but keeping the exact bytes).
pub(crate) fn load(path: &Path) -> Result<LoadedPayload, Problem> {
    let fix_run =
        "run `aegis run` (or `aegis demo` for the offline demo) to write a new payload".to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Problem {
                error: "payload_missing",
                cause: format!("no payload at {}", path.display()),
                fix: format!(
                    "{fix_run}; or point the server at the right directory (paths.out in aegis.toml)"
                ),
            }
        } else {
            Problem {
                error: "payload_unreadable",
                cause: format!("cannot read {}: {e}", path.display()),
                fix: "check the file's permissions".into(),
            }
        }
    })?;
    let invalid = |cause: String| Problem {
        error: "payload_invalid",
        cause,
        fix: fix_run.clone(),
    };
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("{} is not valid JSON: {e}", path.display())))?;
    let found = value.get("schema_version").and_then(Value::as_u64);
    if found != Some(u64::from(SCHEMA_VERSION)) {
        return Err(Problem {
            error: "payload_wrong_version",
            cause: format!(
                "{} has schema_version {}, this dashboard reads {SCHEMA_VERSION}",
                path.display(),
                found.map_or("(none)".to_string(), |v| v.to_string())
            ),
            fix: fix_run,
        });
    }
    let payload: Payload = serde_json::from_value(value).map_err(|e| {
        invalid(format!(
            "{} is not a valid AegisMatrix payload: {e}",
            path.display()
        ))
    })?;
    let gzip = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(bytes.len() / 4),
            flate2::Compression::default(),
        );
        enc.write_all(&bytes)
            .and_then(|()| enc.finish())
            .map_err(|e| Problem {
                error: "payload_unreadable",
                cause: format!("cannot compress {}: {e}", path.display()),
                fix: "check the server's memory".into(),
            })?
    };
    Ok(LoadedPayload {
        etag: etag_of(&bytes),
        bytes: axum::body::Bytes::from(bytes),
        gzip: axum::body::Bytes::from(gzip),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/payload.json"
        ))
        .unwrap()
    }

    #[test]
    fn missing_then_written_then_changed_then_broken() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PayloadCache::new(dir.path());
        let err = cache.get().unwrap_err();
        assert_eq!(err.error, "payload_missing");
        assert!(err.fix.contains("aegis run"));

        let path = dir.path().join(PAYLOAD_FILE);
        std::fs::write(&path, fixture()).unwrap();
        let first = cache.get().unwrap();
        assert_eq!(&*first.bytes, &fixture()[..]);
        // Unchanged file: the same allocation is served.
        assert!(Arc::ptr_eq(&first, &cache.get().unwrap()));

        // A new payload (different size) is picked up.
        let mut v: Value = serde_json::from_slice(&fixture()).unwrap();
        v["meta"]["engine_version"] = Value::from("0.1.0-changed");
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let second = cache.get().unwrap();
        assert_eq!(second.payload.meta.engine_version, "0.1.0-changed");
        assert_ne!(first.etag, second.etag);

        std::fs::write(&path, b"{\"schema_version\": 1, \"meta\": 3}").unwrap();
        let err = cache.get().unwrap_err();
        assert_eq!(err.error, "payload_invalid");
        assert!(err.cause.contains(PAYLOAD_FILE), "{}", err.cause);

        std::fs::write(&path, b"{\"schema_version\": 99}").unwrap();
        assert_eq!(cache.get().unwrap_err().error, "payload_wrong_version");
    }
}
