//! End-to-end tests of the foundation commands on the real shared data: import, data, chain,
//! and the refusal of malformed input with the store left unchanged.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn aegis(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aegis"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("AEGIS_LOG")
        .output()
        .expect("the aegis binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn import_real(store: &Path) {
    let files = [
        "nifty50_daily_yahoo.csv",
        "indiavix_daily_yahoo.csv",
        "nifty50_5m_yahoo.csv",
        "indiavix_5m_yahoo.csv",
        "option_chain/nifty_2025-07-16_eod.json",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| shared(f).display().to_string())
        .collect();
    let mut args = vec!["import"];
    args.extend(paths.iter().map(String::as_str));
    let o = aegis(store, &args);
    let (out, err) = text(&o);
    assert!(o.status.success(), "import failed: {out}\n{err}");
    assert!(out.contains("1236 1d bars of NIFTY50"), "{out}");
    assert!(out.contains("655 5m bars of NIFTY50"), "{out}");
    assert!(out.contains("778 rows, 18 expiries"), "{out}");
}

#[test]
fn import_then_data_reports_counts_dates_and_calendar_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a.db");
    import_real(&store);
    let o = aegis(&store, &["data"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let line = |prefix: &str| {
        out.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix} in\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    let nifty = line("NIFTY50   1d");
    assert_eq!(
        &nifty[2..7],
        ["2020-12-01", "2025-11-28", "1236", "import", "4"]
    );
    let vix = line("INDIAVIX  1d");
    assert_eq!(
        &vix[2..7],
        ["2020-12-01", "2025-11-28", "1221", "import", "19"]
    );
    // Yahoo lacks the special sessions of 2023-11-12 (Muhurat) and the 2024 Saturdays.
    assert!(
        out.contains(
            "NIFTY50 1d: trading days without a bar: 2023-11-12, 2024-01-20, 2024-03-02, 2024-05-18"
        ),
        "{out}"
    );
    // The bar missing from the source on 2025-11-26 shows as a short session.
    assert!(
        out.contains("NIFTY50 5m: short sessions: 2025-11-26 (74/75)"),
        "{out}"
    );
    assert!(
        out.contains("NIFTY50          1  2025-07-16 15:30  2025-07-16 15:30"),
        "{out}"
    );

    // Re-importing changes nothing.
    let o = aegis(
        &store,
        &[
            "import",
            shared("nifty50_daily_yahoo.csv").to_str().unwrap(),
        ],
    );
    assert!(
        text(&o).0.contains("0 new, 0 updated, 1236 unchanged"),
        "{:?}",
        text(&o)
    );
}

fn daily_dump(store: &Path) -> String {
    let o = aegis(store, &["data"]);
    assert!(o.status.success());
    text(&o).0
}

#[test]
fn malformed_csv_is_refused_naming_file_line_and_rule_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a.db");
    import_real(&store);
    let before = daily_dump(&store);
    let chain_before = text(&aegis(&store, &["chain", "--json"])).0;
    let cases = [
        (
            "nifty50_high_low.csv",
            "Date,Open,High,Low,Close,Volume\n2025-12-01 03:45:00,100,101,99,100.5,0\n2025-12-02 03:45:00,100,99,101,100.5,0\n",
            "line 3 (2025-12-02): High must not be below Low",
        ),
        (
            "nifty50_dup.csv",
            "Date,Open,High,Low,Close,Volume\n2025-12-01 03:45:00,100,101,99,100.5,0\n2025-12-01 03:45:00,100,101,99,100.5,0\n",
            "line 3 (2025-12-01): each date/timestamp may appear only once",
        ),
        (
            "nifty50_nan.csv",
            "Date,Open,High,Low,Close,Volume\n2025-12-01 03:45:00,100,101,99,abc,0\n",
            "line 2: column `Close` is `abc`, not a number",
        ),
    ];
    for (name, body, want) in cases {
        let bad = dir.path().join(name);
        std::fs::write(&bad, body).unwrap();
        // A good file beside the bad one must not be imported either.
        let o = aegis(
            &store,
            &[
                "import",
                shared("nifty50_daily_nse_2000_2022.csv").to_str().unwrap(),
                bad.to_str().unwrap(),
            ],
        );
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {out}{err}");
        assert!(err.contains(name) && err.contains(want), "{name}: {err}");
        assert_eq!(daily_dump(&store), before, "{name} changed the store");
    }
    assert_eq!(text(&aegis(&store, &["chain", "--json"])).0, chain_before);
}

#[test]
fn chain_max_pain_and_pcr_match_a_hand_calculation() {
    // Hand calculation (Python, standard library only) on the 17-Jul-2025 expiry of
    // nifty_2025-07-16_eod.json, 90 strikes:
    //   pain(X) = Σ_K OI_call(K)·max(X−K,0) + OI_put(K)·max(K−X,0)
    //   pain(25100) = 73 840 750, pain(25150) = 57 363 950, pain(25200) = 48 108 600,
    //   pain(25250) = 52 579 150, pain(25300) = 64 236 450  → max pain 25 200, zone 25 200 only
    //   (the neighbours are 9.3 % and 19.2 % above the minimum, outside the 5 % zone).
    //   Σ put OI = 1 817 093, Σ call OI = 2 215 609 → PCR(OI) = 0.8201325233829615
    //   Σ put volume = 39 850 401, Σ call volume = 48 562 653 → PCR(vol) = 0.8205976926342966
    //   Within ±10 % of 25 212.05: call wall 25 500 (177 507), put wall 25 000 (156 304).
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a.db");
    import_real(&store);
    let o = aegis(&store, &["chain", "--expiry", "17-Jul-2025", "--json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let e = &v["expiries"][0];
    assert_eq!(e["expiry"], "2025-07-17");
    assert_eq!(e["strikes"], 90);
    let mp = &e["max_pain"]["Ok"];
    assert_eq!(mp["strike"], 25200.0);
    assert_eq!(mp["pain"], 48_108_600.0);
    assert_eq!(
        (mp["zone_low"].as_f64(), mp["zone_high"].as_f64()),
        (Some(25200.0), Some(25200.0))
    );
    let curve = mp["curve"].as_array().unwrap();
    let at = |k: f64| {
        curve.iter().find(|p| p["strike"] == k).unwrap()["pain"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(at(25150.0), 57_363_950.0);
    assert_eq!(at(25250.0), 52_579_150.0);
    let pcr = &e["put_call_ratios"];
    assert_eq!(
        pcr["by_open_interest"]["Ok"].as_f64().unwrap(),
        1_817_093.0 / 2_215_609.0
    );
    assert_eq!(
        pcr["by_volume"]["Ok"].as_f64().unwrap(),
        39_850_401.0 / 48_562_653.0
    );
    assert_eq!(e["call_wall"]["Ok"]["strike"], 25500.0);
    assert_eq!(e["put_wall"]["Ok"]["strike"], 25000.0);

    // The table names the same numbers.
    let o = aegis(&store, &["chain"]);
    let out = text(&o).0;
    assert!(out.contains("2025-07-17"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("2025-07-17") && l.contains("25200") && l.contains("0.820")),
        "{out}"
    );
}

#[test]
fn chain_without_a_stored_chain_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("empty.db");
    let o = aegis(&store, &["chain"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("no NIFTY50 option chain is stored") && err.contains("aegis fetch --chain"),
        "{err}"
    );
}

/// A loopback stand-in for NSE's site and archives: the home page sets a cookie, the
/// participant-OI report of any date is the real 25-Nov-2026 report re-dated (the parser checks
/// the date in its title), and the FII/DII API answers NSE's JSON.
fn nse_reports_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sources/tests/data/fao_participant_oi_25112026.csv"
    ))
    .unwrap();
    let fii = r#"[{"category":"DII **","date":"25-Nov-2026","buyValue":"17412.58","sellValue":"13986.09","netValue":"3426.49"},{"category":"FII/FPI *","date":"25-Nov-2026","buyValue":"12087.33","sellValue":"14361.75","netValue":"-2274.42"}]"#;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = first.split(' ').nth(1).unwrap_or("/").to_string();
            log.lock().unwrap().push(path.clone());
            let (status, body, extra) = if path == "/" {
                (
                    200,
                    String::from("<html></html>"),
                    "set-cookie: nsit=abc; Path=/\r\n",
                )
            } else if path == "/api/fiidiiTradeReact" {
                (200, fii.to_string(), "")
            } else if let Some(d) = path
                .strip_prefix("/content/nsccl/fao_participant_oi_")
                .and_then(|p| p.strip_suffix(".csv"))
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%d%m%Y").ok())
            {
                let title = d.format("%b %d, %Y").to_string();
                (200, csv.replace("Nov 25, 2026", &title), "")
            } else {
                (404, String::new(), "")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, seen)
}

#[test]
fn fetch_reports_stores_participant_oi_of_missing_sessions_and_fii_dii() {
    let (base, seen) = nse_reports_server();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s.db");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_aegis"))
            .arg("--store")
            .arg(&store)
            .args(["fetch", "--reports"])
            .env("AEGIS_NSE__BASE_URL", &base)
            .env("AEGIS_NSE__ARCHIVE_BASE_URL", &base)
            .env("AEGIS_NSE__ATTEMPTS", "1")
            .env_remove("AEGIS_LOG")
            .output()
            .unwrap()
    };
    let o = run();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert_eq!(
        out.matches("ok      NSE participant-wise OI").count(),
        5,
        "{out}"
    );
    assert!(out.contains("5 rows new"), "{out}");
    assert!(
        out.contains("2026-11-25: FII net -2274.42 cr, DII net +3426.49 cr"),
        "{out}"
    );
    // Everything the store holds is not asked for again.
    let asked = seen.lock().unwrap().len();
    let o = run();
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(!out.contains("participant-wise"), "{out}");
    assert!(out.contains("(0 new, 0 updated)"), "{out}");
    let again: Vec<String> = seen.lock().unwrap()[asked..].to_vec();
    assert!(
        again.iter().all(|p| !p.contains("fao_participant_oi")),
        "{again:?}"
    );
    let s = aegis_store::Store::open_read_only(&store).unwrap();
    let from = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    assert_eq!(s.participant_oi(from, to).unwrap().len(), 25);
    let fii = s.fii_dii(from, to).unwrap();
    assert_eq!(fii.len(), 2);
    assert!(
        fii.iter()
            .any(|r| r.category == "FII" && r.net_crore == -2274.42)
    );
}
