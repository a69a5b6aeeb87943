//! Browser tests of the toolkit views (Chain and Strategy tabs) in Debian's Chromium, through
//! chromedriver. The server runs in-process with the fixture payload, the fixture toolkit
//! document (generated from the saved NSE chain of 2025-07-16 by
//! `cargo run -p aegis-toolkit --example fixture`) and a store holding that chain, so that
//! `/api/strategy` prices edited legs from real quotes.

mod common;
use common::Site;
use common::browser::{Browser, lock};

use std::time::Duration;

use serde_json::{Value, json};

const PAYLOAD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/payload.json");
const TOOLKIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/toolkit.json");
const CHAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/option_chain/nifty_2025-07-16_eod.json"
);

/// The session of these tests: a 1400×1000 window, waits of up to 20 s.
async fn start_browser() -> Browser {
    let mut b = Browser::start(1400, 1000).await;
    b.wait_limit = Duration::from_secs(20);
    b
}

/// What the toolkit views add to a browser session.
impl Browser {
    /// Opens `url` and dismisses the disclaimer.
    async fn open(&self, url: &str) {
        self.goto(url).await;
        self.wait("document.getElementById('disclaimer-accept')")
            .await;
        self.js("document.getElementById('disclaimer-accept').click(); return null;")
            .await;
        self.wait("!document.getElementById('disclaimer')").await;
    }
}

impl Site {
    /// The dashboard server with the fixture payload and toolkit document, and a store holding
    /// the saved chain.
    async fn start() -> Site {
        Site::start_with(|dir| {
            let out = dir.join("out");
            std::fs::copy(PAYLOAD, out.join(aegis_payload::PAYLOAD_FILE)).unwrap();
            std::fs::copy(TOOLKIT, out.join(aegis_toolkit::TOOLKIT_FILE)).unwrap();
            let mut store = aegis_store::Store::open(dir.join("aegis.db")).unwrap();
            store
                .insert_chain(&aegis_sources::nse::import_chain_path(CHAIN).unwrap())
                .unwrap();
        })
        .await
    }
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(TOOLKIT).unwrap()).unwrap()
}

#[test]
fn the_fixture_is_a_toolkit_document() {
    let doc: aegis_toolkit::Toolkit =
        serde_json::from_str(&std::fs::read_to_string(TOOLKIT).unwrap()).unwrap();
    assert_eq!(doc.schema_version, aegis_toolkit::TOOLKIT_SCHEMA_VERSION);
    assert!(doc.explorer[0].table.value.is_some());
    // The published schema accepts it.
    let validator =
        jsonschema::validator_for(&aegis_toolkit::schema()).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&fixture())
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[tokio::test]
async fn chain_explorer_marks_the_atm_strike_and_vol_history_renders() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = start_browser().await;
    b.open(&site.url("#chain")).await;
    b.wait("document.querySelector('#explorer-table tr.atm')")
        .await;
    let fx = fixture();
    let table = &fx["explorer"][0]["table"];
    let atm = b
        .js("return Number(document.querySelector('#explorer-table tr.atm').dataset.strike);")
        .await;
    assert_eq!(atm.as_f64(), table["atm_strike"].as_f64());
    let rows = b
        .js("return document.querySelectorAll('#explorer-table tbody tr').length;")
        .await;
    assert_eq!(
        rows.as_u64(),
        Some(table["rows"].as_array().unwrap().len() as u64)
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#explorer-table tr.atm').length;")
            .await,
        json!(1)
    );
    // The max-pain row is marked when it is in the window.
    let mp = table["max_pain"].as_f64().unwrap();
    let mp_row = b
        .js(&format!("const r = document.querySelector('#explorer-table tr[data-strike=\"{mp}\"]'); return r ? r.dataset.marks : null;"))
        .await;
    assert!(mp_row.as_str().unwrap().contains("MP"), "{mp_row}");
    // OI bars, the smile, GEX with its convention, the volatility history chart and ranks.
    b.wait("document.querySelector('[data-tile=chain-oi] svg') && document.querySelector('[data-tile=chain-smile] svg')").await;
    let gex = b
        .js("return document.querySelector('[data-tile=chain-gex]').textContent;")
        .await;
    assert!(gex.as_str().unwrap().contains("calls +, puts −"), "{gex}");
    assert!(gex.as_str().unwrap().contains("₹ per 1% move"));
    assert!(gex.as_str().unwrap().contains("All expiries: ₹"), "{gex}");
    b.wait("document.querySelector('[data-tile=vol-history] svg')")
        .await;
    let vh = b
        .js("return document.querySelector('[data-tile=vol-history]').textContent;")
        .await;
    let vh = vh.as_str().unwrap();
    let n = fx["vol_history"]["vix_rank"]["n"].as_u64().unwrap();
    assert!(vh.contains(&format!("n = {n}")), "{vh}");
    // One stored chain day: the ATM IV rank says why it is unavailable.
    assert!(vh.contains("only 1 observation"), "{vh}");
    // The intraday tile says plainly that one snapshot is not a series.
    let intraday = b
        .js("return document.querySelector('[data-tile=chain-intraday]').textContent;")
        .await;
    assert!(
        intraday
            .as_str()
            .unwrap()
            .contains("a series needs at least 2"),
        "{intraday}"
    );
    b.close().await;
}

/// A figure in ₹ crore as the page writes it (`num(x / 1e7, 2)`: two decimals, Indian digit
/// grouping 1,23,456.78, hyphen-minus).
fn crore_text(rupees: f64) -> String {
    let fixed = format!("{:.2}", (rupees / 1e7).abs());
    let (int, frac) = fixed.split_once('.').unwrap();
    let mut groups = Vec::new();
    let (mut rest, last3) = int.split_at(int.len().saturating_sub(3));
    while rest.len() > 2 {
        let (head, tail) = rest.split_at(rest.len() - 2);
        groups.insert(0, tail);
        rest = head;
    }
    if !rest.is_empty() {
        groups.insert(0, rest);
    }
    groups.push(last3);
    let sign = if rupees < 0.0 && fixed != "0.00" {
        "-"
    } else {
        ""
    };
    format!("₹{sign}{}.{frac} cr", groups.join(","))
}

#[test]
fn crore_text_groups_digits_the_indian_way() {
    assert_eq!(crore_text(1.234_567_8e14), "₹1,23,45,678.00 cr");
    assert_eq!(crore_text(-4.5e9), "₹-450.00 cr");
    assert_eq!(crore_text(1.0e10), "₹1,000.00 cr");
}

#[tokio::test]
async fn the_gex_tile_follows_the_chosen_expiry_with_the_total_beside_it() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = start_browser().await;
    b.open(&site.url("#chain")).await;
    b.wait("document.getElementById('chain-expiry-select') && document.querySelector('[data-tile=chain-gex]')")
        .await;
    let fx = fixture();
    let second = &fx["gex"][1];
    let expiry = second["expiry"].as_str().unwrap();
    assert_eq!(fx["explorer"][1]["expiry"].as_str(), Some(expiry));
    b.select("#chain-expiry-select", "1").await;
    b.wait(&format!(
        "document.querySelector('[data-tile=chain-gex]').dataset.expiry === '{expiry}'"
    ))
    .await;
    let label = b
        .js("const s = document.getElementById('chain-expiry-select'); return s.options[s.selectedIndex].textContent;")
        .await;
    let tile = b
        .js("return document.querySelector('[data-tile=chain-gex]').textContent;")
        .await;
    let tile = tile.as_str().unwrap();
    // The tile names the chosen expiry as the selector does.
    assert!(
        tile.contains(label.as_str().unwrap()),
        "{label} not in {tile}"
    );
    // Its headline is that expiry's total from the document.
    let headline = b
        .js("return document.querySelector('[data-tile=chain-gex] .headline .big').textContent;")
        .await;
    let want = crore_text(
        second["gex"]["total"]
            .as_f64()
            .expect("the fixture's second expiry has a GEX"),
    );
    assert_eq!(headline.as_str(), Some(want.as_str()));
    // The all-expiries line: the summed total and how many expiries it includes.
    let line = b
        .js("return document.getElementById('gex-total-line').textContent;")
        .await;
    let line = line.as_str().unwrap();
    let total = &fx["gex_total"];
    let n = total["included"].as_array().unwrap().len();
    assert!(
        line.starts_with(&format!(
            "All expiries: {} ({n} expiries; ",
            crore_text(total["total"].as_f64().unwrap())
        )),
        "{line}"
    );
    let left_out = total["left_out"].as_array().unwrap();
    if left_out.is_empty() {
        assert!(line.contains("none left out"), "{line}");
    } else {
        for l in left_out {
            assert!(line.contains(l["reason"].as_str().unwrap()), "{line}");
        }
    }
    // The intraday tile follows the same expiry: one stored snapshot, so it says why that
    // expiry has no series.
    let intraday = &fx["intraday"][1];
    assert_eq!(intraday["expiry"].as_str(), Some(expiry));
    let tile = b
        .js("const t = document.querySelector('[data-tile=chain-intraday]'); return [t.dataset.expiry, t.textContent];")
        .await;
    assert_eq!(tile[0].as_str(), Some(expiry));
    let why = intraday["series"]["provenance"]["reason"].as_str().unwrap();
    assert!(why.contains(expiry), "{why}");
    assert!(tile[1].as_str().unwrap().contains(why), "{tile}");
    b.close().await;
}

#[tokio::test]
async fn a_preset_strategy_edited_is_recomputed_on_the_server() {
    let _one = lock().await;
    let site = Site::start().await;
    let b = start_browser().await;
    b.open(&site.url("#strategy?preset=long-straddle&vol=atm-iv"))
        .await;
    b.wait("document.getElementById('strategy-result') && document.getElementById('strategy-result').dataset.state === 'ok'").await;
    let levels = "return [...document.querySelectorAll('#strategy-breakevens .breakeven')].map((e) => Number(e.dataset.level));";
    let before = b.js(levels).await;
    let fx = fixture();
    let preset = fx["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["preset"] == "long_straddle")
        .unwrap();
    let want: Vec<f64> = preset["analysis"]["breakevens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["level"].as_f64().unwrap())
        .collect();
    let got: Vec<f64> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(got.len(), 2);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
    }
    // Edit: move the call leg (leg 0) up by 100 points.
    let strike = b
        .js("return Number(document.getElementById('leg-0-strike').value);")
        .await;
    let new_strike = strike.as_f64().unwrap() + 100.0;
    b.js(&format!(
        "const e = document.getElementById('leg-0-strike'); e.value = '{new_strike}'; e.dispatchEvent(new Event('change')); return null;"
    ))
    .await;
    b.wait(&format!("location.hash.includes('buy:call:{new_strike}')"))
        .await;
    b.wait("document.getElementById('strategy-result').dataset.state === 'ok'")
        .await;
    b.wait(&format!(
        "(() => {{ const l = [...document.querySelectorAll('#strategy-breakevens .breakeven')].map((e) => Number(e.dataset.level)); return l.length === 2 && l[1] !== {}; }})()",
        got[1]
    ))
    .await;
    let after: Vec<f64> = b
        .js(levels)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // The page shows what the server computes for the edited legs (the URL holds them).
    let server = b
        .js("return fetch('api/strategy?' + location.hash.split('?')[1]).then((r) => r.json());")
        .await;
    let legs = server["legs"].as_array().unwrap();
    let debit: f64 = legs.iter().map(|l| l["premium"].as_f64().unwrap()).sum();
    let call = legs.iter().find(|l| l["kind"] == "call").unwrap()["strike"]
        .as_f64()
        .unwrap();
    let put = legs.iter().find(|l| l["kind"] == "put").unwrap()["strike"]
        .as_f64()
        .unwrap();
    assert_eq!(call, new_strike);
    // A long strangle/straddle breaks even at put − debit and call + debit.
    assert!((after[0] - (put - debit)).abs() < 1e-6, "{after:?}");
    assert!((after[1] - (call + debit)).abs() < 1e-6, "{after:?}");
    assert!(after[1] > got[1]);
    // Bad legs get the server's reason, not a number.
    let bad = b
        .js("return fetch('api/strategy?legs=buy:call:12345:2025-07-17:1').then((r) => r.json().then((j) => [r.status, j.cause]));")
        .await;
    assert_eq!(bad[0], json!(400));
    assert!(bad[1].as_str().unwrap().contains("12345"), "{bad}");
    b.close().await;
}

#[tokio::test]
async fn an_exported_site_shows_the_precomputed_presets_and_needs_the_server_to_edit() {
    let _one = lock().await;
    let site = Site::start().await; // for its fixture files only
    let (export_dir, report, port) = site.export_and_serve();
    assert!(
        export_dir.path().join("data/toolkit.json").is_file(),
        "{report:?}"
    );
    let b = start_browser().await;
    b.open(&format!(
        "http://127.0.0.1:{port}/#strategy?preset=bull-call-spread"
    ))
    .await;
    b.wait("document.getElementById('strategy-result') && document.getElementById('strategy-result').dataset.state === 'static'").await;
    let mode = b
        .js("return document.getElementById('strategy-mode').textContent;")
        .await;
    assert!(mode.as_str().unwrap().contains("aegis serve"), "{mode}");
    assert_eq!(
        b.js("return document.getElementById('leg-0-strike').disabled;")
            .await,
        json!(true)
    );
    // The precomputed bull call spread of the fixture is shown.
    let fx = fixture();
    let preset = fx["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["preset"] == "bull_call_spread")
        .unwrap();
    let want = preset["analysis"]["breakevens"][0]["level"]
        .as_f64()
        .unwrap();
    let got = b
        .js("return Number(document.querySelector('#strategy-breakevens .breakeven').dataset.level);")
        .await;
    assert!(
        (got.as_f64().unwrap() - want).abs() < 1e-9,
        "{got} vs {want}"
    );
    b.close().await;
}
