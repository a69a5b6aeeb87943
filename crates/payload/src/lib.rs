//! The payload: one JSON document per run (`aegismatrix.json`) that the dashboard reads.
//!
//! * [`Payload`] — `schema_version`, `meta`, and the blocks `market`, `direction`, `seller`,
//!   `buyer` (their types live in [`aegis_engines::blocks`]);
//! * [`schema`] — the JSON Schema generated from these Rust types, published beside the payload;
//! * [`write_atomic`] — temporary file, fsync, rename: a reader sees the old payload or the new
//!   one, never half of one, and a failed write leaves the last good payload in place;
//! * [`metric_points`] — every metric's headline number and status, for the history charts;
//! * [`issues`] — the metrics that are unavailable or stale, for `meta.health`;
//! * [`assemble`] — the payload of a run from the engines' blocks: meta with the engine and
//!   schema versions, the data as-of time, the models used (or why not), the data sources and
//!   the health computed from the metrics.

use std::fs;
use std::path::{Path, PathBuf};

pub mod indices;

use aegis_engines::blocks::{BuyerBlock, DirectionBlock, MarketBlock, SellerBlock};
use aegis_engines::{Blocks, ENGINE_VERSION, EngineInputs};
use aegis_ml::predictor::ModelSet;
use aegis_ml::registry::registry;
use aegis_model::{Status, Symbol};
use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the payload's shape. Bump it on any change that a reader could notice.
pub const SCHEMA_VERSION: u32 = 1;
/// File name of the payload.
pub const PAYLOAD_FILE: &str = "aegismatrix.json";
/// File name of its JSON Schema.
pub const SCHEMA_FILE: &str = "aegismatrix.schema.json";

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AegisMatrix payload")]
pub struct Payload {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Run metadata and overall health.
    pub meta: Meta,
    /// Spot, VIX, regime, session.
    pub market: MarketBlock,
    /// Direction view.
    pub direction: DirectionBlock,
    /// Option sellers' view.
    pub seller: SellerBlock,
    /// Option buyers' view.
    pub buyer: BuyerBlock,
}

/// Overall health of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Every metric computed from current data.
    Ok,
    /// Some metrics are stale or unavailable; the rest are sound.
    Degraded,
    /// Nothing useful could be computed (e.g. no market data at all).
    Failing,
}

/// A metric that is not `ok`, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MetricIssue {
    /// Path of the metric in the payload, e.g. `seller.expiries[0].max_pain`.
    pub metric: String,
    /// Its status.
    pub status: Status,
    /// Why.
    pub reason: Option<String>,
    /// What to do.
    pub fix: Option<String>,
}

/// Health of the payload as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Overall status.
    pub status: HealthStatus,
    /// Metrics that are unavailable.
    pub unavailable: Vec<MetricIssue>,
    /// Metrics that are stale.
    pub stale: Vec<MetricIssue>,
    /// Other notes (e.g. "simulated market").
    pub notes: Vec<String>,
}

impl Health {
    /// The paths of the unavailable metrics (e.g. `seller.expiries[0].max_pain`), in order.
    pub fn unavailable_metrics(&self) -> Vec<&str> {
        self.unavailable.iter().map(|i| i.metric.as_str()).collect()
    }
}

/// A model the run used (or tried to use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ModelUse {
    /// Model name, e.g. `breakout_d1`.
    pub name: String,
    /// `name@version` when loaded.
    pub id: Option<String>,
    /// `gbt`, `logistic`, `bilstm`, `hmm`, `garch`, `har`, …
    pub champion: Option<String>,
    /// When it was trained.
    pub trained_at: Option<DateTime<FixedOffset>>,
    /// Whether it beat climatology and the baseline out of sample.
    pub has_skill: Option<bool>,
    /// `ok` or `unavailable`.
    pub status: Status,
    /// Why it could not be used.
    pub reason: Option<String>,
}

/// Run parameters that shape the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunSettings {
    /// Confidence of the safe short range.
    pub confidence: f64,
    /// Data older than this (minutes, during a session) is stale.
    pub stale_after_minutes: i64,
}

/// Metadata of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Meta {
    /// Version of the engine that wrote the payload.
    pub engine_version: String,
    /// Same as the top-level `schema_version`.
    pub schema_version: u32,
    /// When the payload was generated (IST). The only field that differs between two runs on
    /// the same store and models.
    pub generated_at: DateTime<FixedOffset>,
    /// Time of the newest market data used (IST).
    pub data_as_of: DateTime<FixedOffset>,
    /// The index.
    pub symbol: Symbol,
    /// Whether the data is the simulator's (demo mode).
    pub simulated: bool,
    /// Overall health.
    pub health: Health,
    /// Run settings.
    pub settings: RunSettings,
    /// Models used.
    pub models: Vec<ModelUse>,
    /// Data sources, for the footer.
    pub sources: Vec<String>,
}

/// Every registered model: loaded (with its id, champion, training time and skill verdict) or
/// the reason it is unavailable.
pub fn model_uses(models: &ModelSet) -> Vec<ModelUse> {
    registry()
        .into_iter()
        .map(|spec| match models.get(&spec.name) {
            Ok(m) => {
                let card = m.file.card();
                ModelUse {
                    name: spec.name.clone(),
                    id: Some(m.id()),
                    champion: Some(card.kind.to_string()),
                    trained_at: Some(aegis_model::time::to_ist(card.created_at)),
                    has_skill: card.selection.as_ref().map(|s| s.has_skill),
                    status: Status::Ok,
                    reason: None,
                }
            }
            Err(e) => ModelUse {
                name: spec.name.clone(),
                id: None,
                champion: None,
                trained_at: None,
                has_skill: None,
                status: Status::Unavailable,
                reason: Some(e.to_string()),
            },
        })
        .collect()
}

/// The payload of a run: the engines' blocks with the metadata and the health computed from
/// every metric's status. `generated_at` is the only input that is not a function of the
/// store, the models and the as-of time.
pub fn assemble(
    blocks: Blocks,
    inputs: &EngineInputs<'_>,
    generated_at: DateTime<FixedOffset>,
) -> Payload {
    let models = model_uses(inputs.models);
    let mut notes = Vec::new();
    if inputs.simulated() {
        notes.push(
            "simulated market (demo mode): every number is computed from the simulator's data, not from a market"
                .to_string(),
        );
    }
    let origin = inputs.origin();
    let later: Vec<String> = inputs
        .models
        .loaded()
        .into_iter()
        .filter_map(|name| {
            let m = inputs.models.get(name).ok()?;
            let last = m.file.card().training_window.last;
            (last > origin).then(|| format!("{} (to {last})", m.id()))
        })
        .collect();
    if !later.is_empty() {
        notes.push(format!(
            "replay: the data stops at {origin}, but {} model(s) were trained on later sessions: {}; their skill figures include days after the as-of time",
            later.len(),
            later.join(", ")
        ));
    }
    let no_skill: Vec<&str> = models
        .iter()
        .filter(|m| m.has_skill == Some(false))
        .map(|m| m.name.as_str())
        .collect();
    if !no_skill.is_empty() {
        notes.push(format!(
            "{} of {} classifiers show no out-of-sample skill (Brier skill ≤ 0): {}; their tiles say so",
            no_skill.len(),
            models.iter().filter(|m| m.has_skill.is_some()).count(),
            no_skill.join(", ")
        ));
    }
    let mut payload = Payload {
        schema_version: SCHEMA_VERSION,
        meta: Meta {
            engine_version: ENGINE_VERSION.to_string(),
            schema_version: SCHEMA_VERSION,
            generated_at,
            data_as_of: inputs.data_as_of(),
            symbol: inputs.symbol(),
            simulated: inputs.simulated(),
            health: Health {
                status: HealthStatus::Ok,
                unavailable: Vec::new(),
                stale: Vec::new(),
                notes,
            },
            settings: RunSettings {
                confidence: inputs.settings.confidence,
                stale_after_minutes: inputs.settings.stale_after_minutes,
            },
            models,
            sources: inputs.sources(),
        },
        market: blocks.market,
        direction: blocks.direction,
        seller: blocks.seller,
        buyer: blocks.buyer,
    };
    let value = serde_json::to_value(&payload).expect("payload serialises");
    let (unavailable, stale) = issues(&value);
    let total = metric_points(&payload).len();
    payload.meta.health.status = if unavailable.is_empty() && stale.is_empty() {
        HealthStatus::Ok
    } else if unavailable.len() == total {
        HealthStatus::Failing
    } else {
        HealthStatus::Degraded
    };
    payload.meta.health.unavailable = unavailable;
    payload.meta.health.stale = stale;
    payload
}

/// Whether any metric of the payload is unavailable (`aegis run` then exits with its
/// "degraded" code).
pub fn has_unavailable(payload: &Payload) -> bool {
    !payload.meta.health.unavailable.is_empty()
}

/// Why the payload could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// An I/O failure, with the file and what was being done.
    #[error(
        "{action} {path}: {source}; check that the directory exists, is writable and the disk is not full — the last good payload was left in place"
    )]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The payload file is not a valid payload.
    #[error(
        "{path} is not a valid AegisMatrix payload: {source}; run `aegis run` to write a new one"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A payload of another schema version.
    #[error(
        "{path} has schema_version {found}, this aegis reads {SCHEMA_VERSION}; run `aegis run` to write a new one"
    )]
    WrongVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u64,
    },
}

/// The JSON Schema of [`Payload`], generated from the Rust types.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Payload)).expect("a schema serialises")
}

/// Serialises a payload deterministically (struct field order, no maps with random order).
pub fn to_json(payload: &Payload) -> String {
    let mut s = serde_json::to_string_pretty(payload).expect("payload serialises");
    s.push('\n');
    s
}

/// What [`write_atomic`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The payload file.
    pub payload: PathBuf,
    /// The schema file.
    pub schema: PathBuf,
    /// The payload text as written.
    pub json: String,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename,
/// then fsync of the directory. On error the temporary file is removed and `path` is untouched.
/// Uses the file system of [`filesystem::with_payload_fs`] when one is set on this thread.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), PayloadError> {
    write_file_atomic_with(&*filesystem::current(), path, bytes)
}

/// [`write_file_atomic`] through the file-system operations `fs` (faults can be injected).
pub fn write_file_atomic_with(
    fs: &dyn filesystem::PayloadFs,
    path: &Path,
    bytes: &[u8],
) -> Result<(), PayloadError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |action, source| PayloadError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    fs.create_dir_all(dir)
        .map_err(|e| io("creating the directory of", e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs
            .create(&tmp)
            .map_err(|e| io("creating a temporary file for", e))?;
        f.write_all(bytes).map_err(|e| io("writing", e))?;
        f.sync_all().map_err(|e| io("syncing", e))?;
        drop(f);
        fs.rename(&tmp, path)
            .map_err(|e| io("renaming the temporary file onto", e))?;
        // Persist the rename; not every platform can sync a directory, so ignore failure.
        let _ = fs.sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs.remove_file(&tmp);
    }
    result
}

/// Writes the payload and its schema into `dir` atomically.
/// Uses the file system of [`filesystem::with_payload_fs`] when one is set on this thread.
pub fn write_atomic(dir: &Path, payload: &Payload) -> Result<Written, PayloadError> {
    write_atomic_with(&*filesystem::current(), dir, payload)
}

/// [`write_atomic`] through the file-system operations `fs` (faults can be injected).
pub fn write_atomic_with(
    fs: &dyn filesystem::PayloadFs,
    dir: &Path,
    payload: &Payload,
) -> Result<Written, PayloadError> {
    let json = to_json(payload);
    let schema_text = serde_json::to_string_pretty(&schema()).expect("schema serialises") + "\n";
    let schema_path = dir.join(SCHEMA_FILE);
    write_file_atomic_with(fs, &schema_path, schema_text.as_bytes())?;
    let payload_path = dir.join(PAYLOAD_FILE);
    write_file_atomic_with(fs, &payload_path, json.as_bytes())?;
    Ok(Written {
        payload: payload_path,
        schema: schema_path,
        json,
    })
}

/// The file-system operations of the atomic writer, replaceable so that tests can make a disk
/// "fill up" or a directory "turn read-only" at any step (running as root, `chmod` would not).
pub mod filesystem {
    use std::cell::RefCell;
    use std::fs::{self, File};
    use std::io::{self, Write};
    use std::path::Path;
    use std::sync::Arc;

    /// An open file of a [`PayloadFs`].
    pub trait PayloadFile {
        /// Writes every byte.
        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
        /// Flushes the file's data and metadata to the disk (fsync).
        fn sync_all(&mut self) -> io::Result<()>;
    }

    impl PayloadFile for File {
        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            Write::write_all(self, bytes)
        }
        fn sync_all(&mut self) -> io::Result<()> {
            File::sync_all(self)
        }
    }

    /// The operations an atomic write performs, in order: create the directory, create the
    /// temporary file, write, fsync, rename onto the target, fsync the directory (and remove
    /// the temporary file after a failure).
    pub trait PayloadFs: Send + Sync {
        /// `std::fs::create_dir_all`.
        fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
        /// Creates (truncates) a file for writing.
        fn create(&self, path: &Path) -> io::Result<Box<dyn PayloadFile>>;
        /// `std::fs::rename`.
        fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
        /// `std::fs::remove_file`.
        fn remove_file(&self, path: &Path) -> io::Result<()>;
        /// Fsyncs a directory, persisting a rename.
        fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    }

    /// The real file system.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct RealFs;

    impl PayloadFs for RealFs {
        fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
            fs::create_dir_all(dir)
        }
        fn create(&self, path: &Path) -> io::Result<Box<dyn PayloadFile>> {
            Ok(Box::new(File::create(path)?))
        }
        fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            fs::rename(from, to)
        }
        fn remove_file(&self, path: &Path) -> io::Result<()> {
            fs::remove_file(path)
        }
        fn sync_dir(&self, dir: &Path) -> io::Result<()> {
            File::open(dir)?.sync_all()
        }
    }

    /// A step of the atomic write.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum FsStep {
        /// Creating the temporary file (e.g. `EROFS`, `EACCES` on a read-only directory).
        Create,
        /// Writing its bytes (e.g. `ENOSPC` on a full disk).
        Write,
        /// Its fsync (`ENOSPC` and `EIO` can surface here).
        Sync,
        /// The rename onto the target.
        Rename,
    }

    /// The real file system with one injected failure: every `step` on a file whose name
    /// contains `file` fails with the OS error `errno` (e.g. 28 `ENOSPC`, 30 `EROFS`,
    /// 13 `EACCES`). For fault tests.
    #[derive(Debug, Clone)]
    pub struct FaultyFs {
        /// The failing step.
        pub step: FsStep,
        /// The raw OS error returned.
        pub errno: i32,
        /// Only files whose name contains this (the temporary file's name contains the target's).
        pub file: String,
    }

    impl FaultyFs {
        fn hits(&self, step: FsStep, path: &Path) -> io::Result<()> {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if step == self.step && name.contains(&self.file) {
                Err(io::Error::from_raw_os_error(self.errno))
            } else {
                Ok(())
            }
        }
    }

    struct FaultyFile {
        file: File,
        write: io::Result<()>,
        sync: io::Result<()>,
    }

    impl PayloadFile for FaultyFile {
        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            if let Err(e) = &self.write {
                // A full disk accepts part of the data before refusing the rest.
                Write::write_all(&mut self.file, &bytes[..bytes.len() / 2])?;
                return Err(io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(28)));
            }
            Write::write_all(&mut self.file, bytes)
        }
        fn sync_all(&mut self) -> io::Result<()> {
            if let Err(e) = &self.sync {
                return Err(io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(5)));
            }
            self.file.sync_all()
        }
    }

    impl PayloadFs for FaultyFs {
        fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
            fs::create_dir_all(dir)
        }
        fn create(&self, path: &Path) -> io::Result<Box<dyn PayloadFile>> {
            self.hits(FsStep::Create, path)?;
            Ok(Box::new(FaultyFile {
                file: File::create(path)?,
                write: self.hits(FsStep::Write, path),
                sync: self.hits(FsStep::Sync, path),
            }))
        }
        fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            self.hits(FsStep::Rename, from)?;
            fs::rename(from, to)
        }
        fn remove_file(&self, path: &Path) -> io::Result<()> {
            fs::remove_file(path)
        }
        fn sync_dir(&self, dir: &Path) -> io::Result<()> {
            RealFs.sync_dir(dir)
        }
    }

    thread_local! {
        static OVERRIDE: RefCell<Option<Arc<dyn PayloadFs>>> = const { RefCell::new(None) };
    }

    /// The file system [`super::write_atomic`] uses on this thread.
    pub(crate) fn current() -> Arc<dyn PayloadFs> {
        OVERRIDE
            .with(|o| o.borrow().clone())
            .unwrap_or_else(|| Arc::new(RealFs))
    }

    /// Runs `f` with every payload write on this thread going through `fs` (a fault hook for
    /// tests of code that calls [`super::write_atomic`] deep inside; other threads are not
    /// affected). The previous file system is restored afterwards, even if `f` panics.
    pub fn with_payload_fs<R>(fs: Arc<dyn PayloadFs>, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Arc<dyn PayloadFs>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                OVERRIDE.with(|o| *o.borrow_mut() = previous);
            }
        }
        let previous = OVERRIDE.with(|o| o.borrow_mut().replace(fs));
        let _restore = Restore(previous);
        f()
    }
}

/// Reads and checks a payload file.
pub fn read(path: &Path) -> Result<Payload, PayloadError> {
    let text = fs::read_to_string(path).map_err(|source| PayloadError::Io {
        action: "reading",
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| PayloadError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    let found = value
        .get("schema_version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(SCHEMA_VERSION) {
        return Err(PayloadError::WrongVersion {
            path: path.to_path_buf(),
            found,
        });
    }
    serde_json::from_value(value).map_err(|source| PayloadError::Invalid {
        path: path.to_path_buf(),
        source,
    })
}

/// Fields tried, in order, as a metric's headline number.
const HEADLINE_FIELDS: [&str; 12] = [
    "value",
    "probability",
    "score",
    "rate",
    "hit_rate",
    "max_pain",
    "atm_iv_pct",
    "skewness",
    "conviction",
    "lower",
    "gauge",
    "high_10d",
];

/// Calls `f(path, metric_object)` for every object with a `provenance` member, depth first.
fn walk_metrics<'a>(v: &'a Value, path: &mut String, f: &mut dyn FnMut(&str, &'a Value)) {
    match v {
        Value::Object(map) => {
            if map.contains_key("provenance") {
                f(path, v);
            }
            for (k, child) in map {
                if k == "provenance" {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk_metrics(child, path, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_metrics(child, path, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn status_of(metric: &Value) -> Status {
    serde_json::from_value(metric["provenance"]["status"].clone()).unwrap_or(Status::Unavailable)
}

/// Every metric of the payload: (path, headline number if any, status code), in document order.
pub fn metric_points(payload: &Payload) -> Vec<(String, Option<f64>, String)> {
    let v = serde_json::to_value(payload).expect("payload serialises");
    let mut out = Vec::new();
    walk_metrics(&v, &mut String::new(), &mut |path, m| {
        let value = HEADLINE_FIELDS
            .iter()
            .find_map(|f| m.get(*f).and_then(Value::as_f64));
        let status = m["provenance"]["status"]
            .as_str()
            .unwrap_or("unavailable")
            .to_string();
        out.push((path.to_string(), value, status));
    });
    out
}

/// The metrics that are unavailable and those that are stale.
pub fn issues(payload_blocks: &Value) -> (Vec<MetricIssue>, Vec<MetricIssue>) {
    let mut unavailable = Vec::new();
    let mut stale = Vec::new();
    walk_metrics(payload_blocks, &mut String::new(), &mut |path, m| {
        let status = status_of(m);
        let issue = || MetricIssue {
            metric: path.to_string(),
            status,
            reason: m["provenance"]["reason"].as_str().map(str::to_string),
            fix: m["provenance"]["fix"].as_str().map(str::to_string),
        };
        match status {
            Status::Unavailable => unavailable.push(issue()),
            Status::Stale => stale.push(issue()),
            Status::Ok | Status::Simulated => {}
        }
    });
    (unavailable, stale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temporaries(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    /// A full disk (ENOSPC), a read-only file system (EROFS) or a refused permission (EACCES)
    /// at any step of the write leaves the previous file byte-identical, no temporary file,
    /// and an error naming the step, the file and the OS error.
    #[rstest::rstest]
    fn injected_faults_at_every_step_leave_the_previous_file(
        #[values(
            filesystem::FsStep::Create,
            filesystem::FsStep::Write,
            filesystem::FsStep::Sync,
            filesystem::FsStep::Rename
        )]
        step: filesystem::FsStep,
        #[values(28, 30, 13)] errno: i32,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PAYLOAD_FILE);
        write_file_atomic(&path, b"{\"old\": true}").unwrap();
        let faulty = filesystem::FaultyFs {
            step,
            errno,
            file: PAYLOAD_FILE.into(),
        };
        let err = write_file_atomic_with(&faulty, &path, b"{\"new\": true}").unwrap_err();
        let text = err.to_string();
        let expected = std::io::Error::from_raw_os_error(errno).to_string();
        assert!(text.contains(&expected), "{step:?}: {text}");
        assert!(text.contains(PAYLOAD_FILE), "{text}");
        let action = match step {
            filesystem::FsStep::Create => "creating a temporary file",
            filesystem::FsStep::Write => "writing",
            filesystem::FsStep::Sync => "syncing",
            filesystem::FsStep::Rename => "renaming",
        };
        assert!(text.starts_with(action), "{text}");
        assert_eq!(fs::read(&path).unwrap(), b"{\"old\": true}");
        assert!(temporaries(dir.path()).is_empty());
        // The same file system without the fault writes.
        write_file_atomic_with(&filesystem::RealFs, &path, b"{\"new\": true}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"new\": true}");
    }

    #[test]
    fn the_thread_local_hook_reaches_write_atomic_and_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        let faulty = std::sync::Arc::new(filesystem::FaultyFs {
            step: filesystem::FsStep::Write,
            errno: 28,
            file: "x.json".into(),
        });
        let err =
            filesystem::with_payload_fs(faulty, || write_file_atomic(&path, b"1")).unwrap_err();
        assert!(err.to_string().contains("No space left"), "{err}");
        assert!(!path.exists());
        write_file_atomic(&path, b"1").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"1");
    }

    /// A real read-only directory. Root ignores permission bits, so as root this test can only
    /// say why it did not run (the injected EROFS/EACCES cases above cover the code path).
    #[cfg(unix)]
    #[test]
    fn a_real_read_only_directory_refuses_the_write_and_keeps_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PAYLOAD_FILE);
        write_file_atomic(&path, b"old").unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let probe = dir.path().join("probe");
        if fs::File::create(&probe).is_ok() {
            let _ = fs::remove_file(&probe);
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
            eprintln!(
                "skipped: running as root, permission bits do not stop writes (see injected_faults_at_every_step_leave_the_previous_file)"
            );
            return;
        }
        let err = write_file_atomic(&path, b"new").unwrap_err();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.to_string().contains("Permission denied"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_file_atomic(&path, b"old").unwrap();
        // A directory where the file should go: the rename fails.
        let blocked = dir.path().join("b.json");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("keep"), b"x").unwrap();
        let err = write_file_atomic(&blocked, b"new").unwrap_err();
        assert!(
            err.to_string()
                .contains("last good payload was left in place"),
            "{err}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"old");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        write_file_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn reading_checks_json_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(PAYLOAD_FILE);
        fs::write(&p, "{not json").unwrap();
        assert!(matches!(read(&p), Err(PayloadError::Invalid { .. })));
        fs::write(&p, r#"{"schema_version": 99}"#).unwrap();
        assert!(matches!(
            read(&p),
            Err(PayloadError::WrongVersion { found: 99, .. })
        ));
        assert!(matches!(
            read(&dir.path().join("missing.json")),
            Err(PayloadError::Io { .. })
        ));
    }

    #[test]
    fn issues_and_points_walk_every_metric_with_its_path() {
        let v = json!({
            "market": {
                "spot": {"value": 100.5, "provenance": {"method": "formula", "as_of": null, "status": "ok"}},
                "vix": {"provenance": {"method": "formula", "as_of": null, "status": "unavailable", "reason": "r", "fix": "f"}}
            },
            "seller": {"expiries": [
                {"max_pain": {"max_pain": 25200.0, "provenance": {"method": "chain", "as_of": null, "status": "stale", "reason": "old"}}}
            ]}
        });
        let (unavailable, stale) = issues(&v);
        assert_eq!(unavailable.len(), 1);
        assert_eq!(unavailable[0].metric, "market.vix");
        assert_eq!(unavailable[0].fix.as_deref(), Some("f"));
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].metric, "seller.expiries[0].max_pain");
        assert_eq!(stale[0].reason.as_deref(), Some("old"));
    }
}
