//! The NSE option-chain client against a scripted loopback server serving the real saved chains
//! (old shape) and v3-shaped responses derived from them.

mod common;

use std::time::Duration;

use aegis_model::{ChainError, DataOrigin, Symbol};
use aegis_sources::http::HttpError;
use aegis_sources::nse::{NseClient, NseConfig, NseError, parse_chain_json};
use common::{Reply, TestServer, fast_http, shared};
use serde_json::{Value, json};

const HOME_COOKIE: &str = "nsit=Xk3q9; Path=/; HttpOnly";
const PAGE_COOKIE: &str = "bm_sv=77ab; Path=/";
const EXPIRY_PATH: &str = "/api/option-chain-expiry-dates";
const V3_PATH: &str = "/api/option-chain-v3";

fn legacy_bytes(name: &str) -> Vec<u8> {
    std::fs::read(shared(&format!("option_chain/{name}"))).unwrap()
}

/// Turns a saved `option-chain-indices` response into what the v3 endpoints serve: the expiry
/// list, and per expiry a `records` block whose rows carry `expiryDates` and whose legs name the
/// best bid/ask `buyPrice1`/`sellPrice1`.
fn derive_v3(legacy: &[u8]) -> (Value, Vec<(String, Value)>) {
    let v: Value = serde_json::from_slice(legacy).unwrap();
    let records = &v["records"];
    let expiries: Vec<String> = records["expiryDates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    let rename_leg = |leg: &Value| {
        let mut m = leg.as_object().unwrap().clone();
        for (old, new) in [
            ("bidprice", "buyPrice1"),
            ("askPrice", "sellPrice1"),
            ("bidQty", "buyQuantity1"),
            ("askQty", "sellQuantity1"),
            ("pChange", "pchange"),
        ] {
            if let Some(x) = m.remove(old) {
                m.insert(new.to_string(), x);
            }
        }
        m.insert("optionType".to_string(), Value::Null);
        Value::Object(m)
    };
    let per_expiry = expiries
        .iter()
        .map(|e| {
            let data: Vec<Value> = records["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["expiryDate"] == *e)
                .map(|r| {
                    let mut row = serde_json::Map::new();
                    row.insert("strikePrice".into(), r["strikePrice"].clone());
                    row.insert("expiryDates".into(), json!(e));
                    for side in ["CE", "PE"] {
                        if let Some(leg) = r.get(side) {
                            row.insert(side.into(), rename_leg(leg));
                        }
                    }
                    Value::Object(row)
                })
                .collect();
            let response = json!({
                "records": {
                    "timestamp": records["timestamp"],
                    "underlyingValue": records["underlyingValue"],
                    "data": data,
                    "expiryDates": expiries,
                    "strikePrices": records["strikePrices"],
                },
                "filtered": {"data": [], "CE": {}, "PE": {}},
            });
            (e.clone(), response)
        })
        .collect();
    (
        json!({"expiryDates": expiries, "strikePrice": []}),
        per_expiry,
    )
}

fn v3_target(expiry: &str) -> String {
    format!("{V3_PATH}?type=Indices&symbol=NIFTY&expiry={expiry}")
}

/// Home page and option-chain page that set the session cookies.
fn route_pages(server: &TestServer) {
    server.route(
        "/",
        vec![Reply::ok("<html>NSE</html>").header("Set-Cookie", HOME_COOKIE)],
    );
    server.route(
        "/option-chain",
        vec![Reply::ok("<html>option chain</html>").header("Set-Cookie", PAGE_COOKIE)],
    );
}

/// Serves the v3 view of a saved chain; every API answer needs the home-page cookie (else `{}`).
fn serve_v3(server: &TestServer, legacy: &[u8]) -> Vec<String> {
    route_pages(server);
    let (list, per_expiry) = derive_v3(legacy);
    server.route(
        EXPIRY_PATH,
        vec![Reply::ok(list.to_string()).require_cookie("nsit=Xk3q9")],
    );
    for (e, body) in &per_expiry {
        server.route(
            &v3_target(e),
            vec![Reply::ok(body.to_string()).require_cookie("nsit=Xk3q9")],
        );
    }
    per_expiry.into_iter().map(|(e, _)| e).collect()
}

fn config(server: &TestServer) -> NseConfig {
    NseConfig {
        base_url: server.base.clone(),
        http: fast_http(),
        min_poll_interval: Duration::ZERO,
        max_expiries: None,
    }
}

#[test]
fn v3_flow_rebuilds_the_saved_chain_with_cookies_from_the_home_page() {
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let server = TestServer::start();
    let expiries = serve_v3(&server, &legacy);
    assert_eq!(expiries.len(), 18);
    let chain = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap();

    let want = parse_chain_json(&legacy, DataOrigin::Nse).unwrap();
    assert_eq!(chain, want);
    assert_eq!(chain.rows.len(), 778);

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path()).collect();
    assert_eq!(paths[..3], ["/", "/option-chain", EXPIRY_PATH]);
    assert_eq!(paths.len(), 3 + 18);
    assert!(paths[3..].iter().all(|p| *p == V3_PATH));
    assert_eq!(seen[3].target, v3_target("17-Jul-2025"));
    for s in &seen[2..] {
        let cookie = s.header("cookie").unwrap_or_default();
        assert!(
            cookie.contains("nsit=Xk3q9") && cookie.contains("bm_sv=77ab"),
            "{cookie}"
        );
        assert_eq!(
            s.header("referer"),
            Some(format!("{}/option-chain", server.base).as_str())
        );
        assert!(s.header("accept").unwrap().starts_with("application/json"));
        assert!(s.header("accept-language").is_some());
        assert!(s.header("user-agent").unwrap().starts_with("Mozilla/5.0"));
    }
    assert_eq!(
        seen[1].header("referer"),
        Some(format!("{}/", server.base).as_str())
    );
}

#[test]
fn max_expiries_limits_the_calls() {
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let server = TestServer::start();
    serve_v3(&server, &legacy);
    let chain = NseClient::new(NseConfig {
        max_expiries: Some(2),
        ..config(&server)
    })
    .fetch_chain(Symbol::Nifty50)
    .unwrap();
    assert_eq!(server.count(V3_PATH), 2);
    let full = parse_chain_json(&legacy, DataOrigin::Nse).unwrap();
    let want: Vec<_> = full
        .rows
        .iter()
        .filter(|r| full.expiries[..2].contains(&r.expiry))
        .copied()
        .collect();
    assert_eq!(chain.rows, want);
    // Every listed expiry is still reported.
    assert_eq!(chain.expiries, full.expiries);
}

#[test]
fn legacy_endpoint_serves_the_real_2020_file() {
    let legacy = legacy_bytes("nifty_2020-08-07_eod.json");
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        "/api/option-chain-indices",
        vec![Reply::ok(legacy.clone()).require_cookie("nsit=Xk3q9")],
    );
    let chain = NseClient::new(config(&server))
        .fetch_chain_legacy(Symbol::Nifty50)
        .unwrap();
    assert_eq!(chain, parse_chain_json(&legacy, DataOrigin::Nse).unwrap());
    assert_eq!(chain.rows.len(), 1068);
    assert_eq!(
        server.seen().last().unwrap().target,
        "/api/option-chain-indices?symbol=NIFTY"
    );
}

#[test]
fn empty_object_after_a_fresh_session_is_blocked() {
    let server = TestServer::start();
    // The home page sets no cookie, so every API call answers `{}`.
    server.route("/", vec![Reply::ok("<html/>")]);
    server.route("/option-chain", vec![Reply::ok("<html/>")]);
    server.route(EXPIRY_PATH, vec![Reply::ok("{}")]);
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(&e, NseError::Blocked { url } if url.contains(EXPIRY_PATH)),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.starts_with("NSE: http://127.0.0.1:"), "{msg}");
    assert!(
        msg.contains("cookies were not accepted") && msg.contains("wait a few minutes"),
        "{msg}"
    );
    // The client refreshed the session once before giving up.
    assert_eq!(server.count("/"), 2);
    assert_eq!(server.count(EXPIRY_PATH), 2);
}

#[test]
fn unauthorised_once_refreshes_the_session_and_succeeds() {
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let server = TestServer::start();
    serve_v3(&server, &legacy);
    let (list, _) = derive_v3(&legacy);
    server.route(
        EXPIRY_PATH,
        vec![Reply::new(401, "Unauthorized"), Reply::ok(list.to_string())],
    );
    let chain = NseClient::new(NseConfig {
        max_expiries: Some(1),
        ..config(&server)
    })
    .fetch_chain(Symbol::Nifty50)
    .unwrap();
    assert_eq!(chain.expiries.len(), 18);
    assert_eq!(server.count("/"), 2);
    assert_eq!(server.count(EXPIRY_PATH), 2);
}

#[test]
fn forbidden_after_a_fresh_session_names_the_fix() {
    let server = TestServer::start();
    route_pages(&server);
    server.route(EXPIRY_PATH, vec![Reply::new(403, "Access Denied")]);
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(
            &e,
            NseError::Http(HttpError::Refused {
                status: 403,
                service: "NSE",
                ..
            })
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("answered HTTP 403: NSE's bot protection forbids this client"),
        "{msg}"
    );
    assert!(msg.contains("poll no faster than every 3 minutes"), "{msg}");
    assert_eq!(server.count("/"), 2);
    assert_eq!(server.count(EXPIRY_PATH), 2);
}

#[test]
fn home_page_refusal_is_reported() {
    let server = TestServer::start();
    server.route("/", vec![Reply::new(401, "")]);
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(&e, NseError::Http(HttpError::Refused { status: 401, url, .. }) if url.ends_with('/')),
        "{e:?}"
    );
    assert!(e.to_string().contains("cookies missing or expired"), "{e}");
    assert_eq!(server.count(EXPIRY_PATH), 0);
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let server = TestServer::start();
    let expiries = serve_v3(&server, &legacy);
    let (list, per_expiry) = derive_v3(&legacy);
    server.route(
        EXPIRY_PATH,
        vec![
            Reply::new(429, "").header("Retry-After", "1"),
            Reply::new(502, "bad gateway"),
            Reply::ok(list.to_string()),
        ],
    );
    server.route(
        &v3_target(&expiries[0]),
        vec![
            Reply::new(500, "oops"),
            Reply::new(503, "busy"),
            Reply::ok(per_expiry[0].1.to_string()),
        ],
    );
    let chain = NseClient::new(NseConfig {
        max_expiries: Some(1),
        ..config(&server)
    })
    .fetch_chain(Symbol::Nifty50)
    .unwrap();
    assert_eq!(
        chain.rows.len(),
        per_expiry[0].1["records"]["data"].as_array().unwrap().len()
    );
    assert_eq!(server.count(EXPIRY_PATH), 3);
    assert_eq!(server.count(V3_PATH), 3);
}

#[test]
fn persistent_server_error_fails_after_max_attempts() {
    let server = TestServer::start();
    route_pages(&server);
    server.route(EXPIRY_PATH, vec![Reply::new(503, "")]);
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(
            e,
            NseError::Http(HttpError::ServerError {
                status: 503,
                attempts: 3,
                ..
            })
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "NSE: {}{EXPIRY_PATH}?type=Indices&symbol=NIFTY failed with HTTP 503 on all 3 attempt(s); the service is having trouble, try again later",
            server.base
        )
    );
}

#[test]
fn hang_truncation_and_malformed_json() {
    // Hang past the timeout.
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        EXPIRY_PATH,
        vec![Reply::ok("").hang(Duration::from_secs(4))],
    );
    let mut cfg = config(&server);
    cfg.http.timeout = Duration::from_millis(300);
    cfg.http.retry.max_attempts = 2;
    let e = NseClient::new(cfg)
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(e, NseError::Http(HttpError::Timeout { attempts: 2, .. })),
        "{e:?}"
    );

    // Body cut off on every attempt.
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        "/api/option-chain-indices",
        vec![Reply::ok(legacy.clone()).truncated(5000)],
    );
    let e = NseClient::new(config(&server))
        .fetch_chain_legacy(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(e, NseError::Http(HttpError::Truncated { attempts: 3, .. })),
        "{e:?}"
    );

    // Malformed JSON (a complete response that is not JSON).
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        EXPIRY_PATH,
        vec![Reply::ok("<html>Resource not found</html>")],
    );
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(matches!(e, NseError::Json { .. }), "{e:?}");
    assert!(e.to_string().contains("malformed JSON"), "{e}");
}

#[test]
fn null_prices_become_none_and_null_open_interest_is_refused() {
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let (list, mut per_expiry) = derive_v3(&legacy);
    let (expiry, mut body) = per_expiry.remove(0);
    let leg = &mut body["records"]["data"][0]["PE"];
    for f in ["lastPrice", "impliedVolatility", "buyPrice1", "sellPrice1"] {
        leg[f] = Value::Null;
    }
    let strike = body["records"]["data"][0]["strikePrice"].as_f64().unwrap();
    let server = TestServer::start();
    route_pages(&server);
    server.route(EXPIRY_PATH, vec![Reply::ok(list.to_string())]);
    server.route(&v3_target(&expiry), vec![Reply::ok(body.to_string())]);
    let chain = NseClient::new(NseConfig {
        max_expiries: Some(1),
        ..config(&server)
    })
    .fetch_chain(Symbol::Nifty50)
    .unwrap();
    let put = chain
        .rows
        .iter()
        .find(|r| r.strike == strike)
        .unwrap()
        .put
        .unwrap();
    assert_eq!(
        (put.last_price, put.iv_percent, put.bid, put.ask),
        (None, None, None, None)
    );

    body["records"]["data"][0]["PE"]["openInterest"] = Value::Null;
    server.route(&v3_target(&expiry), vec![Reply::ok(body.to_string())]);
    let e = NseClient::new(NseConfig {
        max_expiries: Some(1),
        ..config(&server)
    })
    .fetch_chain(Symbol::Nifty50)
    .unwrap_err();
    assert!(matches!(e, NseError::Shape { .. }), "{e:?}");
    assert!(
        e.to_string().contains("field `openInterest` is null"),
        "{e}"
    );
}

#[test]
fn a_chain_without_records_is_refused() {
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        EXPIRY_PATH,
        vec![Reply::ok(r#"{"expiryDates":["22-Jul-2025"]}"#)],
    );
    server.route(
        &v3_target("22-Jul-2025"),
        vec![Reply::ok(
            r#"{"records":{"timestamp":"16-Jul-2025 15:30:00","underlyingValue":25212.05,"data":[]},"filtered":{}}"#,
        )],
    );
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(
            e,
            NseError::Chain {
                source: ChainError::Empty,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "NSE NIFTY50 option chain: the option chain has no records; NSE serves an empty chain when it throttles a client or before the first snapshot of the day — try again in a few minutes"
    );

    // An empty expiry list.
    let server = TestServer::start();
    route_pages(&server);
    server.route(EXPIRY_PATH, vec![Reply::ok(r#"{"expiryDates":[]}"#)]);
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::Nifty50)
        .unwrap_err();
    assert!(
        matches!(
            e,
            NseError::NoExpiries {
                symbol: Symbol::Nifty50,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn a_second_fetch_within_the_poll_interval_is_too_soon() {
    let legacy = legacy_bytes("nifty_2025-07-16_eod.json");
    let server = TestServer::start();
    serve_v3(&server, &legacy);
    let client = NseClient::new(NseConfig {
        min_poll_interval: Duration::from_secs(180),
        max_expiries: Some(1),
        ..config(&server)
    });
    client.fetch_chain(Symbol::Nifty50).unwrap();
    let before = server.seen().len();
    let e = client.fetch_chain(Symbol::Nifty50).unwrap_err();
    match &e {
        NseError::TooSoon { symbol, wait, .. } => {
            assert_eq!(*symbol, Symbol::Nifty50);
            assert!(*wait > Duration::from_secs(170) && *wait <= Duration::from_secs(180));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with("NSE refreshes the NIFTY50 option chain about every 3 minutes"),
        "{e}"
    );
    assert_eq!(server.seen().len(), before, "no request was made");
}

#[test]
fn india_vix_has_no_options() {
    let server = TestServer::start();
    let e = NseClient::new(config(&server))
        .fetch_chain(Symbol::IndiaVix)
        .unwrap_err();
    assert!(
        matches!(
            e,
            NseError::NoOptions {
                symbol: Symbol::IndiaVix
            }
        ),
        "{e:?}"
    );
    assert!(server.seen().is_empty());
}
