//! Black-76: European options on a forward (NSE index options are European and settle on the
//! index, so the forward of each expiry, read from put–call parity, is the natural underlying).
//!
//! Conventions, fixed here once for the whole crate:
//!
//! * Time to expiry `T` is in years of **calendar** time, `calendar days / 365`
//!   ([`Years::from_calendar_days`]); fractions of a day are allowed (hours to the 15:30 IST close).
//! * Volatility is an [`AnnualVol`] fraction (0.15 = 15 %) on the same calendar-time clock.
//! * Prices are premiums in index points. With [`DiscountFactor::ONE`] they are *undiscounted*
//!   (paid at expiry); otherwise they are `DF ×` the undiscounted price.
//! * **delta** is `∂V/∂F` (forward delta, including the discount factor);
//!   **gamma** is `∂²V/∂F²`;
//!   **vega_per_point** is the price change for a **1 vol-point** move (`σ` + 0.01), i.e. `∂V/∂σ / 100`;
//!   **theta_per_day** is the price change for one **calendar day** passing with `F`, `K`, `σ`
//!   and the interest rate `r = −ln(DF)/T` unchanged: `−∂V/∂T / 365` (a rate, not a one-day difference).
//!
//! ```
//! use aegis_model::{AnnualVol, OptionSide};
//! use aegis_quant::{Black76, DiscountFactor, Forward, Strike, Years};
//!
//! // Hull, "Options, Futures and Other Derivatives", Black's model example:
//! // futures option F = K = 20, r = 9 %, σ = 25 %, T = 4 months → put 1.12.
//! let t = Years(4.0 / 12.0);
//! let option = Black76::new(
//!     Forward(20.0), Strike(20.0), t, AnnualVol(0.25), DiscountFactor::from_rate(0.09, t),
//! )?;
//! assert!((option.price(OptionSide::Put) - 1.12).abs() < 0.005);
//! # Ok::<(), aegis_quant::InputError>(())
//! ```

use aegis_model::{AnnualVol, OptionSide};
use implied_vol::{DefaultSpecialFn, PriceBlackScholes};
use serde::{Deserialize, Serialize};

use crate::error::{InputError, positive};
use crate::normal;

/// The forward price of the underlying for the option's expiry, in index points.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Forward(pub f64);

/// An option strike, in index points.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Strike(pub f64);

/// A time in years.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Years(pub f64);

impl Years {
    /// Calendar days in a year: option time is `calendar days / 365`.
    pub const CALENDAR_DAYS: f64 = 365.0;

    /// Option time from calendar days (fractions allowed): `days / 365`.
    pub fn from_calendar_days(days: f64) -> Self {
        Years(days / Self::CALENDAR_DAYS)
    }

    /// Time from trading days, `days / 252`, for vols measured on the trading-day clock
    /// (realized vol, touch probabilities over a trading-day horizon).
    pub fn from_trading_days(days: f64) -> Self {
        Years(days / AnnualVol::TRADING_DAYS)
    }
}

/// The price today of one unit paid at expiry, `DF = e^{−rT}`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DiscountFactor(pub f64);

impl DiscountFactor {
    /// No discounting: prices are undiscounted (paid at expiry).
    pub const ONE: DiscountFactor = DiscountFactor(1.0);

    /// `e^{−rT}` for a continuously compounded rate `r`.
    pub fn from_rate(rate: f64, years: Years) -> Self {
        DiscountFactor((-rate * years.0).exp())
    }
}

/// A European option priced by Black-76 on the forward; construction checks every input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Black76 {
    forward: f64,
    strike: f64,
    years: f64,
    vol: f64,
    discount: f64,
}

/// Price and greeks of one option, in the units documented on the [module](self).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Greeks {
    /// Premium in index points.
    pub price: f64,
    /// `∂V/∂F`.
    pub delta: f64,
    /// `∂²V/∂F²`.
    pub gamma: f64,
    /// Price change per 1 vol point (`σ` + 0.01).
    pub vega_per_point: f64,
    /// Price change per calendar day passing (negative for a long option with `DF = 1`).
    pub theta_per_day: f64,
}

impl Black76 {
    /// Checks the inputs: forward, strike, years, vol and discount factor must be finite and > 0.
    pub fn new(
        forward: Forward,
        strike: Strike,
        years: Years,
        vol: AnnualVol,
        discount: DiscountFactor,
    ) -> Result<Self, InputError> {
        Ok(Black76 {
            forward: positive("forward", forward.0)?,
            strike: positive("strike", strike.0)?,
            years: positive("years to expiry", years.0)?,
            vol: positive("volatility", vol.0)?,
            discount: positive("discount factor", discount.0)?,
        })
    }

    /// An undiscounted option ([`DiscountFactor::ONE`]).
    pub fn undiscounted(
        forward: Forward,
        strike: Strike,
        years: Years,
        vol: AnnualVol,
    ) -> Result<Self, InputError> {
        Self::new(forward, strike, years, vol, DiscountFactor::ONE)
    }

    /// Total volatility `σ√T`.
    fn total_vol(&self) -> f64 {
        self.vol * self.years.sqrt()
    }

    /// `d1 = (ln(F/K) + σ²T/2) / (σ√T)`.
    pub fn d1(&self) -> f64 {
        let s = self.total_vol();
        (self.forward / self.strike).ln() / s + 0.5 * s
    }

    /// `d2 = d1 − σ√T`.
    pub fn d2(&self) -> f64 {
        self.d1() - self.total_vol()
    }

    /// The premium: `DF·[F·N(d1) − K·N(d2)]` for a call, `DF·[K·N(−d2) − F·N(−d1)]` for a put.
    ///
    /// The undiscounted price is evaluated with Jäckel's "Let's Be Rational" normalised Black
    /// function (implied-vol crate), which keeps full relative precision for far out-of-the-money
    /// options where the textbook formula cancels.
    pub fn price(&self, side: OptionSide) -> f64 {
        let undiscounted = PriceBlackScholes::builder()
            .forward(self.forward)
            .strike(self.strike)
            .volatility(self.vol)
            .expiry(self.years)
            .is_call(side == OptionSide::Call)
            .build_unchecked()
            .calculate::<DefaultSpecialFn>();
        self.discount * undiscounted
    }

    /// `∂V/∂F`: `DF·N(d1)` for a call, `−DF·N(−d1)` for a put.
    pub fn delta(&self, side: OptionSide) -> f64 {
        let d1 = self.d1();
        match side {
            OptionSide::Call => self.discount * normal::cdf(d1),
            OptionSide::Put => -self.discount * normal::cdf(-d1),
        }
    }

    /// `∂²V/∂F² = DF·φ(d1) / (F·σ√T)`, the same for calls and puts.
    pub fn gamma(&self) -> f64 {
        self.discount * normal::pdf(self.d1()) / (self.forward * self.total_vol())
    }

    /// Price change for a 1 vol-point rise in `σ`: `DF·F·φ(d1)·√T / 100`.
    pub fn vega_per_point(&self) -> f64 {
        self.discount * self.forward * normal::pdf(self.d1()) * self.years.sqrt() / 100.0
    }

    /// Price change per calendar day passing: `(−DF·F·φ(d1)·σ / (2√T) + r·V) / 365`, with
    /// `r = −ln(DF)/T` held fixed.
    pub fn theta_per_day(&self, side: OptionSide) -> f64 {
        let decay = -self.discount * self.forward * normal::pdf(self.d1()) * self.vol
            / (2.0 * self.years.sqrt());
        let rate = -self.discount.ln() / self.years;
        (decay + rate * self.price(side)) / Years::CALENDAR_DAYS
    }

    /// Price and all greeks at once.
    pub fn greeks(&self, side: OptionSide) -> Greeks {
        Greeks {
            price: self.price(side),
            delta: self.delta(side),
            gamma: self.gamma(),
            vega_per_point: self.vega_per_point(),
            theta_per_day: self.theta_per_day(side),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    const CALL: OptionSide = OptionSide::Call;
    const PUT: OptionSide = OptionSide::Put;

    fn option(f: f64, k: f64, t: f64, vol: f64, rate: f64) -> Black76 {
        let t = Years(t);
        Black76::new(
            Forward(f),
            Strike(k),
            t,
            AnnualVol(vol),
            DiscountFactor::from_rate(rate, t),
        )
        .unwrap()
    }

    /// Hull, "Options, Futures and Other Derivatives": the Black's-model futures-option example
    /// (F = K = 20, r = 9 %, σ = 25 %, T = 4/12 → put 1.12) and the Black–Scholes stock example
    /// (S = 42, K = 40, r = 10 %, σ = 20 %, T = 0.5 → call 4.76, put 0.81), the latter through
    /// the forward F = S·e^{rT}. Hull quotes two decimals.
    #[test]
    fn hull_textbook_examples() {
        let futures_option = option(20.0, 20.0, 4.0 / 12.0, 0.25, 0.09);
        assert!((futures_option.price(PUT) - 1.12).abs() < 0.005);

        let s = 42.0;
        let stock = option(s * (0.10f64 * 0.5).exp(), 40.0, 0.5, 0.20, 0.10);
        assert!((stock.price(CALL) - 4.76).abs() < 0.005);
        assert!((stock.price(PUT) - 0.81).abs() < 0.005);
    }

    /// Reference values from an independent computation with mpmath at 40 digits, on the exact
    /// doubles used here; the greeks there are *numerical* derivatives (`mpmath.diff`) of the
    /// textbook price, so they check the closed forms below independently:
    ///
    /// ```python
    /// from mpmath import mp, mpf, ncdf, log, sqrt, exp, diff
    /// mp.dps = 40
    /// def price(F, K, T, s, r, call):
    ///     sT = s * sqrt(T); d1 = log(F / K) / sT + sT / 2; d2 = d1 - sT; df = exp(-r * T)
    ///     return df * (F * ncdf(d1) - K * ncdf(d2)) if call else df * (K * ncdf(-d2) - F * ncdf(-d1))
    /// for c in cases:  # (F, K, T, sigma, r) as strings, e.g. ("25000", "25200", "7/365", "0.12", "0")
    ///     F, K, T, s, r = (mpf(float(eval(x))) for x in c)
    ///     row = []
    ///     for call in (True, False):
    ///         v = price(F, K, T, s, r, call)
    ///         delta = diff(lambda f: price(f, K, T, s, r, call), F)
    ///         theta = -diff(lambda t: price(F, K, t, s, r, call), T) / 365
    ///         row += [v, delta, theta]
    ///     gamma = diff(lambda f: price(f, K, T, s, r, True), F, 2)
    ///     vega = diff(lambda v: price(F, K, T, v, r, True), s) / 100
    ///     print(c, [float(x) for x in row + [gamma, vega]])
    /// ```
    #[rstest]
    #[case((25000.0, 25200.0, 7.0 / 365.0, 0.12, 0.0), [85.17333621432763, 0.318757675895718, -10.59492259929461, 285.17333621432766, -0.681242324104282, -10.59492259929461, 0.0008593659441650074, 12.36074303251038])]
    #[case((25000.0, 24000.0, 30.0 / 365.0, 0.18, 0.065), [1148.1762650842556, 0.7887701628105676, -5.907371258850825, 153.50448524766637, -0.20590161702602178, -6.084504589506656, 0.0002203280954776324, 20.372803348959156])]
    #[case((100.0, 100.0, 1.0, 0.2, 0.05), [7.577082146427273, 0.5135001229824934, -0.009307055686534628, 7.577082146427273, -0.43772930151822065, -0.009307055686534628, 0.018879647164532512, 0.37759294329065024])]
    #[case((11214.05, 12000.0, 0.5 / 365.0, 0.25, 0.0), [1.7445146192326496e-12, 1.2752439175243428e-13, -9.85568356858154e-11, 785.9500000000024, -0.9999999999998724, -9.85568356858154e-11, 9.153867415982568e-15, 3.9422734274326165e-12])]
    #[case((20.0, 20.0, 4.0 / 12.0, 0.25, 0.09), [1.1166414565589435, 0.5131388031882277, -0.004305639868976754, 1.1166414565589435, -0.4573067303602805, -0.004305639868976754, 0.13376450266134562, 0.04458816755378187])]
    fn matches_mpmath(#[case] input: (f64, f64, f64, f64, f64), #[case] want: [f64; 8]) {
        let (f, k, t, vol, rate) = input;
        let o = option(f, k, t, vol, rate);
        let (c, p) = (o.greeks(CALL), o.greeks(PUT));
        let got = [
            c.price,
            c.delta,
            c.theta_per_day,
            p.price,
            p.delta,
            p.theta_per_day,
            c.gamma,
            c.vega_per_point,
        ];
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            // The ITM put of the deep-OTM case is 785.95 + 2e-12: its last digits are rounding.
            let tol = if i == 3 { 1e-14 } else { 1e-12 };
            assert!(((g - w) / w).abs() < tol, "item {i}: {g} vs {w}");
        }
        assert_eq!(c.gamma, p.gamma);
        assert_eq!(c.vega_per_point, p.vega_per_point);
    }

    #[test]
    fn rejects_bad_inputs_by_name() {
        let t = Years(0.1);
        let v = AnnualVol(0.2);
        let bad = [
            Black76::undiscounted(Forward(0.0), Strike(100.0), t, v),
            Black76::undiscounted(Forward(100.0), Strike(f64::NAN), t, v),
            Black76::undiscounted(Forward(100.0), Strike(100.0), Years(-1.0), v),
            Black76::undiscounted(Forward(100.0), Strike(100.0), t, AnnualVol(0.0)),
            Black76::new(Forward(100.0), Strike(100.0), t, v, DiscountFactor(0.0)),
        ];
        let names: Vec<&str> = bad.iter().map(|r| r.unwrap_err().name).collect();
        assert_eq!(
            names,
            [
                "forward",
                "strike",
                "years to expiry",
                "volatility",
                "discount factor"
            ]
        );
        let msg = bad[2].unwrap_err().to_string();
        assert!(msg.contains("-1") && msg.contains("> 0"), "{msg}");
    }

    #[test]
    fn time_conventions() {
        assert_eq!(Years::from_calendar_days(73.0), Years(0.2));
        assert_eq!(Years::from_trading_days(126.0), Years(0.5));
        assert_eq!(
            DiscountFactor::from_rate(0.0, Years(3.0)),
            DiscountFactor::ONE
        );
    }

    fn inputs() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
        (
            100.0f64..50_000.0,
            -0.4f64..0.4,
            (1.0f64 / 365.0)..2.0,
            0.05f64..1.0,
            0.0f64..0.1,
        )
            .prop_map(|(f, x, t, v, r)| (f, f * x.exp(), t, v, r))
    }

    proptest! {
        /// Every greek equals a central finite difference of the price; tolerances are relative
        /// to the greek's natural scale (truncation is O(h²), rounding O(ε/h)).
        #[test]
        fn greeks_match_finite_differences((f, k, t, vol, rate) in inputs(), call in any::<bool>()) {
            prop_assume!(vol * t.sqrt() >= 0.02);
            let side = if call { CALL } else { PUT };
            let o = option(f, k, t, vol, rate);
            let g = o.greeks(side);
            let df = DiscountFactor::from_rate(rate, Years(t)).0;
            let at = |f: f64, t: f64, v: f64| option(f, k, t, v, rate).price(side);

            let h = f * 1e-5;
            let delta = (at(f + h, t, vol) - at(f - h, t, vol)) / (2.0 * h);
            prop_assert!((delta - g.delta).abs() < 1e-6 * df, "delta {} vs {}", g.delta, delta);

            let h = f * 1e-3;
            let gamma = (at(f + h, t, vol) - 2.0 * g.price + at(f - h, t, vol)) / (h * h);
            let gamma_scale = df * normal::pdf(0.0) / (f * vol * t.sqrt());
            prop_assert!((gamma - g.gamma).abs() < 1e-3 * gamma_scale, "gamma {} vs {}", g.gamma, gamma);

            let h = 1e-5;
            let vega = (at(f, t, vol + h) - at(f, t, vol - h)) / (2.0 * h) / 100.0;
            let vega_scale = df * f * t.sqrt() / 100.0;
            prop_assert!((vega - g.vega_per_point).abs() < 1e-6 * vega_scale, "vega {} vs {}", g.vega_per_point, vega);

            // Theta holds the rate fixed, so the discount factor moves with T.
            let h = t * 1e-5;
            let theta = -(at(f, t + h, vol) - at(f, t - h, vol)) / (2.0 * h) / 365.0;
            let theta_scale = (f * vol / t.sqrt() + rate * f) / 365.0;
            prop_assert!((theta - g.theta_per_day).abs() < 1e-6 * theta_scale, "theta {} vs {}", g.theta_per_day, theta);
        }

        /// Put–call parity `C − P = DF·(F − K)` and the delta identity `Δc − Δp = DF`.
        #[test]
        fn put_call_parity((f, k, t, vol, rate) in inputs()) {
            let o = option(f, k, t, vol, rate);
            let df = DiscountFactor::from_rate(rate, Years(t)).0;
            let lhs = o.price(CALL) - o.price(PUT);
            prop_assert!((lhs - df * (f - k)).abs() < 1e-12 * f.max(k));
            prop_assert!((o.delta(CALL) - o.delta(PUT) - df).abs() < 1e-14);
        }
    }
}
