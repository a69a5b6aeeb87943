//! The HTTP server: routes, caching headers, security headers, graceful shutdown.
//!
//! | route | what |
//! |---|---|
//! | `/`, `/<page>.html` | the dashboard and its pages (`no-cache`, ETag) |
//! | `/assets/<version>/…` | embedded assets (a year, `immutable`; the version is a content hash) |
//! | `/data/payload.json`, `/api/payload` | the payload file, served from memory; 503 + cause + fix if missing or invalid |
//! | `/data/schema.json`, `/api/schema` | the payload's JSON Schema |
//! | `/data/history.json` | history of the main metrics (as the export writes it) |
//! | `/api/history?metric=…&from=…` | one metric's history; without `metric`, the metric names |
//! | `/data/models.json`, `/api/models` | model cards from the model files |
//! | `/data/indices.json`, `/api/indices` | the index manifest (`indices.json`); 404 + cause + fix when absent (only NIFTY 50 exists) |
//! | `/data/indices/<CODE>/<doc>.json` | the same documents (payload, schema, history, models, toolkit, alerts) of another index; 404 naming the valid codes for an unknown one |
//! | `/healthz` | ok / degraded / failing with reasons (503 when failing) |
//! | `/metrics` | Prometheus text exposition: jobs, fetch errors, payload age, metric availability, index runs, HTTP |
//!
//! The `/api/*` routes of the payload, history, models, toolkit, alerts and strategy take
//! `index=<CODE>` (default: the primary index, NIFTY 50).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime};

use aegis_calendar::{MarketState, NseCalendar};
use aegis_model::Symbol;
use aegis_payload::HealthStatus;
use aegis_payload::indices::{PRIMARY, index_dir};
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::assets::{self, etag_of};
use crate::data;
use crate::error::DashboardError;
use crate::indices;
use crate::payload_cache::{LoadedPayload, PayloadCache, Problem};
use crate::telemetry::{OpsStatus, PayloadGauges, Telemetry};
use crate::{HealthLimits, ServeConfig};

/// The Content-Security-Policy of every response: nothing but this origin, no inline code.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// How long a response may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caching {
    /// Content-addressed URL: a year, immutable.
    Immutable,
    /// Revalidate on every use (ETag).
    Revalidate,
    /// Never store (errors, health).
    NoStore,
}

impl Caching {
    fn header(self) -> &'static str {
        match self {
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Revalidate => "no-cache",
            Caching::NoStore => "no-store",
        }
    }
}

/// Identity of the model directory's JSON files (path, mtime, size), and the document built
/// from them.
type ModelsCache = Option<(Vec<(PathBuf, SystemTime, u64)>, Arc<[u8]>)>;

/// Shared state of the handlers.
#[derive(Debug)]
struct AppState {
    config: ServeConfig,
    /// The payload cache of each index asked for so far (created on first use).
    payloads: Mutex<BTreeMap<Symbol, Arc<PayloadCache>>>,
    /// The model cards of each index asked for so far.
    models: Mutex<BTreeMap<Symbol, ModelsCache>>,
    telemetry: Telemetry,
    calendar: Option<NseCalendar>,
}

impl AppState {
    /// The payload cache of an index (its documents' directory, see [`index_dir`]).
    fn payload_cache(&self, symbol: Symbol) -> Arc<PayloadCache> {
        let mut caches = self.payloads.lock().unwrap_or_else(|e| e.into_inner());
        caches
            .entry(symbol)
            .or_insert_with(|| {
                Arc::new(PayloadCache::new(&index_dir(&self.config.out_dir, symbol)))
            })
            .clone()
    }

    /// The primary index's payload (what `/healthz` and `/metrics` judge).
    fn primary_payload(&self) -> Result<Arc<LoadedPayload>, Problem> {
        self.payload_cache(PRIMARY).get()
    }
}

/// The `index=` parameter of the `/api/*` routes.
#[derive(Debug, Deserialize)]
struct IndexQuery {
    index: Option<String>,
}

/// `true` when the request's `If-None-Match` lists `etag` (weak comparison) or `*`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// A `200` with ETag and caching headers, or `304` when the client has it already.
fn cached(
    headers: &HeaderMap,
    body: impl Into<Body>,
    etag: &str,
    content_type: &'static str,
    caching: Caching,
) -> Response {
    let mut builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, caching.header());
    if not_modified(headers, etag) {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder.body(Body::empty()).expect("valid response");
    }
    builder
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("valid response")
}

/// A JSON body with an ETag (revalidated on every use).
fn json_cached(headers: &HeaderMap, value: &Value) -> Response {
    let bytes = serde_json::to_vec(value).expect("JSON serialises");
    let etag = etag_of(&bytes);
    cached(
        headers,
        bytes,
        &etag,
        "application/json",
        Caching::Revalidate,
    )
}

/// A JSON error with its status, never cached.
fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, Caching::NoStore.header())],
        axum::Json(problem),
    )
        .into_response()
}

async fn index(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    page_response(&state, &headers, "index.html")
}

async fn page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
) -> Response {
    page_response(&state, &headers, &name)
}

fn page_response(state: &AppState, headers: &HeaderMap, name: &str) -> Response {
    let Some(template) = assets::page(name) else {
        return not_found(name);
    };
    let html = assets::render_page(template.bytes, state.config.refresh_secs);
    let etag = etag_of(html.as_bytes());
    cached(
        headers,
        html,
        &etag,
        "text/html; charset=utf-8",
        Caching::Revalidate,
    )
}

fn not_found(what: &str) -> Response {
    problem_response(
        StatusCode::NOT_FOUND,
        &Problem {
            error: "not_found",
            cause: format!("nothing at `{what}`"),
            fix: "open / for the dashboard".into(),
        },
    )
}

async fn asset(
    headers: HeaderMap,
    UrlPath((version, path)): UrlPath<(String, String)>,
) -> Response {
    let Some(a) = assets::asset(&path) else {
        return not_found(&path);
    };
    // An old page may ask for an older version: serve what we have, but do not let it be
    // cached for a year under the old URL.
    let caching = if version == assets::version() {
        Caching::Immutable
    } else {
        Caching::Revalidate
    };
    let etag = etag_of(a.bytes);
    cached(
        &headers,
        a.bytes,
        &etag,
        assets::content_type(a.path),
        caching,
    )
}

async fn favicon(headers: HeaderMap) -> Response {
    let a = assets::asset("favicon.svg").expect("the favicon is embedded");
    cached(
        &headers,
        a.bytes,
        &etag_of(a.bytes),
        "image/svg+xml",
        Caching::Revalidate,
    )
}

async fn payload(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<IndexQuery>,
) -> Response {
    match indices::query_index(q.index.as_deref()) {
        Ok(symbol) => index_payload(state, headers, symbol).await,
        Err(p) => problem_response(StatusCode::NOT_FOUND, &p),
    }
}

async fn index_payload(state: Arc<AppState>, headers: HeaderMap, symbol: Symbol) -> Response {
    let cache = state.payload_cache(symbol);
    let loaded = tokio::task::spawn_blocking(move || cache.get())
        .await
        .expect("payload reader does not panic");
    match loaded {
        Ok(p) => {
            let gzip = accepts_gzip(&headers);
            let mut res = cached(
                &headers,
                Body::from(if gzip {
                    p.gzip.clone()
                } else {
                    p.bytes.clone()
                }),
                &p.etag,
                "application/json",
                Caching::Revalidate,
            );
            // Precompressed once per payload version; the compression layer leaves responses
            // that already have an encoding alone.
            let ok = res.status() == StatusCode::OK;
            let h = res.headers_mut();
            h.insert(
                header::VARY,
                header::HeaderValue::from_static("accept-encoding"),
            );
            if gzip && ok {
                h.insert(
                    header::CONTENT_ENCODING,
                    header::HeaderValue::from_static("gzip"),
                );
            }
            res
        }
        Err(problem) => problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem),
    }
}

/// Whether the request's `Accept-Encoding` allows gzip (`gzip` or `*`, not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

fn schema_bytes() -> &'static [u8] {
    static SCHEMA: OnceLock<Vec<u8>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_vec_pretty(&aegis_payload::schema()).expect("the schema serialises")
    })
}

async fn schema(headers: HeaderMap) -> Response {
    let bytes = schema_bytes();
    cached(
        &headers,
        bytes,
        &etag_of(bytes),
        "application/json",
        Caching::Revalidate,
    )
}

/// Query of `/api/history`.
#[derive(Debug, Deserialize)]
struct HistoryQuery {
    metric: Option<String>,
    from: Option<String>,
    index: Option<String>,
}

async fn api_history(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let symbol = match indices::query_index(q.index.as_deref()) {
        Ok(s) => s,
        Err(problem) => return problem_response(StatusCode::NOT_FOUND, &problem),
    };
    let from = match q.from.as_deref().map(data::parse_from).transpose() {
        Ok(from) => from,
        Err(problem) => return problem_response(StatusCode::BAD_REQUEST, &problem),
    };
    let store = state.config.store_path.clone();
    let result = tokio::task::spawn_blocking(move || match q.metric {
        Some(metric) => data::metric_history(&store, symbol, &metric, from),
        None => data::metric_names(&store, symbol),
    })
    .await
    .expect("history reader does not panic");
    match result {
        Ok(v) => json_cached(&headers, &v),
        Err(problem) => problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem),
    }
}

async fn history_document(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    index_history(state, headers, PRIMARY).await
}

async fn index_history(state: Arc<AppState>, headers: HeaderMap, symbol: Symbol) -> Response {
    let store = state.config.store_path.clone();
    let doc = tokio::task::spawn_blocking(move || data::history_document(&store, symbol))
        .await
        .expect("history reader does not panic");
    json_cached(&headers, &doc)
}

/// Identity of the model directory's JSON files: path, mtime, size.
fn models_listing(dir: &std::path::Path) -> Vec<(PathBuf, SystemTime, u64)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((
                e.path(),
                m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                m.len(),
            ))
        })
        .collect();
    out.sort();
    out
}

async fn models(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<IndexQuery>,
) -> Response {
    match indices::query_index(q.index.as_deref()) {
        Ok(symbol) => index_models(state, headers, symbol).await,
        Err(p) => problem_response(StatusCode::NOT_FOUND, &p),
    }
}

async fn index_models(state: Arc<AppState>, headers: HeaderMap, symbol: Symbol) -> Response {
    let state2 = state.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let dir = index_dir(&state2.config.models_dir, symbol);
        let listing = models_listing(&dir);
        let mut caches = state2.models.lock().unwrap_or_else(|e| e.into_inner());
        let cache = caches.entry(symbol).or_default();
        if let Some((key, bytes)) = cache.as_ref()
            && *key == listing
            && !listing.is_empty()
        {
            return bytes.clone();
        }
        let bytes: Arc<[u8]> = serde_json::to_vec(&data::models_document(&dir))
            .expect("JSON serialises")
            .into();
        *cache = Some((listing, bytes.clone()));
        bytes
    })
    .await
    .expect("model reader does not panic");
    let etag = etag_of(&bytes);
    cached(
        &headers,
        Body::from(bytes.to_vec()),
        &etag,
        "application/json",
        Caching::Revalidate,
    )
}

/// `data/indices.json`: the index manifest as written, or 404 with the cause and the fix when
/// there is none (the pages then show NIFTY 50 only), 503 when it cannot be read.
async fn manifest(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let out = state.config.out_dir.clone();
    let read = tokio::task::spawn_blocking(move || indices::read_manifest(&out))
        .await
        .expect("manifest reader does not panic");
    match read {
        Ok(Some((bytes, _))) => {
            let etag = etag_of(&bytes);
            cached(
                &headers,
                bytes,
                &etag,
                "application/json",
                Caching::Revalidate,
            )
        }
        Ok(None) => problem_response(
            StatusCode::NOT_FOUND,
            &indices::no_manifest(&state.config.out_dir),
        ),
        Err(problem) => problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem),
    }
}

/// `data/indices/<CODE>/<doc>`: the documents of an index other than the primary.
async fn index_document(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    UrlPath((code, doc)): UrlPath<(String, String)>,
) -> Response {
    let symbol = match indices::secondary_index(&code) {
        Ok(s) => s,
        Err(problem) => return problem_response(StatusCode::NOT_FOUND, &problem),
    };
    match doc.as_str() {
        "payload.json" => index_payload(state, headers, symbol).await,
        "schema.json" => schema(headers).await,
        "history.json" => index_history(state, headers, symbol).await,
        "models.json" => index_models(state, headers, symbol).await,
        "toolkit.json" => crate::toolkit_api::toolkit_file(&state.config.out_dir, symbol),
        "alerts.json" => crate::toolkit_api::alerts_file(&state.config.out_dir, symbol),
        _ => problem_response(
            StatusCode::NOT_FOUND,
            &Problem {
                error: "not_found",
                cause: format!("no document `{doc}` for {}", symbol.display_name()),
                fix: format!(
                    "ask for one of {} under data/indices/{}/",
                    indices::INDEX_DOCUMENTS.join(", "),
                    symbol.code()
                ),
            },
        ),
    }
}

/// `/healthz`: the primary payload's own health and age, the scheduler's failures, model age,
/// and the last run of every index in the manifest.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let state2 = state.clone();
    let (loaded, manifest) = tokio::task::spawn_blocking(move || {
        let manifest = indices::read_manifest(&state2.config.out_dir).map(|m| m.map(|(_, m)| m));
        (state2.primary_payload(), manifest)
    })
    .await
    .expect("payload reader does not panic");
    let ops = state.telemetry.status();
    let index_reasons = indices::health_reasons(&manifest);
    let (status, body) = health_report(
        loaded,
        Utc::now(),
        &HealthContext {
            ops: Some(&ops),
            limits: state.config.health,
            calendar: state.calendar.as_ref(),
            index_failures: &index_reasons,
        },
    );
    let code = if status == HealthStatus::Failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        code,
        [(header::CACHE_CONTROL, Caching::NoStore.header())],
        axum::Json(body),
    )
        .into_response()
}

/// What `/healthz` judges besides the payload itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HealthContext<'a> {
    /// The scheduler's state (ignored when no scheduler runs).
    pub ops: Option<&'a OpsStatus>,
    /// Limits.
    pub limits: HealthLimits,
    /// The NSE calendar, to tell when the payload should have been refreshed.
    pub calendar: Option<&'a NseCalendar>,
    /// Each index whose last run failed, or why the manifest cannot be read (each makes the
    /// server `degraded`).
    pub index_failures: &'a [String],
}

/// Raises `status` to at least `to`.
fn worsen(status: &mut HealthStatus, to: HealthStatus) {
    let rank = |s: HealthStatus| match s {
        HealthStatus::Ok => 0,
        HealthStatus::Degraded => 1,
        HealthStatus::Failing => 2,
    };
    if rank(to) > rank(*status) {
        *status = to;
    }
}

/// Why the payload is out of date by the calendar: generated more than the stale limit ago
/// during an open session, or before the close of the last session once that close is more
/// than the stale limit past.
fn freshness_problem(
    cal: &NseCalendar,
    generated_at: DateTime<Utc>,
    now: DateTime<Utc>,
    limit_minutes: i64,
) -> Option<String> {
    let limit = chrono::Duration::minutes(limit_minutes);
    let age = now - generated_at;
    match cal.market_state(now) {
        Ok(MarketState::Open) => (age > limit).then(|| {
            format!(
                "stale data: the payload was generated {} minutes ago during an open session (limit {limit_minutes} minutes); check the scheduler (`aegis serve`) or run `aegis run --fetch`",
                age.num_minutes()
            )
        }),
        Ok(_) => {
            // The session the payload must postdate: today's once its close plus the limit
            // (the post-close run's grace) has passed, else the previous one — so a payload
            // older than yesterday's close is stale even during today's grace window.
            let today = aegis_model::time::ist_date(now);
            let last = match cal.session(today) {
                Ok(Some(s)) if s.close + limit < now => Some(s),
                _ => cal
                    .prev_trading_day(today)
                    .ok()
                    .and_then(|d| cal.session(d).ok().flatten()),
            }?;
            (generated_at < last.close).then(|| {
                format!(
                    "stale data: the payload was generated at {} UTC, before the close of the {} session; the post-close run has not happened — check the scheduler or run `aegis run --fetch`",
                    generated_at.format("%Y-%m-%d %H:%M"),
                    last.date
                )
            })
        }
        Err(e) => Some(format!("cannot judge the payload's age: {e}")),
    }
}

/// The health verdict: `failing` without a readable payload, when the payload says so, or
/// after too many failed scheduled jobs in a row; `degraded` when metrics are unavailable or
/// stale, the payload is out of date by the calendar, the last scheduled job or a source's last
/// fetch failed, a model is older than the limit, or an index's last run failed; `ok` otherwise.
pub(crate) fn health_report(
    loaded: Result<Arc<LoadedPayload>, Problem>,
    now: DateTime<Utc>,
    ctx: &HealthContext<'_>,
) -> (HealthStatus, Value) {
    let mut reasons: Vec<String> = Vec::new();
    let mut status = HealthStatus::Ok;
    let scheduler = ctx.ops.filter(|o| o.scheduler_enabled);
    if let Some(ops) = scheduler {
        if ops.consecutive_failures > 0
            && let Some(f) = &ops.last_failure
        {
            let verdict = if ops.consecutive_failures >= ctx.limits.failing_after_failed_jobs {
                HealthStatus::Failing
            } else {
                HealthStatus::Degraded
            };
            worsen(&mut status, verdict);
            reasons.push(format!(
                "{} scheduled job(s) failed in a row; the last ({}, started {} UTC): {}",
                ops.consecutive_failures,
                f.job,
                f.started_at.format("%Y-%m-%d %H:%M:%S"),
                f.message
            ));
        }
        for (source, f) in &ops.fetch_failures {
            worsen(&mut status, HealthStatus::Degraded);
            reasons.push(format!(
                "the last fetch from {source} failed at {} UTC: {}",
                f.at.format("%Y-%m-%d %H:%M:%S"),
                f.message
            ));
        }
    }
    for reason in ctx.index_failures {
        worsen(&mut status, HealthStatus::Degraded);
        reasons.push(reason.clone());
    }
    let scheduler_json = scheduler.map(|o| serde_json::to_value(o).expect("status serialises"));
    let p = match loaded {
        Ok(p) => p,
        Err(problem) => {
            reasons.insert(0, format!("{}; {}", problem.cause, problem.fix));
            let body = json!({
                "status": "failing",
                "reasons": reasons,
                "scheduler": scheduler_json,
            });
            return (HealthStatus::Failing, body);
        }
    };
    let meta = &p.payload.meta;
    worsen(&mut status, meta.health.status);
    for issue in meta.health.unavailable.iter().chain(&meta.health.stale) {
        let mut line = format!("{} is {}", issue.metric, status_word(issue.status));
        if let Some(r) = &issue.reason {
            line.push_str(&format!(": {r}"));
        }
        if let Some(f) = &issue.fix {
            line.push_str(&format!(" (fix: {f})"));
        }
        reasons.push(line);
    }
    if !(meta.health.unavailable.is_empty() && meta.health.stale.is_empty()) {
        worsen(&mut status, HealthStatus::Degraded);
    }
    reasons.extend(meta.health.notes.iter().cloned());
    let generated = meta.generated_at.with_timezone(&Utc);
    let age_secs = (now - generated).num_seconds();
    let stale_limit = meta.settings.stale_after_minutes;
    let freshness = match ctx.calendar {
        Some(cal) => freshness_problem(cal, generated, now, stale_limit),
        // Without a calendar: the payload's own view of the session.
        None => (p.payload.market.session.market_open && age_secs > stale_limit * 60).then(|| {
            format!(
                "stale data: the payload was generated {} minutes ago during an open session (limit {stale_limit} minutes); run `aegis run` or check the scheduler",
                age_secs / 60
            )
        }),
    };
    if let Some(reason) = freshness {
        worsen(&mut status, HealthStatus::Degraded);
        reasons.push(reason);
    }
    let oldest = oldest_model(&p);
    if let Some((name, trained)) = &oldest {
        let days = (now - *trained).num_days();
        if days > ctx.limits.max_model_age_days {
            worsen(&mut status, HealthStatus::Degraded);
            reasons.push(format!(
                "model age: {name} was trained {days} days ago (limit {} days); retrain with `aegis train` or let the scheduler retrain",
                ctx.limits.max_model_age_days
            ));
        }
    }
    let body = json!({
        "status": status,
        "reasons": reasons,
        "generated_at": meta.generated_at,
        "data_as_of": meta.data_as_of,
        "age_seconds": age_secs,
        "simulated": meta.simulated,
        "unavailable": meta.health.unavailable_metrics(),
        "stale": meta.health.stale.iter().map(|i| &i.metric).collect::<Vec<_>>(),
        "oldest_model": oldest.map(|(name, at)| json!({"name": name, "trained_at": at})),
        "scheduler": scheduler_json,
    });
    (status, body)
}

/// The model in use that was trained longest ago.
fn oldest_model(p: &LoadedPayload) -> Option<(String, DateTime<Utc>)> {
    p.payload
        .meta
        .models
        .iter()
        .filter_map(|m| Some((m.name.clone(), m.trained_at?.with_timezone(&Utc))))
        .min_by_key(|(_, at)| *at)
}

/// `/metrics`: the Prometheus text exposition.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let state2 = state.clone();
    let (loaded, manifest) = tokio::task::spawn_blocking(move || {
        let manifest = indices::read_manifest(&state2.config.out_dir);
        (state2.primary_payload(), manifest)
    })
    .await
    .expect("payload reader does not panic");
    let index_runs: Vec<(String, String)> = match manifest {
        Ok(Some((_, m))) => m
            .indices
            .iter()
            .map(|e| {
                let state = serde_json::to_value(e.state).expect("state serialises");
                (
                    e.symbol.code().to_string(),
                    state.as_str().unwrap_or("unknown").to_string(),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let now = Utc::now();
    let mut gauges = match loaded {
        Ok(p) => {
            let mut by_status = std::collections::BTreeMap::new();
            for (_, _, status) in aegis_payload::metric_points(&p.payload) {
                *by_status.entry(status).or_insert(0) += 1;
            }
            PayloadGauges {
                age_seconds: Some(
                    (now - p.payload.meta.generated_at.with_timezone(&Utc)).num_milliseconds()
                        as f64
                        / 1000.0,
                ),
                metrics_by_status: by_status,
                oldest_model_age_seconds: oldest_model(&p)
                    .map(|(_, at)| (now - at).num_seconds() as f64),
                index_runs: Vec::new(),
            }
        }
        Err(_) => PayloadGauges::default(),
    };
    gauges.index_runs = index_runs;
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, Caching::NoStore.header()),
        ],
        state.telemetry.render(&gauges),
    )
        .into_response()
}

/// Counts every routed request by its route pattern and status, with its latency.
async fn track(
    State(telemetry): State<Telemetry>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    telemetry.http_request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn status_word(s: aegis_model::Status) -> &'static str {
    match s {
        aegis_model::Status::Ok => "ok",
        aegis_model::Status::Stale => "stale",
        aegis_model::Status::Simulated => "simulated",
        aegis_model::Status::Unavailable => "unavailable",
    }
}

/// Adds the security headers to every response.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// The application: routes and layers.
#[cfg(test)]
pub(crate) fn router(config: ServeConfig) -> Router {
    router_with(config, Telemetry::new())
}

/// The application with the shared operational state.
pub(crate) fn router_with(config: ServeConfig, telemetry: Telemetry) -> Router {
    let calendar = NseCalendar::try_new()
        .inspect_err(|e| {
            tracing::error!(
                "NSE calendar unavailable; /healthz judges payload age from the payload alone: {e}"
            )
        })
        .ok();
    let state = Arc::new(AppState {
        payloads: Mutex::new(BTreeMap::new()),
        config,
        models: Mutex::new(BTreeMap::new()),
        telemetry: telemetry.clone(),
        calendar,
    });
    Router::new()
        .route("/", get(index))
        .route("/favicon.ico", get(favicon))
        .route("/{page}", get(page))
        .route("/assets/{version}/{*path}", get(asset))
        .route("/data/payload.json", get(payload))
        .route("/api/payload", get(payload))
        .route("/data/schema.json", get(schema))
        .route("/api/schema", get(schema))
        .route("/data/history.json", get(history_document))
        .route("/api/history", get(api_history))
        .route("/data/models.json", get(models))
        .route("/api/models", get(models))
        .route("/data/indices.json", get(manifest))
        .route("/api/indices", get(manifest))
        .route("/data/indices/{code}/{doc}", get(index_document))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(crate::toolkit_api::router(&state.config))
        .route_layer(axum::middleware::from_fn_with_state(telemetry, track))
        .fallback(|uri: axum::http::Uri| async move { not_found(uri.path()) })
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// A bound, not yet running, dashboard server.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    app: Router,
}

impl Server {
    /// Checks the configuration and binds the listening socket.
    ///
    /// # Errors
    /// [`DashboardError::Config`] for a refresh interval under 5 s, [`DashboardError::Bind`]
    /// when the address cannot be bound.
    pub async fn bind(config: ServeConfig) -> Result<Server, DashboardError> {
        Server::bind_with(config, Telemetry::new()).await
    }

    /// [`Server::bind`] with operational state shared with a scheduler (read by `/healthz`
    /// and `/metrics`).
    ///
    /// # Errors
    /// As [`Server::bind`].
    pub async fn bind_with(
        config: ServeConfig,
        telemetry: Telemetry,
    ) -> Result<Server, DashboardError> {
        if config.refresh_secs < 5 {
            return Err(DashboardError::Config {
                what: "the refresh interval",
                value: format!("{} s", config.refresh_secs),
                rule: "it must be at least 5 seconds (the payload changes every few minutes at most); use e.g. --refresh-secs 60",
            });
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| DashboardError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(DashboardError::Server)?;
        Ok(Server {
            listener,
            addr,
            app: router_with(config, telemetry),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    ///
    /// # Errors
    /// [`DashboardError::Server`] if the accept loop fails.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DashboardError> {
        tracing::info!(addr = %self.addr, "dashboard listening on http://{}", self.addr);
        axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(DashboardError::Server)
    }
}

/// Completes on Ctrl-C (and on SIGTERM on Unix).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Serves the dashboard until Ctrl-C (blocking; runs its own multi-threaded runtime).
///
/// # Errors
/// As [`Server::bind`] and [`Server::run`]; [`DashboardError::Server`] if the runtime cannot start.
pub fn serve(config: ServeConfig) -> Result<(), DashboardError> {
    serve_with(config, Telemetry::new())
}

/// [`serve`] with operational state shared with a scheduler running beside the server.
///
/// # Errors
/// As [`serve`].
pub fn serve_with(config: ServeConfig, telemetry: Telemetry) -> Result<(), DashboardError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DashboardError::Server)?;
    runtime.block_on(async {
        let server = Server::bind_with(config, telemetry).await?;
        eprintln!(
            "AegisMatrix dashboard: http://{} (Ctrl-C to stop)",
            server.local_addr()
        );
        server.run(shutdown_signal()).await
    })
}

#[cfg(test)]
mod tests;
