//! Test helpers: small readers of the shared real data files (the real importers live in
//! aegis-sources, which this crate must not depend on), and a byte-level table dump.

use std::path::PathBuf;

use aegis_model::time::{ist, ist_date};
use aegis_model::{
    Candle, ChainRow, DailySeries, DataOrigin, Expiry, Interval, IntradaySeries, OptionChain,
    OptionQuote, Series, Symbol,
};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rusqlite::types::Value;

use crate::Store;

/// A file of the shared data directory.
pub(crate) fn data_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/"
    ))
    .join(name)
}

/// Rows `(UTC time, open, high, low, close, volume)` of a Yahoo CSV (`Date,Open,High,Low,Close,Volume`).
fn yahoo_rows(name: &str) -> Vec<(DateTime<Utc>, [f64; 5])> {
    let text = std::fs::read_to_string(data_file(name)).expect("shared data file");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let t = NaiveDateTime::parse_from_str(f[0], "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc();
            let v = |i: usize| f[i].parse::<f64>().unwrap();
            (t, [v(1), v(2), v(3), v(4), v(5)])
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

/// A Yahoo daily file, keyed by IST date; its last row is partial (see the data README).
pub(crate) fn yahoo_daily(name: &str, symbol: Symbol) -> DailySeries {
    let rows = yahoo_rows(name);
    let n = rows.len();
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (t, v))| candle(ist_date(t), v, i + 1 == n))
        .collect();
    Series::new(symbol, Interval::Daily, DataOrigin::Yahoo, bars).unwrap()
}

/// A Yahoo 5-minute file; its last bar is partial (see the data README).
pub(crate) fn yahoo_5m(name: &str, symbol: Symbol) -> IntradaySeries {
    let rows = yahoo_rows(name);
    let n = rows.len();
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (t, v))| candle(t, v, i + 1 == n))
        .collect();
    Series::new(symbol, Interval::FiveMinute, DataOrigin::Yahoo, bars).unwrap()
}

/// An NSE `option-chain-indices` JSON file as an [`OptionChain`] (zeros mean "not reported").
pub(crate) fn nse_chain(name: &str) -> OptionChain {
    let text = std::fs::read_to_string(data_file(&format!("option_chain/{name}"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rec = &v["records"];
    let naive =
        NaiveDateTime::parse_from_str(rec["timestamp"].as_str().unwrap(), "%d-%b-%Y %H:%M:%S")
            .unwrap();
    let timestamp = ist().from_local_datetime(&naive).single().unwrap();
    let positive = |x: &serde_json::Value| x.as_f64().filter(|p| *p > 0.0);
    let leg = |l: &serde_json::Value| {
        (!l.is_null()).then(|| OptionQuote {
            open_interest: l["openInterest"].as_f64().unwrap(),
            change_in_oi: l["changeinOpenInterest"].as_f64().unwrap(),
            volume: l["totalTradedVolume"].as_f64().unwrap(),
            iv_percent: positive(&l["impliedVolatility"]),
            last_price: positive(&l["lastPrice"]),
            bid: positive(&l["bidprice"]),
            ask: positive(&l["askPrice"]),
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
    let expiries = rec["expiryDates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().parse().unwrap())
        .collect();
    OptionChain::new(
        Symbol::Nifty50,
        timestamp,
        rec["underlyingValue"].as_f64().unwrap(),
        expiries,
        rows,
        DataOrigin::Nse,
    )
    .unwrap()
}

/// Every row of `table`, every value spelled exactly (REALs as their bit patterns), in
/// storage order: two equal dumps mean byte-identical rows.
pub(crate) fn dump(store: &Store, table: &str) -> Vec<Vec<String>> {
    let mut stmt = store
        .conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                Ok(match r.get::<_, Value>(i)? {
                    Value::Null => "NULL".to_string(),
                    Value::Integer(x) => format!("i{x}"),
                    Value::Real(x) => format!("r{:016x}", x.to_bits()),
                    Value::Text(s) => format!("t{s}"),
                    Value::Blob(b) => format!("b{b:?}"),
                })
            })
            .collect()
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// Bars as comparable bit patterns (so `-0.0` and `0.0` differ).
pub(crate) fn bits<K: Copy>(bars: &[Candle<K>]) -> Vec<(K, [u64; 4], Option<u64>, bool)> {
    bars.iter()
        .map(|b| {
            (
                b.key,
                [b.open, b.high, b.low, b.close].map(f64::to_bits),
                b.volume.map(f64::to_bits),
                b.partial,
            )
        })
        .collect()
}
