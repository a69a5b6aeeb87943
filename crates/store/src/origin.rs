//! The mixing rule: one store file holds either simulated data or market data, never both.
//!
//! The rule is store-wide (daily bars, intraday bars and option chains of every symbol), which
//! is stricter than per symbol: a payload built from real NIFTY bars and a simulated VIX, or
//! from real bars and a simulated chain, would be neither honest market data nor a clean demo.
//! Market origins (Yahoo, NSE, CSV import) mix freely: they are the same market's data.

use std::path::Path;

use aegis_model::{DataOrigin, Symbol};
use rusqlite::{Connection, OptionalExtension};

use crate::bars::{decode_origin, decode_symbol};
use crate::error::{SqlContext, StoreError};

/// Tables holding data with an origin, and how to describe a row of each.
const TABLES: [(&str, &str); 3] = [
    ("daily_bars", "'daily bars'"),
    ("intraday_bars", "interval || ' bars'"),
    ("chain_snapshots", "'option chains'"),
];

const MARKET_CODES: &str = "('yahoo', 'nse', 'import')";
const SIMULATED_CODES: &str = "('simulated')";

/// Fails with [`StoreError::MixedOrigin`] if writing `incoming` data of `symbol` would put
/// simulated and market data in the same store.
pub(crate) fn check_origin(
    conn: &Connection,
    path: &Path,
    symbol: Symbol,
    what: &str,
    incoming: DataOrigin,
) -> Result<(), StoreError> {
    let conflicting = if incoming.is_simulated() {
        MARKET_CODES
    } else {
        SIMULATED_CODES
    };
    if let Some((stored_symbol, stored, stored_what)) = first_with_origin(conn, path, conflicting)?
    {
        return Err(StoreError::MixedOrigin {
            path: path.to_path_buf(),
            symbol,
            what: what.to_string(),
            incoming,
            stored,
            stored_what,
            stored_symbol,
        });
    }
    Ok(())
}

/// Whether the store holds both simulated and market data (only possible if edited by hand).
pub(crate) fn mixed(conn: &Connection, path: &Path) -> Result<bool, StoreError> {
    Ok(first_with_origin(conn, path, MARKET_CODES)?.is_some()
        && first_with_origin(conn, path, SIMULATED_CODES)?.is_some())
}

/// Some stored row whose origin is one of `codes` (an indexed lookup in each table).
fn first_with_origin(
    conn: &Connection,
    path: &Path,
    codes: &str,
) -> Result<Option<(Symbol, DataOrigin, String)>, StoreError> {
    for (table, label) in TABLES {
        let sql =
            format!("SELECT symbol, origin, {label} FROM {table} WHERE origin IN {codes} LIMIT 1");
        let found = conn
            .prepare_cached(&sql)
            .ctx(path, "checking data origins")?
            .query_row([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()
            .ctx(path, "checking data origins")?;
        if let Some((sym, origin, what)) = found {
            return Ok(Some((
                decode_symbol(path, table, &sym)?,
                decode_origin(path, table, &origin)?,
                what,
            )));
        }
    }
    Ok(None)
}
