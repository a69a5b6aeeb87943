use super::*;
use crate::HealthLimits;
use axum::http::Request;
use tower::ServiceExt;

/// Stored runs of the payload fixture, shared with the integration tests.
#[path = "../../tests/common/runs.rs"]
mod runs;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/payload.json");

struct Env {
    dir: tempfile::TempDir,
    app: Router,
}

fn env_with_payload(payload: Option<&[u8]>) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    if let Some(bytes) = payload {
        std::fs::write(out.join(aegis_payload::PAYLOAD_FILE), bytes).unwrap();
    }
    let config = ServeConfig::new(out, dir.path().join("aegis.db"), dir.path().join("models"));
    let app = router(config);
    Env { dir, app }
}

fn fixture() -> Vec<u8> {
    std::fs::read(FIXTURE).unwrap()
}

/// Copies the model file fixture (`direction_h1.json`) into `models`, created when missing.
fn add_model_fixture(models: &std::path::Path) {
    std::fs::create_dir_all(models).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/models/direction_h1.json"
        ),
        models.join("direction_h1.json"),
    )
    .unwrap();
}

async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn body(res: Response) -> Vec<u8> {
    axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

async fn json_body(res: Response) -> Value {
    serde_json::from_slice(&body(res).await).unwrap()
}

fn h<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn index_has_security_headers_and_revalidates() {
    let env = env_with_payload(Some(&fixture()));
    let res = get(&env.app, "/", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(h(&res, "content-security-policy"), CSP);
    assert_eq!(h(&res, "x-content-type-options"), "nosniff");
    assert_eq!(h(&res, "referrer-policy"), "no-referrer");
    assert_eq!(h(&res, "cache-control"), "no-cache");
    let etag = h(&res, "etag").to_string();
    let html = String::from_utf8(body(res).await).unwrap();
    assert!(html.contains(&format!("assets/{}/js/app.js", assets::version())));
    assert!(html.contains("content=\"60\""), "refresh interval rendered");
    let again = get(&env.app, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(body(again).await.is_empty());
}

#[tokio::test]
async fn assets_are_immutable_under_their_version_and_compressed() {
    let env = env_with_payload(None);
    let uri = format!("/assets/{}/js/app.js", assets::version());
    let res = get(&env.app, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        h(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h(&res, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(h(&res, "content-encoding"), "gzip");
    let gz = body(res).await;
    assert!(gz.len() < assets::asset("js/app.js").unwrap().bytes.len());
    let br = get(&env.app, &uri, &[("accept-encoding", "br")]).await;
    assert_eq!(h(&br, "content-encoding"), "br");
    // An old version still works, but is not cached for a year.
    let old = get(&env.app, "/assets/000000000000/js/app.js", &[]).await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(h(&old, "cache-control"), "no-cache");
    assert_eq!(
        get(&env.app, "/assets/x/nope.js", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&env.app, "/nope.html", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn payload_is_served_verbatim_with_etag_and_304() {
    let env = env_with_payload(Some(&fixture()));
    for uri in ["/api/payload", "/data/payload.json"] {
        let res = get(&env.app, uri, &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(h(&res, "cache-control"), "no-cache");
        assert_eq!(h(&res, "content-type"), "application/json");
        let etag = h(&res, "etag").to_string();
        assert_eq!(etag, etag_of(&fixture()));
        assert_eq!(body(res).await, fixture());
        let again = get(&env.app, uri, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
}

#[tokio::test]
async fn payload_is_gzipped_once_for_clients_that_accept_it() {
    use std::io::Read;
    let env = env_with_payload(Some(&fixture()));
    let res = get(
        &env.app,
        "/api/payload",
        &[("accept-encoding", "br;q=0, gzip")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(h(&res, "content-encoding"), "gzip");
    assert_eq!(h(&res, "vary"), "accept-encoding");
    assert_eq!(h(&res, "etag"), etag_of(&fixture()));
    let zipped = body(res).await;
    assert!(zipped.len() < fixture().len() / 3, "{} bytes", zipped.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, fixture());
    // gzip refused with q=0: the bytes as written.
    let res = get(&env.app, "/api/payload", &[("accept-encoding", "gzip;q=0")]).await;
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(body(res).await, fixture());
}

#[tokio::test]
async fn missing_or_invalid_payload_is_503_with_cause_and_fix_and_the_server_keeps_going() {
    let env = env_with_payload(None);
    let res = get(&env.app, "/api/payload", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h(&res, "cache-control"), "no-store");
    let v = json_body(res).await;
    assert_eq!(v["error"], "payload_missing");
    assert!(v["cause"].as_str().unwrap().contains("aegismatrix.json"));
    assert!(v["fix"].as_str().unwrap().contains("aegis run"));
    let health = get(&env.app, "/healthz", &[]).await;
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_body(health).await["status"], "failing");

    let path = env.dir.path().join("out").join(aegis_payload::PAYLOAD_FILE);
    std::fs::write(&path, b"{ half a payl").unwrap();
    let v = json_body(get(&env.app, "/data/payload.json", &[]).await).await;
    assert_eq!(v["error"], "payload_invalid");

    std::fs::write(&path, fixture()).unwrap();
    assert_eq!(
        get(&env.app, "/api/payload", &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn healthz_reports_degraded_with_the_unavailable_and_stale_metrics() {
    let env = env_with_payload(Some(&fixture()));
    let res = get(&env.app, "/healthz", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = json_body(res).await;
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["unavailable"][0], "seller.expiries[0].max_pain");
    assert_eq!(v["stale"][0], "market.vix");
    let reasons = v["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str().unwrap().contains("no option chain is stored"))
    );
    // The fixture was generated in 2025: long out of date by the calendar now.
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("stale data:")),
        "{reasons:?}"
    );
}

fn wrap(p: &aegis_payload::Payload) -> Result<Arc<crate::payload_cache::LoadedPayload>, Problem> {
    Ok(Arc::new(crate::payload_cache::LoadedPayload {
        bytes: axum::body::Bytes::new(),
        gzip: axum::body::Bytes::new(),
        etag: String::new(),
        payload: p.clone(),
    }))
}

fn healthy_fixture() -> aegis_payload::Payload {
    let mut payload: aegis_payload::Payload = serde_json::from_slice(&fixture()).unwrap();
    payload.meta.health.unavailable.clear();
    payload.meta.health.stale.clear();
    payload.meta.health.status = HealthStatus::Ok;
    payload
}

fn reasons(body: &Value) -> String {
    body["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn healthz_ok_when_fresh_and_complete_and_failing_when_the_payload_says_so() {
    let mut payload = healthy_fixture();
    let cal = NseCalendar::new();
    let ctx = HealthContext {
        ops: None,
        limits: HealthLimits::default(),
        calendar: Some(&cal),
        index_failures: &[],
    };
    // Generated 2025-11-28 13:55 IST, a Friday session.
    let now = payload.meta.generated_at.with_timezone(&Utc) + chrono::Duration::minutes(5);
    let (status, body) = health_report(wrap(&payload), now, &ctx);
    assert_eq!(status, HealthStatus::Ok, "{body}");
    assert_eq!(body["age_seconds"], 300);
    // 40 minutes later the session is still open (14:40 IST): stale.
    let late = now + chrono::Duration::minutes(40);
    let (status, body) = health_report(wrap(&payload), late, &ctx);
    assert_eq!(status, HealthStatus::Degraded);
    assert!(reasons(&body).contains("during an open session"), "{body}");
    // Saturday: generated before Friday's close, and no post-close run since.
    let saturday = now + chrono::Duration::hours(20);
    let (status, body) = health_report(wrap(&payload), saturday, &ctx);
    assert_eq!(status, HealthStatus::Degraded);
    assert!(
        reasons(&body).contains("before the close of the 2025-11-28 session"),
        "{body}"
    );
    // A post-close payload is fine all weekend.
    let mut post_close = payload.clone();
    post_close.meta.generated_at = (now + chrono::Duration::hours(3)).fixed_offset();
    let sunday = now + chrono::Duration::hours(44);
    assert_eq!(
        health_report(wrap(&post_close), sunday, &ctx).0,
        HealthStatus::Ok
    );
    // Monday 1 Dec 2025, 15:40 IST: ten minutes after the close, within the post-close run's
    // grace. A payload from before Friday's close is still stale (found by CI running in that
    // window); Friday's post-close payload is not yet late.
    let monday_after_close = chrono::DateTime::parse_from_rfc3339("2025-12-01T15:40:00+05:30")
        .unwrap()
        .with_timezone(&Utc);
    let (status, body) = health_report(wrap(&payload), monday_after_close, &ctx);
    assert_eq!(status, HealthStatus::Degraded);
    assert!(
        reasons(&body).contains("before the close of the 2025-11-28 session"),
        "{body}"
    );
    assert_eq!(
        health_report(wrap(&post_close), monday_after_close, &ctx).0,
        HealthStatus::Ok
    );
    // Half an hour past the grace, Monday's post-close run is missing.
    let (status, body) = health_report(
        wrap(&post_close),
        monday_after_close + chrono::Duration::minutes(30),
        &ctx,
    );
    assert_eq!(status, HealthStatus::Degraded);
    assert!(
        reasons(&body).contains("before the close of the 2025-12-01 session"),
        "{body}"
    );
    payload.meta.health.status = HealthStatus::Failing;
    assert_eq!(
        health_report(wrap(&payload), now, &ctx).0,
        HealthStatus::Failing
    );
}

#[test]
fn healthz_names_failed_jobs_fetch_errors_and_old_models() {
    use crate::telemetry::{JobOutcome, JobRecord};
    let payload = healthy_fixture();
    let cal = NseCalendar::new();
    let now = payload.meta.generated_at.with_timezone(&Utc) + chrono::Duration::minutes(5);
    let telemetry = Telemetry::new();
    fn ctx<'a>(ops: &'a OpsStatus, cal: &'a NseCalendar) -> HealthContext<'a> {
        HealthContext {
            ops: Some(ops),
            limits: HealthLimits::default(),
            calendar: Some(cal),
            index_failures: &[],
        }
    }
    // Failures count only when a scheduler runs in this process.
    telemetry.job_finished(JobRecord {
        job: "intraday".into(),
        outcome: JobOutcome::Failed,
        started_at: now,
        seconds: 1.0,
        message: "every source failed".into(),
    });
    assert_eq!(
        health_report(wrap(&payload), now, &ctx(&telemetry.status(), &cal)).0,
        HealthStatus::Ok
    );
    telemetry.set_scheduler_enabled(true);
    let (status, body) = health_report(wrap(&payload), now, &ctx(&telemetry.status(), &cal));
    assert_eq!(status, HealthStatus::Degraded);
    assert!(
        reasons(&body).contains("1 scheduled job(s) failed in a row; the last (intraday"),
        "{body}"
    );
    assert!(reasons(&body).contains("every source failed"), "{body}");
    assert_eq!(body["scheduler"]["consecutive_failures"], 1);
    telemetry.fetch_result("nse", now, Err("HTTP 503 from https://nse/api".into()));
    let (_, body) = health_report(wrap(&payload), now, &ctx(&telemetry.status(), &cal));
    assert!(
        reasons(&body).contains("the last fetch from nse failed"),
        "{body}"
    );
    assert!(reasons(&body).contains("HTTP 503"), "{body}");
    for _ in 0..2 {
        telemetry.job_finished(JobRecord {
            job: "intraday".into(),
            outcome: JobOutcome::Failed,
            started_at: now,
            seconds: 1.0,
            message: "every source failed".into(),
        });
    }
    assert_eq!(
        health_report(wrap(&payload), now, &ctx(&telemetry.status(), &cal)).0,
        HealthStatus::Failing
    );
    // Models trained 2025-11-22: older than a 3-day limit.
    let strict = HealthContext {
        ops: None,
        limits: HealthLimits {
            max_model_age_days: 3,
            failing_after_failed_jobs: 3,
        },
        calendar: Some(&cal),
        index_failures: &[],
    };
    let (status, body) = health_report(wrap(&payload), now, &strict);
    assert_eq!(status, HealthStatus::Degraded);
    assert!(
        reasons(&body).contains("model age: direction_h1 was trained 5 days ago (limit 3 days)"),
        "{body}"
    );
    assert_eq!(body["oldest_model"]["name"], "direction_h1");
}

#[tokio::test]
async fn metrics_expose_http_counts_payload_age_and_metric_availability() {
    let env = env_with_payload(Some(&fixture()));
    assert_eq!(
        get(&env.app, "/api/payload", &[]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&env.app, "/nope/x", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = get(&env.app, "/metrics", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(h(&res, "content-type").starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(body(res).await).unwrap();
    assert!(
        text.contains("aegis_http_requests_total{route=\"/api/payload\",status=\"200\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("aegis_http_request_duration_seconds_count{route=\"/api/payload\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("aegis_payload_available 1\n"), "{text}");
    let payload: aegis_payload::Payload = serde_json::from_slice(&fixture()).unwrap();
    let unavailable = aegis_payload::metric_points(&payload)
        .iter()
        .filter(|(_, _, s)| s == "unavailable")
        .count();
    assert!(unavailable > 0);
    assert!(
        text.contains(&format!(
            "aegis_metrics{{status=\"unavailable\"}} {unavailable}\n"
        )),
        "{text}"
    );
    let age: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("aegis_payload_age_seconds "))
        .unwrap()
        .parse()
        .unwrap();
    let expected =
        (Utc::now() - payload.meta.generated_at.with_timezone(&Utc)).num_seconds() as f64;
    assert!((age - expected).abs() < 5.0, "{age} vs {expected}");
    assert!(
        text.contains("aegis_fetch_errors_total{source=\"nse\"} 0\n"),
        "{text}"
    );
}

#[tokio::test]
async fn schema_history_and_models() {
    let env = env_with_payload(Some(&fixture()));
    let schema = json_body(get(&env.app, "/api/schema", &[]).await).await;
    assert_eq!(schema, aegis_payload::schema());
    assert_eq!(
        json_body(get(&env.app, "/data/schema.json", &[]).await).await,
        schema
    );

    // No store yet: the history says so, with the fix.
    let res = get(&env.app, "/api/history", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_body(res).await["error"], "store_unavailable");
    let doc = json_body(get(&env.app, "/data/history.json", &[]).await).await;
    assert_eq!(doc["problem"]["error"], "store_unavailable");

    // Two runs in the store.
    let store_path = env.dir.path().join("aegis.db");
    runs::store_spot_runs(
        &store_path,
        &[
            (Symbol::Nifty50, 26100.5, 0),
            (Symbol::Nifty50, 26209.65, 1),
        ],
    );
    let names = json_body(get(&env.app, "/api/history", &[]).await).await;
    let names: Vec<&str> = names["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(names.contains(&"market.spot") && names.contains(&"seller.expiries[0].max_pain"));
    for m in HISTORY_METRICS_NAMES() {
        assert!(
            names.contains(&m),
            "history metric {m} is not a payload metric"
        );
    }
    let spot = json_body(get(&env.app, "/api/history?metric=market.spot", &[]).await).await;
    let values: Vec<f64> = spot["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![26100.5, 26209.65]);
    let later = json_body(
        get(
            &env.app,
            "/api/history?metric=market.spot&from=2025-11-29",
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(later["points"].as_array().unwrap().len(), 1);
    let bad = get(&env.app, "/api/history?metric=market.spot&from=soon", &[]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let mp = json_body(
        get(
            &env.app,
            "/api/history?metric=seller.expiries%5B0%5D.max_pain",
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(mp["points"][0]["status"], "unavailable");
    assert!(mp["points"][0]["value"].is_null());
    let doc = json_body(get(&env.app, "/data/history.json", &[]).await).await;
    assert!(doc["problem"].is_null());
    assert_eq!(doc["metrics"][0]["metric"], "market.spot");
    assert_eq!(doc["metrics"][0]["points"][1]["value"], 26209.65);

    // Models: none yet, then one.
    let m = json_body(get(&env.app, "/api/models", &[]).await).await;
    assert_eq!(m["problem"]["error"], "models_unavailable");
    add_model_fixture(&env.dir.path().join("models"));
    let m = json_body(get(&env.app, "/data/models.json", &[]).await).await;
    assert_eq!(m["models"][0]["card"]["name"], "direction_h1");
    assert!(m["problem"].is_null());
}

#[allow(non_snake_case)]
fn HISTORY_METRICS_NAMES() -> Vec<&'static str> {
    crate::HISTORY_METRICS.iter().map(|m| m.metric).collect()
}

#[tokio::test]
async fn binds_port_zero_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::new(dir.path(), dir.path().join("s.db"), dir.path());
    config.bind = "127.0.0.1:0".parse().unwrap();
    let server = Server::bind(config.clone()).await.unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    // A raw HTTP/1.1 request over the socket.
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    tokio::task::spawn_blocking(move || stream.read_to_string(&mut reply).map(|_| reply))
        .await
        .unwrap()
        .map(|reply| assert!(reply.starts_with("HTTP/1.1 503"), "{reply}"))
        .unwrap();
    tx.send(()).unwrap();
    handle.await.unwrap().unwrap();

    config.refresh_secs = 1;
    assert!(matches!(
        Server::bind(config).await,
        Err(DashboardError::Config { .. })
    ));
}

/// The fixture as the payload of another index: its symbol and spot changed.
fn index_fixture(code: &str, spot: f64) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture()).unwrap();
    v["market"]["symbol"] = Value::from(code);
    v["market"]["spot"]["value"] = Value::from(spot);
    serde_json::to_vec(&v).unwrap()
}

fn entry(
    symbol: Symbol,
    state: aegis_payload::indices::RunState,
    with_payload: bool,
) -> aegis_payload::indices::IndexEntry {
    let t = chrono::DateTime::parse_from_rfc3339("2025-11-28T13:55:00+05:30").unwrap();
    aegis_payload::indices::IndexEntry {
        symbol,
        name: symbol.display_name().into(),
        dir: aegis_payload::indices::relative_dir(symbol),
        last_run_at: t,
        state,
        message: format!("{} run message", symbol.code()),
        payload: with_payload.then_some(aegis_payload::indices::PayloadOnDisk {
            generated_at: t,
            data_as_of: t,
        }),
    }
}

/// NIFTY 50 and NIFTY BANK with payloads, FINNIFTY failed without one, in `env`'s out dir.
fn write_three_indices(env: &Env) -> Vec<u8> {
    use aegis_payload::indices::{RunState, record_run};
    let out = env.dir.path().join("out");
    let bank = index_dir(&out, Symbol::NiftyBank);
    std::fs::create_dir_all(&bank).unwrap();
    std::fs::write(
        bank.join(aegis_payload::PAYLOAD_FILE),
        index_fixture("NIFTYBANK", 59123.45),
    )
    .unwrap();
    record_run(&out, entry(Symbol::Nifty50, RunState::Ok, true)).unwrap();
    record_run(&out, entry(Symbol::NiftyBank, RunState::Ok, true)).unwrap();
    record_run(&out, entry(Symbol::FinNifty, RunState::Failed, false)).unwrap();
    std::fs::read(out.join(aegis_payload::indices::INDICES_FILE)).unwrap()
}

#[tokio::test]
async fn without_a_manifest_only_nifty_50_is_served_as_before() {
    let env = env_with_payload(Some(&fixture()));
    for uri in ["/data/indices.json", "/api/indices"] {
        let res = get(&env.app, uri, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(h(&res, "cache-control"), "no-store");
        let p = json_body(res).await;
        assert_eq!(p["error"], "no_manifest");
        assert!(p["cause"].as_str().unwrap().contains("indices.json"), "{p}");
        assert!(p["fix"].as_str().unwrap().contains("aegis run"), "{p}");
    }
    assert_eq!(
        body(get(&env.app, "/data/payload.json", &[]).await).await,
        fixture()
    );
    // No other index's payload on disk: 503 naming the file, as the primary's would be.
    let res = get(&env.app, "/data/indices/NIFTYBANK/payload.json", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let p = json_body(res).await;
    assert_eq!(p["error"], "payload_missing");
    assert!(
        p["cause"].as_str().unwrap().contains("indices/NIFTYBANK"),
        "{p}"
    );
    // A corrupt manifest: 503 with the file named, and /healthz degraded by it.
    std::fs::write(env.dir.path().join("out/indices.json"), "{").unwrap();
    let res = get(&env.app, "/data/indices.json", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_body(res).await["error"], "manifest_invalid");
    let health = json_body(get(&env.app, "/healthz", &[]).await).await;
    assert!(
        reasons(&health).contains("is not an index manifest"),
        "{health}"
    );
}

#[tokio::test]
async fn every_index_has_its_routes_and_unknown_ones_are_named() {
    let env = env_with_payload(Some(&fixture()));
    let manifest = write_three_indices(&env);
    for uri in ["/data/indices.json", "/api/indices"] {
        let res = get(&env.app, uri, &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(h(&res, "cache-control"), "no-cache");
        assert_eq!(body(res).await, manifest);
    }
    // The other index's payload: its own bytes, ETag, 304 and gzip, by path and by query.
    let bank = index_fixture("NIFTYBANK", 59123.45);
    for uri in [
        "/data/indices/NIFTYBANK/payload.json",
        "/api/payload?index=NIFTYBANK",
    ] {
        let res = get(&env.app, uri, &[]).await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        let etag = h(&res, "etag").to_string();
        assert_eq!(etag, etag_of(&bank));
        assert_eq!(body(res).await, bank);
        let again = get(&env.app, uri, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let zipped = get(&env.app, uri, &[("accept-encoding", "gzip")]).await;
        assert_eq!(h(&zipped, "content-encoding"), "gzip");
    }
    // The primary is untouched.
    assert_eq!(
        body(get(&env.app, "/data/payload.json", &[]).await).await,
        fixture()
    );
    assert_eq!(
        body(get(&env.app, "/api/payload?index=NIFTY50", &[]).await).await,
        fixture()
    );
    // The failed index has no payload: 503 with the cause and the fix.
    let res = get(&env.app, "/data/indices/FINNIFTY/payload.json", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_body(res).await["error"], "payload_missing");
    // Unknown indices and documents: 404 naming the valid ones.
    for uri in [
        "/data/indices/SENSEX/payload.json",
        "/api/payload?index=SENSEX",
        "/api/models?index=SENSEX",
        "/api/history?index=SENSEX",
        "/api/toolkit?index=SENSEX",
        "/api/alerts?index=SENSEX",
        "/api/strategy?index=SENSEX&preset=iron-condor",
    ] {
        let res = get(&env.app, uri, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        let p = json_body(res).await;
        assert_eq!(p["error"], "unknown_index", "{uri}");
        assert!(p["cause"].as_str().unwrap().contains("SENSEX"));
        assert!(
            p["fix"]
                .as_str()
                .unwrap()
                .contains("NIFTY50, NIFTYBANK, FINNIFTY, MIDCAPSELECT"),
            "{p}"
        );
    }
    let p = json_body(get(&env.app, "/data/indices/NIFTY50/payload.json", &[]).await).await;
    assert!(p["cause"].as_str().unwrap().contains("primary"), "{p}");
    let res = get(&env.app, "/data/indices/NIFTYBANK/nope.json", &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        json_body(res).await["fix"]
            .as_str()
            .unwrap()
            .contains("alerts.json")
    );
    // Schema, toolkit and alerts per index.
    assert_eq!(
        json_body(get(&env.app, "/data/indices/NIFTYBANK/schema.json", &[]).await).await,
        aegis_payload::schema()
    );
    let bank_dir = env.dir.path().join("out/indices/NIFTYBANK");
    std::fs::write(
        bank_dir.join("alerts.json"),
        r#"{"rules":[],"events":[],"bank":true}"#,
    )
    .unwrap();
    for uri in [
        "/data/indices/NIFTYBANK/alerts.json",
        "/api/alerts?index=NIFTYBANK",
    ] {
        assert_eq!(json_body(get(&env.app, uri, &[]).await).await["bank"], true);
    }
    let res = get(&env.app, "/data/alerts.json", &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the primary has none"
    );
    let res = get(&env.app, "/data/indices/NIFTYBANK/toolkit.json", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        json_body(res).await["cause"]
            .as_str()
            .unwrap()
            .contains("indices/NIFTYBANK/toolkit.json")
    );
    // Models per index: NIFTY BANK's directory under the models directory.
    add_model_fixture(&env.dir.path().join("models/indices/NIFTYBANK"));
    let m = json_body(get(&env.app, "/data/indices/NIFTYBANK/models.json", &[]).await).await;
    assert_eq!(m["models"][0]["card"]["name"], "direction_h1");
    let m = json_body(get(&env.app, "/api/models", &[]).await).await;
    assert_eq!(
        m["problem"]["error"], "no_models",
        "NIFTY 50 has no model files"
    );
    // The strategy is priced from the named index's chain.
    aegis_store::Store::open(env.dir.path().join("aegis.db")).unwrap();
    for (q, code) in [("", "NIFTY50"), ("&index=NIFTYBANK", "NIFTYBANK")] {
        let res = get(
            &env.app,
            &format!("/api/strategy?preset=iron-condor{q}"),
            &[],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let p = json_body(res).await;
        assert!(
            p["cause"]
                .as_str()
                .unwrap()
                .contains(&format!("no {code} option chain")),
            "{p}"
        );
    }
    // The failed index makes the server degraded, named with its message.
    let health = json_body(get(&env.app, "/healthz", &[]).await).await;
    assert_ne!(health["status"], "ok");
    let r = reasons(&health);
    assert!(
        r.contains("NIFTY FIN SERVICE (FINNIFTY)") && r.contains("FINNIFTY run message"),
        "{r}"
    );
    assert!(
        !r.contains("NIFTYBANK run message"),
        "an ok index is no reason: {r}"
    );
    let metrics = String::from_utf8(body(get(&env.app, "/metrics", &[]).await).await).unwrap();
    assert!(
        metrics.contains("aegis_index_run{index=\"FINNIFTY\",state=\"failed\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_failed_index_degrades_an_otherwise_healthy_server() {
    let payload = healthy_fixture();
    let cal = NseCalendar::new();
    let now = payload.meta.generated_at.with_timezone(&Utc) + chrono::Duration::minutes(5);
    let failures = vec!["index NIFTY BANK (NIFTYBANK): the last run failed".to_string()];
    let mut ctx = HealthContext {
        ops: None,
        limits: HealthLimits::default(),
        calendar: Some(&cal),
        index_failures: &[],
    };
    assert_eq!(health_report(wrap(&payload), now, &ctx).0, HealthStatus::Ok);
    ctx.index_failures = &failures;
    let (status, body) = health_report(wrap(&payload), now, &ctx);
    assert_eq!(status, HealthStatus::Degraded);
    assert!(reasons(&body).contains("NIFTY BANK (NIFTYBANK)"), "{body}");
}

#[tokio::test]
async fn history_is_per_index() {
    let env = env_with_payload(Some(&fixture()));
    let store_path = env.dir.path().join("aegis.db");
    runs::store_spot_runs(
        &store_path,
        &[
            (Symbol::Nifty50, 26100.5, 0),
            (Symbol::NiftyBank, 59123.45, 0),
            (Symbol::Nifty50, 26209.65, 1),
        ],
    );
    let spots = |doc: &Value| -> Vec<f64> {
        doc["metrics"][0]["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_f64().unwrap())
            .collect()
    };
    let nifty = json_body(get(&env.app, "/data/history.json", &[]).await).await;
    assert_eq!(nifty["metrics"][0]["label"], "NIFTY 50 spot");
    assert_eq!(spots(&nifty), [26100.5, 26209.65]);
    let bank = json_body(get(&env.app, "/data/indices/NIFTYBANK/history.json", &[]).await).await;
    assert_eq!(bank["index"], "NIFTYBANK");
    assert_eq!(bank["metrics"][0]["label"], "NIFTY BANK spot");
    assert_eq!(spots(&bank), [59123.45]);
    let api = json_body(
        get(
            &env.app,
            "/api/history?metric=market.spot&index=NIFTYBANK",
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(api["points"].as_array().unwrap().len(), 1);
    assert_eq!(api["points"][0]["value"], 59123.45);
    let names = json_body(get(&env.app, "/api/history?index=NIFTYBANK", &[]).await).await;
    assert!(
        names["metrics"]
            .as_array()
            .unwrap()
            .contains(&Value::from("market.spot"))
    );
    // An index without runs has an empty history, not another index's.
    let fin = json_body(get(&env.app, "/data/indices/FINNIFTY/history.json", &[]).await).await;
    assert!(fin["problem"].is_null());
    assert!(spots(&fin).is_empty());
}
