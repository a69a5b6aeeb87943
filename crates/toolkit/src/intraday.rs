//! Intraday chain series: from the chains stored during one session, for one expiry, the PCR,
//! ATM straddle price, ATM IV, max pain and total call and put OI at each snapshot time.

use aegis_model::{Expiry, OptionChain, OptionSide};
use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pricing::ExpiryContext;

/// One snapshot of the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IntradayPoint {
    /// Snapshot time (IST).
    pub t: DateTime<FixedOffset>,
    /// Underlying reported with the snapshot.
    pub underlying: f64,
    /// Put/call ratio of open interest.
    pub pcr_oi: Option<f64>,
    /// ATM straddle (call + put at the strike next to the forward), points.
    pub straddle: Option<f64>,
    /// ATM implied vol, percent.
    pub atm_iv_pct: Option<f64>,
    /// Max-pain strike.
    pub max_pain: Option<f64>,
    /// Total call open interest of the expiry, contracts.
    pub call_oi: f64,
    /// Total put open interest of the expiry, contracts.
    pub put_oi: f64,
    /// Why a figure of this snapshot is missing, if one is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The series of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IntradayChain {
    /// IST date of the session.
    pub session_date: NaiveDate,
    /// The expiry followed (a live expiry of the session's last chain).
    pub expiry: Expiry,
    /// Snapshots, oldest first.
    pub points: Vec<IntradayPoint>,
    /// Snapshots of the session that do not list the expiry (left out).
    pub skipped: usize,
}

/// The intraday series of one live expiry, in the order of the explorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IntradayEntry {
    /// The expiry.
    pub expiry: Expiry,
    /// Its series over the latest session, or why there is none.
    pub series: aegis_model::Metric<IntradayChain>,
}

/// The series of `expiry` over `chains` (one session, any order).
pub fn intraday_series(
    chains: &[OptionChain],
    session_date: NaiveDate,
    expiry: Expiry,
) -> IntradayChain {
    let mut sorted: Vec<&OptionChain> = chains.iter().collect();
    sorted.sort_by_key(|c| c.timestamp);
    let mut points = Vec::with_capacity(sorted.len());
    let mut skipped = 0;
    for chain in sorted {
        let ctx = match ExpiryContext::new(chain, expiry) {
            Ok(c) => c,
            Err(_) => {
                skipped += 1;
                continue;
            }
        };
        let a = &ctx.analytics;
        let rows = chain.expiry_rows(expiry);
        let total = |side| -> f64 {
            rows.iter()
                .filter_map(|r| r.leg(side))
                .map(|q| q.open_interest)
                .sum()
        };
        let mut notes = Vec::new();
        let mut keep = |what: &str, r: Result<f64, String>| match r {
            Ok(v) => Some(v),
            Err(e) => {
                notes.push(format!("{what}: {e}"));
                None
            }
        };
        let pcr_oi = keep(
            "PCR",
            a.put_call_ratios
                .by_open_interest
                .clone()
                .map_err(|e| e.to_string()),
        );
        let straddle = keep(
            "straddle",
            a.expected_move
                .as_ref()
                .map(|m| m.straddle.0)
                .map_err(|e| e.to_string()),
        );
        let atm_iv_pct = keep(
            "ATM IV",
            a.atm_iv
                .as_ref()
                .map(|x| x.iv.0 * 100.0)
                .map_err(|e| e.to_string()),
        );
        let max_pain = keep(
            "max pain",
            a.max_pain
                .as_ref()
                .map(|m| m.strike)
                .map_err(|e| e.to_string()),
        );
        points.push(IntradayPoint {
            t: chain.timestamp,
            underlying: chain.underlying,
            pcr_oi,
            straddle,
            atm_iv_pct,
            max_pain,
            call_oi: total(OptionSide::Call),
            put_oi: total(OptionSide::Put),
            notes,
        });
    }
    IntradayChain {
        session_date,
        expiry,
        points,
        skipped,
    }
}
