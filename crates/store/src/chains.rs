//! Option-chain snapshots: every fetched or imported chain is kept, so the project builds its
//! own chain history. A snapshot is stored once per (symbol, exchange timestamp) and never
//! changed afterwards.

use std::path::Path;

use aegis_model::{OptionChain, Symbol};
use chrono::{DateTime, FixedOffset, Timelike, Utc};
use rusqlite::{Connection, params};

use crate::Store;
use crate::bars::decode_symbol;
use crate::codec::{from_seconds, whole_seconds};
use crate::error::{SqlContext, StoreError};
use crate::origin::check_origin;

/// What [`Store::insert_chain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The snapshot was new and is now stored.
    Inserted,
    /// The identical snapshot was already stored.
    AlreadyPresent,
    /// A *different* snapshot with the same symbol and exchange timestamp was already stored;
    /// it was kept (stored snapshots never change) and a warning logged.
    KeptEarlier,
}

const TABLE: &str = "chain_snapshots";

/// IST is UTC+05:30: the offset that maps unix seconds to IST calendar days.
const IST_OFFSET_SECONDS: i64 = 19_800;

fn bad(path: &Path, detail: String) -> StoreError {
    StoreError::BadStoredValue {
        path: path.to_path_buf(),
        table: TABLE,
        detail,
    }
}

/// Decodes and re-validates a stored body.
fn decode_chain(
    path: &Path,
    id: i64,
    symbol_code: &str,
    ts: i64,
    body: &str,
) -> Result<OptionChain, StoreError> {
    let symbol = decode_symbol(path, TABLE, symbol_code)?;
    let chain: OptionChain = serde_json::from_str(body).map_err(|e| {
        bad(
            path,
            format!("snapshot {id}: body is not an option chain: {e}"),
        )
    })?;
    if chain.symbol != symbol || chain.timestamp.timestamp() != ts {
        return Err(bad(
            path,
            format!(
                "snapshot {id}: body is {} at {}, row says {symbol} at unix {ts}",
                chain.symbol, chain.timestamp
            ),
        ));
    }
    let OptionChain {
        symbol,
        timestamp,
        underlying,
        expiries,
        rows,
        origin,
    } = chain;
    OptionChain::new(symbol, timestamp, underlying, expiries, rows, origin)
        .map_err(|e| bad(path, format!("snapshot {id}: {e}")))
}

/// Snapshots of `symbol` with `from <= ts <= to` (unix seconds), oldest first, or the newest one
/// only when `newest_only`.
fn query_chains(
    conn: &Connection,
    path: &Path,
    symbol: Symbol,
    from: i64,
    to: i64,
    newest_only: bool,
) -> Result<Vec<OptionChain>, StoreError> {
    let sql = if newest_only {
        "SELECT id, symbol, ts, body FROM chain_snapshots WHERE symbol = ? AND ts >= ? AND ts <= ? \
         ORDER BY ts DESC LIMIT 1"
    } else {
        "SELECT id, symbol, ts, body FROM chain_snapshots WHERE symbol = ? AND ts >= ? AND ts <= ? \
         ORDER BY ts"
    };
    let context = format!("reading option chains of {symbol}");
    let mut stmt = conn.prepare_cached(sql).ctx(path, &context)?;
    let rows = stmt
        .query_map(params![symbol.code(), from, to], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .ctx(path, &context)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .ctx(path, &context)?;
    rows.iter()
        .map(|(id, sym, ts, body)| decode_chain(path, *id, sym, *ts, body))
        .collect()
}

/// Unix seconds rounded up (a sub-second lower bound must not include the second before it).
fn ceil_seconds(t: DateTime<FixedOffset>) -> i64 {
    t.timestamp() + i64::from(t.nanosecond() > 0)
}

impl Store {
    /// Keeps a chain snapshot. The chain is re-validated with [`OptionChain::new`] (and stored in
    /// its normalised order); its timestamp must be a whole second. Stored as the JSON of
    /// [`OptionChain`] (204 kB for the 778-row NSE chain of 2025-07-16).
    ///
    /// # Errors
    /// [`StoreError::InvalidChain`], [`StoreError::InvalidInput`] (sub-second timestamp),
    /// [`StoreError::MixedOrigin`], and the SQLite failures.
    pub fn insert_chain(&mut self, chain: &OptionChain) -> Result<InsertOutcome, StoreError> {
        let chain = OptionChain::new(
            chain.symbol,
            chain.timestamp,
            chain.underlying,
            chain.expiries.clone(),
            chain.rows.clone(),
            chain.origin,
        )
        .map_err(|source| StoreError::InvalidChain {
            symbol: chain.symbol,
            timestamp: chain.timestamp.to_rfc3339(),
            source,
        })?;
        let ts = whole_seconds(
            "option-chain timestamp",
            chain.timestamp.with_timezone(&Utc),
        )?;
        let body = serde_json::to_string(&chain).map_err(|e| StoreError::InvalidInput {
            what: format!("the {} option chain of {}", chain.symbol, chain.timestamp),
            reason: format!("it cannot be written as JSON: {e}"),
            fix: "check the chain's values".to_string(),
        })?;
        let symbol = chain.symbol;
        let context = format!("storing the {symbol} option chain of {}", chain.timestamp);
        self.write(&context, |tx, path, now| {
            check_origin(tx, path, symbol, "option chain", chain.origin)?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO chain_snapshots (symbol, ts, ts_offset, underlying, origin, row_count, body, inserted_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (symbol, ts) DO NOTHING",
                )
                .ctx(path, &context)?
                .execute(params![
                    symbol.code(),
                    ts,
                    chain.timestamp.offset().to_string(),
                    chain.underlying,
                    chain.origin.code(),
                    i64::try_from(chain.rows.len()).unwrap_or(i64::MAX),
                    body,
                    now,
                ])
                .ctx(path, &context)?;
            if inserted == 1 {
                return Ok(InsertOutcome::Inserted);
            }
            let stored: String = tx
                .query_row(
                    "SELECT body FROM chain_snapshots WHERE symbol = ? AND ts = ?",
                    params![symbol.code(), ts],
                    |r| r.get(0),
                )
                .ctx(path, &context)?;
            if stored == body {
                Ok(InsertOutcome::AlreadyPresent)
            } else {
                tracing::warn!(
                    store = %path.display(), %symbol, timestamp = %chain.timestamp,
                    "a different option chain with the same timestamp is already stored; keeping the stored one"
                );
                Ok(InsertOutcome::KeptEarlier)
            }
        })
    }

    /// The newest stored chain of `symbol` stamped at or before `at_or_before` (any time when
    /// `None`), or `None` if there is none.
    pub fn latest_chain(
        &self,
        symbol: Symbol,
        at_or_before: Option<DateTime<FixedOffset>>,
    ) -> Result<Option<OptionChain>, StoreError> {
        let to = at_or_before.map_or(i64::MAX, |t| t.timestamp());
        let mut found = query_chains(&self.conn, &self.path, symbol, i64::MIN, to, true)?;
        Ok(found.pop())
    }

    /// Every stored chain of `symbol` stamped in `from ..= to`, oldest first.
    pub fn chains_between(
        &self,
        symbol: Symbol,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<OptionChain>, StoreError> {
        self.read("reading option chains", |tx, path| {
            query_chains(tx, path, symbol, ceil_seconds(from), to.timestamp(), false)
        })
    }

    /// The last stored chain of each IST calendar day of `symbol` stamped in `from ..= to`, oldest
    /// first (one snapshot per day: the day's closing chain when the session's chains are kept).
    pub fn last_chain_per_day(
        &self,
        symbol: Symbol,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Vec<OptionChain>, StoreError> {
        self.read("reading the last option chain of each day", |tx, path| {
            let context = format!("reading the last option chain of each day of {symbol}");
            // SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum.
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, symbol, MAX(ts), body FROM chain_snapshots \
                     WHERE symbol = ? AND ts >= ? AND ts <= ? \
                     GROUP BY (ts + ?) / 86400 ORDER BY MAX(ts)",
                )
                .ctx(path, &context)?;
            let rows = stmt
                .query_map(
                    params![
                        symbol.code(),
                        ceil_seconds(from),
                        to.timestamp(),
                        IST_OFFSET_SECONDS
                    ],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .ctx(path, &context)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx(path, &context)?;
            rows.iter()
                .map(|(id, sym, ts, body)| decode_chain(path, *id, sym, *ts, body))
                .collect()
        })
    }

    /// The timestamps (with the offset they were stamped in) of every stored chain of `symbol`,
    /// ascending.
    pub fn chain_times(&self, symbol: Symbol) -> Result<Vec<DateTime<FixedOffset>>, StoreError> {
        let path = &self.path;
        let context = format!("listing option-chain times of {symbol}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT ts, ts_offset FROM chain_snapshots WHERE symbol = ? ORDER BY ts",
            )
            .ctx(path, &context)?;
        let rows = stmt
            .query_map([symbol.code()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .ctx(path, &context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, &context)?;
        rows.into_iter()
            .map(|(ts, offset)| {
                let offset: FixedOffset = offset
                    .parse()
                    .map_err(|_| bad(path, format!("offset `{offset}` is not like +05:30")))?;
                let t =
                    from_seconds(ts).ok_or_else(|| bad(path, format!("ts {ts} out of range")))?;
                Ok(t.with_timezone(&offset))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{dump, nse_chain};
    use aegis_model::{DataOrigin, Expiry, OptionQuote};
    use chrono::Duration;

    fn chain_2025() -> OptionChain {
        nse_chain("nifty_2025-07-16_eod.json")
    }

    #[test]
    fn real_chains_round_trip_exactly() {
        let mut store = Store::open_in_memory().unwrap();
        for file in ["nifty_2020-08-07_eod.json", "nifty_2025-07-16_eod.json"] {
            let chain = nse_chain(file);
            assert_eq!(store.insert_chain(&chain).unwrap(), InsertOutcome::Inserted);
            let back = store
                .latest_chain(Symbol::Nifty50, Some(chain.timestamp))
                .unwrap()
                .unwrap();
            assert_eq!(back, chain, "{file}");
            // Bit-exact, including the fractional open interest of long-dated 2025 expiries.
            let oi = |c: &OptionChain| -> Vec<u64> {
                c.rows
                    .iter()
                    .flat_map(|r| [r.call, r.put])
                    .flatten()
                    .map(|q| q.open_interest.to_bits())
                    .collect()
            };
            assert_eq!(oi(&back), oi(&chain));
        }
        let stored: Vec<i64> = store
            .conn
            .prepare("SELECT row_count FROM chain_snapshots ORDER BY ts")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(stored, vec![1068, 778]);
        assert!(store.integrity_check().is_ok());
    }

    #[test]
    fn same_timestamp_is_stored_once_and_never_changed() {
        let mut store = Store::open_in_memory().unwrap();
        let chain = chain_2025();
        assert_eq!(store.insert_chain(&chain).unwrap(), InsertOutcome::Inserted);
        let before = dump(&store, "chain_snapshots");
        assert_eq!(
            store.insert_chain(&chain).unwrap(),
            InsertOutcome::AlreadyPresent
        );
        let mut other = chain.clone();
        other.rows[0].call = Some(OptionQuote {
            open_interest: 1.0,
            ..OptionQuote::default()
        });
        assert_eq!(
            store.insert_chain(&other).unwrap(),
            InsertOutcome::KeptEarlier
        );
        assert_eq!(dump(&store, "chain_snapshots"), before);
        assert_eq!(
            store.latest_chain(Symbol::Nifty50, None).unwrap().unwrap(),
            chain
        );
    }

    #[test]
    fn last_chain_per_day_keeps_each_ist_day_close() {
        let mut store = Store::open_in_memory().unwrap();
        let base = chain_2025(); // 2025-07-16 15:30 IST
        let at = |minutes: i64| {
            let mut c = base.clone();
            c.timestamp = base.timestamp + Duration::minutes(minutes);
            c
        };
        // Day 1: 09:30 and 15:30 IST; day 2: 09:15 (= 03:45 UTC) and 10:00; day 3: 05:00 IST
        // (23:30 UTC of day 2 — must count as IST day 3).
        let offsets = [-360, 0, 1065, 1110, 2250];
        for m in offsets {
            store.insert_chain(&at(m)).unwrap();
        }
        let got = store
            .last_chain_per_day(Symbol::Nifty50, at(-1000).timestamp, at(5000).timestamp)
            .unwrap();
        let times: Vec<_> = got.iter().map(|c| c.timestamp).collect();
        assert_eq!(
            times,
            vec![at(0).timestamp, at(1110).timestamp, at(2250).timestamp]
        );
        let from_day_two = store
            .last_chain_per_day(Symbol::Nifty50, at(1065).timestamp, at(1100).timestamp)
            .unwrap();
        assert_eq!(from_day_two.len(), 1);
        assert_eq!(from_day_two[0].timestamp, at(1065).timestamp);
    }

    #[test]
    fn history_queries_pick_by_time() {
        let mut store = Store::open_in_memory().unwrap();
        let base = chain_2025();
        let at = |minutes: i64| {
            let mut c = base.clone();
            c.timestamp = base.timestamp + Duration::minutes(minutes);
            c.underlying = base.underlying + minutes as f64;
            c
        };
        for m in [0, 3, 6] {
            store.insert_chain(&at(m)).unwrap();
        }
        let t = |m: i64| base.timestamp + Duration::minutes(m);
        let latest = |x| {
            store
                .latest_chain(Symbol::Nifty50, x)
                .unwrap()
                .map(|c| c.timestamp)
        };
        assert_eq!(latest(None), Some(t(6)));
        assert_eq!(latest(Some(t(5))), Some(t(3)));
        assert_eq!(latest(Some(t(3))), Some(t(3)));
        assert_eq!(latest(Some(t(-1))), None);
        let between = store.chains_between(Symbol::Nifty50, t(3), t(6)).unwrap();
        assert_eq!(between, vec![at(3), at(6)]);
        let sub = store
            .chains_between(Symbol::Nifty50, t(3) + Duration::milliseconds(1), t(6))
            .unwrap();
        assert_eq!(
            sub.len(),
            1,
            "a sub-second lower bound excludes the second before it"
        );
        let times = store.chain_times(Symbol::Nifty50).unwrap();
        assert_eq!(times, vec![t(0), t(3), t(6)]);
        assert_eq!(times[0].to_rfc3339(), "2025-07-16T15:30:00+05:30");
        assert!(store.chain_times(Symbol::NiftyBank).unwrap().is_empty());
    }

    #[test]
    fn invalid_mixed_and_sub_second_chains_are_refused() {
        let mut store = Store::open_in_memory().unwrap();
        let chain = chain_2025();
        let mut dup = chain.clone();
        dup.rows.push(dup.rows[0]);
        let e = store.insert_chain(&dup).unwrap_err();
        assert!(matches!(e, StoreError::InvalidChain { .. }), "{e:?}");
        let mut frac = chain.clone();
        frac.timestamp += Duration::milliseconds(250);
        assert!(matches!(
            store.insert_chain(&frac),
            Err(StoreError::InvalidInput { .. })
        ));
        store.insert_chain(&chain).unwrap();
        let mut sim = chain.clone();
        sim.origin = DataOrigin::Simulated;
        sim.timestamp += Duration::minutes(3);
        let e = store.insert_chain(&sim).unwrap_err();
        assert!(
            matches!(e, StoreError::MixedOrigin { ref stored_what, .. } if stored_what == "option chains"),
            "{e:?}"
        );
        assert_eq!(store.chain_times(Symbol::Nifty50).unwrap().len(), 1);
        // Unsorted rows are accepted and stored in the normalised order.
        let mut shuffled = chain.clone();
        shuffled.rows.reverse();
        shuffled.timestamp += Duration::minutes(9);
        store.insert_chain(&shuffled).unwrap();
        let back = store.latest_chain(Symbol::Nifty50, None).unwrap().unwrap();
        assert_eq!(back.rows, chain.rows);
        let e: Expiry = "2025-07-17".parse().unwrap();
        assert_eq!(back.nearest_expiry_on_or_after(e.date()), Some(e));
    }

    #[test]
    fn a_tampered_body_is_reported_not_returned() {
        let mut store = Store::open_in_memory().unwrap();
        store.insert_chain(&chain_2025()).unwrap();
        store
            .conn
            .execute("UPDATE chain_snapshots SET body = '{\"rows\": []}'", [])
            .unwrap();
        let e = store.latest_chain(Symbol::Nifty50, None).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::BadStoredValue {
                    table: "chain_snapshots",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = store.integrity_check().unwrap_err();
        assert!(
            e.to_string()
                .contains("option-chain snapshot 1 is malformed"),
            "{e}"
        );
    }
}
