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
//! | `/healthz` | ok / degraded / failing with reasons (503 when failing) |

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use aegis_payload::HealthStatus;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::ServeConfig;
use crate::assets::{self, etag_of};
use crate::data;
use crate::error::DashboardError;
use crate::payload_cache::{PayloadCache, Problem};

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
    payload: PayloadCache,
    models: Mutex<ModelsCache>,
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

async fn payload(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let state2 = state.clone();
    let loaded = tokio::task::spawn_blocking(move || state2.payload.get())
        .await
        .expect("payload reader does not panic");
    match loaded {
        Ok(p) => cached(
            &headers,
            Body::from(p.bytes.to_vec()),
            &p.etag,
            "application/json",
            Caching::Revalidate,
        ),
        Err(problem) => problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem),
    }
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
}

async fn api_history(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let from = match q.from.as_deref().map(data::parse_from).transpose() {
        Ok(from) => from,
        Err(problem) => return problem_response(StatusCode::BAD_REQUEST, &problem),
    };
    let store = state.config.store_path.clone();
    let result = tokio::task::spawn_blocking(move || match q.metric {
        Some(metric) => data::metric_history(&store, &metric, from),
        None => data::metric_names(&store),
    })
    .await
    .expect("history reader does not panic");
    match result {
        Ok(v) => json_cached(&headers, &v),
        Err(problem) => problem_response(StatusCode::SERVICE_UNAVAILABLE, &problem),
    }
}

async fn history_document(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let store = state.config.store_path.clone();
    let doc = tokio::task::spawn_blocking(move || data::history_document(&store))
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

async fn models(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let state2 = state.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let dir = &state2.config.models_dir;
        let listing = models_listing(dir);
        let mut cache = state2.models.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((key, bytes)) = cache.as_ref()
            && *key == listing
            && !listing.is_empty()
        {
            return bytes.clone();
        }
        let bytes: Arc<[u8]> = serde_json::to_vec(&data::models_document(dir))
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

/// `/healthz`: the payload's own health, its age, and whether it can be read at all.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let state2 = state.clone();
    let loaded = tokio::task::spawn_blocking(move || state2.payload.get())
        .await
        .expect("payload reader does not panic");
    let (status, body) = health_report(loaded, Utc::now());
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

/// The health verdict: `failing` without a readable payload or when the payload says so;
/// `degraded` when metrics are unavailable or stale, or the payload is older than the stale
/// limit during an open session; `ok` otherwise.
fn health_report(
    loaded: Result<Arc<crate::payload_cache::LoadedPayload>, Problem>,
    now: chrono::DateTime<Utc>,
) -> (HealthStatus, Value) {
    let p = match loaded {
        Ok(p) => p,
        Err(problem) => {
            let body = json!({
                "status": "failing",
                "reasons": [format!("{}; {}", problem.cause, problem.fix)],
            });
            return (HealthStatus::Failing, body);
        }
    };
    let meta = &p.payload.meta;
    let mut status = meta.health.status;
    let mut reasons: Vec<String> = Vec::new();
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
    reasons.extend(meta.health.notes.iter().cloned());
    let age_secs = (now - meta.generated_at.with_timezone(&Utc)).num_seconds();
    let limit_secs = meta.settings.stale_after_minutes.saturating_mul(60);
    if p.payload.market.session.market_open && age_secs > limit_secs {
        reasons.push(format!(
            "the payload was generated {} minutes ago during an open session (limit {} minutes); run `aegis run` or check the scheduler",
            age_secs / 60,
            meta.settings.stale_after_minutes
        ));
        if status == HealthStatus::Ok {
            status = HealthStatus::Degraded;
        }
    }
    if status == HealthStatus::Ok
        && !(meta.health.unavailable.is_empty() && meta.health.stale.is_empty())
    {
        status = HealthStatus::Degraded;
    }
    let body = json!({
        "status": status,
        "reasons": reasons,
        "generated_at": meta.generated_at,
        "data_as_of": meta.data_as_of,
        "age_seconds": age_secs,
        "simulated": meta.simulated,
        "unavailable": meta.health.unavailable.iter().map(|i| &i.metric).collect::<Vec<_>>(),
        "stale": meta.health.stale.iter().map(|i| &i.metric).collect::<Vec<_>>(),
    });
    (status, body)
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
pub(crate) fn router(config: ServeConfig) -> Router {
    let state = Arc::new(AppState {
        payload: PayloadCache::new(&config.out_dir),
        config,
        models: Mutex::new(None),
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
        .route("/healthz", get(healthz))
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
            app: router(config),
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DashboardError::Server)?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        eprintln!(
            "AegisMatrix dashboard: http://{} (Ctrl-C to stop)",
            server.local_addr()
        );
        server.run(shutdown_signal()).await
    })
}

#[cfg(test)]
mod tests;
