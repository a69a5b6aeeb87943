//! The forward of an expiry from put–call parity, with no guessed interest rate.
//!
//! For European options `C − P = DF·(F − K)`. Undiscounted (`DF = 1`, the convention used with
//! NSE chains here, where the premium of a weekly or monthly option differs from its discounted
//! value by well under 1 %), each strike with both legs quoted gives `F = K + C − P`. Quotes far
//! from the money are stale or wide, so only the strikes where `|C − P|` is smallest (the ones
//! nearest the money) are used, and the median of their estimates is the forward: one bad strike
//! among three cannot move it.
//!
//! ```
//! use aegis_quant::parity::{StrikeQuotes, forward_from_parity};
//! let quotes = [
//!     StrikeQuotes { strike: 24_900.0, call: Some(180.0), put: Some(60.0) },
//!     StrikeQuotes { strike: 25_000.0, call: Some(110.0), put: Some(90.0) },
//!     StrikeQuotes { strike: 25_100.0, call: Some(60.0), put: Some(141.0) },
//!     StrikeQuotes { strike: 25_200.0, call: Some(30.0), put: None },
//! ];
//! let fwd = forward_from_parity(&quotes, 3)?;
//! assert_eq!(fwd.forward.0, 25_020.0); // median of 25 020, 25 020, 25 019
//! # Ok::<(), aegis_quant::parity::ParityError>(())
//! ```

use serde::Serialize;

use crate::Forward;
use crate::error::InputError;

/// The call and put premiums at one strike; `None` where a leg has no usable price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrikeQuotes {
    /// Strike in index points.
    pub strike: f64,
    /// Call premium, if quoted.
    pub call: Option<f64>,
    /// Put premium, if quoted.
    pub put: Option<f64>,
}

/// A forward read from put–call parity, with the strikes it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParityForward {
    /// The median of `K + C − P` over the strikes used.
    pub forward: Forward,
    /// The strikes used, nearest the money first.
    pub strikes_used: Vec<f64>,
    /// `K + C − P` at each strike used, in the same order.
    pub estimates: Vec<f64>,
}

/// Why no forward could be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParityError {
    /// No strike has both a call and a put premium.
    #[error("no strike has both a call and a put premium, so put–call parity gives no forward")]
    NoCompleteStrike,
    /// A strike or premium that is not a usable number, or a zero strike count.
    #[error("strike {strike}: {source}")]
    Input {
        /// The strike of the bad quote (NaN when the count itself is bad).
        strike: f64,
        /// What is wrong.
        source: InputError,
    },
    /// The parity forward is not positive: the premiums contradict each other.
    #[error(
        "put–call parity gives a forward of {0}, which is not positive: the premiums are inconsistent"
    )]
    NonPositiveForward(f64),
}

/// The forward from the `nearest` strikes (those with the smallest `|C − P|`) that have both legs.
///
/// Premiums must be finite and > 0 where present (zero means "not reported" on NSE: pass `None`);
/// strikes finite and > 0. Ties in `|C − P|` go to the lower strike.
pub fn forward_from_parity(
    quotes: &[StrikeQuotes],
    nearest: usize,
) -> Result<ParityForward, ParityError> {
    if nearest == 0 {
        return Err(ParityError::Input {
            strike: f64::NAN,
            source: InputError {
                name: "number of strikes",
                value: 0.0,
                rule: "at least 1",
            },
        });
    }
    let mut complete = Vec::new();
    for q in quotes {
        let check = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(ParityError::Input {
                    strike: q.strike,
                    source: InputError {
                        name,
                        value: v,
                        rule: "a finite number > 0",
                    },
                })
            }
        };
        let strike = check("strike", q.strike)?;
        let call = q.call.map(|c| check("call premium", c)).transpose()?;
        let put = q.put.map(|p| check("put premium", p)).transpose()?;
        if let (Some(c), Some(p)) = (call, put) {
            complete.push((strike, c - p));
        }
    }
    if complete.is_empty() {
        return Err(ParityError::NoCompleteStrike);
    }
    complete.sort_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(a.0.total_cmp(&b.0)));
    complete.truncate(nearest);
    let strikes_used: Vec<f64> = complete.iter().map(|&(k, _)| k).collect();
    let estimates: Vec<f64> = complete.iter().map(|&(k, diff)| k + diff).collect();
    let forward = median(&estimates);
    if forward <= 0.0 {
        return Err(ParityError::NonPositiveForward(forward));
    }
    Ok(ParityForward {
        forward: Forward(forward),
        strikes_used,
        estimates,
    })
}

/// Median of a non-empty slice (mean of the two middle values for an even count).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Black76, Strike, Years};
    use aegis_model::{AnnualVol, OptionSide};

    fn q(strike: f64, call: Option<f64>, put: Option<f64>) -> StrikeQuotes {
        StrikeQuotes { strike, call, put }
    }

    #[test]
    fn recovers_the_forward_of_black76_prices_with_a_smile() {
        let (f, t) = (25_123.4, Years::from_calendar_days(9.0));
        let quotes: Vec<StrikeQuotes> = (0..21)
            .map(|i| {
                let k = 24_500.0 + 50.0 * f64::from(i);
                let vol = AnnualVol(0.12 + 0.3 * (k / f).ln().powi(2));
                let o = Black76::undiscounted(Forward(f), Strike(k), t, vol).unwrap();
                q(
                    k,
                    Some(o.price(OptionSide::Call)),
                    Some(o.price(OptionSide::Put)),
                )
            })
            .collect();
        let got = forward_from_parity(&quotes, 3).unwrap();
        assert!((got.forward.0 - f).abs() < 1e-9);
        assert_eq!(got.strikes_used, vec![25_100.0, 25_150.0, 25_050.0]);
    }

    #[test]
    fn median_resists_one_bad_strike_and_skips_one_sided_strikes() {
        let quotes = [
            q(100.0, Some(5.0), Some(4.0)), // 101
            q(101.0, Some(4.5), Some(4.6)), // 100.9
            q(102.0, Some(1.0), Some(1.2)), // 101.8: stale quote, still near the money
            q(103.0, None, Some(3.0)),      // one-sided: ignored
            q(99.0, Some(6.0), Some(3.0)),  // |C − P| = 3: not among the nearest 3
        ];
        let got = forward_from_parity(&quotes, 3).unwrap();
        assert_eq!(got.strikes_used, vec![101.0, 102.0, 100.0]);
        assert!((got.forward.0 - 101.0).abs() < 1e-12);
        // Two strikes: the mean of both.
        let two = forward_from_parity(&quotes, 2).unwrap();
        assert!((two.forward.0 - 0.5 * (100.9 + 101.8)).abs() < 1e-12);
    }

    #[test]
    fn errors() {
        assert_eq!(
            forward_from_parity(&[q(100.0, Some(1.0), None), q(105.0, None, Some(2.0))], 3),
            Err(ParityError::NoCompleteStrike)
        );
        assert_eq!(
            forward_from_parity(&[], 3),
            Err(ParityError::NoCompleteStrike)
        );
        let bad = forward_from_parity(&[q(100.0, Some(-1.0), Some(2.0))], 3).unwrap_err();
        assert!(bad.to_string().contains("call premium = -1"), "{bad}");
        assert!(forward_from_parity(&[q(100.0, Some(1.0), Some(1.0))], 0).is_err());
        assert_eq!(
            forward_from_parity(&[q(10.0, Some(1.0), Some(12.0))], 1),
            Err(ParityError::NonPositiveForward(-1.0))
        );
    }
}
