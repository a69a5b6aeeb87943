//! Browser tests in Debian's Chromium, driven through chromedriver (WebDriver) with fantoccini.
//!
//! Each test starts the dashboard server in-process on 127.0.0.1:0 with the fixture payload, a
//! temporary store holding two runs and the fixture model file, then a chromedriver on a free
//! loopback port and a headless Chromium with a fresh profile. Tests take turns (one Chromium at
//! a time: the machine has two cores). Without Chromium they fail, saying what to install.

mod common;
use common::{free_port, on_path, plain_static_server};

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aegis_dashboard::{ServeConfig, Server};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/payload.json");
/// The toolkit document of the Chain and Strategy tabs (see browser_toolkit.rs).
const TOOLKIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/toolkit.json");
const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/models/direction_h1.json"
);
const INSTALL: &str =
    "run `apt-get install -y chromium chromium-driver` (Debian's Chromium and its WebDriver)";
/// Flags for Chromium as root in a container.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-breakpad",
    "--disable-crash-reporter",
];
const VIEWS: [&str; 3] = ["direction", "sellers", "buyers"];

/// One Chromium at a time (an async mutex: each test has its own runtime).
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Chromium and chromedriver, or a failure that says how to install them.
fn browser_binaries() -> (PathBuf, PathBuf) {
    let chromium = on_path("chromium")
        .or_else(|| on_path("chromium-browser"))
        .unwrap_or_else(|| panic!("Chromium is not installed (no `chromium` on PATH): {INSTALL}"));
    let driver = on_path("chromedriver").unwrap_or_else(|| {
        panic!("chromedriver is not installed (no `chromedriver` on PATH): {INSTALL}")
    });
    (chromium, driver)
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workspace's target directory (CARGO_TARGET_DIR, or `target/` beside the workspace).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session on a fresh profile.
struct Browser {
    client: Client,
    _driver: Driver,
    profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// A test that fails never closes its session: end the Chromium processes of this
    /// session's profile (found by their command line, killed by pid) so none is orphaned.
    fn drop(&mut self) {
        let marker = format!("--user-data-dir={}", self.profile.path().display());
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&marker) {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
    }
}

impl Browser {
    async fn start(width: u32, height: u32) -> Browser {
        Self::start_with(width, height, false).await
    }

    /// With `phone`, the viewport is emulated at exactly `width`×`height` CSS pixels (a
    /// headless window cannot be narrower than 500 px).
    async fn start_with(width: u32, height: u32, phone: bool) -> Browser {
        let (chromium, driver_bin) = browser_binaries();
        let port = free_port();
        let child = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", driver_bin.display()));
        let driver = Driver { child, port };
        wait_for_port(driver.port, "chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let mut chrome_options = json!({ "binary": chromium, "args": args });
        if phone {
            chrome_options["mobileEmulation"] =
                json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 } });
        }
        let caps = json!({ "browserName": "chrome", "goog:chromeOptions": chrome_options });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}; {INSTALL}"));
        Browser {
            client,
            _driver: driver,
            profile,
        }
    }

    /// Ends the session (Chromium quits).
    async fn close(&self) {
        self.client.clone().close().await.unwrap();
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `condition` (a JS expression) until it is truthy, for up to 15 s.
    async fn wait(&self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.js(&format!("return Boolean({condition});")).await;
            if v == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for: {condition}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn click(&self, css: &str) {
        let quoted = serde_json::to_string(css).unwrap();
        self.js(&format!("const e = document.querySelector({quoted}); if (e) e.scrollIntoView({{block: 'center'}}); return null;"))
            .await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Opens `url` and dismisses the disclaimer, then waits for the tiles.
    async fn open_dashboard(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.wait("document.getElementById('disclaimer-accept')")
            .await;
        self.click("#disclaimer-accept").await;
        self.wait("!document.getElementById('disclaimer') && document.querySelectorAll('#grid .tile').length === 12").await;
    }

    async fn select_view(&self, view: &str) {
        self.click(&format!("#tab-{view}")).await;
        self.wait(&format!(
            "document.getElementById('view').dataset.view === '{view}' && document.querySelectorAll('#grid .tile').length === 12"
        ))
        .await;
    }

    async fn csp_violations(&self) -> Vec<Value> {
        self.js("return window.aegisCspViolations || ['no recorder'];")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// The dashboard server, in-process, with the fixture data.
struct Site {
    dir: tempfile::TempDir,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Site {
    async fn start() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let models = dir.path().join("models");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&models).unwrap();
        std::fs::copy(FIXTURE, out.join(aegis_payload::PAYLOAD_FILE)).unwrap();
        std::fs::copy(TOOLKIT, out.join(aegis_toolkit::TOOLKIT_FILE)).unwrap();
        std::fs::copy(MODEL, models.join("direction_h1.json")).unwrap();
        let store = dir.path().join("aegis.db");
        seed_store(&store);
        let mut config = ServeConfig::new(out, store, models);
        config.bind = "127.0.0.1:0".parse().unwrap();
        let server = Server::bind(config).await.unwrap();
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Site {
            dir,
            addr,
            stop: Some(tx),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    fn payload_path(&self) -> PathBuf {
        self.dir
            .path()
            .join("out")
            .join(aegis_payload::PAYLOAD_FILE)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Two runs of the fixture payload, a day apart, with different spot values.
fn seed_store(path: &Path) {
    use chrono::Utc;
    let mut store = aegis_store::Store::open(path).unwrap();
    let payload: aegis_payload::Payload =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    for (i, spot) in [26100.5, 26209.65].into_iter().enumerate() {
        let mut p = payload.clone();
        p.market.spot.value.as_mut().unwrap().value = spot;
        let t = payload.meta.data_as_of.with_timezone(&Utc) + chrono::Duration::days(i as i64 - 1);
        let run = store
            .record_run(&aegis_store::RunRecord {
                symbol: aegis_model::Symbol::Nifty50,
                started_at: t,
                finished_at: Some(t),
                status: aegis_store::RunStatus::Ok,
                exit_code: Some(0),
                message: None,
                payload_sha256: None,
            })
            .unwrap();
        store
            .store_payload(
                run,
                t,
                t,
                &aegis_payload::to_json(&p),
                &aegis_payload::metric_points(&p),
            )
            .unwrap();
    }
    // Two sessions of NSE's FII/DII report for the flows chart.
    let rows: Vec<aegis_store::FiiDiiRow> = [(24, -1200.5, 900.25), (25, -2274.42, 3426.49)]
        .into_iter()
        .flat_map(|(day, fii, dii)| {
            let date = chrono::NaiveDate::from_ymd_opt(2025, 11, day).unwrap();
            [("FII", fii), ("DII", dii)].map(|(category, net)| aegis_store::FiiDiiRow {
                date,
                category: category.into(),
                buy_crore: 10_000.0,
                sell_crore: 10_000.0 - net,
                net_crore: net,
            })
        })
        .collect();
    store.upsert_fii_dii(&rows).unwrap();
}

async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_BROWSER.lock().await
}

/// Texts that must appear in a tile, by tile id.
type TileTexts = Vec<(&'static str, Vec<&'static str>)>;

/// (view, its tiles in order with the texts each must show), from the fixture's numbers.
fn expected_tiles() -> Vec<(&'static str, TileTexts)> {
    vec![
        (
            "direction",
            vec![
                (
                    "dir-today",
                    vec![
                        "UP",
                        "conviction 41%",
                        "+0.08%",
                        "Inside (26,172–26,281)",
                        "0.74×",
                    ],
                ),
                ("dir-spot", vec!["26,209.65", "−5.90", "26,215.55"]),
                (
                    "dir-vix",
                    vec![
                        "11.24",
                        "−0.55",
                        "Why: newest India VIX bar is from 13:10 IST",
                    ],
                ),
                (
                    "dir-t1",
                    vec!["▲ UP", "conviction 41%", "Beats climatology (BSS +0.021)"],
                ),
                ("dir-t3", vec!["NEUTRAL", "27%"]),
                ("dir-t5", vec!["UP", "45%"]),
                ("dir-t10", vec!["47%"]),
                ("dir-t20", vec!["50%"]),
                ("dir-t40", vec!["NEUTRAL", "No demonstrated skill"]),
                ("dir-risk", vec!["0.34", "12%"]),
                ("dir-regime", vec!["Low vol bull", "78%"]),
                ("direction-help", vec!["Click any tile"]),
            ],
        ),
        (
            "sellers",
            vec![
                ("sel-range", vec!["25,900 – 26,500", "4.1% / 4.6%", "garch"]),
                (
                    "sel-maxpain",
                    vec!["no option chain is stored", "aegis fetch --chain"],
                ),
                ("sel-stress", vec!["27 / 100", "Calm", "±237 pts"]),
                ("sel-trap", vec!["Medium", "31%", "36%", "+1.44"]),
                ("sel-skew", vec!["no option chain is stored"]),
                (
                    "sel-regime",
                    vec!["Calm", "India VIX 11.24 is in the bottom 7%"],
                ),
                ("sel-breach", vec!["model", "history"]),
                ("sel-hitrate", vec!["90.3%", "2,178 / 2,412"]),
                ("sel-flag", vec!["CAUTION", "Expiry in 2 trading days"]),
                ("sel-spot", vec!["26,209.65", "310 pts below"]),
                ("sel-vix", vec!["11.24", "premium carries a cushion"]),
                ("sellers-help", vec!["Click any tile"]),
            ],
        ),
        (
            "buyers",
            vec![
                ("buy-breakout", vec!["19 / 100", "Low", "24%"]),
                ("buy-bias", vec!["UP 57%", "DOWN 43%"]),
                ("buy-theta", vec!["Don't waste premium", "36%", "318.5"]),
                ("buy-next5", vec!["D+2", "33%", "High"]),
                ("buy-gamma", vec!["09:15–09:45", "20 sessions"]),
                ("buy-regime", vec!["Mean revert", "0.81", "17.6"]),
                ("buy-spikehit", vec!["41%", "583"]),
                ("buy-levels", vec!["26,310.45", "25,842.95", "call wall"]),
                (
                    "buy-env",
                    vec!["Speculative only", "Straddle edge probability 0.36"],
                ),
                ("buy-spot", vec!["26,209.65"]),
                ("buy-vix", vec!["11.24", "9% (Low)"]),
                ("buyers-help", vec!["Click any tile"]),
            ],
        ),
    ]
}

/// An `alerts.json` as `aegis run` writes it (`aegis::alerts::after_run`), with the VIX rule
/// `active` or `inactive`.
fn alerts_document(active: bool) -> Value {
    let (state, events) = if active {
        (
            "active",
            json!([{
                "at": "2025-11-28T13:55:00+05:30",
                "data_as_of": "2025-11-28T13:55:00+05:30",
                "rule": "India VIX up more than 10% on the day",
                "condition": "market.vix.change_pct > 10",
                "value": 12.5,
                "against": 10.0,
                "delivery": "sent"
            }]),
        )
    } else {
        ("inactive", json!([]))
    };
    json!({
        "generated_at": "2025-11-28T13:55:00+05:30",
        "webhook": true,
        "rules": [{
            "rule": "India VIX up more than 10% on the day",
            "condition": "market.vix.change_pct > 10",
            "state": state,
            "active_since": if active { json!("2025-11-28T13:55:00+05:30") } else { Value::Null },
            "value": if active { 12.5 } else { 3.0 },
            "against": 10.0,
            "reason": null
        }],
        "events": events
    })
}

#[tokio::test]
async fn an_alert_that_fires_shows_on_the_dashboard_after_a_refresh() {
    let _one = lock().await;
    let site = Site::start().await;
    let alerts = site.dir.path().join("out").join("alerts.json");
    std::fs::write(&alerts, alerts_document(false).to_string()).unwrap();
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("")).await;
    let none = b
        .js("return document.querySelectorAll('[data-banner=alert]').length;")
        .await;
    assert_eq!(none, json!(0), "no active rule, no alert banner");
    // The next run finds VIX up 12.5 %: the rule turns active and fires.
    std::fs::write(&alerts, alerts_document(true).to_string()).unwrap();
    b.click("#refresh").await;
    b.wait("document.querySelector('[data-banner=alert]')")
        .await;
    let text = b.text("[data-banner=alert]").await;
    for t in [
        "India VIX up more than 10% on the day",
        "market.vix.change_pct > 10",
        "value 12.5",
        "webhook sent",
    ] {
        assert!(text.contains(t), "alert banner lacks `{t}`:\n{text}");
    }
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    b.close().await;
}

#[tokio::test]
async fn every_tab_renders_every_tile_with_the_payload_values() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("")).await;
    let first_render = b
        .js("const e = performance.getEntriesByName('aegis-first-render')[0]; return e ? e.startTime : null;")
        .await;
    eprintln!(
        "time to first render on loopback: {first_render} ms (performance.mark after the first tiles)"
    );
    for (view, tiles) in expected_tiles() {
        b.select_view(view).await;
        let ids = b
            .js("return [...document.querySelectorAll('#grid .tile')].map(t => t.dataset.tile);")
            .await;
        let ids: Vec<&str> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let want: Vec<&str> = tiles.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, want, "tiles of the {view} tab");
        for (id, texts) in &tiles {
            let text = b.text(&format!("[data-tile='{id}']")).await;
            for t in texts {
                assert!(
                    text.contains(t),
                    "tile {id} should show `{t}`; it shows:\n{text}"
                );
            }
            if !id.ends_with("-help") {
                // Every data tile shows its provenance and age in its footer.
                let prov = b.text(&format!("[data-tile='{id}'] .prov")).await;
                assert!(
                    prov.contains(" ago")
                        || prov.contains("just now")
                        || prov.contains("no data time"),
                    "tile {id} provenance: {prov}"
                );
            }
        }
        // Charts drawn by Chartist are in the page (after its deferred initialisation).
        b.wait("document.querySelectorAll('#grid .ct-line, #grid .ct-bar').length > 0")
            .await;
    }
    // The line charts render without any CSP violation (the attr shim works).
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    // Model provenance names the model and version.
    b.select_view("direction").await;
    let prov = b.text("[data-tile='dir-t1'] .prov").await;
    assert!(prov.contains("direction_h1@4"), "{prov}");
    b.close().await;
}

#[tokio::test]
async fn clicking_any_tile_opens_its_help_and_escape_closes_it() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("")).await;
    for view in VIEWS {
        b.select_view(view).await;
        let ids = b
            .js("return [...document.querySelectorAll('#grid .tile')].map(t => t.dataset.tile);")
            .await;
        for id in ids.as_array().unwrap() {
            let id = id.as_str().unwrap();
            b.click(&format!("[data-tile='{id}'] .tile-title")).await;
            b.wait("document.getElementById('help-dialog')").await;
            let dialog = b.client.find(Locator::Css("#help-dialog")).await.unwrap();
            assert_eq!(
                dialog.attr("aria-modal").await.unwrap().as_deref(),
                Some("true")
            );
            let text = dialog.text().await.unwrap();
            for part in [
                "What it shows",
                "How to read it",
                "How a trader might use it",
                "Method",
            ] {
                // Headings are upper-cased by CSS in the rendered text.
                assert!(
                    text.to_lowercase().contains(&part.to_lowercase()),
                    "help of {id} lacks `{part}`:\n{text}"
                );
            }
            assert!(text.len() > 400, "help of {id} is too short:\n{text}");
            // Focus moved into the dialog; the page behind is inert.
            assert_eq!(b.js("return document.getElementById('help-dialog').contains(document.activeElement);").await, Value::Bool(true));
            assert_eq!(
                b.js("return document.getElementById('page').inert;").await,
                Value::Bool(true)
            );
            b.client
                .active_element()
                .await
                .unwrap()
                .send_keys("\u{e00c}")
                .await
                .unwrap();
            b.wait(
                "!document.getElementById('help-dialog') && !document.getElementById('page').inert",
            )
            .await;
        }
    }
    // The help button is a real button that opens the same pop-up.
    b.click("[data-tile='buy-gamma'] .help-btn").await;
    b.wait("document.getElementById('help-dialog')").await;
    assert!(b.text("#help-dialog").await.contains("13 half-hour blocks"));
    b.click("#help-dialog .modal-close").await;
    b.wait("!document.getElementById('help-dialog')").await;
    b.close().await;
}

#[tokio::test]
async fn disclaimer_blocks_until_understood_and_returns_after_two_days() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.client.goto(&site.url("")).await.unwrap();
    b.wait("document.getElementById('disclaimer')").await;
    let d = b.client.find(Locator::Css("#disclaimer")).await.unwrap();
    assert_eq!(d.attr("role").await.unwrap().as_deref(), Some("dialog"));
    assert_eq!(d.attr("aria-modal").await.unwrap().as_deref(), Some("true"));
    assert!(d.text().await.unwrap().contains("not investment advice"));
    // It blocks the page: a click on a tab does not get through.
    let _ = b
        .client
        .find(Locator::Css("#tab-buyers"))
        .await
        .unwrap()
        .click()
        .await;
    assert_eq!(
        b.js("return document.getElementById('tab-buyers').getAttribute('aria-selected');")
            .await,
        json!("false")
    );
    // Neither Escape nor a click on the backdrop closes it; there is no close button.
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    b.js("document.querySelector('.modal-backdrop').click(); return null;")
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        b.js("return Boolean(document.getElementById('disclaimer'));")
            .await,
        json!(true)
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#disclaimer .modal-close').length;")
            .await,
        json!(0)
    );
    b.click("#disclaimer-accept").await;
    b.wait("!document.getElementById('disclaimer')").await;
    b.select_view("buyers").await;
    // Remembered: not shown after a reload.
    b.client.refresh().await.unwrap();
    b.wait("document.querySelectorAll('#grid .tile').length === 12")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.js("return Boolean(document.getElementById('disclaimer'));")
            .await,
        json!(false)
    );
    // Accepted three days ago: shown again.
    b.js("localStorage.setItem('aegis.disclaimerAcceptedAt', String(Date.now() - 3 * 24 * 3600 * 1000)); return null;").await;
    b.client.refresh().await.unwrap();
    b.wait("document.getElementById('disclaimer')").await;
    b.close().await;
}

#[tokio::test]
async fn theme_toggles_and_persists_across_reload() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("")).await;
    let bg = "return getComputedStyle(document.body).backgroundColor;";
    let tile_bg = "return getComputedStyle(document.querySelector('.tile')).backgroundColor;";
    assert_eq!(
        b.js("return document.documentElement.dataset.theme;").await,
        json!("dark")
    );
    assert_eq!(b.js(bg).await, json!("rgb(8, 16, 21)"));
    assert_eq!(b.js(tile_bg).await, json!("rgb(14, 20, 28)"));
    b.click("#theme-toggle").await;
    assert_eq!(
        b.js("return document.documentElement.dataset.theme;").await,
        json!("light")
    );
    assert_eq!(b.js(bg).await, json!("rgb(247, 251, 254)"));
    assert_eq!(b.js(tile_bg).await, json!("rgb(255, 255, 255)"));
    b.client.refresh().await.unwrap();
    b.wait("document.querySelectorAll('#grid .tile').length === 12")
        .await;
    assert_eq!(
        b.js("return document.documentElement.dataset.theme;").await,
        json!("light")
    );
    assert_eq!(b.js(bg).await, json!("rgb(247, 251, 254)"));
    // The up colour follows the theme.
    assert_eq!(
        b.js("return getComputedStyle(document.documentElement).getPropertyValue('--up').trim();")
            .await,
        json!("#1FA378")
    );
    b.click("#theme-toggle").await;
    assert_eq!(b.js(bg).await, json!("rgb(8, 16, 21)"));
    b.close().await;
}

#[tokio::test]
async fn unavailable_and_stale_metrics_say_why_and_what_to_do() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("#sellers")).await;
    b.wait("document.getElementById('view').dataset.view === 'sellers'")
        .await;
    let tile = b
        .client
        .find(Locator::Css("[data-tile='sel-maxpain']"))
        .await
        .unwrap();
    assert_eq!(
        tile.attr("data-status").await.unwrap().as_deref(),
        Some("unavailable")
    );
    let text = tile.text().await.unwrap();
    assert!(text.contains("Why: no option chain is stored"), "{text}");
    assert!(text.contains("Fix: aegis fetch --chain"), "{text}");
    // Banners: degraded health lists the unavailable metrics, stale data the stale one.
    let banners = b.text("#banners").await;
    assert!(
        banners.contains("Health: degraded — 2 metrics are unavailable"),
        "{banners}"
    );
    assert!(banners.contains("seller.expiries[0].max_pain"), "{banners}");
    assert!(
        banners.contains("Stale data") && banners.contains("market.vix"),
        "{banners}"
    );
    // Another expiry has a chain: the max pain and its curve appear.
    b.js("const s = document.getElementById('expiry-select'); s.value = '1'; s.dispatchEvent(new Event('change')); return null;").await;
    b.wait("document.querySelector(\"[data-tile='sel-maxpain']\").dataset.status === 'ok'")
        .await;
    let text = b.text("[data-tile='sel-maxpain']").await;
    assert!(
        text.contains("26,100") && text.contains("zone 26,000 – 26,200") && text.contains("1.12"),
        "{text}"
    );
    b.wait("document.querySelectorAll(\"[data-tile='sel-maxpain'] .ct-area\").length > 0")
        .await;
    assert!(
        b.text("[data-tile='sel-skew']")
            .await
            .contains("RR25 −2.87")
    );
    let shots = target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(
        shots.join("sellers-expiry2-dark.png"),
        b.client.screenshot().await.unwrap(),
    )
    .unwrap();
    // A simulated payload written while the page is open shows its banner after a refresh.
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(site.payload_path()).unwrap()).unwrap();
    v["meta"]["simulated"] = json!(true);
    aegis_payload::write_file_atomic(
        &site.payload_path(),
        serde_json::to_string(&v).unwrap().as_bytes(),
    )
    .unwrap();
    b.click("#refresh").await;
    b.wait("document.querySelector('[data-banner=simulated]')")
        .await;
    // A broken payload: the last good one stays on screen, with an error banner naming the fix.
    std::fs::write(site.payload_path(), "{ broken").unwrap();
    b.click("#refresh").await;
    b.wait("document.querySelector('[data-banner=error]')")
        .await;
    let banners = b.text("#banners").await;
    assert!(
        banners.contains("is not valid JSON") && banners.contains("aegis run"),
        "{banners}"
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#grid .tile').length;")
            .await,
        json!(12)
    );
    b.close().await;
}

#[tokio::test]
async fn narrow_phone_viewport_never_scrolls_sideways() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start_with(390, 844, true).await;
    b.open_dashboard(&site.url("")).await;
    assert_eq!(b.js("return window.innerWidth;").await, json!(390));
    for view in VIEWS {
        b.select_view(view).await;
        b.wait("document.querySelectorAll('#grid .ct-line, #grid .ct-bar').length > 0")
            .await;
        let dims = b.js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];").await;
        let (sw, cw) = (dims[0].as_u64().unwrap(), dims[1].as_u64().unwrap());
        assert!(
            sw <= cw,
            "{view}: scrollWidth {sw} > clientWidth {cw} at 390 px"
        );
        let wide = b
            .js("return [...document.querySelectorAll('#page *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).map(e => e.tagName + '.' + e.className).slice(0, 5);")
            .await;
        assert_eq!(wide, json!([]), "{view}: elements overflow the viewport");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{view}-phone-dark.png")),
            b.client.screenshot().await.unwrap(),
        )
        .unwrap();
    }
    b.close().await;
}

#[tokio::test]
async fn screenshots_of_every_tab_in_both_themes() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1900).await;
    b.open_dashboard(&site.url("")).await;
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for theme in ["dark", "light"] {
        if b.js("return document.documentElement.dataset.theme;").await != json!(theme) {
            b.click("#theme-toggle").await;
        }
        for view in VIEWS {
            b.select_view(view).await;
            b.wait("document.querySelectorAll('#grid .ct-line, #grid .ct-bar').length > 0")
                .await;
            let png = b.client.screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"), "a PNG");
            let path = dir.join(format!("{view}-{theme}.png"));
            std::fs::write(&path, png).unwrap();
            eprintln!("wrote {}", path.display());
        }
    }
    b.close().await;
}

#[tokio::test]
async fn model_report_and_history_pages_render() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.client.goto(&site.url("models.html")).await.unwrap();
    // A first visit to any page shows the disclaimer.
    b.wait("document.getElementById('disclaimer-accept')").await;
    b.click("#disclaimer-accept").await;
    b.wait("document.querySelector('[data-model=direction_h1]')")
        .await;
    let card = b.text("[data-model=direction_h1]").await;
    for t in [
        "direction_h1@4",
        "2011-01-03 → 2025-11-20",
        "Logistic baseline",
        "0.0209",
        "Beats climatology",
        "9f2c4e1ab07d3356",
        // Skill per year from the file's walk-forward rows (two in 2023, two in 2024).
        "Skill over time (per year)",
    ] {
        assert!(card.contains(t), "model card lacks `{t}`:\n{card}");
    }
    b.wait(
        "document.querySelector('[data-model=direction_h1] [aria-label*=\"n = 2, 2\"] .ct-line')",
    )
    .await;
    b.wait("document.querySelectorAll('[data-model=direction_h1] .ct-line').length >= 5")
        .await;
    let shots = target_dir().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(
        shots.join("models-dark.png"),
        b.client.screenshot().await.unwrap(),
    )
    .unwrap();
    b.client.goto(&site.url("history.html")).await.unwrap();
    b.wait("document.querySelector(\"[data-metric='market.spot'] .ct-line\")")
        .await;
    std::fs::write(
        shots.join("history-dark.png"),
        b.client.screenshot().await.unwrap(),
    )
    .unwrap();
    let spot = b.text("[data-metric='market.spot']").await;
    assert!(
        spot.contains("2 of 2 runs") && spot.contains("26,209.65"),
        "{spot}"
    );
    let mp = b
        .js("return document.querySelectorAll('[data-metric]').length;")
        .await;
    assert_eq!(mp, json!(aegis_dashboard::HISTORY_METRICS.len()));
    b.wait("document.querySelector(\"[data-flow='fii_dii'] .ct-line\")")
        .await;
    let flows = b.text("[data-flow='fii_dii']").await;
    assert!(
        flows.contains("2 sessions") && flows.contains("latest 2025-11-25: FII -2,274.42"),
        "{flows}"
    );
    assert!(
        b.text("[data-flow='participants']")
            .await
            .contains("aegis fetch --reports"),
        "no participant report stored: the card says how to get one"
    );
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    b.close().await;
}

#[tokio::test]
async fn static_export_works_from_a_plain_static_server() {
    let _one = lock().await;
    let site = Site::start().await; // for its fixture files only
    let export_dir = tempfile::tempdir().unwrap();
    let report = aegis_dashboard::export(
        export_dir.path(),
        &site.dir.path().join("out"),
        &site.dir.path().join("aegis.db"),
        &site.dir.path().join("models"),
    )
    .unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let port = plain_static_server(export_dir.path().to_path_buf());
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&format!("http://127.0.0.1:{port}/")).await;
    assert!(b.text("[data-tile='dir-spot']").await.contains("26,209.65"));
    b.select_view("sellers").await;
    assert!(
        b.text("[data-tile='sel-range']")
            .await
            .contains("25,900 – 26,500")
    );
    b.select_view("buyers").await;
    assert!(
        b.text("[data-tile='buy-breakout']")
            .await
            .contains("19 / 100")
    );
    b.client
        .goto(&format!("http://127.0.0.1:{port}/models.html"))
        .await
        .unwrap();
    b.wait("document.querySelector('[data-model=direction_h1] .ct-line')")
        .await;
    b.client
        .goto(&format!("http://127.0.0.1:{port}/history.html"))
        .await
        .unwrap();
    b.wait("document.querySelector(\"[data-metric='market.spot'] .ct-line\")")
        .await;
    b.close().await;
}

/// Adds NIFTY BANK (the fixture with its symbol and a few values changed, one stored run) and
/// a failed FINNIFTY without a payload to the site, with the manifest that lists all three.
fn add_bank_and_failed_finnifty(site: &Site) {
    use aegis_model::Symbol;
    use aegis_payload::indices::{
        IndexEntry, PayloadOnDisk, RunState, index_dir, record_run, relative_dir,
    };
    let out = site.dir.path().join("out");
    let mut bank: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    bank["market"]["symbol"] = json!("NIFTYBANK");
    bank["market"]["spot"]["value"] = json!(59123.45);
    bank["market"]["spot"]["prev_close"] = json!(58900.05);
    let dir = index_dir(&out, Symbol::NiftyBank);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(aegis_payload::PAYLOAD_FILE), bank.to_string()).unwrap();
    let payload: aegis_payload::Payload = serde_json::from_value(bank).unwrap();
    let t = payload.meta.generated_at;
    let entry = |symbol: Symbol, state, message: &str, payload: bool| IndexEntry {
        symbol,
        name: symbol.display_name().into(),
        dir: relative_dir(symbol),
        last_run_at: t,
        state,
        message: message.into(),
        payload: payload.then_some(PayloadOnDisk {
            generated_at: t,
            data_as_of: t,
        }),
    };
    record_run(
        &out,
        entry(Symbol::Nifty50, RunState::Ok, "payload written", true),
    )
    .unwrap();
    record_run(
        &out,
        entry(Symbol::NiftyBank, RunState::Ok, "payload written", true),
    )
    .unwrap();
    record_run(
        &out,
        entry(
            Symbol::FinNifty,
            RunState::Failed,
            "no FINNIFTY daily bars in the store; fetch them with `aegis fetch --index FINNIFTY`",
            false,
        ),
    )
    .unwrap();
    // One NIFTY BANK run in the store, for its history.
    let mut store = aegis_store::Store::open(site.dir.path().join("aegis.db")).unwrap();
    let at = payload.meta.data_as_of.with_timezone(&chrono::Utc);
    let run = store
        .record_run(&aegis_store::RunRecord {
            symbol: Symbol::NiftyBank,
            started_at: at,
            finished_at: Some(at),
            status: aegis_store::RunStatus::Ok,
            exit_code: Some(0),
            message: None,
            payload_sha256: None,
        })
        .unwrap();
    store
        .store_payload(
            run,
            at,
            at,
            &aegis_payload::to_json(&payload),
            &aegis_payload::metric_points(&payload),
        )
        .unwrap();
}

#[tokio::test]
async fn the_index_selector_switches_every_view_and_is_kept_in_the_url() {
    let _one = lock().await;
    let site = Site::start().await;
    add_bank_and_failed_finnifty(&site);
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("")).await;
    // NIFTY 50 first, with the three indices listed; FINNIFTY failed, disabled, its message in
    // its title.
    assert_eq!(b.text(".brand-sub").await, "NIFTY 50 options intelligence");
    assert!(b.text("[data-tile='dir-spot']").await.contains("26,209.65"));
    let options = b
        .js("return [...document.querySelectorAll('#index-select option')].map(o => [o.value, o.textContent, o.disabled, o.title]);")
        .await;
    let options = options.as_array().unwrap();
    assert_eq!(options.len(), 3, "{options:?}");
    assert_eq!(options[0][0], "NIFTY50");
    assert_eq!(options[1][1], "NIFTY BANK");
    let fin = &options[2];
    assert_eq!(fin[0], "FINNIFTY");
    assert_eq!(fin[1], "NIFTY FIN SERVICE — failed (no data)");
    assert_eq!(fin[2], true, "an index without a payload cannot be chosen");
    assert!(
        fin[3]
            .as_str()
            .unwrap()
            .contains("no FINNIFTY daily bars in the store"),
        "{fin:?}"
    );
    // Switch with the selector.
    b.client
        .find(Locator::Css("#index-select"))
        .await
        .unwrap()
        .select_by_value("NIFTYBANK")
        .await
        .unwrap();
    b.wait("document.querySelector(\"[data-tile='dir-spot']\") && document.querySelector(\"[data-tile='dir-spot']\").textContent.includes('59,123.45')")
        .await;
    let spot = b.text("[data-tile='dir-spot']").await;
    assert!(
        spot.contains("58,900.05"),
        "NIFTY BANK's previous close: {spot}"
    );
    assert_eq!(
        b.text(".brand-sub").await,
        "NIFTY BANK options intelligence"
    );
    let title = b.js("return document.title;").await;
    assert!(title.as_str().unwrap().contains("NIFTY BANK"), "{title}");
    let url = b.client.current_url().await.unwrap();
    assert!(url.as_str().contains("index=NIFTYBANK"), "{url}");
    // Tabs keep the index; the sellers' spot is NIFTY BANK's too.
    b.select_view("sellers").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("index=NIFTYBANK#sellers")
    );
    assert!(b.text("[data-tile='sel-spot']").await.contains("59,123.45"));
    // Help texts name the index; India VIX's says it is NIFTY 50's implied vol.
    b.select_view("direction").await;
    b.click("[data-tile='dir-spot'] .help-btn").await;
    b.wait("document.getElementById('help-dialog')").await;
    let help = b.text("#help-dialog").await;
    assert!(help.contains("The latest NIFTY BANK level"), "{help}");
    b.click("#help-dialog .modal-close").await;
    b.wait("!document.getElementById('help-dialog')").await;
    b.click("[data-tile='dir-vix'] .help-btn").await;
    b.wait("document.getElementById('help-dialog')").await;
    let help = b.text("#help-dialog").await;
    assert!(
        help.contains("NIFTY 50's implied volatility, not NIFTY BANK's"),
        "{help}"
    );
    b.click("#help-dialog .modal-close").await;
    b.wait("!document.getElementById('help-dialog')").await;
    // A reload keeps the index (the URL carries it).
    b.client.refresh().await.unwrap();
    b.wait("document.querySelector(\"[data-tile='dir-spot']\") && document.querySelector(\"[data-tile='dir-spot']\").textContent.includes('59,123.45')")
        .await;
    assert_eq!(
        b.js("return document.getElementById('index-select').value;")
            .await,
        json!("NIFTYBANK")
    );
    // So do the links to the other pages, and the history there is NIFTY BANK's.
    let href = b.js("return document.querySelector('footer a[href^=\"history.html\"]').getAttribute('href');").await;
    assert_eq!(href, json!("history.html?index=NIFTYBANK"));
    b.client
        .goto(&site.url("history.html?index=NIFTYBANK"))
        .await
        .unwrap();
    b.wait("document.querySelector(\"[data-metric='market.spot'] h2\")")
        .await;
    let card = b.text("[data-metric='market.spot']").await;
    assert!(
        card.contains("NIFTY BANK spot")
            && card.contains("1 of 1 runs")
            && card.contains("59,123.45"),
        "{card}"
    );
    assert_eq!(
        b.js("return document.getElementById('index-select').value;")
            .await,
        json!("NIFTYBANK")
    );
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    b.close().await;
}

#[tokio::test]
async fn a_failed_index_chosen_by_url_says_why_and_an_unlisted_one_falls_back() {
    let _one = lock().await;
    let site = Site::start().await;
    add_bank_and_failed_finnifty(&site);
    let b = Browser::start(1280, 1000).await;
    b.client.goto(&site.url("?index=FINNIFTY")).await.unwrap();
    b.wait("document.getElementById('disclaimer-accept')").await;
    b.click("#disclaimer-accept").await;
    b.wait("document.querySelector('[data-banner=index]')")
        .await;
    let banner = b.text("[data-banner=index]").await;
    assert!(
        banner.contains("NIFTY FIN SERVICE: the last run failed")
            && banner.contains("aegis fetch --index FINNIFTY")
            && banner.contains("no payload for this index"),
        "{banner}"
    );
    b.wait("document.querySelector('[data-banner=error]')")
        .await;
    assert!(
        b.text("[data-banner=error]")
            .await
            .contains("indices/FINNIFTY")
    );
    // An index the site does not list: NIFTY 50, and a banner that says so.
    b.client
        .goto(&site.url("?index=MIDCAPSELECT"))
        .await
        .unwrap();
    b.wait("document.querySelectorAll('#grid .tile').length === 12")
        .await;
    assert!(
        b.text("[data-banner=index]")
            .await
            .contains("MIDCAPSELECT is not listed")
    );
    assert_eq!(b.text(".brand-sub").await, "NIFTY 50 options intelligence");
    b.close().await;
}

#[tokio::test]
async fn without_a_manifest_there_is_no_selector() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&site.url("")).await;
    assert_eq!(
        b.js("return document.getElementById('index-picker').hidden;")
            .await,
        json!(true)
    );
    assert!(
        !b.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("index=")
    );
    assert_eq!(b.text(".brand-sub").await, "NIFTY 50 options intelligence");
    b.close().await;
}

#[tokio::test]
async fn an_exported_site_has_every_index_and_the_selector() {
    let _one = lock().await;
    let site = Site::start().await; // for its fixture files only
    add_bank_and_failed_finnifty(&site);
    let export_dir = tempfile::tempdir().unwrap();
    let report = aegis_dashboard::export(
        export_dir.path(),
        &site.dir.path().join("out"),
        &site.dir.path().join("aegis.db"),
        &site.dir.path().join("models"),
    )
    .unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("NIFTY FIN SERVICE has no payload")),
        "{:?}",
        report.warnings
    );
    let port = plain_static_server(export_dir.path().to_path_buf());
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&format!("http://127.0.0.1:{port}/?index=NIFTYBANK"))
        .await;
    b.wait("document.querySelector(\"[data-tile='dir-spot']\").textContent.includes('59,123.45')")
        .await;
    assert_eq!(
        b.text(".brand-sub").await,
        "NIFTY BANK options intelligence"
    );
    b.client
        .find(Locator::Css("#index-select"))
        .await
        .unwrap()
        .select_by_value("NIFTY50")
        .await
        .unwrap();
    b.wait("document.querySelector(\"[data-tile='dir-spot']\") && document.querySelector(\"[data-tile='dir-spot']\").textContent.includes('26,209.65')")
        .await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("index=NIFTY50")
    );
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    b.close().await;
}
