//! Option chains: one snapshot of every listed strike and expiry of an index's options.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{DataOrigin, Symbol};

/// An option expiry date (the IST trading date on which the contracts settle).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct Expiry(pub NaiveDate);

impl Expiry {
    /// The expiry date.
    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// NSE's spelling, `DD-Mon-YYYY` (e.g. `17-Jul-2025`), as used in option-chain requests.
    pub fn nse_format(self) -> String {
        self.0.format("%d-%b-%Y").to_string()
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for Expiry {
    type Err = ChainError;

    /// Parses `YYYY-MM-DD`, `DD-Mon-YYYY` or `DD-MON-YYYY`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d-%b-%Y"))
            .map(Expiry)
            .map_err(|_| ChainError::BadExpiry(s.to_string()))
    }
}

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionSide {
    /// A call (NSE `CE`).
    Call,
    /// A put (NSE `PE`).
    Put,
}

/// One leg (call or put) at one strike and expiry, as the exchange reported it.
///
/// Zero means "not reported" for NSE's IV and prices; sources map those zeros to `None`
/// so that nothing downstream mistakes a placeholder for a quote.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct OptionQuote {
    /// Open interest in contracts (may be fractional after a lot-size change).
    pub open_interest: f64,
    /// Change in open interest since the previous session, in contracts.
    pub change_in_oi: f64,
    /// Contracts traded today.
    pub volume: f64,
    /// Exchange-computed implied volatility in percent, when reported.
    pub iv_percent: Option<f64>,
    /// Last traded price (premium, index points), when traded.
    pub last_price: Option<f64>,
    /// Best bid, when there is one.
    pub bid: Option<f64>,
    /// Best ask, when there is one.
    pub ask: Option<f64>,
}

impl OptionQuote {
    /// The mid of a two-sided book, if both sides are present and not crossed.
    pub fn mid(&self) -> Option<f64> {
        match (self.bid, self.ask) {
            (Some(b), Some(a)) if b > 0.0 && a >= b => Some(0.5 * (a + b)),
            _ => None,
        }
    }
}

/// One strike of one expiry, with its call and put legs (either may be absent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChainRow {
    /// Expiry of both legs.
    pub expiry: Expiry,
    /// Strike price in index points.
    pub strike: f64,
    /// The call leg, if listed.
    pub call: Option<OptionQuote>,
    /// The put leg, if listed.
    pub put: Option<OptionQuote>,
}

impl ChainRow {
    /// The leg of the given side.
    pub fn leg(&self, side: OptionSide) -> Option<&OptionQuote> {
        match side {
            OptionSide::Call => self.call.as_ref(),
            OptionSide::Put => self.put.as_ref(),
        }
    }
}

/// A snapshot of an index's option chain across its listed expiries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionChain {
    /// The underlying index.
    pub symbol: Symbol,
    /// When the exchange stamped the snapshot (IST).
    pub timestamp: DateTime<FixedOffset>,
    /// The index value the exchange reported with the snapshot.
    pub underlying: f64,
    /// Listed expiries, ascending.
    pub expiries: Vec<Expiry>,
    /// Rows sorted by (expiry, strike), unique.
    pub rows: Vec<ChainRow>,
    /// Where the snapshot came from.
    pub origin: DataOrigin,
}

/// Why an option chain was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainError {
    /// An expiry string in neither `YYYY-MM-DD` nor `DD-Mon-YYYY`.
    #[error("expiry `{0}` is not a date like 17-Jul-2025 or 2025-07-17")]
    BadExpiry(String),
    /// The chain has no rows at all.
    #[error("the option chain has no records")]
    Empty,
    /// Underlying not a positive finite number.
    #[error("underlying value {0} is not a positive number")]
    BadUnderlying(f64),
    /// A strike that is not a positive finite number.
    #[error("strike {strike} of expiry {expiry} is not a positive number")]
    BadStrike {
        /// The expiry of the row.
        expiry: Expiry,
        /// The strike found.
        strike: f64,
    },
    /// The same (expiry, strike) twice.
    #[error("strike {strike} of expiry {expiry} appears twice")]
    DuplicateRow {
        /// The expiry of the row.
        expiry: Expiry,
        /// The repeated strike.
        strike: f64,
    },
    /// A negative or non-finite OI, volume, price or IV.
    #[error(
        "strike {strike} of expiry {expiry}: {field} is {value}, which is not a finite non-negative number"
    )]
    BadField {
        /// The expiry of the row.
        expiry: Expiry,
        /// The strike of the row.
        strike: f64,
        /// Which field.
        field: &'static str,
        /// The value found.
        value: f64,
    },
}

impl OptionChain {
    /// Sorts the rows and expiries, then checks the snapshot: positive underlying, positive
    /// strikes, unique (expiry, strike), finite non-negative OI, volume, prices and IVs.
    /// (Change in OI may be negative.)
    pub fn new(
        symbol: Symbol,
        timestamp: DateTime<FixedOffset>,
        underlying: f64,
        mut expiries: Vec<Expiry>,
        mut rows: Vec<ChainRow>,
        origin: DataOrigin,
    ) -> Result<Self, ChainError> {
        if rows.is_empty() {
            return Err(ChainError::Empty);
        }
        if !(underlying.is_finite() && underlying > 0.0) {
            return Err(ChainError::BadUnderlying(underlying));
        }
        for r in &rows {
            if !(r.strike.is_finite() && r.strike > 0.0) {
                return Err(ChainError::BadStrike {
                    expiry: r.expiry,
                    strike: r.strike,
                });
            }
        }
        rows.sort_by(|a, b| a.expiry.cmp(&b.expiry).then(a.strike.total_cmp(&b.strike)));
        for w in rows.windows(2) {
            if w[0].expiry == w[1].expiry && w[0].strike == w[1].strike {
                return Err(ChainError::DuplicateRow {
                    expiry: w[1].expiry,
                    strike: w[1].strike,
                });
            }
        }
        for r in &rows {
            for q in [r.call, r.put].iter().flatten() {
                let bad = |field: &'static str, value: f64| ChainError::BadField {
                    expiry: r.expiry,
                    strike: r.strike,
                    field,
                    value,
                };
                let non_neg = [
                    ("open_interest", Some(q.open_interest)),
                    ("volume", Some(q.volume)),
                    ("iv_percent", q.iv_percent),
                    ("last_price", q.last_price),
                    ("bid", q.bid),
                    ("ask", q.ask),
                ];
                for (field, v) in non_neg {
                    if let Some(v) = v
                        && !(v.is_finite() && v >= 0.0)
                    {
                        return Err(bad(field, v));
                    }
                }
                if !q.change_in_oi.is_finite() {
                    return Err(bad("change_in_oi", q.change_in_oi));
                }
            }
        }
        for r in &rows {
            if !expiries.contains(&r.expiry) {
                expiries.push(r.expiry);
            }
        }
        expiries.sort();
        expiries.dedup();
        Ok(OptionChain {
            symbol,
            timestamp,
            underlying,
            expiries,
            rows,
            origin,
        })
    }

    /// The rows of one expiry, sorted by strike.
    pub fn expiry_rows(&self, expiry: Expiry) -> &[ChainRow] {
        let start = self.rows.partition_point(|r| r.expiry < expiry);
        let end = self.rows.partition_point(|r| r.expiry <= expiry);
        &self.rows[start..end]
    }

    /// The nearest listed expiry on or after `date`.
    pub fn nearest_expiry_on_or_after(&self, date: NaiveDate) -> Option<Expiry> {
        self.expiries.iter().copied().find(|e| e.0 >= date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(oi: f64) -> OptionQuote {
        OptionQuote {
            open_interest: oi,
            ..Default::default()
        }
    }

    fn ts() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2025-07-16T15:30:00+05:30").unwrap()
    }

    #[test]
    fn parses_nse_and_iso_expiries() {
        let e: Expiry = "17-Jul-2025".parse().unwrap();
        assert_eq!(e.to_string(), "2025-07-17");
        assert_eq!(e.nse_format(), "17-Jul-2025");
        assert_eq!("2025-07-17".parse::<Expiry>().unwrap(), e);
        assert_eq!("17-JUL-2025".parse::<Expiry>().unwrap(), e);
        assert!("17/07/2025".parse::<Expiry>().is_err());
    }

    #[test]
    fn sorts_rows_and_slices_by_expiry() {
        let e1: Expiry = "2025-07-17".parse().unwrap();
        let e2: Expiry = "2025-07-24".parse().unwrap();
        let row = |e, k| ChainRow {
            expiry: e,
            strike: k,
            call: Some(q(1.0)),
            put: None,
        };
        let chain = OptionChain::new(
            Symbol::Nifty50,
            ts(),
            25_000.0,
            vec![],
            vec![row(e2, 25_000.0), row(e1, 25_100.0), row(e1, 24_900.0)],
            DataOrigin::Nse,
        )
        .unwrap();
        assert_eq!(chain.expiries, vec![e1, e2]);
        let strikes: Vec<f64> = chain.expiry_rows(e1).iter().map(|r| r.strike).collect();
        assert_eq!(strikes, vec![24_900.0, 25_100.0]);
        assert_eq!(chain.expiry_rows(e2).len(), 1);
        assert_eq!(
            chain.nearest_expiry_on_or_after(NaiveDate::from_ymd_opt(2025, 7, 18).unwrap()),
            Some(e2)
        );
    }

    #[test]
    fn rejects_duplicates_and_negative_fields() {
        let e: Expiry = "2025-07-17".parse().unwrap();
        let row = ChainRow {
            expiry: e,
            strike: 25_000.0,
            call: Some(q(1.0)),
            put: None,
        };
        let dup = OptionChain::new(
            Symbol::Nifty50,
            ts(),
            1.0,
            vec![],
            vec![row, row],
            DataOrigin::Nse,
        );
        assert!(matches!(dup, Err(ChainError::DuplicateRow { .. })));
        let neg = ChainRow {
            call: Some(q(-5.0)),
            ..row
        };
        let e = OptionChain::new(
            Symbol::Nifty50,
            ts(),
            1.0,
            vec![],
            vec![neg],
            DataOrigin::Nse,
        )
        .unwrap_err();
        assert!(e.to_string().contains("open_interest"), "{e}");
        assert_eq!(
            OptionChain::new(Symbol::Nifty50, ts(), 1.0, vec![], vec![], DataOrigin::Nse),
            Err(ChainError::Empty)
        );
    }
}
