//! Operational state shared by the scheduler (which writes it) and the HTTP handlers (which
//! read it for `/healthz` and `/metrics`), and the Prometheus text exposition.
//!
//! The exposition is written by hand (format 0.0.4, a few dozen lines) rather than with the
//! `prometheus-client` crate: the server exports about ten families, and a dependency would add
//! build time for no gain.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Upper bounds (seconds) of the run-duration histogram buckets.
pub const RUN_BUCKETS: [f64; 10] = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0];
/// Upper bounds (seconds) of the HTTP-latency histogram buckets.
pub const HTTP_BUCKETS: [f64; 11] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// The data sources whose fetch errors are counted.
pub const SOURCES: [&str; 2] = ["yahoo", "nse"];
/// How a scheduled job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// The payload was written and every metric is available.
    Ok,
    /// The payload was written, but some metric is unavailable or a source failed.
    Degraded,
    /// Nothing was published; the last good payload stays.
    Failed,
}

impl JobOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Ok => "ok",
            JobOutcome::Degraded => "degraded",
            JobOutcome::Failed => "failed",
        }
    }
}

/// One finished job, as the scheduler reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    /// `intraday`, `post_close` or `retrain`.
    pub job: String,
    /// How it ended.
    pub outcome: JobOutcome,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Seconds it took.
    pub seconds: f64,
    /// What it did, or why it failed (names the cause and the fix).
    pub message: String,
}

/// The last failed fetch of a source (cleared by its next success).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchFailure {
    /// When.
    pub at: DateTime<Utc>,
    /// The error, naming the request and the cause.
    pub message: String,
}

/// A snapshot of the scheduler's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OpsStatus {
    /// Whether a scheduler runs in this process (`aegis serve` without `--no-schedule`).
    pub scheduler_enabled: bool,
    /// The job running now, if any.
    pub running: Option<String>,
    /// The last finished job.
    pub last_job: Option<JobRecord>,
    /// The last job that failed.
    pub last_failure: Option<JobRecord>,
    /// Failed jobs since the last success.
    pub consecutive_failures: u32,
    /// Ticks skipped because a job was still running.
    pub skipped_ticks: u64,
    /// Jobs that took longer than the slow-job limit.
    pub slow_jobs: u64,
    /// When the next attempt may run after a failure (exponential backoff).
    pub retry_at: Option<DateTime<Utc>>,
    /// Sources whose last fetch failed, by source (`yahoo`, `nse`).
    pub fetch_failures: BTreeMap<String, FetchFailure>,
}

/// A histogram with fixed buckets.
#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&mut self.counts) {
            if v <= *b {
                *c += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug)]
struct JobCounters {
    status: OpsStatus,
    runs: BTreeMap<(String, JobOutcome), u64>,
    durations: BTreeMap<String, Histogram>,
    fetch_errors: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct HttpCounters {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

#[derive(Debug)]
struct Inner {
    jobs: Mutex<JobCounters>,
    http: Mutex<HttpCounters>,
}

/// Shared, cheaply cloned operational state (an `Arc` inside).
#[derive(Debug, Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Escapes a label value (backslash, quote, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Telemetry {
    /// Empty state: no scheduler, nothing counted.
    pub fn new() -> Self {
        Telemetry {
            inner: Arc::new(Inner {
                jobs: Mutex::new(JobCounters {
                    status: OpsStatus::default(),
                    runs: BTreeMap::new(),
                    durations: BTreeMap::new(),
                    fetch_errors: SOURCES.iter().map(|s| (s.to_string(), 0)).collect(),
                }),
                http: Mutex::new(HttpCounters::default()),
            }),
        }
    }

    /// Marks that a scheduler runs in this process (its failures then count in `/healthz`).
    pub fn set_scheduler_enabled(&self, enabled: bool) {
        lock(&self.inner.jobs).status.scheduler_enabled = enabled;
    }

    /// A job started.
    pub fn job_started(&self, job: &str) {
        lock(&self.inner.jobs).status.running = Some(job.to_string());
    }

    /// A job finished: counts it by outcome, observes its duration, and tracks failures.
    pub fn job_finished(&self, record: JobRecord) {
        let mut j = lock(&self.inner.jobs);
        *j.runs
            .entry((record.job.clone(), record.outcome))
            .or_insert(0) += 1;
        j.durations
            .entry(record.job.clone())
            .or_insert_with(|| Histogram::new(&RUN_BUCKETS))
            .observe(record.seconds);
        let s = &mut j.status;
        s.running = None;
        if record.outcome == JobOutcome::Failed {
            s.consecutive_failures += 1;
            s.last_failure = Some(record.clone());
        } else {
            s.consecutive_failures = 0;
        }
        s.last_job = Some(record);
    }

    /// A fetch from `source` (`yahoo` or `nse`) succeeded (`Ok`) or failed with the message.
    pub fn fetch_result(&self, source: &str, at: DateTime<Utc>, result: Result<(), String>) {
        let mut j = lock(&self.inner.jobs);
        match result {
            Ok(()) => {
                j.status.fetch_failures.remove(source);
            }
            Err(message) => {
                *j.fetch_errors.entry(source.to_string()).or_insert(0) += 1;
                j.status
                    .fetch_failures
                    .insert(source.to_string(), FetchFailure { at, message });
            }
        }
    }

    /// A tick found a job still running and was skipped.
    pub fn tick_skipped(&self) {
        lock(&self.inner.jobs).status.skipped_ticks += 1;
    }

    /// A job took longer than the slow-job limit.
    pub fn job_slow(&self) {
        lock(&self.inner.jobs).status.slow_jobs += 1;
    }

    /// The time before which no job is retried (`None`: no backoff in effect).
    pub fn set_retry_at(&self, at: Option<DateTime<Utc>>) {
        lock(&self.inner.jobs).status.retry_at = at;
    }

    /// One HTTP request: its route pattern (e.g. `/api/payload`), status and latency.
    pub fn http_request(&self, route: &str, status: u16, seconds: f64) {
        let mut h = lock(&self.inner.http);
        match h.requests.get_mut(&(route.to_string(), status)) {
            Some(n) => *n += 1,
            None => {
                h.requests.insert((route.to_string(), status), 1);
            }
        }
        match h.latency.get_mut(route) {
            Some(hist) => hist.observe(seconds),
            None => {
                let mut hist = Histogram::new(&HTTP_BUCKETS);
                hist.observe(seconds);
                h.latency.insert(route.to_string(), hist);
            }
        }
    }

    /// A snapshot of the scheduler's state.
    pub fn status(&self) -> OpsStatus {
        lock(&self.inner.jobs).status.clone()
    }

    /// Total jobs counted with `outcome` (every job kind).
    pub fn jobs_total(&self, outcome: JobOutcome) -> u64 {
        lock(&self.inner.jobs)
            .runs
            .iter()
            .filter(|((_, o), _)| *o == outcome)
            .map(|(_, n)| n)
            .sum()
    }

    /// Fetch errors counted for `source`.
    pub fn fetch_errors(&self, source: &str) -> u64 {
        lock(&self.inner.jobs)
            .fetch_errors
            .get(source)
            .copied()
            .unwrap_or(0)
    }

    /// The Prometheus text exposition of the counters, followed by `payload` gauges.
    pub fn render(&self, payload: &PayloadGauges) -> String {
        let mut out = String::with_capacity(4096);
        {
            let j = lock(&self.inner.jobs);
            out.push_str("# HELP aegis_jobs_total Scheduled jobs by kind and outcome.\n# TYPE aegis_jobs_total counter\n");
            for job in ["intraday", "post_close", "retrain"] {
                for outcome in [JobOutcome::Ok, JobOutcome::Degraded, JobOutcome::Failed] {
                    let n = j
                        .runs
                        .get(&(job.to_string(), outcome))
                        .copied()
                        .unwrap_or(0);
                    let _ = writeln!(
                        out,
                        "aegis_jobs_total{{job=\"{job}\",outcome=\"{}\"}} {n}",
                        outcome.as_str()
                    );
                }
            }
            out.push_str("# HELP aegis_job_duration_seconds Duration of scheduled jobs.\n# TYPE aegis_job_duration_seconds histogram\n");
            for (job, h) in &j.durations {
                h.render(
                    &mut out,
                    "aegis_job_duration_seconds",
                    &format!("job=\"{}\"", escape(job)),
                );
            }
            out.push_str("# HELP aegis_fetch_errors_total Failed fetches by data source.\n# TYPE aegis_fetch_errors_total counter\n");
            for (source, n) in &j.fetch_errors {
                let _ = writeln!(
                    out,
                    "aegis_fetch_errors_total{{source=\"{}\"}} {n}",
                    escape(source)
                );
            }
            let s = &j.status;
            let gauges: [(&str, &str, &str, f64); 5] = [
                (
                    "aegis_scheduler_enabled",
                    "gauge",
                    "1 when the scheduler runs in this process.",
                    f64::from(u8::from(s.scheduler_enabled)),
                ),
                (
                    "aegis_scheduler_consecutive_failures",
                    "gauge",
                    "Failed jobs since the last success.",
                    f64::from(s.consecutive_failures),
                ),
                (
                    "aegis_scheduler_job_running",
                    "gauge",
                    "1 while a job runs.",
                    f64::from(u8::from(s.running.is_some())),
                ),
                (
                    "aegis_scheduler_skipped_ticks_total",
                    "counter",
                    "Ticks skipped because a job was still running.",
                    s.skipped_ticks as f64,
                ),
                (
                    "aegis_scheduler_slow_jobs_total",
                    "counter",
                    "Jobs slower than the slow-job limit.",
                    s.slow_jobs as f64,
                ),
            ];
            for (name, kind, help, v) in gauges {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            }
        }
        payload.render(&mut out);
        {
            let h = lock(&self.inner.http);
            out.push_str("# HELP aegis_http_requests_total HTTP requests by route and status.\n# TYPE aegis_http_requests_total counter\n");
            for ((route, status), n) in &h.requests {
                let _ = writeln!(
                    out,
                    "aegis_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
            out.push_str("# HELP aegis_http_request_duration_seconds HTTP request latency by route.\n# TYPE aegis_http_request_duration_seconds histogram\n");
            for (route, hist) in &h.latency {
                hist.render(
                    &mut out,
                    "aegis_http_request_duration_seconds",
                    &format!("route=\"{}\"", escape(route)),
                );
            }
        }
        out
    }
}

/// Gauges computed from the payload being served, at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PayloadGauges {
    /// Seconds since the payload was generated; `None` without a readable payload.
    pub age_seconds: Option<f64>,
    /// Metrics of the payload by status (`ok`, `stale`, `simulated`, `unavailable`).
    pub metrics_by_status: BTreeMap<String, u64>,
    /// Seconds since the oldest model in use was trained.
    pub oldest_model_age_seconds: Option<f64>,
    /// The state of each index's last run in the manifest (code, `ok`/`degraded`/`failed`).
    pub index_runs: Vec<(String, String)>,
}

impl PayloadGauges {
    fn render(&self, out: &mut String) {
        out.push_str("# HELP aegis_payload_available 1 when a valid payload is being served.\n# TYPE aegis_payload_available gauge\n");
        let _ = writeln!(
            out,
            "aegis_payload_available {}",
            u8::from(self.age_seconds.is_some())
        );
        if let Some(age) = self.age_seconds {
            let _ = writeln!(
                out,
                "# HELP aegis_payload_age_seconds Seconds since the served payload was generated.\n# TYPE aegis_payload_age_seconds gauge\naegis_payload_age_seconds {age}"
            );
        }
        out.push_str("# HELP aegis_metrics Metrics of the served payload by status.\n# TYPE aegis_metrics gauge\n");
        for status in ["ok", "stale", "simulated", "unavailable"] {
            let n = self.metrics_by_status.get(status).copied().unwrap_or(0);
            let _ = writeln!(out, "aegis_metrics{{status=\"{status}\"}} {n}");
        }
        if let Some(age) = self.oldest_model_age_seconds {
            let _ = writeln!(
                out,
                "# HELP aegis_model_oldest_age_seconds Seconds since the oldest model in use was trained.\n# TYPE aegis_model_oldest_age_seconds gauge\naegis_model_oldest_age_seconds {age}"
            );
        }
        if !self.index_runs.is_empty() {
            out.push_str("# HELP aegis_index_run 1 for the state of each index's last run (indices.json).\n# TYPE aegis_index_run gauge\n");
            for (index, state) in &self.index_runs {
                for s in ["ok", "degraded", "failed"] {
                    let _ = writeln!(
                        out,
                        "aegis_index_run{{index=\"{index}\",state=\"{s}\"}} {}",
                        u8::from(state == s)
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(job: &str, outcome: JobOutcome, seconds: f64) -> JobRecord {
        JobRecord {
            job: job.into(),
            outcome,
            started_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            seconds,
            message: format!("{job} {outcome:?}"),
        }
    }

    /// Parses `name{labels} value` lines into a map, checking every sample line is well formed.
    fn samples(text: &str) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for line in text.lines() {
            if line.starts_with('#') {
                assert!(
                    line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                    "{line}"
                );
                continue;
            }
            let (key, value) = line.rsplit_once(' ').expect("sample line");
            let v: f64 = value.parse().unwrap_or_else(|_| panic!("number in {line}"));
            assert!(out.insert(key.to_string(), v).is_none(), "duplicate {key}");
        }
        out
    }

    #[test]
    fn counters_histograms_and_failures_are_exposed() {
        let t = Telemetry::new();
        t.set_scheduler_enabled(true);
        t.job_started("intraday");
        assert_eq!(t.status().running.as_deref(), Some("intraday"));
        t.job_finished(record("intraday", JobOutcome::Ok, 0.7));
        t.job_finished(record("intraday", JobOutcome::Failed, 3.0));
        t.job_finished(record("intraday", JobOutcome::Failed, 40.0));
        t.fetch_result("nse", Utc::now(), Err("HTTP 503".into()));
        t.fetch_result("nse", Utc::now(), Err("HTTP 503".into()));
        t.fetch_result("yahoo", Utc::now(), Ok(()));
        t.tick_skipped();
        t.http_request("/api/payload", 200, 0.002);
        t.http_request("/api/payload", 304, 0.0004);
        t.http_request("/api/payload", 200, 0.02);
        let s = t.status();
        assert_eq!(s.consecutive_failures, 2);
        assert!(s.running.is_none());
        assert_eq!(s.fetch_failures["nse"].message, "HTTP 503");
        assert!(!s.fetch_failures.contains_key("yahoo"));
        let gauges = PayloadGauges {
            age_seconds: Some(12.5),
            metrics_by_status: [("ok".to_string(), 30), ("unavailable".to_string(), 2)].into(),
            oldest_model_age_seconds: None,
            index_runs: vec![
                ("NIFTY50".into(), "ok".into()),
                ("FINNIFTY".into(), "failed".into()),
            ],
        };
        let m = samples(&t.render(&gauges));
        assert_eq!(
            m["aegis_index_run{index=\"FINNIFTY\",state=\"failed\"}"],
            1.0
        );
        assert_eq!(m["aegis_index_run{index=\"FINNIFTY\",state=\"ok\"}"], 0.0);
        assert_eq!(m["aegis_index_run{index=\"NIFTY50\",state=\"ok\"}"], 1.0);
        assert_eq!(
            m["aegis_jobs_total{job=\"intraday\",outcome=\"failed\"}"],
            2.0
        );
        assert_eq!(m["aegis_jobs_total{job=\"intraday\",outcome=\"ok\"}"], 1.0);
        assert_eq!(m["aegis_jobs_total{job=\"retrain\",outcome=\"ok\"}"], 0.0);
        assert_eq!(
            m["aegis_job_duration_seconds_bucket{job=\"intraday\",le=\"1\"}"],
            1.0
        );
        assert_eq!(
            m["aegis_job_duration_seconds_bucket{job=\"intraday\",le=\"5\"}"],
            2.0
        );
        assert_eq!(
            m["aegis_job_duration_seconds_bucket{job=\"intraday\",le=\"+Inf\"}"],
            3.0
        );
        assert!((m["aegis_job_duration_seconds_sum{job=\"intraday\"}"] - 43.7).abs() < 1e-9);
        assert_eq!(m["aegis_fetch_errors_total{source=\"nse\"}"], 2.0);
        assert_eq!(m["aegis_fetch_errors_total{source=\"yahoo\"}"], 0.0);
        assert_eq!(m["aegis_scheduler_consecutive_failures"], 2.0);
        assert_eq!(m["aegis_scheduler_skipped_ticks_total"], 1.0);
        assert_eq!(m["aegis_payload_age_seconds"], 12.5);
        assert_eq!(m["aegis_metrics{status=\"unavailable\"}"], 2.0);
        assert_eq!(m["aegis_metrics{status=\"stale\"}"], 0.0);
        assert_eq!(
            m["aegis_http_requests_total{route=\"/api/payload\",status=\"200\"}"],
            2.0
        );
        assert_eq!(
            m["aegis_http_request_duration_seconds_bucket{route=\"/api/payload\",le=\"0.0025\"}"],
            2.0
        );
        assert_eq!(
            m["aegis_http_request_duration_seconds_count{route=\"/api/payload\"}"],
            3.0
        );
        // A success resets the failure streak.
        t.job_finished(record("post_close", JobOutcome::Degraded, 1.0));
        assert_eq!(t.status().consecutive_failures, 0);
        assert_eq!(t.jobs_total(JobOutcome::Failed), 2);
        assert_eq!(t.fetch_errors("nse"), 2);
    }

    #[test]
    fn label_values_are_escaped_and_no_payload_is_zero() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let m = samples(&Telemetry::new().render(&PayloadGauges::default()));
        assert_eq!(m["aegis_payload_available"], 0.0);
        assert!(!m.contains_key("aegis_payload_age_seconds"));
    }
}
