//! The Yahoo chart client against a scripted loopback server.

mod common;

use std::time::Duration;

use aegis_model::{Interval, Symbol};
use aegis_sources::http::HttpError;
use aegis_sources::yahoo::{YahooClient, YahooConfig, YahooError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use common::{Reply, TestServer, fast_http, shared};

const CHART_PATH: &str = "/v8/finance/chart/%5ENSEI";

/// One row of a chart: stamp, OHLC (each may be null), volume.
type ChartRow = (i64, [Option<f64>; 4], Option<f64>);

const NULL_ROW: [Option<f64>; 4] = [None; 4];

/// Rows from a real CSV of the shared data (the last `n`).
fn csv_rows(name: &str, n: usize) -> Vec<ChartRow> {
    let text = std::fs::read_to_string(shared(name)).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    lines[lines.len() - n..]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let t = NaiveDateTime::parse_from_str(f[0], "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp();
            let v = |i: usize| f[i].parse::<f64>().unwrap();
            (
                t,
                [Some(v(1)), Some(v(2)), Some(v(3)), Some(v(4))],
                Some(v(5)),
            )
        })
        .collect()
}

/// A chart response in Yahoo's real layout (meta as sent for ^NSEI, nulls where rows are None).
fn chart_json(granularity: &str, rows: &[ChartRow], now: DateTime<Utc>) -> String {
    let day_open = Utc
        .from_utc_datetime(&now.date_naive().and_hms_opt(3, 45, 0).unwrap())
        .timestamp();
    let day_close = day_open + 6 * 3600 + 15 * 60;
    let col = |i: usize| {
        rows.iter()
            .map(|(_, p, _)| p[i].map_or("null".to_string(), |x| x.to_string()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let volume = rows
        .iter()
        .map(|(_, _, v)| v.map_or("null".to_string(), |v| v.to_string()))
        .collect::<Vec<_>>()
        .join(",");
    let stamps = rows
        .iter()
        .map(|r| r.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let last_close = rows.iter().rev().find_map(|r| r.1[3]).unwrap_or(0.0);
    let adj = if granularity == "1d" {
        format!(r#","adjclose":[{{"adjclose":[{}]}}]"#, col(3))
    } else {
        String::new()
    };
    format!(
        r#"{{"chart":{{"result":[{{"meta":{{"currency":"INR","symbol":"^NSEI","exchangeName":"NSI","fullExchangeName":"NSE","instrumentType":"INDEX","firstTradeDate":1190000700,"regularMarketTime":{rmt},"hasPrePostMarketData":false,"gmtoffset":19800,"timezone":"IST","exchangeTimezoneName":"Asia/Kolkata","regularMarketPrice":{last_close},"fiftyTwoWeekHigh":26310.45,"fiftyTwoWeekLow":21743.65,"longName":"NIFTY 50","shortName":"NIFTY 50","chartPreviousClose":26215.55,"priceHint":2,"currentTradingPeriod":{{"pre":{{"timezone":"IST","start":{day_open},"end":{day_open},"gmtoffset":19800}},"regular":{{"timezone":"IST","start":{day_open},"end":{day_close},"gmtoffset":19800}},"post":{{"timezone":"IST","start":{day_close},"end":{day_close},"gmtoffset":19800}}}},"dataGranularity":"{granularity}","range":"","validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]}},"timestamp":[{stamps}],"indicators":{{"quote":[{{"open":[{o}],"high":[{h}],"low":[{l}],"close":[{c}],"volume":[{volume}]}}]{adj}}}}}],"error":null}}}}"#,
        rmt = now.timestamp(),
        o = col(0),
        h = col(1),
        l = col(2),
        c = col(3),
    )
}

fn pulled_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 28, 8, 22, 29).unwrap()
}

/// The last 8 real daily rows, stamped at the session open, with an all-null placeholder row.
fn daily_fixture() -> String {
    let mut rows = csv_rows("nifty50_daily_yahoo.csv", 8);
    // Yahoo stamps the forming day at the session open in the API (the CSV has the pull time).
    let last = rows.len() - 1;
    rows[last].0 = Utc
        .with_ymd_and_hms(2025, 11, 28, 3, 45, 0)
        .unwrap()
        .timestamp();
    let placeholder = Utc
        .with_ymd_and_hms(2025, 11, 22, 3, 45, 0)
        .unwrap()
        .timestamp();
    rows.insert(3, (placeholder, NULL_ROW, None));
    chart_json("1d", &rows, pulled_at())
}

fn client(server: &TestServer) -> YahooClient {
    YahooClient::new(YahooConfig {
        base_url: server.base.clone(),
        http: fast_http(),
        ..YahooConfig::default()
    })
}

#[test]
fn daily_fetch_parses_real_shape_and_marks_the_forming_day() {
    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::ok(daily_fixture())]);
    let got = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap();
    assert_eq!(got.series.len(), 8);
    assert_eq!(got.skipped_null_rows, 1);
    let last = got.series.last().unwrap();
    assert_eq!(last.key, NaiveDate::from_ymd_opt(2025, 11, 28).unwrap());
    assert!(last.partial);
    assert_eq!(got.series.complete().len(), 7);
    // The values are the CSV's.
    assert_eq!(last.close, 26206.30078125);

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let q = &seen[0].target;
    let start = aegis_model::time::ist_at(NaiveDate::from_ymd_opt(2007, 9, 17).unwrap(), 0, 0);
    assert!(q.contains(&format!("period1={}", start.timestamp())), "{q}");
    assert!(
        q.contains(&format!("period2={}", pulled_at().timestamp())),
        "{q}"
    );
    assert!(
        q.contains("interval=1d&includePrePost=false&events=div,split"),
        "{q}"
    );
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .starts_with("Mozilla/5.0")
    );
    assert_eq!(got.request.unwrap().attempts, 1);
}

#[test]
fn daily_fetch_after_the_close_is_complete_and_incremental() {
    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::ok(daily_fixture())]);
    let after_close = Utc.with_ymd_and_hms(2025, 11, 28, 10, 0, 0).unwrap();
    let since = NaiveDate::from_ymd_opt(2025, 11, 26).unwrap();
    let got = client(&server)
        .fetch_daily(Symbol::Nifty50, Some(since), after_close)
        .unwrap();
    let keys: Vec<String> = got
        .series
        .bars()
        .iter()
        .map(|b| b.key.to_string())
        .collect();
    assert_eq!(keys, ["2025-11-26", "2025-11-27", "2025-11-28"]);
    assert!(!got.series.last().unwrap().partial);
    let period1 = aegis_model::time::ist_at(since, 0, 0).timestamp();
    assert!(
        server.seen()[0]
            .target
            .contains(&format!("period1={period1}&"))
    );
}

#[test]
fn intraday_fetch_drops_the_live_tick_and_clamps_to_sixty_days() {
    let mut rows = csv_rows("nifty50_5m_yahoo.csv", 20);
    let last = *rows.last().unwrap();
    // Yahoo appends the live price at the request time, off the 5-minute grid.
    let tick = Utc
        .with_ymd_and_hms(2025, 11, 28, 8, 22, 32)
        .unwrap()
        .timestamp();
    rows.push((tick, [last.1[3]; 4], Some(0.0)));
    let now = Utc.with_ymd_and_hms(2025, 11, 28, 8, 22, 33).unwrap();
    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::ok(chart_json("5m", &rows, now))]);

    let since = now - TimeDelta::days(100);
    let got = client(&server)
        .fetch_intraday(Symbol::Nifty50, Some(since), now)
        .unwrap();
    assert_eq!(got.series.len(), 20);
    assert_eq!(got.dropped_live_tick.map(|t| t.timestamp()), Some(tick));
    assert!(got.series.last().unwrap().partial);
    assert_eq!(got.series.interval(), Interval::FiveMinute);
    let request = got.request.unwrap();
    assert_eq!(request.clamped_from, Some(since));
    assert_eq!(request.asked_from, now - TimeDelta::days(59));
    let q = &server.seen()[0].target;
    assert!(
        q.contains(&format!(
            "period1={}&",
            (now - TimeDelta::days(59)).timestamp()
        )),
        "{q}"
    );
    assert!(q.contains("interval=5m"), "{q}");
}

#[test]
fn unauthorised_and_forbidden_are_not_retried() {
    for (status, fix) in [(401, "crumb"), (403, "another network")] {
        let server = TestServer::start();
        server.route(CHART_PATH, vec![Reply::new(status, "Unauthorized")]);
        let e = client(&server)
            .fetch_daily(Symbol::Nifty50, None, pulled_at())
            .unwrap_err();
        assert!(
            matches!(&e, YahooError::Http(HttpError::Refused { status: s, .. }) if *s == status),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.starts_with("Yahoo Finance: http://127.0.0.1:"), "{msg}");
        assert!(msg.contains(&format!("answered HTTP {status}: ")), "{msg}");
        assert!(
            msg.contains(fix) && msg.contains("import a CSV export"),
            "{msg}"
        );
        assert_eq!(server.count(CHART_PATH), 1);
    }
}

#[test]
fn not_found_with_chart_error_is_an_api_error() {
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![Reply::new(
            404,
            r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#,
        )],
    );
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    match &e {
        YahooError::Api {
            ticker,
            code,
            description,
        } => {
            assert_eq!((ticker.as_str(), code.as_str()), ("^NSEI", "Not Found"));
            assert_eq!(description, "No data found, symbol may be delisted");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("check the ticker"), "{e}");
    assert_eq!(server.count(CHART_PATH), 1);
}

#[test]
fn rate_limit_honours_retry_after_then_succeeds() {
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![
            Reply::new(429, "Too Many Requests").header("Retry-After", "1"),
            Reply::ok(daily_fixture()),
        ],
    );
    let got = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap();
    assert_eq!(got.request.unwrap().attempts, 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(950));
}

#[test]
fn rate_limit_without_retry_after_backs_off_then_succeeds() {
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![
            Reply::new(429, ""),
            Reply::new(429, ""),
            Reply::ok(daily_fixture()),
        ],
    );
    let got = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap();
    assert_eq!(got.request.unwrap().attempts, 3);
}

#[test]
fn rate_limit_longer_than_the_cap_stops_at_once() {
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![Reply::new(429, "").header("Retry-After", "3600")],
    );
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(
        matches!(
            e,
            YahooError::Http(HttpError::RateLimited { attempts: 1, retry_after: Some(d), .. })
                if d == Duration::from_secs(3600)
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("the server asks to wait 3600 s"),
        "{e}"
    );
    assert_eq!(server.count(CHART_PATH), 1);
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![
            Reply::new(500, "oops"),
            Reply::new(502, "bad gateway"),
            Reply::ok(daily_fixture()),
        ],
    );
    let got = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap();
    assert_eq!(got.request.unwrap().attempts, 3);
    assert_eq!(got.series.len(), 8);
}

#[test]
fn persistent_server_error_fails_after_max_attempts() {
    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::new(503, "unavailable")]);
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(
        matches!(
            e,
            YahooError::Http(HttpError::ServerError {
                status: 503,
                attempts: 3,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("failed with HTTP 503 on all 3 attempt(s)"),
        "{e}"
    );
    assert_eq!(server.count(CHART_PATH), 3);
}

#[test]
fn a_hang_past_the_timeout_is_a_timeout() {
    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::ok("").hang(Duration::from_secs(4))]);
    let mut http = fast_http();
    http.timeout = Duration::from_millis(300);
    http.retry.max_attempts = 2;
    let client = YahooClient::new(YahooConfig {
        base_url: server.base.clone(),
        http,
        ..YahooConfig::default()
    });
    let e = client
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(
        matches!(e, YahooError::Http(HttpError::Timeout { attempts: 2, .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("did not answer within 300ms"), "{e}");
    assert_eq!(server.count(CHART_PATH), 2);
}

#[test]
fn a_body_cut_off_midway_is_retried_then_reported() {
    let body = daily_fixture();
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![
            Reply::ok(body.clone()).truncated(body.len() / 2),
            Reply::ok(body.clone()),
        ],
    );
    let got = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap();
    assert_eq!(got.request.unwrap().attempts, 2);

    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::ok(body.clone()).truncated(100)]);
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(
        matches!(
            e,
            YahooError::Http(HttpError::Truncated { attempts: 3, .. })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("cut off mid-body"), "{e}");
}

#[test]
fn malformed_json_is_refused() {
    let server = TestServer::start();
    let body = daily_fixture();
    server.route(CHART_PATH, vec![Reply::ok(&body[..body.len() - 3])]);
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(matches!(e, YahooError::Json { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("Yahoo Finance sent malformed JSON for ^NSEI"),
        "{e}"
    );
}

#[test]
fn a_row_with_some_null_prices_is_refused() {
    let mut rows = csv_rows("nifty50_daily_yahoo.csv", 4);
    rows[1].1 = [None, None, None, rows[1].1[3]];
    let patched = chart_json("1d", &rows, pulled_at());
    let server = TestServer::start();
    server.route(CHART_PATH, vec![Reply::ok(patched)]);
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(
        matches!(&e, YahooError::PartialNulls { fields, .. } if fields == "open, high, low"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("null while other prices are present"),
        "{e}"
    );
}

#[test]
fn inconsistent_bars_reject_the_whole_response() {
    let mut rows = csv_rows("nifty50_daily_yahoo.csv", 4);
    rows[2].1.swap(1, 2); // High below Low
    let server = TestServer::start();
    server.route(
        CHART_PATH,
        vec![Reply::ok(chart_json("1d", &rows, pulled_at()))],
    );
    let e = client(&server)
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(matches!(e, YahooError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("High must not be below Low"), "{e}");
}

#[test]
fn a_closed_port_is_a_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = YahooClient::new(YahooConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        http: fast_http(),
        ..YahooConfig::default()
    });
    let e = client
        .fetch_daily(Symbol::Nifty50, None, pulled_at())
        .unwrap_err();
    assert!(
        matches!(
            e,
            YahooError::Http(HttpError::Connection { attempts: 3, .. })
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("check the network connection"),
        "{e}"
    );
}
