//! Store round trips on the real data shapes: the 1236-bar NIFTY daily file, the 655-bar
//! 5-minute file and the 778-row NSE option chain of 2025-07-16, on a file-backed store
//! (WAL, synchronous = NORMAL). Run with `cargo bench -p aegis-store --bench store`.

use std::path::PathBuf;
use std::sync::LazyLock;

use aegis_model::time::{ist, ist_date};
use aegis_model::{
    Candle, ChainRow, DailySeries, DataOrigin, Expiry, Interval, IntradaySeries, OptionChain,
    OptionQuote, Series, Symbol,
};
use aegis_store::Store;
use chrono::{NaiveDateTime, TimeZone};
use divan::Bencher;

fn main() {
    let body = serde_json::to_string(&*CHAIN).unwrap();
    println!(
        "option chain {}: {} rows, stored JSON body {} bytes ({:.0} bytes/row)",
        CHAIN.timestamp,
        CHAIN.rows.len(),
        body.len(),
        body.len() as f64 / CHAIN.rows.len() as f64
    );
    divan::main();
}

fn data_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(name)
}

/// `(UTC time, [open, high, low, close, volume])` rows of a Yahoo CSV; the last row is partial.
fn yahoo(name: &str) -> Vec<(chrono::DateTime<chrono::Utc>, [f64; 5], bool)> {
    let text = std::fs::read_to_string(data_file(name)).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let n = lines.len();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            let t = NaiveDateTime::parse_from_str(f[0], "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc();
            let v = |k: usize| f[k].parse::<f64>().unwrap();
            (t, [v(1), v(2), v(3), v(4), v(5)], i + 1 == n)
        })
        .collect()
}

fn candle<K>(key: K, v: [f64; 5], partial: bool) -> Candle<K> {
    Candle {
        key,
        open: v[0],
        high: v[1],
        low: v[2],
        close: v[3],
        volume: Some(v[4]),
        partial,
    }
}

static DAILY: LazyLock<DailySeries> = LazyLock::new(|| {
    let bars = yahoo("nifty50_daily_yahoo.csv")
        .into_iter()
        .map(|(t, v, p)| candle(ist_date(t), v, p))
        .collect();
    Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, bars).unwrap()
});

static FIVE: LazyLock<IntradaySeries> = LazyLock::new(|| {
    let bars = yahoo("nifty50_5m_yahoo.csv")
        .into_iter()
        .map(|(t, v, p)| candle(t, v, p))
        .collect();
    Series::new(
        Symbol::Nifty50,
        Interval::FiveMinute,
        DataOrigin::Yahoo,
        bars,
    )
    .unwrap()
});

static CHAIN: LazyLock<OptionChain> = LazyLock::new(|| {
    let text =
        std::fs::read_to_string(data_file("option_chain/nifty_2025-07-16_eod.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rec = &v["records"];
    let naive =
        NaiveDateTime::parse_from_str(rec["timestamp"].as_str().unwrap(), "%d-%b-%Y %H:%M:%S")
            .unwrap();
    let pos = |x: &serde_json::Value| x.as_f64().filter(|p| *p > 0.0);
    let leg = |l: &serde_json::Value| {
        (!l.is_null()).then(|| OptionQuote {
            open_interest: l["openInterest"].as_f64().unwrap(),
            change_in_oi: l["changeinOpenInterest"].as_f64().unwrap(),
            volume: l["totalTradedVolume"].as_f64().unwrap(),
            iv_percent: pos(&l["impliedVolatility"]),
            last_price: pos(&l["lastPrice"]),
            bid: pos(&l["bidprice"]),
            ask: pos(&l["askPrice"]),
        })
    };
    let rows = rec["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| ChainRow {
            expiry: r["expiryDate"].as_str().unwrap().parse::<Expiry>().unwrap(),
            strike: r["strikePrice"].as_f64().unwrap(),
            call: leg(&r["CE"]),
            put: leg(&r["PE"]),
        })
        .collect();
    OptionChain::new(
        Symbol::Nifty50,
        ist().from_local_datetime(&naive).single().unwrap(),
        rec["underlyingValue"].as_f64().unwrap(),
        vec![],
        rows,
        DataOrigin::Nse,
    )
    .unwrap()
});

/// A store in its own temporary directory, removed after the iteration.
struct TempStore {
    store: Store,
    _dir: tempfile::TempDir,
}

fn fresh() -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.sqlite")).unwrap();
    TempStore { store, _dir: dir }
}

fn loaded() -> TempStore {
    let mut t = fresh();
    t.store.upsert_daily(&DAILY).unwrap();
    t.store.upsert_intraday(&FIVE).unwrap();
    t.store.insert_chain(&CHAIN).unwrap();
    t
}

#[divan::bench(sample_count = 40, sample_size = 1)]
fn daily_upsert_into_empty_store(b: Bencher) {
    b.with_inputs(fresh)
        .bench_local_refs(|t| t.store.upsert_daily(&DAILY).unwrap());
}

#[divan::bench(sample_count = 40, sample_size = 1)]
fn daily_reimport_unchanged(b: Bencher) {
    b.with_inputs(loaded)
        .bench_local_refs(|t| t.store.upsert_daily(&DAILY).unwrap());
}

#[divan::bench(sample_count = 100)]
fn daily_read_all(b: Bencher) {
    let t = loaded();
    b.bench_local(|| t.store.daily(Symbol::Nifty50).unwrap());
}

#[divan::bench(sample_count = 40, sample_size = 1)]
fn intraday_upsert_into_empty_store(b: Bencher) {
    b.with_inputs(fresh)
        .bench_local_refs(|t| t.store.upsert_intraday(&FIVE).unwrap());
}

#[divan::bench(sample_count = 40, sample_size = 1)]
fn intraday_reimport_unchanged(b: Bencher) {
    b.with_inputs(loaded)
        .bench_local_refs(|t| t.store.upsert_intraday(&FIVE).unwrap());
}

#[divan::bench(sample_count = 100)]
fn intraday_read_all(b: Bencher) {
    let t = loaded();
    let (from, to) = (FIVE.first().unwrap().key, FIVE.last().unwrap().key);
    b.bench_local(|| {
        t.store
            .intraday(Symbol::Nifty50, Interval::FiveMinute, from, to)
            .unwrap()
    });
}

#[divan::bench(sample_count = 40, sample_size = 1)]
fn chain_insert_778_rows(b: Bencher) {
    b.with_inputs(fresh)
        .bench_local_refs(|t| t.store.insert_chain(&CHAIN).unwrap());
}

#[divan::bench(sample_count = 100)]
fn chain_load_latest_778_rows(b: Bencher) {
    let t = loaded();
    b.bench_local(|| {
        t.store
            .latest_chain(Symbol::Nifty50, None)
            .unwrap()
            .unwrap()
    });
}
