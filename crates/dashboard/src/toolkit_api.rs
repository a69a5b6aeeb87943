//! The toolkit's routes, merged into the dashboard's router:
//!
//! | route | answer |
//! |---|---|
//! | `/data/toolkit.json`, `/api/toolkit` | the toolkit document written by `aegis run` beside the payload; 503 + cause + fix if missing |
//! | `/data/alerts.json`, `/api/alerts` | the alert rules' state and recent events written by each run ([`ALERTS_FILE`]); 503 + cause + fix if missing |
//! | `/api/strategy?legs=…&vol=…` or `?preset=…&vol=…` | a strategy priced from the newest stored chain and analysed on the server ([`aegis_toolkit::analyze_stored`]); 400 + cause + fix for bad legs or data |
//!
//! Legs are `side:kind:strike:expiry:lots`, comma-separated (`sell:call:25500:2025-07-17:1`);
//! `vol` is `atm-iv` (default), `vix` or `forecast`. Every `/api/…` route takes `index=<CODE>`
//! (default NIFTY 50): the documents are then those of `indices/<CODE>/`, and the strategy is
//! priced from that index's chain with its contract's lot size. The other indices' documents
//! are also at `data/indices/<CODE>/toolkit.json` and `…/alerts.json` (see `http.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aegis_calendar::NseCalendar;
use aegis_model::Symbol;
use aegis_store::Store;
use aegis_toolkit::{Preset, StrategyRequest, TOOLKIT_FILE, VolChoice, parse_legs};
use axum::Router;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::ServeConfig;
use crate::indices;
use crate::payload_cache::Problem;

/// The alerts document beside the payload (written by `aegis run`).
pub const ALERTS_FILE: &str = "alerts.json";

/// What the toolkit handlers read.
#[derive(Debug)]
struct Context {
    out_dir: PathBuf,
    store_path: PathBuf,
    calendar: NseCalendar,
}

fn problem(status: StatusCode, error: &'static str, cause: String, fix: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(Problem {
            error,
            cause,
            fix: fix.to_string(),
        }),
    )
        .into_response()
}

/// The index of an `index=` parameter (default NIFTY 50).
fn index_of(query: &HashMap<String, String>) -> Result<Symbol, Problem> {
    indices::query_index(query.get("index").map(String::as_str))
}

/// The 404 of an unknown index, naming the valid ones.
fn unknown_index(p: Problem) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(p),
    )
        .into_response()
}

/// A JSON document written by `aegis run` beside the payload of an index, served as written; a
/// missing one is 503 with the cause and the fix.
fn side_document(
    out_dir: &Path,
    symbol: Symbol,
    file: &str,
    error: &'static str,
    fix: &str,
) -> Response {
    let path = aegis_payload::indices::index_dir(out_dir, symbol).join(file);
    match std::fs::read(&path) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            error,
            format!("no {file} at {}: {e}", path.display()),
            fix,
        ),
    }
}

/// The toolkit document of an index (`toolkit.json`, written by each run beside the payload).
pub(crate) fn toolkit_file(out_dir: &Path, symbol: Symbol) -> Response {
    side_document(
        out_dir,
        symbol,
        TOOLKIT_FILE,
        "no_toolkit",
        "run `aegis run` (it writes toolkit.json beside the payload)",
    )
}

/// The alerts document of an index (`alerts.json`, written by each run beside the payload).
pub(crate) fn alerts_file(out_dir: &Path, symbol: Symbol) -> Response {
    side_document(
        out_dir,
        symbol,
        ALERTS_FILE,
        "no_alerts",
        "run `aegis run` (it evaluates the alert rules and writes alerts.json)",
    )
}

fn strategy(ctx: &Context, query: &HashMap<String, String>) -> Response {
    let symbol = match index_of(query) {
        Ok(s) => s,
        Err(p) => return unknown_index(p),
    };
    let bad = |cause: String| {
        problem(
            StatusCode::BAD_REQUEST,
            "bad_strategy",
            cause,
            "give legs=side:kind:strike:expiry:lots,… (e.g. sell:call:25500:2025-07-17:1) or preset=iron-condor, vol=atm-iv|vix|forecast, and optionally index=NIFTY50|NIFTYBANK|FINNIFTY|MIDCAPSELECT",
        )
    };
    let vol = match query.get("vol").map(|v| v.parse::<VolChoice>()) {
        None => VolChoice::AtmIv,
        Some(Ok(v)) => v,
        Some(Err(e)) => return bad(e.to_string()),
    };
    let request = match (query.get("legs"), query.get("preset")) {
        (Some(legs), None) => match parse_legs(legs) {
            Ok(l) if !l.is_empty() => StrategyRequest::Legs(l),
            Ok(_) => return bad("`legs` is empty".into()),
            Err(e) => return bad(e.to_string()),
        },
        (None, Some(p)) => match p.parse::<Preset>() {
            Ok(p) => StrategyRequest::Preset(p),
            Err(e) => return bad(e.to_string()),
        },
        _ => return bad("give exactly one of `legs` and `preset`".into()),
    };
    let store = match Store::open_read_only(&ctx.store_path) {
        Ok(s) => s,
        Err(e) => {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_store",
                e.to_string(),
                "run `aegis fetch --chain` (or `aegis demo`) so that the store holds an option chain",
            );
        }
    };
    let payload = aegis_payload::read(
        &aegis_payload::indices::index_dir(&ctx.out_dir, symbol).join(aegis_payload::PAYLOAD_FILE),
    )
    .ok();
    match aegis_toolkit::analyze_stored(
        &store,
        symbol,
        None,
        &request,
        vol,
        payload.as_ref(),
        &ctx.calendar,
    ) {
        Ok(metric) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(metric),
        )
            .into_response(),
        Err(e) => problem(
            StatusCode::BAD_REQUEST,
            "strategy_unavailable",
            e.to_string(),
            "pick strikes and an expiry listed in the stored chain, or another vol source",
        ),
    }
}

/// The toolkit's routes, for any router state (they carry their own).
pub(crate) fn router<S: Clone + Send + Sync + 'static>(config: &ServeConfig) -> Router<S> {
    let ctx = Arc::new(Context {
        out_dir: config.out_dir.clone(),
        store_path: config.store_path.clone(),
        calendar: NseCalendar::new(),
    });
    let file = {
        let ctx = ctx.clone();
        move |Query(q): Query<HashMap<String, String>>| {
            let ctx = ctx.clone();
            async move {
                match index_of(&q) {
                    Ok(symbol) => toolkit_file(&ctx.out_dir, symbol),
                    Err(p) => unknown_index(p),
                }
            }
        }
    };
    let alerts = {
        let ctx = ctx.clone();
        move |Query(q): Query<HashMap<String, String>>| {
            let ctx = ctx.clone();
            async move {
                match index_of(&q) {
                    Ok(symbol) => alerts_file(&ctx.out_dir, symbol),
                    Err(p) => unknown_index(p),
                }
            }
        }
    };
    let strat = move |Query(q): Query<HashMap<String, String>>| {
        let ctx = ctx.clone();
        async move {
            tokio::task::spawn_blocking(move || strategy(&ctx, &q))
                .await
                .unwrap_or_else(|e| {
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        format!("the strategy computation failed: {e}"),
                        "report this with the URL",
                    )
                })
        }
    };
    Router::new()
        .route("/data/toolkit.json", get(file.clone()))
        .route("/api/toolkit", get(file))
        .route("/data/alerts.json", get(alerts.clone()))
        .route("/api/alerts", get(alerts))
        .route("/api/strategy", get(strat))
}
