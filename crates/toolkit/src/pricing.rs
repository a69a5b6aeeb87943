//! Prices and vols of single contracts from a chain snapshot, by the rules of
//! [`aegis_quant::chain`]: a two-sided uncrossed book gives the mid, otherwise the last traded
//! price; zeros are "not reported". IVs are our own (Black-76 on the expiry's parity forward),
//! never NSE's field.

use aegis_model::time::ist_at;
use aegis_model::{AnnualVol, Expiry, OptionChain, OptionQuote, OptionSide};
use aegis_quant::chain::{ChainConfig, ExpiryAnalytics, analyze_expiry};
use aegis_quant::{DiscountFactor, Forward, Strike, Years, implied_vol};
use chrono::{DateTime, FixedOffset};

use crate::ToolkitError;

/// Years from `at` to 15:30 IST of the expiry day (calendar days / 365); `None` once expired.
pub fn years_to_expiry(at: DateTime<FixedOffset>, expiry: Expiry) -> Option<Years> {
    let close = ist_at(expiry.date(), 15, 30);
    let secs = (close - at.to_utc()).num_seconds();
    (secs > 0).then(|| Years::from_calendar_days(secs as f64 / 86_400.0))
}

/// A finite positive value, or `None` (zero means "not reported").
fn reported(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x > 0.0)
}

/// The premium of a leg by the chain rules, or why there is none.
pub(crate) fn leg_premium(q: &OptionQuote) -> Result<f64, &'static str> {
    let last = reported(q.last_price);
    match (reported(q.bid), reported(q.ask)) {
        (Some(b), Some(a)) if b > a => Err("crossed book (bid above ask)"),
        (Some(b), Some(a)) => Ok(0.5 * (a + b)),
        (Some(_), None) | (None, Some(_)) => last.ok_or("one-sided book and no last price"),
        (None, None) => last.ok_or("no bid, ask or last price"),
    }
}

/// One live expiry of a snapshot: its time to expiry and the chain analytics.
#[derive(Debug, Clone)]
pub(crate) struct ExpiryContext {
    pub expiry: Expiry,
    pub years: Years,
    pub analytics: ExpiryAnalytics,
}

impl ExpiryContext {
    /// Analyses `expiry` of `chain` at the snapshot time.
    pub fn new(chain: &OptionChain, expiry: Expiry) -> Result<Self, ToolkitError> {
        let years = years_to_expiry(chain.timestamp, expiry).ok_or_else(|| {
            ToolkitError::unavailable(
                "expiry",
                format!(
                    "expiry {expiry} had expired at the snapshot time {}",
                    chain.timestamp
                ),
            )
        })?;
        let analytics = analyze_expiry(chain, expiry, years, &ChainConfig::default())
            .map_err(|e| ToolkitError::unavailable("chain analytics", e.to_string()))?;
        Ok(ExpiryContext {
            expiry,
            years,
            analytics,
        })
    }

    /// The parity forward, or why there is none.
    pub fn forward(&self) -> Result<f64, ToolkitError> {
        self.analytics
            .forward
            .as_ref()
            .map(|f| f.forward.0)
            .map_err(|e| ToolkitError::unavailable("parity forward", e.to_string()))
    }
}

/// Our implied vol of a premium on `forward`, within the chain analytics' sanity band
/// (default 1 %–300 %), or why there is none.
pub(crate) fn leg_iv(
    kind: OptionSide,
    premium: f64,
    forward: f64,
    strike: f64,
    years: Years,
) -> Result<AnnualVol, String> {
    let config = ChainConfig::default();
    let iv = implied_vol(
        kind,
        premium,
        Forward(forward),
        Strike(strike),
        years,
        DiscountFactor::ONE,
    )
    .map_err(|e| e.to_string())?;
    if iv.0 < config.min_iv.0 || iv.0 > config.max_iv.0 {
        return Err(format!(
            "implied vol {:.2}% is outside the accepted {:.0}%–{:.0}%",
            iv.0 * 100.0,
            config.min_iv.0 * 100.0,
            config.max_iv.0 * 100.0
        ));
    }
    Ok(iv)
}

/// Premium and IV of one contract of a live expiry.
pub(crate) fn quote_contract(
    chain: &OptionChain,
    ctx: &ExpiryContext,
    kind: OptionSide,
    strike: f64,
) -> Result<(f64, AnnualVol), ToolkitError> {
    let unpriced = |reason: String| ToolkitError::Unpriced {
        kind,
        strike,
        expiry: ctx.expiry,
        reason,
    };
    let row = chain
        .expiry_rows(ctx.expiry)
        .iter()
        .find(|r| r.strike == strike)
        .ok_or_else(|| unpriced("the strike is not listed in the snapshot".into()))?;
    let quote = row
        .leg(kind)
        .ok_or_else(|| unpriced("the snapshot has no quote for this leg".into()))?;
    let premium = leg_premium(quote).map_err(|r| unpriced(r.to_string()))?;
    let forward = ctx.forward().map_err(|e| unpriced(e.to_string()))?;
    let iv = leg_iv(kind, premium, forward, strike, ctx.years).map_err(unpriced)?;
    Ok((premium, iv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(bid: Option<f64>, ask: Option<f64>, last: Option<f64>) -> OptionQuote {
        OptionQuote {
            bid,
            ask,
            last_price: last,
            ..OptionQuote::default()
        }
    }

    #[test]
    fn premium_follows_the_chain_rules() {
        assert_eq!(
            leg_premium(&q(Some(10.0), Some(12.0), Some(50.0))),
            Ok(11.0)
        );
        assert!(leg_premium(&q(Some(12.0), Some(10.0), Some(11.0))).is_err());
        assert_eq!(leg_premium(&q(Some(10.0), None, Some(9.5))), Ok(9.5));
        assert!(leg_premium(&q(Some(10.0), Some(0.0), None)).is_err());
        assert_eq!(leg_premium(&q(None, None, Some(3.0))), Ok(3.0));
        assert!(leg_premium(&q(None, None, Some(0.0))).is_err());
    }

    #[test]
    fn years_run_to_the_1530_close() {
        let at = DateTime::parse_from_rfc3339("2025-07-16T15:30:00+05:30").unwrap();
        let e: Expiry = "2025-07-17".parse().unwrap();
        assert!((years_to_expiry(at, e).unwrap().0 - 1.0 / 365.0).abs() < 1e-12);
        let past: Expiry = "2025-07-16".parse().unwrap();
        assert!(years_to_expiry(at, past).is_none());
    }
}
