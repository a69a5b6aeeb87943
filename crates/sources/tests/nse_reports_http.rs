//! The NSE reports client (participant-wise OI file, FII/DII API) against a scripted loopback
//! server: real-format bodies, error statuses, retries, timeouts, cut-off and malformed bodies,
//! and days without a file.

mod common;

use std::time::Duration;

use aegis_sources::http::HttpError;
use aegis_sources::nse_reports::{
    ClientType, NseReportsClient, NseReportsConfig, Report, ReportError,
};
use chrono::NaiveDate;
use common::{Reply, TestServer, fast_http};

/// A file in the published format for 25-Nov-2026 (see the module docs for the evidence).
const OI: &str = include_str!("data/fao_participant_oi_25112026.csv");
const OI_PATH: &str = "/content/nsccl/fao_participant_oi_25112026.csv";
const FII_DII: &str = r#"[{"category":"DII **","date":"25-Nov-2026","buyValue":"17412.58","sellValue":"13986.09","netValue":"3426.49"},{"category":"FII/FPI *","date":"25-Nov-2026","buyValue":"12087.33","sellValue":"14361.75","netValue":"-2274.42"}]"#;
const API_PATH: &str = "/api/fiidiiTradeReact";
const HOME_COOKIE: &str = "nsit=Rq81z; Path=/; HttpOnly";
const PAGE_COOKIE: &str = "bm_sv=9c1d; Path=/";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// One loopback server plays both hosts (archive and API).
fn client(server: &TestServer) -> NseReportsClient {
    NseReportsClient::new(NseReportsConfig {
        archive_base_url: server.base.clone(),
        api_base_url: server.base.clone(),
        http: fast_http(),
    })
}

fn route_pages(server: &TestServer) {
    server.route(
        "/",
        vec![Reply::ok("<html>NSE</html>").header("Set-Cookie", HOME_COOKIE)],
    );
    server.route(
        "/reports/fii-dii",
        vec![Reply::ok("<html>FII/DII</html>").header("Set-Cookie", PAGE_COOKIE)],
    );
}

// ---- Participant-wise open interest ----

#[test]
fn participant_oi_is_fetched_from_the_dated_archive_path() {
    let server = TestServer::start();
    server.route(OI_PATH, vec![Reply::ok(OI)]);
    let c = client(&server);
    assert_eq!(
        c.participant_oi_url(day()),
        format!("{}{OI_PATH}", server.base)
    );
    let oi = c.fetch_participant_oi(day()).unwrap();
    assert_eq!(oi.date(), day());
    assert_eq!(oi.row(ClientType::Fii).future_index_long, 23_286.0);
    assert_eq!(
        oi.row(ClientType::Total).option_index_put_short,
        3_550_160.0
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "no session is needed for the archive");
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .starts_with("Mozilla/5.0")
    );
    assert!(seen[0].header("accept").unwrap().starts_with("text/csv"));
}

#[test]
fn a_holiday_without_a_file_is_not_published() {
    let server = TestServer::start();
    server.route(OI_PATH, vec![Reply::new(404, "Not Found")]);
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    match &e {
        ReportError::NotPublished { report, date, url } => {
            assert_eq!(*report, Report::ParticipantOi);
            assert_eq!(*date, day());
            assert!(url.ends_with(OI_PATH));
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("not published") && msg.contains("holiday"),
        "{msg}"
    );
    assert_eq!(server.count(OI_PATH), 1, "a 404 is not retried");
}

#[test]
fn a_forbidden_archive_gets_one_session_and_one_retry() {
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        OI_PATH,
        vec![Reply::new(403, "Access Denied"), Reply::ok(OI)],
    );
    let oi = client(&server).fetch_participant_oi(day()).unwrap();
    assert_eq!(oi.date(), day());
    assert_eq!(server.count("/"), 1);
    assert_eq!(server.count(OI_PATH), 2);
    let last = server.seen().into_iter().last().unwrap();
    assert!(
        last.header("cookie")
            .unwrap_or_default()
            .contains("nsit=Rq81z")
    );

    // Refused again after the fresh session: the HTTP error with NSE's hint.
    for status in [401u16, 403] {
        let server = TestServer::start();
        route_pages(&server);
        server.route(OI_PATH, vec![Reply::new(status, "")]);
        let e = client(&server).fetch_participant_oi(day()).unwrap_err();
        assert!(
            matches!(&e, ReportError::Http(HttpError::Refused { status: s, service: "NSE reports", .. }) if *s == status),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("check that www.nseindia.com opens in a browser"),
            "{e}"
        );
        assert_eq!(server.count(OI_PATH), 2);
    }
}

#[test]
fn rate_limits_and_server_errors_are_retried_then_reported() {
    let server = TestServer::start();
    server.route(
        OI_PATH,
        vec![
            Reply::new(429, "").header("Retry-After", "1"),
            Reply::new(502, "bad gateway"),
            Reply::ok(OI),
        ],
    );
    assert!(client(&server).fetch_participant_oi(day()).is_ok());
    assert_eq!(server.count(OI_PATH), 3);
    let (a, b) = (server.seen()[0].at, server.seen()[1].at);
    assert!(
        b - a >= Duration::from_millis(900),
        "Retry-After was honoured"
    );

    let server = TestServer::start();
    server.route(OI_PATH, vec![Reply::new(503, "")]);
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    assert!(
        matches!(
            e,
            ReportError::Http(HttpError::ServerError {
                status: 503,
                attempts: 3,
                ..
            })
        ),
        "{e:?}"
    );

    let server = TestServer::start();
    server.route(
        OI_PATH,
        vec![Reply::new(429, "").header("Retry-After", "120")],
    );
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    assert!(
        matches!(
            e,
            ReportError::Http(HttpError::RateLimited { attempts: 1, .. })
        ),
        "{e:?}"
    );
}

#[test]
fn timeouts_and_cut_off_bodies_fail_after_the_retries() {
    let server = TestServer::start();
    server.route(OI_PATH, vec![Reply::ok(OI).hang(Duration::from_secs(4))]);
    let mut http = fast_http();
    http.timeout = Duration::from_millis(300);
    http.retry.max_attempts = 2;
    let c = NseReportsClient::new(NseReportsConfig {
        archive_base_url: server.base.clone(),
        api_base_url: server.base.clone(),
        http,
    });
    let e = c.fetch_participant_oi(day()).unwrap_err();
    assert!(
        matches!(e, ReportError::Http(HttpError::Timeout { attempts: 2, .. })),
        "{e:?}"
    );

    let server = TestServer::start();
    server.route(OI_PATH, vec![Reply::ok(OI).truncated(300)]);
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    assert!(
        matches!(
            e,
            ReportError::Http(HttpError::Truncated { attempts: 3, .. })
        ),
        "{e:?}"
    );
}

#[test]
fn malformed_and_wrong_day_files_are_rejected_with_the_line_and_field() {
    // A complete answer that is an HTML error page.
    let server = TestServer::start();
    server.route(
        OI_PATH,
        vec![Reply::ok("<html><body>Resource not found</body></html>")],
    );
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    assert!(
        matches!(
            &e,
            ReportError::Format {
                report: Report::ParticipantOi,
                line: Some(1),
                ..
            }
        ),
        "{e:?}"
    );

    // A file cut short by the server itself (complete HTTP response, missing rows).
    let half: String = OI.lines().take(4).map(|l| format!("{l}\n")).collect();
    server.route(OI_PATH, vec![Reply::ok(half)]);
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    assert!(e.to_string().contains("the `FII` row is missing"), "{e}");

    // A non-numeric cell names its line and column.
    server.route(OI_PATH, vec![Reply::ok(OI.replace("FII,23286,", "FII,-,"))]);
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("line 5, field `Future Index Long`") && msg.contains(OI_PATH),
        "{msg}"
    );

    // Yesterday's file served under today's name.
    server.route(
        OI_PATH,
        vec![Reply::ok(OI.replace("Nov 25, 2026", "Nov 24, 2026"))],
    );
    let e = client(&server).fetch_participant_oi(day()).unwrap_err();
    assert!(
        matches!(&e, ReportError::WrongDate { found, asked, .. } if found.to_string() == "2026-11-24" && *asked == day()),
        "{e:?}"
    );
}

// ---- FII/DII activity ----

#[test]
fn fii_dii_uses_the_session_cookies_and_the_report_referer() {
    let server = TestServer::start();
    route_pages(&server);
    server.route(
        API_PATH,
        vec![Reply::ok(FII_DII).require_cookie("nsit=Rq81z")],
    );
    let c = client(&server);
    let a = c.fetch_fii_dii().unwrap();
    assert_eq!(a.date, day());
    assert_eq!(
        (a.fii.buy, a.fii.sell, a.fii.net),
        (12_087.33, 14_361.75, -2_274.42)
    );
    assert_eq!(a.dii.net, 3_426.49);

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path()).collect();
    assert_eq!(paths, ["/", "/reports/fii-dii", API_PATH]);
    let api = &seen[2];
    let cookie = api.header("cookie").unwrap_or_default();
    assert!(
        cookie.contains("nsit=Rq81z") && cookie.contains("bm_sv=9c1d"),
        "{cookie}"
    );
    assert_eq!(
        api.header("referer"),
        Some(format!("{}/reports/fii-dii", server.base).as_str())
    );
    assert!(
        api.header("accept")
            .unwrap()
            .starts_with("application/json")
    );

    // A second fetch reuses the session.
    c.fetch_fii_dii().unwrap();
    assert_eq!(server.count("/"), 1);
    assert_eq!(server.count(API_PATH), 2);
}

#[test]
fn fii_dii_refreshes_the_session_once_then_reports_blocked() {
    // No cookie from the home page: every API answer is `{}`.
    let server = TestServer::start();
    server.route("/", vec![Reply::ok("<html/>")]);
    server.route("/reports/fii-dii", vec![Reply::ok("<html/>")]);
    server.route(API_PATH, vec![Reply::ok(FII_DII).require_cookie("nsit=")]);
    let e = client(&server).fetch_fii_dii().unwrap_err();
    assert!(
        matches!(&e, ReportError::Blocked { report: Report::FiiDiiActivity, url } if url.ends_with(API_PATH)),
        "{e:?}"
    );
    assert!(e.to_string().contains("cookies were not accepted"), "{e}");
    assert_eq!(server.count("/"), 2);
    assert_eq!(server.count(API_PATH), 2);

    // 401 once: a fresh session and success.
    let server = TestServer::start();
    route_pages(&server);
    server.route(API_PATH, vec![Reply::new(401, ""), Reply::ok(FII_DII)]);
    assert!(client(&server).fetch_fii_dii().is_ok());
    assert_eq!(server.count("/"), 2);

    // 403 every time: the HTTP error after one refresh.
    let server = TestServer::start();
    route_pages(&server);
    server.route(API_PATH, vec![Reply::new(403, "Access Denied")]);
    let e = client(&server).fetch_fii_dii().unwrap_err();
    assert!(
        matches!(e, ReportError::Http(HttpError::Refused { status: 403, .. })),
        "{e:?}"
    );
    assert_eq!(server.count(API_PATH), 2);
}

#[test]
fn a_refused_home_page_does_not_stop_the_api_call() {
    let server = TestServer::start();
    server.route("/", vec![Reply::new(403, "Access Denied")]);
    server.route("/reports/fii-dii", vec![Reply::new(403, "Access Denied")]);
    server.route(API_PATH, vec![Reply::ok(FII_DII)]);
    let a = client(&server).fetch_fii_dii().unwrap();
    assert_eq!(a.dii.buy, 17_412.58);

    // But an unreachable home page (a hang past the timeout) is reported.
    let server = TestServer::start();
    server.route("/", vec![Reply::ok("").hang(Duration::from_secs(4))]);
    let mut http = fast_http();
    http.timeout = Duration::from_millis(300);
    http.retry.max_attempts = 1;
    let c = NseReportsClient::new(NseReportsConfig {
        archive_base_url: server.base.clone(),
        api_base_url: server.base.clone(),
        http,
    });
    let e = c.fetch_fii_dii().unwrap_err();
    assert!(
        matches!(e, ReportError::Http(HttpError::Timeout { attempts: 1, .. })),
        "{e:?}"
    );
    assert_eq!(server.count(API_PATH), 0);
}

#[test]
fn fii_dii_error_replies_and_bad_bodies() {
    // 5xx then success.
    let server = TestServer::start();
    route_pages(&server);
    server.route(API_PATH, vec![Reply::new(500, ""), Reply::ok(FII_DII)]);
    assert!(client(&server).fetch_fii_dii().is_ok());
    assert_eq!(server.count(API_PATH), 2);

    // Persistent 429.
    let server = TestServer::start();
    route_pages(&server);
    server.route(API_PATH, vec![Reply::new(429, "")]);
    let e = client(&server).fetch_fii_dii().unwrap_err();
    assert!(
        matches!(
            e,
            ReportError::Http(HttpError::RateLimited { attempts: 3, .. })
        ),
        "{e:?}"
    );

    // A body cut off mid-way on every attempt.
    let server = TestServer::start();
    route_pages(&server);
    server.route(API_PATH, vec![Reply::ok(FII_DII).truncated(40)]);
    let e = client(&server).fetch_fii_dii().unwrap_err();
    assert!(
        matches!(e, ReportError::Http(HttpError::Truncated { .. })),
        "{e:?}"
    );

    // Complete but malformed JSON, and JSON that breaks net = buy − sell.
    let server = TestServer::start();
    route_pages(&server);
    server.route(API_PATH, vec![Reply::ok(&FII_DII[..90])]);
    let c = client(&server);
    let e = c.fetch_fii_dii().unwrap_err();
    assert!(
        matches!(
            &e,
            ReportError::Format {
                report: Report::FiiDiiActivity,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("malformed JSON"), "{e}");
    server.route(
        API_PATH,
        vec![Reply::ok(FII_DII.replace("-2274.42", "-2000.00"))],
    );
    let e = c.fetch_fii_dii().unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("field `[1].netValue`") && msg.contains("is not buy − sell"),
        "{msg}"
    );
}
