//! Implied volatility: the σ at which Black-76 reproduces an observed premium.
//!
//! A thin, checked wrapper around the `implied-vol` crate (a port of Jäckel's "Let's Be Rational",
//! which converges to machine precision in two Householder steps). That crate works on the
//! *undiscounted* Black-76 price; it panics on some extreme inputs in debug builds and returns
//! `Some(NaN)` in release. This module therefore checks every input and the no-arbitrage bounds
//! first, and checks that the answer is a finite positive number, so a price that no volatility
//! can produce is a typed [`IvError`], never a number.
//!
//! The bounds, on the undiscounted price `u = price / DF`:
//! `intrinsic < u < bound`, where intrinsic is `max(F − K, 0)` for a call and `max(K − F, 0)`
//! for a put, and the bound is `F` for a call and `K` for a put.
//!
//! ```
//! use aegis_model::{AnnualVol, OptionSide};
//! use aegis_quant::{Black76, DiscountFactor, Forward, Strike, Years, implied_vol};
//!
//! let (f, k, t) = (Forward(25_000.0), Strike(25_500.0), Years::from_calendar_days(6.0));
//! let premium = Black76::undiscounted(f, k, t, AnnualVol(0.13))?.price(OptionSide::Call);
//! let vol = implied_vol(OptionSide::Call, premium, f, k, t, DiscountFactor::ONE).unwrap();
//! assert!((vol.0 - 0.13).abs() < 1e-12);
//! # Ok::<(), aegis_quant::InputError>(())
//! ```

use aegis_model::{AnnualVol, OptionSide};
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};

use crate::error::{InputError, positive};
use crate::{DiscountFactor, Forward, Strike, Years};

/// Why no implied volatility exists for a price.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum IvError {
    /// Forward, strike or discount factor not a finite positive number, or a NaN time.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The option has expired (or the clock is wrong): no time value to invert.
    #[error(
        "time to expiry {0} years is not > 0: the option has expired or the expiry time is wrong"
    )]
    NonPositiveTime(f64),
    /// The premium is negative, NaN or infinite.
    #[error("price {0} is not a finite number ≥ 0")]
    BadPrice(f64),
    /// The (undiscounted) premium is below intrinsic value: an arbitrage, no volatility fits.
    #[error(
        "price {price} is below the intrinsic value {intrinsic} (undiscounted): no volatility gives it"
    )]
    BelowIntrinsic {
        /// Undiscounted premium.
        price: f64,
        /// `max(F − K, 0)` for a call, `max(K − F, 0)` for a put.
        intrinsic: f64,
    },
    /// The premium has no time value over intrinsic, or one so small (below ~1e-308 of `√(FK)`)
    /// that it underflows: no volatility can be read from it.
    #[error(
        "price {price} has time value {time_value} over intrinsic: too little for a volatility to be read from it"
    )]
    NoTimeValue {
        /// Undiscounted premium.
        price: f64,
        /// Premium minus intrinsic value.
        time_value: f64,
    },
    /// The premium reaches the no-arbitrage upper bound (infinite volatility) or exceeds it.
    #[error(
        "price {price} is at or above the upper bound {bound} (the forward for a call, the strike for a put, undiscounted)"
    )]
    AboveUpperBound {
        /// Undiscounted premium.
        price: f64,
        /// `F` for a call, `K` for a put.
        bound: f64,
    },
    /// The solver returned no finite positive volatility for a price inside the bounds.
    #[error("the implied-vol solver did not converge (returned {0}) for a price inside the bounds")]
    NotConverged(f64),
}

/// The Black-76 implied volatility of a premium `price` (discounted by `discount`; pass
/// [`DiscountFactor::ONE`] for undiscounted prices).
pub fn implied_vol(
    side: OptionSide,
    price: f64,
    forward: Forward,
    strike: Strike,
    years: Years,
    discount: DiscountFactor,
) -> Result<AnnualVol, IvError> {
    let f = positive("forward", forward.0)?;
    let k = positive("strike", strike.0)?;
    let df = positive("discount factor", discount.0)?;
    let t = years.0;
    if t.is_nan() {
        return Err(IvError::Input(InputError {
            name: "years to expiry",
            value: t,
            rule: "a finite number > 0",
        }));
    }
    if t <= 0.0 {
        return Err(IvError::NonPositiveTime(t));
    }
    if !(price.is_finite() && price >= 0.0) {
        return Err(IvError::BadPrice(price));
    }
    let undiscounted = price / df;
    let (intrinsic, bound) = match side {
        OptionSide::Call => ((f - k).max(0.0), f),
        OptionSide::Put => ((k - f).max(0.0), k),
    };
    if undiscounted < intrinsic {
        return Err(IvError::BelowIntrinsic {
            price: undiscounted,
            intrinsic,
        });
    }
    if undiscounted == intrinsic {
        return Err(IvError::NoTimeValue {
            price: undiscounted,
            time_value: 0.0,
        });
    }
    if undiscounted >= bound {
        return Err(IvError::AboveUpperBound {
            price: undiscounted,
            bound,
        });
    }
    // An infinite T with a valid price would give σ = 0·∞ trouble; a year count that large
    // is a caller bug, so it goes through the same positive-number check.
    positive("years to expiry", t)?;
    let vol = ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(f)
        .strike(k)
        .expiry(t)
        .is_call(side == OptionSide::Call)
        .build_unchecked()
        .calculate::<DefaultSpecialFn>();
    match vol {
        Some(v) if v.is_finite() && v > 0.0 => Ok(AnnualVol(v)),
        // The solver's normalised price underflowed: the time value is effectively zero.
        Some(0.0) => Err(IvError::NoTimeValue {
            price: undiscounted,
            time_value: undiscounted - intrinsic,
        }),
        Some(v) => Err(IvError::NotConverged(v)),
        None => Err(IvError::NotConverged(f64::NAN)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Black76;
    use proptest::prelude::*;

    const CALL: OptionSide = OptionSide::Call;
    const PUT: OptionSide = OptionSide::Put;
    const TWO_HOURS: f64 = 2.0 / 24.0 / 365.0;

    /// Whether the volatility of this option can be recovered to 1e-10 from its premium.
    ///
    /// The rule used by every round-trip test here:
    /// * the out-of-the-money leg at the strike (call for `K ≥ F`, put below) must be worth more
    ///   than `1e-300·F`: below that the premium is zero or subnormal and holds no information.
    ///   (Far stricter than the usual `1e-12·F` cut: the solver keeps full precision down to there.)
    /// * an in-the-money leg is intrinsic value plus that time value, so its premium's own rounding
    ///   (one ulp of the premium) must move the volatility by less than 1e-11: `ulp(price)/vega ≤ 1e-11`.
    ///   A deep-ITM, short-dated premium is intrinsic value to all 16 digits and no solver can do better.
    fn identifiable(o: &Black76, side: OptionSide, f: f64, k: f64, discount: f64) -> bool {
        let otm_side = if k >= f { CALL } else { PUT };
        let otm = o.price(otm_side) / discount;
        if otm <= 1e-300 * f {
            return false;
        }
        if side == otm_side {
            return true;
        }
        let price = o.price(side);
        let vega_per_unit = o.vega_per_point() * 100.0;
        price * f64::EPSILON / vega_per_unit <= 1e-11
    }

    /// σ in [0.05, 1.5], ln(K/F) in [−0.5, 0.5], T from 2 hours to a year, calls and puts.
    #[test]
    fn grid_round_trip_to_1e_10() {
        let f = 25_000.0;
        let vols = (0..=29).map(|i| 0.05 + 0.05 * f64::from(i));
        let moneyness: Vec<f64> = (0..=40).map(|i| -0.5 + 0.025 * f64::from(i)).collect();
        let days = [
            TWO_HOURS * 365.0,
            0.25,
            1.0,
            3.0,
            7.0,
            30.0,
            91.0,
            182.0,
            365.0,
        ];
        let (mut solved, mut skipped, mut worst) = (0usize, 0usize, 0.0f64);
        for vol in vols {
            for &x in &moneyness {
                for &d in &days {
                    for side in [CALL, PUT] {
                        let (k, t) = (f * x.exp(), Years::from_calendar_days(d));
                        let o = Black76::undiscounted(Forward(f), Strike(k), t, AnnualVol(vol))
                            .unwrap();
                        if !identifiable(&o, side, f, k, 1.0) {
                            skipped += 1;
                            continue;
                        }
                        let got = implied_vol(
                            side,
                            o.price(side),
                            Forward(f),
                            Strike(k),
                            t,
                            DiscountFactor::ONE,
                        )
                        .unwrap_or_else(|e| panic!("σ={vol} x={x} days={d} {side:?}: {e}"));
                        let err = (got.0 - vol).abs();
                        assert!(
                            err < 1e-10,
                            "σ={vol} x={x} days={d} {side:?}: got {}",
                            got.0
                        );
                        worst = worst.max(err);
                        solved += 1;
                    }
                }
            }
        }
        // The rule must leave most of the grid in: 30·41·9·2 = 22 140 cases.
        assert!(solved > 17_000, "solved {solved}, skipped {skipped}");
        assert!(worst < 1e-10);
    }

    fn market() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
        (
            10.0f64..60_000.0,
            -0.5f64..0.5,
            TWO_HOURS..1.0,
            0.05f64..1.5,
            0.0f64..0.12,
        )
            .prop_map(|(f, x, t, vol, rate)| (f, f * x.exp(), t, vol, (-rate * t).exp()))
    }

    proptest! {
        #[test]
        fn round_trip((f, k, t, vol, df) in market(), call in any::<bool>()) {
            let side = if call { CALL } else { PUT };
            let o = Black76::new(Forward(f), Strike(k), Years(t), AnnualVol(vol), DiscountFactor(df)).unwrap();
            prop_assume!(identifiable(&o, side, f, k, df));
            let got = implied_vol(side, o.price(side), Forward(f), Strike(k), Years(t), DiscountFactor(df)).unwrap();
            prop_assert!((got.0 - vol).abs() < 1e-10, "{} vs {vol}", got.0);
        }

        /// `C − P = DF·(F − K)`, and the call and the put at one strike imply the same σ.
        #[test]
        fn put_call_parity((f, k, t, vol, df) in market()) {
            let o = Black76::new(Forward(f), Strike(k), Years(t), AnnualVol(vol), DiscountFactor(df)).unwrap();
            let (c, p) = (o.price(CALL), o.price(PUT));
            prop_assert!((c - p - df * (f - k)).abs() <= 1e-12 * f.max(k));
            prop_assume!(identifiable(&o, CALL, f, k, df) && identifiable(&o, PUT, f, k, df));
            let solve = |side, price| implied_vol(side, price, Forward(f), Strike(k), Years(t), DiscountFactor(df)).unwrap().0;
            prop_assert!((solve(CALL, c) - solve(PUT, p)).abs() < 2e-10);
        }
    }

    fn solve(side: OptionSide, price: f64, f: f64, k: f64, t: f64) -> Result<AnnualVol, IvError> {
        implied_vol(
            side,
            price,
            Forward(f),
            Strike(k),
            Years(t),
            DiscountFactor::ONE,
        )
    }

    #[test]
    fn impossible_prices_are_errors_not_numbers() {
        // Call at K = 90 on F = 100 is worth at least 10 and less than 100.
        assert_eq!(
            solve(CALL, 9.5, 100.0, 90.0, 0.1),
            Err(IvError::BelowIntrinsic {
                price: 9.5,
                intrinsic: 10.0
            })
        );
        assert!(matches!(
            solve(CALL, 10.0, 100.0, 90.0, 0.1),
            Err(IvError::NoTimeValue { .. })
        ));
        assert!(matches!(
            solve(CALL, 0.0, 100.0, 110.0, 0.1),
            Err(IvError::NoTimeValue { .. })
        ));
        assert_eq!(
            solve(CALL, 100.0, 100.0, 90.0, 0.1),
            Err(IvError::AboveUpperBound {
                price: 100.0,
                bound: 100.0
            })
        );
        // A put is bounded by its strike, undiscounted: 95 / 0.9 > 100.
        assert_eq!(
            implied_vol(
                PUT,
                95.0,
                Forward(100.0),
                Strike(100.0),
                Years(1.0),
                DiscountFactor(0.9)
            ),
            Err(IvError::AboveUpperBound {
                price: 95.0 / 0.9,
                bound: 100.0
            })
        );
        assert_eq!(
            solve(PUT, 4.0, 100.0, 105.0, 0.1),
            Err(IvError::BelowIntrinsic {
                price: 4.0,
                intrinsic: 5.0
            })
        );
        // A time value that underflows the solver's normalised price.
        assert!(matches!(
            solve(CALL, 1e-320, 100.0, 1e25, 0.1),
            Err(IvError::NoTimeValue { .. })
        ));
    }

    #[test]
    fn bad_inputs_are_named() {
        assert_eq!(
            solve(CALL, 1.0, 100.0, 100.0, 0.0),
            Err(IvError::NonPositiveTime(0.0))
        );
        assert_eq!(
            solve(CALL, 1.0, 100.0, 100.0, -0.5),
            Err(IvError::NonPositiveTime(-0.5))
        );
        assert!(
            matches!(solve(CALL, 1.0, 100.0, 100.0, f64::NAN), Err(IvError::Input(e)) if e.name == "years to expiry")
        );
        assert!(
            matches!(solve(CALL, 1.0, 100.0, 100.0, f64::INFINITY), Err(IvError::Input(e)) if e.name == "years to expiry")
        );
        assert!(
            matches!(solve(CALL, 1.0, 0.0, 100.0, 0.1), Err(IvError::Input(e)) if e.name == "forward")
        );
        assert!(
            matches!(solve(CALL, 1.0, 100.0, -1.0, 0.1), Err(IvError::Input(e)) if e.name == "strike")
        );
        assert!(matches!(
            implied_vol(CALL, 1.0, Forward(100.0), Strike(100.0), Years(0.1), DiscountFactor(f64::NAN)),
            Err(IvError::Input(e)) if e.name == "discount factor"
        ));
        assert_eq!(
            solve(CALL, -1.0, 100.0, 100.0, 0.1),
            Err(IvError::BadPrice(-1.0))
        );
        assert!(matches!(
            solve(CALL, f64::NAN, 100.0, 100.0, 0.1),
            Err(IvError::BadPrice(_))
        ));
        let msg = solve(PUT, 4.0, 100.0, 105.0, 0.1).unwrap_err().to_string();
        assert!(msg.contains("below the intrinsic value 5"), "{msg}");
    }
}
