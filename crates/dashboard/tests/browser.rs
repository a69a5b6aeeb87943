//! Browser tests in Debian's Chromium, driven through chromedriver (WebDriver) with fantoccini.
//!
//! Each test starts the dashboard server in-process on 127.0.0.1:0 with the fixture payload, a
//! temporary store holding two runs and the fixture model file, then a chromedriver on a free
//! loopback port and a headless Chromium with a fresh profile. Tests take turns (one Chromium at
//! a time: the machine has two cores). Without Chromium they fail, saying what to install.

mod common;
use common::browser::{Browser, lock};
use common::{Site, runs};

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/payload.json");
/// The toolkit document of the Chain and Strategy tabs (see browser_toolkit.rs).
const TOOLKIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/toolkit.json");
const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/models/direction_h1.json"
);
const VIEWS: [&str; 3] = ["direction", "sellers", "buyers"];

/// What the dashboard's pages add to a browser session.
impl Browser {
    /// Waits for the disclaimer and accepts it.
    async fn accept_disclaimer(&self) {
        self.wait("document.getElementById('disclaimer-accept')")
            .await;
        self.click("#disclaimer-accept").await;
    }

    /// Opens `url` and dismisses the disclaimer, then waits for the tiles.
    async fn open_dashboard(&self, url: &str) {
        self.goto(url).await;
        self.accept_disclaimer().await;
        self.wait("!document.getElementById('disclaimer') && document.querySelectorAll('#grid .tile').length === 12").await;
    }

    /// The value of the index selector.
    async fn index_chosen(&self) -> Value {
        self.js("return document.getElementById('index-select').value;")
            .await
    }

    /// Clicks `button`, waits for the help pop-up, reads its text and closes it with its close
    /// button.
    async fn help_text(&self, button: &str) -> String {
        self.click(button).await;
        self.wait("document.getElementById('help-dialog')").await;
        let help = self.text("#help-dialog").await;
        self.click("#help-dialog .modal-close").await;
        self.wait("!document.getElementById('help-dialog')").await;
        help
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

impl Site {
    /// The dashboard server with the fixture data: payload, toolkit document, model file and a
    /// store seeded by [`seed_store`].
    async fn start() -> Site {
        Site::start_with(|dir| {
            let out = dir.join("out");
            std::fs::copy(FIXTURE, out.join(aegis_payload::PAYLOAD_FILE)).unwrap();
            std::fs::copy(TOOLKIT, out.join(aegis_toolkit::TOOLKIT_FILE)).unwrap();
            std::fs::copy(MODEL, dir.join("models").join("direction_h1.json")).unwrap();
            seed_store(&dir.join("aegis.db"));
        })
        .await
    }

    fn payload_path(&self) -> PathBuf {
        self.dir
            .path()
            .join("out")
            .join(aegis_payload::PAYLOAD_FILE)
    }
}

/// Two runs of the fixture payload, a day apart, with different spot values.
fn seed_store(path: &Path) {
    use aegis_model::Symbol;
    runs::store_spot_runs(
        path,
        &[
            (Symbol::Nifty50, 26100.5, -1),
            (Symbol::Nifty50, 26209.65, 0),
        ],
    );
    let mut store = aegis_store::Store::open(path).unwrap();
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
            let dialog = b.find("#help-dialog").await;
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
            b.press_escape().await;
            b.wait(
                "!document.getElementById('help-dialog') && !document.getElementById('page').inert",
            )
            .await;
        }
    }
    // The help button is a real button that opens the same pop-up.
    assert!(
        b.help_text("[data-tile='buy-gamma'] .help-btn")
            .await
            .contains("13 half-hour blocks")
    );
    b.close().await;
}

#[tokio::test]
async fn disclaimer_blocks_until_understood_and_returns_after_two_days() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1000).await;
    b.goto(&site.url("")).await;
    b.wait("document.getElementById('disclaimer')").await;
    let d = b.find("#disclaimer").await;
    assert_eq!(d.attr("role").await.unwrap().as_deref(), Some("dialog"));
    assert_eq!(d.attr("aria-modal").await.unwrap().as_deref(), Some("true"));
    assert!(d.text().await.unwrap().contains("not investment advice"));
    // It blocks the page: a click on a tab does not get through.
    let _ = b.find("#tab-buyers").await.click().await;
    assert_eq!(
        b.js("return document.getElementById('tab-buyers').getAttribute('aria-selected');")
            .await,
        json!("false")
    );
    // Neither Escape nor a click on the backdrop closes it; there is no close button.
    b.press_escape().await;
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
    b.reload().await;
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
    b.reload().await;
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
    b.reload().await;
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
    let tile = b.find("[data-tile='sel-maxpain']").await;
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
    b.screenshot("sellers-expiry2-dark.png").await;
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
        b.screenshot(&format!("{view}-phone-dark.png")).await;
    }
    b.close().await;
}

#[tokio::test]
async fn screenshots_of_every_tab_in_both_themes() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = Browser::start(1280, 1900).await;
    b.open_dashboard(&site.url("")).await;
    for theme in ["dark", "light"] {
        if b.js("return document.documentElement.dataset.theme;").await != json!(theme) {
            b.click("#theme-toggle").await;
        }
        for view in VIEWS {
            b.select_view(view).await;
            b.wait("document.querySelectorAll('#grid .ct-line, #grid .ct-bar').length > 0")
                .await;
            let path = b.screenshot(&format!("{view}-{theme}.png")).await;
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
    b.goto(&site.url("models.html")).await;
    // A first visit to any page shows the disclaimer.
    b.accept_disclaimer().await;
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
    b.screenshot("models-dark.png").await;
    b.goto(&site.url("history.html")).await;
    b.wait("document.querySelector(\"[data-metric='market.spot'] .ct-line\")")
        .await;
    b.screenshot("history-dark.png").await;
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
    let (_export, report, port) = site.export_and_serve();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
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
    b.goto(&format!("http://127.0.0.1:{port}/models.html"))
        .await;
    b.wait("document.querySelector('[data-model=direction_h1] .ct-line')")
        .await;
    b.goto(&format!("http://127.0.0.1:{port}/history.html"))
        .await;
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
    runs::store_ok_run(&mut store, Symbol::NiftyBank, &payload, at);
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
    b.select("#index-select", "NIFTYBANK").await;
    b.wait_text("[data-tile='dir-spot']", "59,123.45").await;
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
    let url = b.current_url().await;
    assert!(url.contains("index=NIFTYBANK"), "{url}");
    // Tabs keep the index; the sellers' spot is NIFTY BANK's too.
    b.select_view("sellers").await;
    assert!(b.current_url().await.contains("index=NIFTYBANK#sellers"));
    assert!(b.text("[data-tile='sel-spot']").await.contains("59,123.45"));
    // Help texts name the index; India VIX's says it is NIFTY 50's implied vol.
    b.select_view("direction").await;
    let help = b.help_text("[data-tile='dir-spot'] .help-btn").await;
    assert!(help.contains("The latest NIFTY BANK level"), "{help}");
    let help = b.help_text("[data-tile='dir-vix'] .help-btn").await;
    assert!(
        help.contains("NIFTY 50's implied volatility, not NIFTY BANK's"),
        "{help}"
    );
    // A reload keeps the index (the URL carries it).
    b.reload().await;
    b.wait_text("[data-tile='dir-spot']", "59,123.45").await;
    assert_eq!(b.index_chosen().await, json!("NIFTYBANK"));
    // So do the links to the other pages, and the history there is NIFTY BANK's.
    let href = b.js("return document.querySelector('footer a[href^=\"history.html\"]').getAttribute('href');").await;
    assert_eq!(href, json!("history.html?index=NIFTYBANK"));
    b.goto(&site.url("history.html?index=NIFTYBANK")).await;
    b.wait("document.querySelector(\"[data-metric='market.spot'] h2\")")
        .await;
    let card = b.text("[data-metric='market.spot']").await;
    assert!(
        card.contains("NIFTY BANK spot")
            && card.contains("1 of 1 runs")
            && card.contains("59,123.45"),
        "{card}"
    );
    assert_eq!(b.index_chosen().await, json!("NIFTYBANK"));
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    b.close().await;
}

#[tokio::test]
async fn a_failed_index_chosen_by_url_says_why_and_an_unlisted_one_falls_back() {
    let _one = lock().await;
    let site = Site::start().await;
    add_bank_and_failed_finnifty(&site);
    let b = Browser::start(1280, 1000).await;
    b.goto(&site.url("?index=FINNIFTY")).await;
    b.accept_disclaimer().await;
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
    b.goto(&site.url("?index=MIDCAPSELECT")).await;
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
    assert!(!b.current_url().await.contains("index="));
    assert_eq!(b.text(".brand-sub").await, "NIFTY 50 options intelligence");
    b.close().await;
}

#[tokio::test]
async fn an_exported_site_has_every_index_and_the_selector() {
    let _one = lock().await;
    let site = Site::start().await; // for its fixture files only
    add_bank_and_failed_finnifty(&site);
    let (_export, report, port) = site.export_and_serve();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("NIFTY FIN SERVICE has no payload")),
        "{:?}",
        report.warnings
    );
    let b = Browser::start(1280, 1000).await;
    b.open_dashboard(&format!("http://127.0.0.1:{port}/?index=NIFTYBANK"))
        .await;
    b.wait_text("[data-tile='dir-spot']", "59,123.45").await;
    assert_eq!(
        b.text(".brand-sub").await,
        "NIFTY BANK options intelligence"
    );
    b.select("#index-select", "NIFTY50").await;
    b.wait_text("[data-tile='dir-spot']", "26,209.65").await;
    assert!(b.current_url().await.contains("index=NIFTY50"));
    assert_eq!(b.csp_violations().await, Vec::<Value>::new());
    b.close().await;
}
