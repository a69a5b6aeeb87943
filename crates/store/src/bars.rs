//! Daily and intraday bars: idempotent, all-or-nothing upserts and validated reads.
//!
//! # Merge rules
//!
//! An upsert merges the incoming series into the stored one, bar by bar:
//!
//! * a bar at a new date/timestamp is inserted; a bar equal (bit for bit, with the same
//!   `partial` flag and origin) to the stored one is left alone and counted `unchanged`;
//!   any other bar replaces the stored one (`updated`) — so a partial bar is replaced by the
//!   complete bar when it comes, and a source's later revision wins;
//! * a **partial** incoming bar (only ever the last one of its series) is **skipped** when the
//!   store already has a complete bar at that key, or any bar after it: complete data is never
//!   replaced by a still-forming snapshot, and a partial bar may only be the newest bar;
//! * after the writes, a stored partial bar that is no longer the newest bar (because newer
//!   bars arrived without a replacement for it) is **dropped**.
//!
//! So the stored series always satisfies [`Series::new`]: sorted and unique by the primary
//! key, every bar valid (the incoming series was validated), and only the newest bar partial.

use std::fmt;
use std::path::Path;

use aegis_model::time::IST_OFFSET_SECS;
use aegis_model::{
    BarKey, Candle, DailySeries, DataOrigin, Interval, IntradaySeries, Series, Symbol,
};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use crate::Store;
use crate::codec::{date_text, from_seconds, parse_date_text, time_text, whole_seconds};
use crate::error::{SqlContext, StoreError};
use crate::origin::check_origin;

/// What an upsert did, bar by bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpsertSummary {
    /// Bars at dates/timestamps the store did not have.
    pub inserted: usize,
    /// Stored bars replaced by different values (e.g. a partial bar by the complete one).
    pub updated: usize,
    /// Incoming bars identical to the stored ones.
    pub unchanged: usize,
    /// Incoming partial bars not stored because complete or newer data was already stored.
    pub skipped_partial: usize,
    /// Stored partial bars removed because newer bars arrived without their replacement.
    pub dropped_partial: usize,
}

impl UpsertSummary {
    /// Whether the upsert changed anything in the store.
    pub fn changed(&self) -> bool {
        self.inserted + self.updated + self.dropped_partial > 0
    }
}

/// The newest stored bar of a series (for incremental fetches: fetch again from `key` when
/// `partial`, from after `key` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastBar<K> {
    /// Its date (daily) or start instant (intraday).
    pub key: K,
    /// Whether it was still forming when captured.
    pub partial: bool,
}

/// A bar key in [`Coverage`]: a trading date for daily bars, a bar start for intraday bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BarTime {
    /// IST trading date of a daily bar.
    Date(NaiveDate),
    /// Start (UTC) of an intraday bar.
    Start(DateTime<Utc>),
}

impl BarTime {
    /// The IST trading date the bar belongs to.
    pub fn ist_date(self) -> NaiveDate {
        match self {
            BarTime::Date(d) => d,
            BarTime::Start(t) => aegis_model::time::ist_date(t),
        }
    }
}

impl fmt::Display for BarTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarTime::Date(d) => write!(f, "{d}"),
            BarTime::Start(t) => write!(f, "{}", aegis_model::time::to_ist(*t).to_rfc3339()),
        }
    }
}

/// What the store holds of one symbol and interval (for `aegis data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The symbol.
    pub symbol: Symbol,
    /// The interval.
    pub interval: Interval,
    /// The oldest bar.
    pub first: BarTime,
    /// The newest bar.
    pub last: BarTime,
    /// Number of bars.
    pub count: usize,
    /// Origin of the newest bar (`Simulated` if any bar is simulated).
    pub origin: DataOrigin,
    /// Whether the newest bar is partial.
    pub partial_last: bool,
}

/// How a bar key maps to its table.
pub(crate) trait StoredKey: BarKey {
    /// Table name.
    const TABLE: &'static str;
    /// Key column.
    const KEY: &'static str;
    /// Scope columns, in primary-key order.
    const SCOPE_COLUMNS: &'static str;
    /// Scope condition with one `?` per scope column.
    const SCOPE: &'static str;
    /// `daily` / `intraday`, for messages.
    const KIND: &'static str;
    /// Whether a series of this interval belongs in this table.
    fn accepts(interval: Interval) -> bool;
    /// Values for [`Self::SCOPE`].
    fn scope(symbol: Symbol, interval: Interval) -> Vec<Value>;
    /// The column value of a key, refusing keys the store cannot keep exactly.
    fn encode(self) -> Result<Value, StoreError>;
    /// A key read back.
    fn decode(v: ValueRef<'_>) -> Option<Self>;
    /// A [`BarTime`] of the key.
    fn bar_time(self) -> BarTime;
}

impl StoredKey for NaiveDate {
    const TABLE: &'static str = "daily_bars";
    const KEY: &'static str = "date";
    const SCOPE_COLUMNS: &'static str = "symbol";
    const SCOPE: &'static str = "symbol = ?";
    const KIND: &'static str = "daily";
    fn accepts(interval: Interval) -> bool {
        interval == Interval::Daily
    }
    fn scope(symbol: Symbol, _: Interval) -> Vec<Value> {
        vec![Value::Text(symbol.code().to_string())]
    }
    fn encode(self) -> Result<Value, StoreError> {
        date_text("bar date", self).map(Value::Text)
    }
    fn decode(v: ValueRef<'_>) -> Option<Self> {
        v.as_str().ok().and_then(parse_date_text)
    }
    fn bar_time(self) -> BarTime {
        BarTime::Date(self)
    }
}

impl StoredKey for DateTime<Utc> {
    const TABLE: &'static str = "intraday_bars";
    const KEY: &'static str = "ts";
    const SCOPE_COLUMNS: &'static str = "symbol, interval";
    const SCOPE: &'static str = "symbol = ? AND interval = ?";
    const KIND: &'static str = "intraday";
    fn accepts(interval: Interval) -> bool {
        interval != Interval::Daily
    }
    fn scope(symbol: Symbol, interval: Interval) -> Vec<Value> {
        vec![
            Value::Text(symbol.code().to_string()),
            Value::Text(interval.code().to_string()),
        ]
    }
    fn encode(self) -> Result<Value, StoreError> {
        whole_seconds("bar start", self).map(Value::Integer)
    }
    fn decode(v: ValueRef<'_>) -> Option<Self> {
        v.as_i64().ok().and_then(from_seconds)
    }
    fn bar_time(self) -> BarTime {
        BarTime::Start(self)
    }
}

/// A stored bar and its origin.
struct StoredBar<K> {
    bar: Candle<K>,
    origin: DataOrigin,
}

/// Columns read for a bar, in order.
const BAR_COLUMNS: &str = "open, high, low, close, volume, partial, origin";

/// Raw column values of one bar row, decoded outside the row callback.
type RawBar = (Value, f64, f64, f64, f64, Option<f64>, i64, String);

fn raw_bar(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawBar> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn bad_value(path: &Path, table: &'static str, detail: String) -> StoreError {
    StoreError::BadStoredValue {
        path: path.to_path_buf(),
        table,
        detail,
    }
}

pub(crate) fn decode_key<K: StoredKey>(path: &Path, v: &Value) -> Result<K, StoreError> {
    K::decode(ValueRef::from(v)).ok_or_else(|| {
        bad_value(
            path,
            K::TABLE,
            format!("{} {v:?} is not a valid key", K::KEY),
        )
    })
}

pub(crate) fn decode_origin(
    path: &Path,
    table: &'static str,
    code: &str,
) -> Result<DataOrigin, StoreError> {
    DataOrigin::from_code(code)
        .ok_or_else(|| bad_value(path, table, format!("unknown origin code `{code}`")))
}

pub(crate) fn decode_symbol(
    path: &Path,
    table: &'static str,
    code: &str,
) -> Result<Symbol, StoreError> {
    code.parse()
        .map_err(|_| bad_value(path, table, format!("unknown symbol code `{code}`")))
}

fn decode_bar<K: StoredKey>(path: &Path, raw: RawBar) -> Result<StoredBar<K>, StoreError> {
    let (key, open, high, low, close, volume, partial, origin) = raw;
    Ok(StoredBar {
        bar: Candle {
            key: decode_key(path, &key)?,
            open,
            high,
            low,
            close,
            volume,
            partial: partial != 0,
        },
        origin: decode_origin(path, K::TABLE, &origin)?,
    })
}

/// Stored bars of one series with `from <= key <= to`, oldest first.
fn query_bars<K: StoredKey>(
    conn: &Connection,
    path: &Path,
    symbol: Symbol,
    interval: Interval,
    from: Option<K>,
    to: Option<K>,
) -> Result<Vec<StoredBar<K>>, StoreError> {
    let (t, k) = (K::TABLE, K::KEY);
    let mut sql = format!("SELECT {k}, {BAR_COLUMNS} FROM {t} WHERE {}", K::SCOPE);
    let mut params = K::scope(symbol, interval);
    if let Some(from) = from {
        sql.push_str(&format!(" AND {k} >= ?"));
        params.push(from.encode()?);
    }
    if let Some(to) = to {
        sql.push_str(&format!(" AND {k} <= ?"));
        params.push(to.encode()?);
    }
    sql.push_str(&format!(" ORDER BY {k}"));
    let context = format!("reading {} bars of {symbol}", K::KIND);
    let mut stmt = conn.prepare_cached(&sql).ctx(path, &context)?;
    let raws = stmt
        .query_map(params_from_iter(params), raw_bar)
        .ctx(path, &context)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .ctx(path, &context)?;
    raws.into_iter().map(|r| decode_bar(path, r)).collect()
}

/// The newest stored bar of one series.
fn newest_bar<K: StoredKey>(
    conn: &Connection,
    path: &Path,
    symbol: Symbol,
    interval: Interval,
) -> Result<Option<StoredBar<K>>, StoreError> {
    let (t, k) = (K::TABLE, K::KEY);
    let sql = format!(
        "SELECT {k}, {BAR_COLUMNS} FROM {t} WHERE {} ORDER BY {k} DESC LIMIT 1",
        K::SCOPE
    );
    let context = format!("reading the newest {} bar of {symbol}", K::KIND);
    let raw = conn
        .prepare_cached(&sql)
        .ctx(path, &context)?
        .query_row(params_from_iter(K::scope(symbol, interval)), raw_bar)
        .optional()
        .ctx(path, &context)?;
    raw.map(|r| decode_bar(path, r)).transpose()
}

fn same<K: BarKey>(stored: &StoredBar<K>, bar: &Candle<K>, origin: DataOrigin) -> bool {
    let s = &stored.bar;
    s.open.to_bits() == bar.open.to_bits()
        && s.high.to_bits() == bar.high.to_bits()
        && s.low.to_bits() == bar.low.to_bits()
        && s.close.to_bits() == bar.close.to_bits()
        && s.volume.map(f64::to_bits) == bar.volume.map(f64::to_bits)
        && s.partial == bar.partial
        && stored.origin == origin
}

/// Merges `series` into the store inside the caller's transaction (see the module docs).
pub(crate) fn upsert<K: StoredKey>(
    conn: &Connection,
    path: &Path,
    series: &Series<K>,
    now: &str,
) -> Result<UpsertSummary, StoreError> {
    let (symbol, interval, origin) = (series.symbol(), series.interval(), series.origin());
    if !K::accepts(interval) {
        return Err(StoreError::WrongInterval {
            symbol,
            interval,
            table: K::KIND,
        });
    }
    // Refuse keys the store cannot keep exactly before writing anything.
    let keys = series
        .bars()
        .iter()
        .map(|b| b.key.encode())
        .collect::<Result<Vec<_>, _>>()?;
    let mut summary = UpsertSummary::default();
    let (Some(first), Some(last)) = (series.first(), series.last()) else {
        return Ok(summary);
    };
    check_origin(conn, path, symbol, &format!("{interval} bars"), origin)?;

    let stored = query_bars::<K>(
        conn,
        path,
        symbol,
        interval,
        Some(first.key),
        Some(last.key),
    )?;
    let stored_max = newest_bar::<K>(conn, path, symbol, interval)?.map(|s| s.bar.key);

    let (t, k, scope_cols) = (K::TABLE, K::KEY, K::SCOPE_COLUMNS);
    let scope = K::scope(symbol, interval);
    let placeholders = vec!["?"; scope.len() + 9].join(", ");
    let upsert_sql = format!(
        "INSERT INTO {t} ({scope_cols}, {k}, {BAR_COLUMNS}, inserted_at) VALUES ({placeholders}) \
         ON CONFLICT ({scope_cols}, {k}) DO UPDATE SET open = excluded.open, high = excluded.high, \
         low = excluded.low, close = excluded.close, volume = excluded.volume, \
         partial = excluded.partial, origin = excluded.origin, inserted_at = excluded.inserted_at"
    );
    let context = format!("writing {interval} bars of {symbol}");
    let mut write = conn.prepare_cached(&upsert_sql).ctx(path, &context)?;

    let mut j = 0;
    for (bar, key) in series.bars().iter().zip(keys) {
        while j < stored.len() && stored[j].bar.key < bar.key {
            j += 1;
        }
        let existing = stored.get(j).filter(|s| s.bar.key == bar.key);
        if bar.partial {
            let complete_here = existing.is_some_and(|s| !s.bar.partial);
            let newer_stored = stored_max.is_some_and(|m| m > bar.key);
            if complete_here || newer_stored {
                tracing::warn!(
                    store = %path.display(), %symbol, %interval, key = %bar.key,
                    "partial bar not stored: the store already has complete or newer bars"
                );
                summary.skipped_partial += 1;
                continue;
            }
        }
        match existing {
            Some(s) if same(s, bar, origin) => {
                summary.unchanged += 1;
                continue;
            }
            Some(_) => summary.updated += 1,
            None => summary.inserted += 1,
        }
        let mut params = scope.clone();
        params.extend([
            key,
            Value::Real(bar.open),
            Value::Real(bar.high),
            Value::Real(bar.low),
            Value::Real(bar.close),
            bar.volume.map_or(Value::Null, Value::Real),
            Value::Integer(i64::from(bar.partial)),
            Value::Text(origin.code().to_string()),
            Value::Text(now.to_string()),
        ]);
        write
            .execute(params_from_iter(params))
            .ctx(path, &context)?;
    }

    // A partial bar may only be the newest one.
    let drop_sql = format!(
        "DELETE FROM {t} WHERE {s} AND partial = 1 AND {k} < (SELECT MAX({k}) FROM {t} WHERE {s})",
        s = K::SCOPE
    );
    let mut params = scope.clone();
    params.extend(scope);
    summary.dropped_partial = conn
        .prepare_cached(&drop_sql)
        .ctx(path, &context)?
        .execute(params_from_iter(params))
        .ctx(path, &context)?;
    if summary.dropped_partial > 0 {
        tracing::warn!(
            store = %path.display(), %symbol, %interval, dropped = summary.dropped_partial,
            "stored partial bar dropped: newer bars arrived without its complete version"
        );
    }
    tracing::debug!(store = %path.display(), %symbol, %interval, ?summary, "bars upserted");
    Ok(summary)
}

/// Reads a stored series with `from <= key <= to`, validated by [`Series::new`].
fn read_series<K: StoredKey>(
    conn: &Connection,
    path: &Path,
    symbol: Symbol,
    interval: Interval,
    from: Option<K>,
    to: Option<K>,
) -> Result<Series<K>, StoreError> {
    if !K::accepts(interval) {
        return Err(StoreError::WrongInterval {
            symbol,
            interval,
            table: K::KIND,
        });
    }
    let rows = query_bars::<K>(conn, path, symbol, interval, from, to)?;
    let origin = if rows.iter().any(|r| r.origin.is_simulated()) {
        DataOrigin::Simulated
    } else if let Some(newest) = rows.last() {
        newest.origin
    } else {
        match newest_bar::<K>(conn, path, symbol, interval)? {
            Some(newest) => newest.origin,
            None => {
                return Err(StoreError::NoData {
                    path: path.to_path_buf(),
                    symbol,
                    interval,
                });
            }
        }
    };
    let bars = rows.into_iter().map(|r| r.bar).collect();
    Series::new(symbol, interval, origin, bars).map_err(|source| StoreError::InvalidStoredSeries {
        path: path.to_path_buf(),
        symbol,
        interval,
        source,
    })
}

fn last_bar<K: StoredKey>(
    conn: &Connection,
    path: &Path,
    symbol: Symbol,
    interval: Interval,
) -> Result<Option<LastBar<K>>, StoreError> {
    Ok(
        newest_bar::<K>(conn, path, symbol, interval)?.map(|s| LastBar {
            key: s.bar.key,
            partial: s.bar.partial,
        }),
    )
}

/// Coverage of every series of one table.
fn coverage_of<K: StoredKey>(conn: &Connection, path: &Path) -> Result<Vec<Coverage>, StoreError> {
    let (t, k, cols) = (K::TABLE, K::KEY, K::SCOPE_COLUMNS);
    let interval_col = if K::KIND == "daily" {
        "'1d'"
    } else {
        "interval"
    };
    let sql = format!(
        "SELECT symbol, {interval_col}, MIN({k}), MAX({k}), COUNT(*), SUM(origin = 'simulated') \
         FROM {t} GROUP BY {cols} ORDER BY {cols}"
    );
    let context = format!("summarising {} bars", K::KIND);
    let mut stmt = conn.prepare_cached(&sql).ctx(path, &context)?;
    let groups = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Value>(2)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .ctx(path, &context)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .ctx(path, &context)?;
    let mut out = Vec::with_capacity(groups.len());
    for (sym, code, first, count, simulated) in groups {
        let symbol = decode_symbol(path, K::TABLE, &sym)?;
        let interval = Interval::from_code(&code)
            .ok_or_else(|| bad_value(path, K::TABLE, format!("unknown interval `{code}`")))?;
        let newest = newest_bar::<K>(conn, path, symbol, interval)?
            .ok_or_else(|| bad_value(path, K::TABLE, format!("{symbol} {interval} vanished")))?;
        out.push(Coverage {
            symbol,
            interval,
            first: decode_key::<K>(path, &first)?.bar_time(),
            last: newest.bar.key.bar_time(),
            count: usize::try_from(count).unwrap_or(0),
            origin: if simulated > 0 {
                DataOrigin::Simulated
            } else {
                newest.origin
            },
            partial_last: newest.bar.partial,
        });
    }
    Ok(out)
}

impl Store {
    /// Merges a daily series into the store in one transaction (all or nothing) and reports
    /// what changed. Re-importing the same series changes nothing and reports every bar
    /// `unchanged`. See the [module docs](crate#bars) for the merge rules.
    ///
    /// # Errors
    /// [`StoreError::MixedOrigin`] if simulated and market data would mix,
    /// [`StoreError::WrongInterval`] for a non-daily interval, and the SQLite failures.
    pub fn upsert_daily(&mut self, series: &DailySeries) -> Result<UpsertSummary, StoreError> {
        self.write(
            &format!("upserting daily bars of {}", series.symbol()),
            |tx, path, now| upsert(tx, path, series, now),
        )
    }

    /// Merges an intraday series into the store, like [`Store::upsert_daily`]. Bar starts must
    /// be whole seconds.
    ///
    /// # Errors
    /// As [`Store::upsert_daily`], plus [`StoreError::InvalidInput`] for a sub-second bar start.
    pub fn upsert_intraday(
        &mut self,
        series: &IntradaySeries,
    ) -> Result<UpsertSummary, StoreError> {
        self.write(
            &format!(
                "upserting {} bars of {}",
                series.interval(),
                series.symbol()
            ),
            |tx, path, now| upsert(tx, path, series, now),
        )
    }

    /// Every stored daily bar of `symbol`, oldest first. The series origin is the origin of
    /// the newest bar (`Simulated` if any bar is simulated).
    ///
    /// # Errors
    /// [`StoreError::NoData`] if the store has no daily bar of `symbol`.
    pub fn daily(&self, symbol: Symbol) -> Result<DailySeries, StoreError> {
        self.read("reading daily bars", |tx, path| {
            read_series(tx, path, symbol, Interval::Daily, None, None)
        })
    }

    /// The daily bars of `symbol` with `from <= date <= to` (may be empty; the origin is then
    /// that of the newest stored bar).
    ///
    /// # Errors
    /// [`StoreError::NoData`] if the store has no daily bar of `symbol` at all.
    pub fn daily_range(
        &self,
        symbol: Symbol,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DailySeries, StoreError> {
        self.read("reading daily bars", |tx, path| {
            read_series(tx, path, symbol, Interval::Daily, Some(from), Some(to))
        })
    }

    /// The intraday bars of `symbol` and `interval` starting in `from ..= to`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::NoData`] if the store has no such bar at all.
    pub fn intraday(
        &self,
        symbol: Symbol,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<IntradaySeries, StoreError> {
        self.read("reading intraday bars", |tx, path| {
            read_series(tx, path, symbol, interval, Some(from), Some(to))
        })
    }

    /// The newest stored daily bar's date and whether it is partial (`None`: no bars).
    pub fn last_daily_date(
        &self,
        symbol: Symbol,
    ) -> Result<Option<LastBar<NaiveDate>>, StoreError> {
        last_bar(&self.conn, &self.path, symbol, Interval::Daily)
    }

    /// The newest stored intraday bar's start and whether it is partial (`None`: no bars).
    pub fn last_intraday_ts(
        &self,
        symbol: Symbol,
        interval: Interval,
    ) -> Result<Option<LastBar<DateTime<Utc>>>, StoreError> {
        last_bar(&self.conn, &self.path, symbol, interval)
    }

    /// One entry per stored symbol and interval (daily first, then intraday), sorted by symbol
    /// code. Calendar gaps are for the caller to compute, from [`Store::daily_dates`] and
    /// [`Store::intraday_session_dates`].
    pub fn coverage(&self) -> Result<Vec<Coverage>, StoreError> {
        self.read("summarising coverage", |tx, path| {
            let mut out = coverage_of::<NaiveDate>(tx, path)?;
            out.extend(coverage_of::<DateTime<Utc>>(tx, path)?);
            Ok(out)
        })
    }

    /// The dates of every stored daily bar of `symbol`, ascending.
    pub fn daily_dates(&self, symbol: Symbol) -> Result<Vec<NaiveDate>, StoreError> {
        let path = &self.path;
        let context = format!("listing daily dates of {symbol}");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT date FROM daily_bars WHERE symbol = ? ORDER BY date")
            .ctx(path, &context)?;
        let raw = stmt
            .query_map([symbol.code()], |r| r.get::<_, Value>(0))
            .ctx(path, &context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, &context)?;
        raw.iter()
            .map(|v| decode_key::<NaiveDate>(path, v))
            .collect()
    }

    /// For every IST date with stored intraday bars of `symbol`/`interval`: the date and its
    /// number of bars, ascending.
    pub fn intraday_session_dates(
        &self,
        symbol: Symbol,
        interval: Interval,
    ) -> Result<Vec<(NaiveDate, usize)>, StoreError> {
        let path = &self.path;
        let context = format!("listing {interval} sessions of {symbol}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT date(ts + ?, 'unixepoch') AS d, COUNT(*) FROM intraday_bars \
                 WHERE symbol = ? AND interval = ? GROUP BY d ORDER BY d",
            )
            .ctx(path, &context)?;
        let raw = stmt
            .query_map(
                rusqlite::params![IST_OFFSET_SECS, symbol.code(), interval.code()],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .ctx(path, &context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(path, &context)?;
        raw.into_iter()
            .map(|(d, n)| {
                let date = parse_date_text(&d).ok_or_else(|| {
                    bad_value(path, "intraday_bars", format!("timestamp gives date `{d}`"))
                })?;
                Ok((date, usize::try_from(n).unwrap_or(0)))
            })
            .collect()
    }
}

/// Every stored (symbol, interval) series of one table, for the integrity check.
pub(crate) fn check_all_series<K: StoredKey>(
    conn: &Connection,
    path: &Path,
    problems: &mut Vec<String>,
) -> Result<(), StoreError> {
    for c in coverage_of::<K>(conn, path)? {
        if let Err(e) = read_series::<K>(conn, path, c.symbol, c.interval, None, None) {
            problems.push(e.to_string());
        }
    }
    Ok(())
}

/// Text of the current time for `inserted_at` columns.
pub(crate) fn now_text() -> Result<String, StoreError> {
    time_text("the current time", Utc::now())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::test_support::{bits, dump, yahoo_5m, yahoo_daily};
    use proptest::prelude::*;
    use rstest::rstest;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, day).unwrap()
    }

    fn bar(day: u32, close: f64, partial: bool) -> DailyBar {
        Candle {
            key: d(day),
            open: 100.0,
            high: close.max(100.0) + 1.0,
            low: close.min(100.0) - 1.0,
            close,
            volume: None,
            partial,
        }
    }

    type DailyBar = Candle<NaiveDate>;

    fn daily(origin: DataOrigin, bars: Vec<DailyBar>) -> DailySeries {
        Series::new(Symbol::Nifty50, Interval::Daily, origin, bars).unwrap()
    }

    fn store_with(bars: Vec<DailyBar>) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_daily(&daily(DataOrigin::Yahoo, bars)).unwrap();
        store
    }

    fn summary(inserted: usize, updated: usize, unchanged: usize) -> UpsertSummary {
        UpsertSummary {
            inserted,
            updated,
            unchanged,
            ..UpsertSummary::default()
        }
    }

    #[test]
    fn real_daily_file_round_trips_and_reimports_as_unchanged() {
        let series = yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50);
        assert_eq!(series.len(), 1236);
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.upsert_daily(&series).unwrap(), summary(1236, 0, 0));
        let back = store.daily(Symbol::Nifty50).unwrap();
        assert_eq!(bits(back.bars()), bits(series.bars()));
        assert_eq!(back.origin(), DataOrigin::Yahoo);
        let before = dump(&store, "daily_bars");
        let again = store.upsert_daily(&series).unwrap();
        assert_eq!(again, summary(0, 0, 1236));
        assert!(!again.changed());
        assert_eq!(
            dump(&store, "daily_bars"),
            before,
            "a re-import must not touch any row"
        );
        let last = store.last_daily_date(Symbol::Nifty50).unwrap().unwrap();
        assert_eq!(last.key, NaiveDate::from_ymd_opt(2025, 11, 28).unwrap());
        assert!(last.partial);
    }

    #[test]
    fn real_five_minute_file_round_trips_with_its_sessions() {
        let series = yahoo_5m("nifty50_5m_yahoo.csv", Symbol::Nifty50);
        assert_eq!(series.len(), 655);
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.upsert_intraday(&series).unwrap(), summary(655, 0, 0));
        let (first, last) = (series.first().unwrap().key, series.last().unwrap().key);
        let back = store
            .intraday(Symbol::Nifty50, Interval::FiveMinute, first, last)
            .unwrap();
        assert_eq!(bits(back.bars()), bits(series.bars()));
        assert_eq!(store.upsert_intraday(&series).unwrap(), summary(0, 0, 655));
        // Sessions counted in SQL agree with grouping the parsed bars by IST date in Rust.
        let mut expected: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for b in series.bars() {
            *expected
                .entry(aegis_model::time::ist_date(b.key))
                .or_default() += 1;
        }
        let sessions = store
            .intraday_session_dates(Symbol::Nifty50, Interval::FiveMinute)
            .unwrap();
        assert_eq!(sessions, expected.into_iter().collect::<Vec<_>>());
        assert_eq!(sessions.len(), 9);
        assert_eq!(sessions.last().unwrap(), &(d(28), 56));
        let lastbar = store
            .last_intraday_ts(Symbol::Nifty50, Interval::FiveMinute)
            .unwrap()
            .unwrap();
        assert_eq!(
            lastbar,
            LastBar {
                key: last,
                partial: true
            }
        );
        // A one-session window.
        let day = store
            .intraday(
                Symbol::Nifty50,
                Interval::FiveMinute,
                aegis_model::time::ist_at(d(26), 9, 15),
                aegis_model::time::ist_at(d(26), 15, 30),
            )
            .unwrap();
        assert_eq!(day.len(), 74, "2025-11-26 lacks its 13:15 bar");
    }

    #[test]
    fn partial_bar_is_replaced_by_the_complete_bar() {
        let mut store = store_with(vec![bar(3, 101.0, false), bar(4, 102.0, true)]);
        let s = store
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![bar(4, 103.0, false)]))
            .unwrap();
        assert_eq!(s, summary(0, 1, 0));
        let back = store.daily(Symbol::Nifty50).unwrap();
        assert_eq!(back.bars(), &[bar(3, 101.0, false), bar(4, 103.0, false)]);
    }

    #[test]
    fn stored_partial_bar_is_dropped_when_newer_bars_skip_it() {
        let mut store = store_with(vec![bar(3, 101.0, false), bar(4, 102.0, true)]);
        let s = store
            .upsert_daily(&daily(
                DataOrigin::Yahoo,
                vec![bar(5, 104.0, false), bar(6, 105.0, false)],
            ))
            .unwrap();
        assert_eq!(
            s,
            UpsertSummary {
                inserted: 2,
                dropped_partial: 1,
                ..UpsertSummary::default()
            }
        );
        let keys: Vec<_> = store.daily_dates(Symbol::Nifty50).unwrap();
        assert_eq!(keys, vec![d(3), d(5), d(6)]);
    }

    #[rstest]
    #[case::complete_bar_at_same_date(vec![bar(3, 101.0, false), bar(4, 102.0, false)], bar(4, 99.0, true))]
    #[case::newer_bar_stored(vec![bar(3, 101.0, false), bar(5, 102.0, false)], bar(4, 99.0, true))]
    #[case::newer_partial_stored(vec![bar(3, 101.0, false), bar(5, 102.0, true)], bar(4, 99.0, true))]
    fn incoming_partial_bar_never_overrides_newer_or_complete_data(
        #[case] stored: Vec<DailyBar>,
        #[case] incoming: DailyBar,
    ) {
        let mut store = store_with(stored.clone());
        let before = dump(&store, "daily_bars");
        let s = store
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![incoming]))
            .unwrap();
        assert_eq!(
            s,
            UpsertSummary {
                skipped_partial: 1,
                ..UpsertSummary::default()
            }
        );
        assert!(!s.changed());
        assert_eq!(dump(&store, "daily_bars"), before);
        assert_eq!(
            store.daily(Symbol::Nifty50).unwrap().bars(),
            stored.as_slice()
        );
    }

    #[test]
    fn partial_bars_follow_each_other_as_the_day_moves_on() {
        let mut store = store_with(vec![bar(3, 101.0, false), bar(4, 102.0, true)]);
        // A newer snapshot of the same forming day replaces it.
        let s = store
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![bar(4, 102.5, true)]))
            .unwrap();
        assert_eq!(s, summary(0, 1, 0));
        // The next day's partial bar, without day 4's final bar: day 4's partial is dropped.
        let s = store
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![bar(5, 103.0, true)]))
            .unwrap();
        assert_eq!((s.inserted, s.dropped_partial), (1, 1));
        assert_eq!(
            store.daily(Symbol::Nifty50).unwrap().bars(),
            &[bar(3, 101.0, false), bar(5, 103.0, true)]
        );
        // Backfilling older days keeps the partial bar last.
        let s = store
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![bar(1, 99.0, false)]))
            .unwrap();
        assert_eq!(s, summary(1, 0, 0));
        let back = store.daily(Symbol::Nifty50).unwrap();
        assert!(back.last().unwrap().partial);
        assert_eq!(back.len(), 3);
    }

    #[test]
    fn market_sources_mix_and_the_newest_bar_names_the_origin() {
        let mut store = store_with(vec![bar(3, 101.0, false)]);
        store
            .upsert_daily(&daily(DataOrigin::CsvImport, vec![bar(4, 102.0, false)]))
            .unwrap();
        assert_eq!(
            store.daily(Symbol::Nifty50).unwrap().origin(),
            DataOrigin::CsvImport
        );
        let s = store
            .upsert_daily(&daily(DataOrigin::Nse, vec![bar(3, 101.0, false)]))
            .unwrap();
        assert_eq!(s, summary(0, 1, 0), "same values, new origin: an update");
        let range = store.daily_range(Symbol::Nifty50, d(3), d(3)).unwrap();
        assert_eq!(range.origin(), DataOrigin::Nse);
        assert_eq!(range.len(), 1);
    }

    #[test]
    fn simulated_and_market_data_never_mix() {
        let mut store = store_with(vec![bar(3, 101.0, false)]);
        let before = dump(&store, "daily_bars");
        let sim = daily(DataOrigin::Simulated, vec![bar(4, 102.0, false)]);
        let e = store.upsert_daily(&sim).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::MixedOrigin {
                    symbol: Symbol::Nifty50,
                    ..
                }
            ),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains(":memory:") && msg.contains("NIFTY50"), "{msg}");
        assert!(
            msg.contains("use a separate store file for the demo: --store"),
            "{msg}"
        );
        // The rule is store-wide: another symbol or interval may not bring simulated data in.
        let vix = Series::new(
            Symbol::IndiaVix,
            Interval::Daily,
            DataOrigin::Simulated,
            vec![bar(4, 102.0, false)],
        )
        .unwrap();
        assert!(matches!(
            store.upsert_daily(&vix),
            Err(StoreError::MixedOrigin { .. })
        ));
        let t = aegis_model::time::ist_at(d(4), 9, 15);
        let intraday = Series::new(
            Symbol::Nifty50,
            Interval::FiveMinute,
            DataOrigin::Simulated,
            vec![Candle::new(t, 100.0, 101.0, 99.0, 100.5)],
        )
        .unwrap();
        assert!(matches!(
            store.upsert_intraday(&intraday),
            Err(StoreError::MixedOrigin { .. })
        ));
        assert_eq!(dump(&store, "daily_bars"), before);
        assert!(dump(&store, "intraday_bars").is_empty());

        // And the other way round: a demo store refuses market data.
        let mut demo = Store::open_in_memory().unwrap();
        demo.upsert_daily(&sim).unwrap();
        let e = demo
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![bar(5, 101.0, false)]))
            .unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::MixedOrigin {
                    incoming: DataOrigin::Yahoo,
                    stored: DataOrigin::Simulated,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            demo.daily(Symbol::Nifty50).unwrap().origin(),
            DataOrigin::Simulated
        );
    }

    #[test]
    fn a_failure_mid_upsert_leaves_every_row_byte_identical() {
        let mut store = store_with((3..=7).map(|day| bar(day, 101.0, false)).collect());
        let before = dump(&store, "daily_bars");
        // Fail inside the transaction, after earlier bars of the same upsert were written.
        store
            .conn
            .execute_batch(
                "CREATE TEMP TRIGGER fail_on_day_10 BEFORE INSERT ON main.daily_bars \
                 WHEN NEW.date = '2025-11-10' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            )
            .unwrap();
        let incoming: Vec<_> = (3..=12).map(|day| bar(day, 110.0, false)).collect();
        let e = store
            .upsert_daily(&daily(DataOrigin::Yahoo, incoming))
            .unwrap_err();
        assert!(e.to_string().contains("injected failure"), "{e}");
        assert_eq!(dump(&store, "daily_bars"), before);
    }

    #[test]
    fn wrong_interval_and_sub_second_starts_are_refused_before_any_write() {
        let mut store = Store::open_in_memory().unwrap();
        let five = Series::new(
            Symbol::Nifty50,
            Interval::FiveMinute,
            DataOrigin::Yahoo,
            vec![bar(3, 101.0, false)],
        )
        .unwrap();
        assert!(matches!(
            store.upsert_daily(&five),
            Err(StoreError::WrongInterval { table: "daily", .. })
        ));
        let t = aegis_model::time::ist_at(d(3), 9, 15);
        let bars = vec![
            Candle::new(t, 100.0, 101.0, 99.0, 100.5),
            Candle::new(
                t + chrono::Duration::milliseconds(300_500),
                100.0,
                101.0,
                99.0,
                100.5,
            ),
        ];
        let s = Series::new(
            Symbol::Nifty50,
            Interval::FiveMinute,
            DataOrigin::Yahoo,
            bars,
        )
        .unwrap();
        let e = store.upsert_intraday(&s).unwrap_err();
        assert!(matches!(e, StoreError::InvalidInput { .. }), "{e:?}");
        assert!(dump(&store, "intraday_bars").is_empty());
        assert!(matches!(
            store.intraday(Symbol::Nifty50, Interval::Daily, t, t),
            Err(StoreError::WrongInterval {
                table: "intraday",
                ..
            })
        ));
    }

    #[test]
    fn reads_of_missing_data_and_empty_ranges() {
        let store = store_with(vec![bar(3, 101.0, false), bar(5, 102.0, false)]);
        let e = store.daily(Symbol::IndiaVix).unwrap_err();
        assert!(matches!(
            e,
            StoreError::NoData {
                symbol: Symbol::IndiaVix,
                ..
            }
        ));
        assert!(e.to_string().contains("aegis fetch"), "{e}");
        let empty = store.daily_range(Symbol::Nifty50, d(4), d(4)).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.origin(), DataOrigin::Yahoo);
        assert_eq!(
            store
                .daily_range(Symbol::Nifty50, d(3), d(5))
                .unwrap()
                .len(),
            2
        );
        assert_eq!(store.last_daily_date(Symbol::IndiaVix).unwrap(), None);
    }

    #[test]
    fn negative_zero_volume_round_trips_bit_exactly() {
        let mut b = bar(3, 101.0, false);
        b.volume = Some(-0.0);
        let mut store = Store::open_in_memory().unwrap();
        store
            .upsert_daily(&daily(DataOrigin::Yahoo, vec![b]))
            .unwrap();
        let back = store.daily(Symbol::Nifty50).unwrap();
        assert_eq!(
            back.bars()[0].volume.map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert_eq!(
            store
                .upsert_daily(&daily(DataOrigin::Yahoo, vec![b]))
                .unwrap(),
            summary(0, 0, 1)
        );
    }

    #[test]
    fn coverage_lists_every_series() {
        let mut store = Store::open_in_memory().unwrap();
        let nifty = yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50);
        let vix = yahoo_daily("indiavix_daily_yahoo.csv", Symbol::IndiaVix);
        let five = yahoo_5m("nifty50_5m_yahoo.csv", Symbol::Nifty50);
        store.upsert_daily(&nifty).unwrap();
        store.upsert_daily(&vix).unwrap();
        store.upsert_intraday(&five).unwrap();
        let cov = store.coverage().unwrap();
        let want = |s: &Series<_>, first: BarTime, last: BarTime| Coverage {
            symbol: s.symbol(),
            interval: s.interval(),
            first,
            last,
            count: s.len(),
            origin: DataOrigin::Yahoo,
            partial_last: true,
        };
        assert_eq!(
            cov[..2],
            [
                want(
                    &vix,
                    BarTime::Date(vix.first().unwrap().key),
                    BarTime::Date(d(28))
                ),
                want(
                    &nifty,
                    BarTime::Date(nifty.first().unwrap().key),
                    BarTime::Date(d(28))
                ),
            ]
        );
        assert_eq!(
            cov[2],
            Coverage {
                symbol: Symbol::Nifty50,
                interval: Interval::FiveMinute,
                first: BarTime::Start(five.first().unwrap().key),
                last: BarTime::Start(five.last().unwrap().key),
                count: 655,
                origin: DataOrigin::Yahoo,
                partial_last: true,
            }
        );
        assert_eq!(cov[2].last.ist_date(), d(28));
        assert_eq!(cov[2].last.to_string(), "2025-11-28T13:50:00+05:30");
        assert_eq!(store.daily_dates(Symbol::IndiaVix).unwrap().len(), 1221);
    }

    // ---- properties ----

    fn price() -> impl Strategy<Value = f64> {
        prop_oneof![1e-6f64..1e9, prop::num::f64::NORMAL.prop_map(f64::abs)]
    }

    fn candle_at<K: BarKey>(key: K) -> impl Strategy<Value = Candle<K>> {
        (
            [price(), price(), price(), price()],
            prop::option::of(prop_oneof![Just(-0.0), Just(0.0), 0.0f64..1e12]),
        )
            .prop_map(move |(mut p, volume)| {
                p.sort_by(f64::total_cmp);
                // low ≤ min(open, close) ≤ max(open, close) ≤ high
                Candle {
                    key,
                    open: p[1],
                    high: p[3],
                    low: p[0],
                    close: p[2],
                    volume,
                    partial: false,
                }
            })
    }

    fn series_of<K: BarKey + 'static>(
        keys: Vec<K>,
        interval: Interval,
        last_partial: bool,
    ) -> impl Strategy<Value = Series<K>> {
        keys.into_iter()
            .map(candle_at)
            .collect::<Vec<_>>()
            .prop_map(move |mut bars| {
                if let Some(b) = bars.last_mut() {
                    b.partial = last_partial;
                }
                Series::new(Symbol::Nifty50, interval, DataOrigin::Yahoo, bars).unwrap()
            })
    }

    fn daily_series() -> impl Strategy<Value = DailySeries> {
        (
            0i64..15_000,
            prop::collection::vec(1i64..10, 1..40),
            any::<bool>(),
        )
            .prop_flat_map(|(start, steps, last_partial)| {
                let base =
                    NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Duration::days(start);
                let keys = steps
                    .iter()
                    .scan(base, |k, s| {
                        *k += chrono::Duration::days(*s);
                        Some(*k)
                    })
                    .collect();
                series_of(keys, Interval::Daily, last_partial)
            })
    }

    fn intraday_series() -> impl Strategy<Value = IntradaySeries> {
        (
            0i64..2_000_000_000,
            prop::collection::vec(1i64..100_000, 1..40),
            any::<bool>(),
        )
            .prop_flat_map(|(start, steps, last_partial)| {
                let keys = steps
                    .iter()
                    .scan(start, |k, s| {
                        *k += s;
                        Some(DateTime::from_timestamp(*k, 0).unwrap())
                    })
                    .collect();
                series_of(keys, Interval::FiveMinute, last_partial)
            })
    }

    /// A series on a small universe of dates, so that two of them overlap.
    fn overlapping_series() -> impl Strategy<Value = DailySeries> {
        (prop::collection::btree_set(0i64..30, 1..12), any::<bool>()).prop_flat_map(
            |(offsets, last_partial)| {
                let keys = offsets
                    .iter()
                    .map(|o| d(1) + chrono::Duration::days(*o))
                    .collect();
                series_of(keys, Interval::Daily, last_partial)
            },
        )
    }

    /// The merge rules, written independently of the SQL implementation.
    fn model_merge(
        stored: &mut BTreeMap<NaiveDate, DailyBar>,
        incoming: &DailySeries,
    ) -> UpsertSummary {
        let mut s = UpsertSummary::default();
        let stored_max = stored.keys().next_back().copied();
        for b in incoming.bars() {
            if b.partial
                && (stored.get(&b.key).is_some_and(|x| !x.partial)
                    || stored_max.is_some_and(|m| m > b.key))
            {
                s.skipped_partial += 1;
                continue;
            }
            match stored.insert(b.key, *b) {
                None => s.inserted += 1,
                Some(old) if bits(&[old]) == bits(&[*b]) => s.unchanged += 1,
                Some(_) => s.updated += 1,
            }
        }
        let max = stored.keys().next_back().copied();
        let before = stored.len();
        stored.retain(|k, b| !b.partial || Some(*k) == max);
        s.dropped_partial = before - stored.len();
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn daily_upsert_round_trips_bit_exactly_and_is_idempotent(series in daily_series()) {
            let mut store = Store::open_in_memory().unwrap();
            let first = store.upsert_daily(&series).unwrap();
            prop_assert_eq!(first, summary(series.len(), 0, 0));
            let back = store.daily(Symbol::Nifty50).unwrap();
            prop_assert_eq!(bits(back.bars()), bits(series.bars()));
            prop_assert_eq!(back.origin(), series.origin());
            let second = store.upsert_daily(&series).unwrap();
            prop_assert_eq!(second, summary(0, 0, series.len()));
            let again = store.daily(Symbol::Nifty50).unwrap();
            prop_assert_eq!(bits(again.bars()), bits(series.bars()));
        }

        #[test]
        fn intraday_upsert_round_trips_bit_exactly_and_is_idempotent(series in intraday_series()) {
            let mut store = Store::open_in_memory().unwrap();
            prop_assert_eq!(store.upsert_intraday(&series).unwrap(), summary(series.len(), 0, 0));
            let (a, b) = (series.first().unwrap().key, series.last().unwrap().key);
            let back = store.intraday(Symbol::Nifty50, Interval::FiveMinute, a, b).unwrap();
            prop_assert_eq!(bits(back.bars()), bits(series.bars()));
            prop_assert_eq!(store.upsert_intraday(&series).unwrap(), summary(0, 0, series.len()));
        }

        #[test]
        fn merging_two_series_follows_the_rules_and_stays_valid(
            a in overlapping_series(),
            b in overlapping_series(),
        ) {
            let mut store = Store::open_in_memory().unwrap();
            let mut model = BTreeMap::new();
            prop_assert_eq!(store.upsert_daily(&a).unwrap(), model_merge(&mut model, &a));
            prop_assert_eq!(store.upsert_daily(&b).unwrap(), model_merge(&mut model, &b));
            // `daily` validates with Series::new: sorted, unique, partial only last.
            let back = store.daily(Symbol::Nifty50).unwrap();
            let want: Vec<_> = model.into_values().collect();
            prop_assert_eq!(bits(back.bars()), bits(&want));
            prop_assert!(store.integrity_check().is_ok());
        }
    }
}
