//! Strategy builder mathematics for index options (European, cash-settled, Black-76 on the forward).
//!
//! A [`Strategy`] is a list of [`Leg`]s (buy/sell, call/put, strike, expiry, lots, entry premium,
//! implied vol) and the lot size of its contracts (from `aegis_calendar`'s contract table for the
//! expiry). [`analyze`] gives everything a strategy builder shows: the payoff at expiry and
//! today's curve over a [`PriceGrid`], net premium, breakevens, maximum profit and loss, net
//! greeks, the probability of profit and the probability of touching each breakeven.
//!
//! # Units and conventions
//!
//! * **Points** are index points per unit of the underlying, summed over the legs weighted by
//!   their lots (`+lots` for a buy, `−lots` for a sell). For a strategy whose legs all hold one
//!   lot this is the usual quoted figure ("a 120-point credit"). **Rupees** = points × lot size.
//! * The price axis `x` is the **forward of the nearest expiry**. At that expiry it is the
//!   settlement price of the index. A later expiry's forward moves with it at today's ratio
//!   `F_e / F_near` (constant carry): its Black-76 forward at axis level `x` is `x · F_e / F_near`.
//! * Values are undiscounted (Black-76 with [`DiscountFactor::ONE`](crate::DiscountFactor::ONE)):
//!   the P&L is measured at expiry, like the payoff.
//! * Greeks follow [`crate::black76`]: delta per point of `x`, gamma per point², theta per
//!   **calendar day** (forwards held), vega per **vol point** (every leg's vol +0.01 together).
//!   [`NetGreeks::per_unit`] is in points, [`NetGreeks::position`] in rupees (× lot size).
//!
//! # At expiry
//!
//! If every leg has the same expiry, the P&L at expiry is piecewise linear in `x` with kinks
//! only at the strikes. Breakevens are its exact roots, found segment by segment between the
//! kinks (no grid search); maximum profit and loss are the best and worst of its values at 0 and
//! at the kinks, or [`Extreme::Unlimited`] when the slope beyond the last strike is non-zero (the
//! price cannot go below 0, so the left end is always bounded: the P&L at `x = 0`).
//!
//! If the legs have **different expiries**, the "at expiry" curve is taken at the **nearest**
//! expiry, with the later legs valued by Black-76 (their own IV, the time remaining between the
//! two expiries, forward `x · F_e / F_near`). That curve is not piecewise linear: breakevens are
//! found by bisection between sign changes on the grid, and maximum profit and loss are the best
//! and worst values on the grid — all within the grid's range only, which
//! [`ExpiryMethod::NumericalWithinGrid`] states.
//!
//! # Probabilities
//!
//! The probability of profit is the mass of a driftless lognormal — `ln(S_T / S_0) ~ N(0, σ²T)`,
//! the convention of [`crate::barrier`] — on the intervals where the P&L at expiry is positive:
//! `Σ [N(d(b)) − N(d(a))]` with `d(x) = ln(x / S_0) / (σ√T)`, `S_0` the forward of the nearest
//! expiry. The user picks `σ` ([`ProbabilityVol`]: ATM IV, India VIX or the model forecast) and
//! gives `T` on the same clock as `σ`. Each breakeven also gets its touch probability before
//! expiry ([`crate::barrier::touch_probability`]). For a mixed-expiry strategy the profitable
//! set is known only within the grid; beyond the grid's ends it is taken to continue as at the
//! end points (stated by [`ExpiryMethod::NumericalWithinGrid`]).
//!
//! ```
//! use aegis_model::{AnnualVol, Expiry, OptionSide};
//! use aegis_quant::strategy::{
//!     Leg, Market, PriceGrid, ProbabilityVol, Strategy, TradeSide, VolSource, analyze,
//! };
//! use aegis_quant::Years;
//!
//! let expiry: Expiry = "2025-07-24".parse()?;
//! let leg = |side, kind, strike, premium| Leg {
//!     side, kind, strike, expiry, lots: 1, premium, iv: Some(AnnualVol(0.12)),
//! };
//! // Bull call spread 25 000 / 25 200 for a 90-point debit.
//! let spread = Strategy::new(
//!     vec![
//!         leg(TradeSide::Buy, OptionSide::Call, 25_000.0, 140.0),
//!         leg(TradeSide::Sell, OptionSide::Call, 25_200.0, 50.0),
//!     ],
//!     75,
//! )?;
//! let t = Years::from_calendar_days(7.0);
//! let market = Market::single(expiry, 25_050.0, t);
//! let vol = ProbabilityVol { source: VolSource::AtmIv, vol: AnnualVol(0.12), years: t };
//! let a = analyze(&spread, &market, &PriceGrid::new(24_000.0, 26_000.0, 201)?, &vol)?;
//! assert_eq!(a.breakevens.len(), 1);
//! assert!((a.breakevens[0].level - 25_090.0).abs() < 1e-9);
//! assert_eq!(a.net_premium.rupees, -90.0 * 75.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use aegis_model::{AnnualVol, Expiry, OptionSide, Probability};
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::{Black76, Forward, Greeks, Strike, Years, barrier, normal};

/// Buying or selling an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeSide {
    /// Long the option: pays the premium.
    Buy,
    /// Short the option: receives the premium.
    Sell,
}

impl TradeSide {
    /// `+1` for a buy, `−1` for a sell.
    pub fn sign(self) -> f64 {
        match self {
            TradeSide::Buy => 1.0,
            TradeSide::Sell => -1.0,
        }
    }
}

/// One option position of a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    /// Buy or sell.
    pub side: TradeSide,
    /// Call or put.
    pub kind: OptionSide,
    /// Strike, in index points.
    pub strike: f64,
    /// Expiry of the contract.
    pub expiry: Expiry,
    /// Number of lots (≥ 1).
    pub lots: u32,
    /// Entry price per unit, in index points (≥ 0).
    pub premium: f64,
    /// Implied vol used to value the leg before expiry (needed for today's curve and the greeks).
    pub iv: Option<AnnualVol>,
}

impl Leg {
    /// Signed size in lots: `+lots` for a buy, `−lots` for a sell.
    pub fn weight(&self) -> f64 {
        self.side.sign() * f64::from(self.lots)
    }

    /// Value per unit at expiry with the index settling at `underlying`: `max(x − K, 0)` for a
    /// call, `max(K − x, 0)` for a put.
    pub fn intrinsic(&self, underlying: f64) -> f64 {
        match self.kind {
            OptionSide::Call => (underlying - self.strike).max(0.0),
            OptionSide::Put => (self.strike - underlying).max(0.0),
        }
    }
}

/// Why a strategy cannot be built or analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StrategyError {
    /// A strategy needs at least one leg.
    #[error("the strategy has no legs: add at least one buy or sell of a call or put")]
    NoLegs,
    /// The lot size is zero.
    #[error(
        "lot size 0 is not valid: pass the lot size of the expiry from the contract table (e.g. 75 or 65 for NIFTY)"
    )]
    ZeroLotSize,
    /// A leg field breaks its rule.
    #[error("leg {leg}: {field} = {value} is not valid: it must be {rule}")]
    BadLeg {
        /// Index of the leg (0-based).
        leg: usize,
        /// Which field.
        field: &'static str,
        /// The value received.
        value: f64,
        /// What it must be.
        rule: &'static str,
    },
    /// A leg has no implied vol, so it cannot be valued before expiry.
    #[error(
        "leg {leg} ({strike} {kind:?}, expiry {expiry}) has no implied vol, so today's curve and the greeks cannot be computed: price the leg from a chain with an IV"
    )]
    MissingIv {
        /// Index of the leg.
        leg: usize,
        /// Its strike.
        strike: f64,
        /// Call or put.
        kind: OptionSide,
        /// Its expiry.
        expiry: Expiry,
    },
    /// The market state lacks an expiry of the strategy.
    #[error("no forward and time to expiry given for expiry {expiry}: add it to the market state")]
    MissingMarket {
        /// The expiry.
        expiry: Expiry,
    },
    /// A forward or time to expiry of the market state is not valid.
    #[error("market state of expiry {expiry}: {source}")]
    BadMarket {
        /// The expiry.
        expiry: Expiry,
        /// The rule broken.
        source: InputError,
    },
    /// A later expiry is not later than the nearest in the market state.
    #[error(
        "expiry {expiry} is given {years} years to expiry, not more than the {nearest_years} of the nearest expiry {nearest}: times to expiry must grow with the date"
    )]
    ExpiryOrder {
        /// The later expiry.
        expiry: Expiry,
        /// Its time to expiry.
        years: f64,
        /// The nearest expiry.
        nearest: Expiry,
        /// Its time to expiry.
        nearest_years: f64,
    },
    /// The probability inputs are not valid.
    #[error("probability of profit: {0}")]
    BadProbabilityInput(InputError),
    /// An index level outside `[0, ∞)` (or one that overflows a leg's forward).
    #[error("index level: {0}")]
    BadLevel(InputError),
    /// The price grid is not valid.
    #[error("price grid: {0}")]
    BadGrid(String),
    /// The strikes given to a preset are not in the order it needs.
    #[error("{preset}: {rule}")]
    PresetStrikes {
        /// The preset.
        preset: &'static str,
        /// The order required and what was given.
        rule: String,
    },
    /// The pricer could not price a leg of a preset.
    #[error("cannot price the {strike} {kind:?} of expiry {expiry}: {reason}")]
    Unpriced {
        /// Call or put.
        kind: OptionSide,
        /// Strike.
        strike: f64,
        /// Expiry.
        expiry: Expiry,
        /// The pricer's reason.
        reason: String,
    },
}

/// A validated strategy: at least one leg, every leg valid, a lot size ≥ 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StrategyParts")]
pub struct Strategy {
    legs: Vec<Leg>,
    lot_size: u32,
}

/// The unchecked form a strategy is deserialised from (e.g. a shared URL).
#[derive(Deserialize)]
struct StrategyParts {
    legs: Vec<Leg>,
    lot_size: u32,
}

impl TryFrom<StrategyParts> for Strategy {
    type Error = StrategyError;
    fn try_from(p: StrategyParts) -> Result<Self, Self::Error> {
        Strategy::new(p.legs, p.lot_size)
    }
}

fn check_leg(i: usize, leg: &Leg) -> Result<(), StrategyError> {
    let bad = |field, value, rule| StrategyError::BadLeg {
        leg: i,
        field,
        value,
        rule,
    };
    if !(leg.strike.is_finite() && leg.strike > 0.0) {
        return Err(bad("strike", leg.strike, "a finite number > 0"));
    }
    if leg.lots == 0 {
        return Err(bad("lots", 0.0, "at least 1"));
    }
    if !(leg.premium.is_finite() && leg.premium >= 0.0) {
        return Err(bad("premium", leg.premium, "a finite number ≥ 0"));
    }
    if let Some(v) = leg.iv
        && !(v.0.is_finite() && v.0 > 0.0)
    {
        return Err(bad("iv", v.0, "a finite vol > 0"));
    }
    Ok(())
}

impl Strategy {
    /// Checks the legs and the lot size.
    pub fn new(legs: Vec<Leg>, lot_size: u32) -> Result<Self, StrategyError> {
        if legs.is_empty() {
            return Err(StrategyError::NoLegs);
        }
        if lot_size == 0 {
            return Err(StrategyError::ZeroLotSize);
        }
        for (i, leg) in legs.iter().enumerate() {
            check_leg(i, leg)?;
        }
        Ok(Strategy { legs, lot_size })
    }

    /// The legs.
    pub fn legs(&self) -> &[Leg] {
        &self.legs
    }

    /// Units of the index per lot.
    pub fn lot_size(&self) -> u32 {
        self.lot_size
    }

    /// The earliest expiry of the legs.
    pub fn nearest_expiry(&self) -> Expiry {
        self.legs
            .iter()
            .map(|l| l.expiry)
            .min()
            .expect("a strategy has legs")
    }

    /// Whether every leg has the same expiry.
    pub fn is_single_expiry(&self) -> bool {
        let first = self.legs[0].expiry;
        self.legs.iter().all(|l| l.expiry == first)
    }

    /// Premium received (> 0, a credit) or paid (< 0, a debit): `Σ −weight · premium`.
    pub fn net_premium(&self) -> NetPremium {
        let points: f64 = self.legs.iter().map(|l| -l.weight() * l.premium).sum();
        let flow = if points > 0.0 {
            PremiumFlow::Credit
        } else if points < 0.0 {
            PremiumFlow::Debit
        } else {
            PremiumFlow::Zero
        };
        NetPremium {
            flow,
            points,
            rupees: points * f64::from(self.lot_size),
        }
    }

    /// P&L at expiry in points at axis level `underlying` (≥ 0). For a single-expiry strategy
    /// `market` is not consulted; for mixed expiries the later legs are valued by Black-76 at the
    /// nearest expiry (see the [module](self) docs).
    pub fn pnl_at_expiry(&self, underlying: f64, market: &Market) -> Result<f64, StrategyError> {
        if self.is_single_expiry() {
            check_level(underlying)?;
            return Ok(self.linear_pnl(underlying));
        }
        Valuation::at_nearest_expiry(self, market)?.pnl(self, underlying)
    }

    /// P&L now in points at axis level `underlying` (> 0): every leg valued by Black-76 with its
    /// IV and its time to expiry, minus the entry premiums.
    pub fn pnl_today(&self, underlying: f64, market: &Market) -> Result<f64, StrategyError> {
        Valuation::today(self, market)?.pnl(self, underlying)
    }

    /// Net greeks now, at the market's forwards.
    pub fn greeks(&self, market: &Market) -> Result<NetGreeks, StrategyError> {
        let valuation = Valuation::today(self, market)?;
        let mut per_unit = Greeks {
            price: 0.0,
            delta: 0.0,
            gamma: 0.0,
            vega_per_point: 0.0,
            theta_per_day: 0.0,
        };
        for (leg, v) in self.legs.iter().zip(&valuation.legs) {
            let Some(v) = v else { continue };
            let option = v.option(valuation.anchor)?;
            let g = option.greeks(leg.kind);
            let w = leg.weight();
            per_unit.price += w * g.price;
            per_unit.delta += w * g.delta * v.ratio;
            per_unit.gamma += w * g.gamma * v.ratio * v.ratio;
            per_unit.vega_per_point += w * g.vega_per_point;
            per_unit.theta_per_day += w * g.theta_per_day;
        }
        let lot = f64::from(self.lot_size);
        let position = Greeks {
            price: per_unit.price * lot,
            delta: per_unit.delta * lot,
            gamma: per_unit.gamma * lot,
            vega_per_point: per_unit.vega_per_point * lot,
            theta_per_day: per_unit.theta_per_day * lot,
        };
        Ok(NetGreeks { per_unit, position })
    }

    /// `Σ weight · (intrinsic − premium)`: the P&L at a common expiry.
    fn linear_pnl(&self, x: f64) -> f64 {
        self.legs
            .iter()
            .map(|l| l.weight() * (l.intrinsic(x) - l.premium))
            .sum()
    }
}

/// Forward and time to expiry of one expiry, now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExpiryMarket {
    /// The forward of the expiry (from put–call parity), in points.
    pub forward: f64,
    /// Time to the expiry's 15:30 IST close, calendar days / 365.
    pub years: Years,
}

/// The market now: forward and time to expiry of every expiry of the strategy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Market {
    /// Per expiry.
    pub expiries: BTreeMap<Expiry, ExpiryMarket>,
}

impl Market {
    /// A market of one expiry.
    pub fn single(expiry: Expiry, forward: f64, years: Years) -> Self {
        let mut expiries = BTreeMap::new();
        expiries.insert(expiry, ExpiryMarket { forward, years });
        Market { expiries }
    }

    /// Forward and time of `expiry`, checked (> 0 and finite).
    fn get(&self, expiry: Expiry) -> Result<ExpiryMarket, StrategyError> {
        let m = self
            .expiries
            .get(&expiry)
            .copied()
            .ok_or(StrategyError::MissingMarket { expiry })?;
        let check = |name, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(StrategyError::BadMarket {
                    expiry,
                    source: InputError {
                        name,
                        value,
                        rule: "a finite number > 0",
                    },
                })
            }
        };
        check("forward", m.forward)?;
        check("years to expiry", m.years.0)?;
        Ok(m)
    }
}

/// Valuation of every leg at one instant: `None` for a leg that has expired by then (valued by
/// its intrinsic value).
#[derive(Debug, Clone)]
struct Valuation {
    legs: Vec<Option<PricedLeg>>,
    /// The axis level at which the market was given (the nearest forward), for the greeks.
    anchor: f64,
}

#[derive(Debug, Clone, Copy)]
struct PricedLeg {
    strike: f64,
    years: f64,
    vol: f64,
    ratio: f64,
}

impl PricedLeg {
    fn option(&self, x: f64) -> Result<Black76, StrategyError> {
        Black76::undiscounted(
            Forward(x * self.ratio),
            Strike(self.strike),
            Years(self.years),
            AnnualVol(self.vol),
        )
        .map_err(StrategyError::BadLevel)
    }
}

impl Valuation {
    /// Every leg valued now.
    fn today(strategy: &Strategy, market: &Market) -> Result<Self, StrategyError> {
        Self::build(strategy, market, false)
    }

    /// The later legs valued at the nearest expiry; the nearest legs at intrinsic value.
    fn at_nearest_expiry(strategy: &Strategy, market: &Market) -> Result<Self, StrategyError> {
        Self::build(strategy, market, true)
    }

    fn build(
        strategy: &Strategy,
        market: &Market,
        at_nearest: bool,
    ) -> Result<Self, StrategyError> {
        let nearest = strategy.nearest_expiry();
        let near = market.get(nearest)?;
        let mut legs = Vec::with_capacity(strategy.legs.len());
        for (i, leg) in strategy.legs.iter().enumerate() {
            if at_nearest && leg.expiry == nearest {
                legs.push(None);
                continue;
            }
            let m = market.get(leg.expiry)?;
            if leg.expiry != nearest && m.years.0 <= near.years.0 {
                return Err(StrategyError::ExpiryOrder {
                    expiry: leg.expiry,
                    years: m.years.0,
                    nearest,
                    nearest_years: near.years.0,
                });
            }
            let vol = leg.iv.ok_or(StrategyError::MissingIv {
                leg: i,
                strike: leg.strike,
                kind: leg.kind,
                expiry: leg.expiry,
            })?;
            let years = if at_nearest {
                m.years.0 - near.years.0
            } else {
                m.years.0
            };
            legs.push(Some(PricedLeg {
                strike: leg.strike,
                years,
                vol: vol.0,
                ratio: m.forward / near.forward,
            }));
        }
        Ok(Valuation {
            legs,
            anchor: near.forward,
        })
    }

    /// P&L in points at axis level `x ≥ 0`. At `x = 0` the legs valued by Black-76 take their
    /// limit (a call is worth 0, a put its strike).
    fn pnl(&self, strategy: &Strategy, x: f64) -> Result<f64, StrategyError> {
        check_level(x)?;
        let mut total = 0.0;
        for (leg, v) in strategy.legs.iter().zip(&self.legs) {
            let value = match v {
                Some(p) if x > 0.0 => p.option(x)?.price(leg.kind),
                _ => leg.intrinsic(x),
            };
            total += leg.weight() * (value - leg.premium);
        }
        Ok(total)
    }
}

/// Credit or debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PremiumFlow {
    /// Premium received.
    Credit,
    /// Premium paid.
    Debit,
    /// Neither.
    Zero,
}

/// Net premium of a strategy at entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetPremium {
    /// Credit, debit or zero.
    pub flow: PremiumFlow,
    /// Points received (> 0) or paid (< 0), lot-weighted.
    pub points: f64,
    /// `points × lot size`, in rupees.
    pub rupees: f64,
}

/// Net greeks of a strategy, summed over the legs with their signs and lots.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetGreeks {
    /// In points: `Σ weight · greek` (delta and gamma per point of the axis).
    pub per_unit: Greeks,
    /// In rupees: `per_unit × lot size`.
    pub position: Greeks,
}

/// The best or worst P&L of a strategy at expiry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Extreme {
    /// A finite value.
    Bounded {
        /// In points (a loss is negative).
        points: f64,
        /// In rupees.
        rupees: f64,
    },
    /// No bound: the P&L grows (profit) or falls (loss) without limit as the index rises.
    Unlimited,
}

/// A breakeven level at expiry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Breakeven {
    /// The index level, in points.
    pub level: f64,
    /// Probability of touching it before expiry ([`crate::barrier::touch_probability`]).
    pub touch_probability: Probability,
}

/// One interval of index levels where the strategy ends in profit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfitInterval {
    /// Lower end (0 when profitable down to a zero index).
    pub low: f64,
    /// Upper end; `None` when profitable however high the index goes.
    pub high: Option<f64>,
    /// Lognormal probability of finishing inside.
    pub probability: Probability,
}

/// Which volatility the probabilities use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolSource {
    /// ATM implied vol of the expiry (calendar clock).
    AtmIv,
    /// India VIX (calendar clock).
    IndiaVix,
    /// The model's volatility forecast (trading-day clock).
    ModelForecast,
}

/// The volatility and horizon of the probability of profit, chosen by the user.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityVol {
    /// Where `vol` comes from (shown with the probability).
    pub source: VolSource,
    /// Annualised volatility.
    pub vol: AnnualVol,
    /// Time to the nearest expiry on the clock of `vol`: calendar days / 365 for ATM IV and
    /// VIX ([`Years::from_calendar_days`]), trading days / 252 for the model forecast
    /// ([`Years::from_trading_days`]).
    pub years: Years,
}

/// Probability of ending in profit at the nearest expiry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfitProbability {
    /// `Σ` over the profitable intervals.
    pub probability: Probability,
    /// The volatility used.
    pub vol: ProbabilityVol,
    /// The profitable intervals and their probabilities.
    pub intervals: Vec<ProfitInterval>,
}

/// How the at-expiry figures were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExpiryMethod {
    /// One common expiry: exact roots and extremes of the piecewise-linear payoff.
    Exact,
    /// Mixed expiries: breakevens by bisection on the grid, extremes over the grid, both only
    /// within `[low, high]`; the profitable set beyond the grid is taken to continue as at its
    /// ends.
    NumericalWithinGrid {
        /// Lower end of the grid.
        low: f64,
        /// Upper end of the grid.
        high: f64,
    },
}

/// One point of the payoff chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Axis level (forward of the nearest expiry), in points.
    pub underlying: f64,
    /// P&L at the nearest expiry, in points.
    pub at_expiry: f64,
    /// P&L now (Black-76), in points.
    pub today: f64,
}

/// The price axis of the payoff chart: `points` evenly spaced levels on `[low, high]`, to which
/// [`analyze`] adds the strikes and breakevens inside the range (so the kinks are drawn exactly).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceGrid {
    low: f64,
    high: f64,
    points: usize,
}

impl PriceGrid {
    /// Checks `0 < low < high` (finite) and `points ≥ 2`.
    pub fn new(low: f64, high: f64, points: usize) -> Result<Self, StrategyError> {
        if !(low.is_finite() && high.is_finite() && low > 0.0 && low < high) {
            return Err(StrategyError::BadGrid(format!(
                "the range [{low}, {high}] must be finite with 0 < low < high"
            )));
        }
        if points < 2 {
            return Err(StrategyError::BadGrid(format!(
                "{points} point(s): at least 2 are needed"
            )));
        }
        Ok(PriceGrid { low, high, points })
    }

    /// Lower end.
    pub fn low(&self) -> f64 {
        self.low
    }

    /// Upper end.
    pub fn high(&self) -> f64 {
        self.high
    }

    /// The evenly spaced levels.
    pub fn levels(&self) -> Vec<f64> {
        let step = (self.high - self.low) / (self.points - 1) as f64;
        (0..self.points)
            .map(|i| {
                if i + 1 == self.points {
                    self.high
                } else {
                    self.low + step * i as f64
                }
            })
            .collect()
    }
}

/// The full analysis of a strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Units per lot.
    pub lot_size: u32,
    /// The expiry at which the "at expiry" figures are taken.
    pub nearest_expiry: Expiry,
    /// Exact (one expiry) or numerical within the grid (mixed expiries).
    pub method: ExpiryMethod,
    /// Premium received or paid.
    pub net_premium: NetPremium,
    /// The payoff chart, in points.
    pub curve: Vec<CurvePoint>,
    /// Breakevens at expiry, ascending, with their touch probabilities.
    pub breakevens: Vec<Breakeven>,
    /// Best P&L at expiry.
    pub max_profit: Extreme,
    /// Worst P&L at expiry (negative when a loss is possible).
    pub max_loss: Extreme,
    /// Probability of ending in profit.
    pub probability_of_profit: ProfitProbability,
    /// Net greeks now.
    pub greeks: NetGreeks,
}

/// Analyses `strategy` in `market` over `grid`, with probabilities from `vol`.
pub fn analyze(
    strategy: &Strategy,
    market: &Market,
    grid: &PriceGrid,
    vol: &ProbabilityVol,
) -> Result<Analysis, StrategyError> {
    let today = Valuation::today(strategy, market)?;
    let greeks = strategy.greeks(market)?;
    let spot = today.anchor;
    let sigma = positive_input("volatility", vol.vol.0)?;
    let years = positive_input("years", vol.years.0)?;
    let lot = f64::from(strategy.lot_size);

    let strikes = strike_kinks(strategy);
    let mut levels = grid.levels();
    levels.extend(
        strikes
            .iter()
            .copied()
            .filter(|k| *k > grid.low && *k < grid.high),
    );
    sort_dedup(&mut levels);

    let (method, intervals, max_profit, max_loss, expiry_pnl): (_, _, _, _, Vec<f64>) =
        if strategy.is_single_expiry() {
            let p = Piecewise::new(strategy, &strikes);
            let (best, worst) = p.extremes(lot);
            let values = levels.iter().map(|&x| strategy.linear_pnl(x)).collect();
            (ExpiryMethod::Exact, p.profitable(), best, worst, values)
        } else {
            let at_expiry = Valuation::at_nearest_expiry(strategy, market)?;
            let f = |x: f64| at_expiry.pnl(strategy, x);
            let values = levels
                .iter()
                .map(|&x| f(x))
                .collect::<Result<Vec<f64>, _>>()?;
            let intervals = numerical_profitable(&levels, &values, f)?;
            let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let worst = values.iter().copied().fold(f64::INFINITY, f64::min);
            let bounded = |points: f64| Extreme::Bounded {
                points,
                rupees: points * lot,
            };
            (
                ExpiryMethod::NumericalWithinGrid {
                    low: grid.low,
                    high: grid.high,
                },
                intervals,
                bounded(best),
                bounded(worst),
                values,
            )
        };

    // Breakevens: the interior ends of the profitable intervals.
    let mut breakeven_levels = Vec::new();
    for &(low, high) in &intervals {
        if low > 0.0 {
            breakeven_levels.push(low);
        }
        if let Some(h) = high {
            breakeven_levels.push(h);
        }
    }
    sort_dedup(&mut breakeven_levels);
    let mut breakevens = Vec::with_capacity(breakeven_levels.len());
    for level in breakeven_levels {
        let touch = barrier::touch_probability(spot, level, AnnualVol(sigma), Years(years))
            .map_err(StrategyError::BadProbabilityInput)?;
        breakevens.push(Breakeven {
            level,
            touch_probability: touch,
        });
    }

    let scale = sigma * years.sqrt();
    let mass = |low: f64, high: Option<f64>| -> f64 {
        let d = |x: f64| (x / spot).ln() / scale;
        match (low > 0.0, high) {
            (false, None) => 1.0,
            (false, Some(h)) => normal::cdf(d(h)),
            (true, None) => normal::cdf(-d(low)),
            (true, Some(h)) => {
                let (a, b) = (d(low), d(h));
                // Difference of the smaller tails, for precision far from the money.
                if a > 0.0 {
                    normal::cdf(-a) - normal::cdf(-b)
                } else {
                    normal::cdf(b) - normal::cdf(a)
                }
            }
        }
    };
    let profit_intervals: Vec<ProfitInterval> = intervals
        .iter()
        .map(|&(low, high)| ProfitInterval {
            low,
            high,
            probability: Probability::clamped(mass(low, high)),
        })
        .collect();
    let total: f64 = profit_intervals.iter().map(|i| i.probability.get()).sum();

    // Today's curve on the same levels plus the breakevens inside the grid.
    let mut curve_levels = levels.clone();
    let mut at_expiry_values = expiry_pnl;
    for b in &breakevens {
        if b.level > grid.low && b.level < grid.high {
            curve_levels.push(b.level);
            at_expiry_values.push(if strategy.is_single_expiry() {
                strategy.linear_pnl(b.level)
            } else {
                strategy.pnl_at_expiry(b.level, market)?
            });
        }
    }
    let mut curve = Vec::with_capacity(curve_levels.len());
    for (&x, &e) in curve_levels.iter().zip(&at_expiry_values) {
        curve.push(CurvePoint {
            underlying: x,
            at_expiry: e,
            today: today.pnl(strategy, x)?,
        });
    }
    curve.sort_by(|a, b| a.underlying.total_cmp(&b.underlying));
    curve.dedup_by(|a, b| a.underlying == b.underlying);

    Ok(Analysis {
        lot_size: strategy.lot_size,
        nearest_expiry: strategy.nearest_expiry(),
        method,
        net_premium: strategy.net_premium(),
        curve,
        breakevens,
        max_profit,
        max_loss,
        probability_of_profit: ProfitProbability {
            probability: Probability::clamped(total),
            vol: *vol,
            intervals: profit_intervals,
        },
        greeks,
    })
}

fn check_level(x: f64) -> Result<(), StrategyError> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(StrategyError::BadLevel(InputError {
            name: "underlying",
            value: x,
            rule: "a finite number ≥ 0",
        }))
    }
}

fn positive_input(name: &'static str, value: f64) -> Result<f64, StrategyError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(StrategyError::BadProbabilityInput(InputError {
            name,
            value,
            rule: "a finite number > 0",
        }))
    }
}

fn sort_dedup(v: &mut Vec<f64>) {
    v.sort_by(f64::total_cmp);
    v.dedup();
}

/// The sorted distinct strikes.
fn strike_kinks(strategy: &Strategy) -> Vec<f64> {
    let mut k: Vec<f64> = strategy.legs.iter().map(|l| l.strike).collect();
    sort_dedup(&mut k);
    k
}

/// The at-expiry P&L of a single-expiry strategy as a piecewise-linear function of `x ≥ 0`.
#[derive(Debug)]
struct Piecewise {
    /// `0, K_1, …, K_n`.
    knots: Vec<f64>,
    /// P&L at each knot.
    values: Vec<f64>,
    /// Slope beyond `K_n`.
    tail_slope: f64,
}

impl Piecewise {
    fn new(strategy: &Strategy, strikes: &[f64]) -> Self {
        let mut knots = Vec::with_capacity(strikes.len() + 1);
        knots.push(0.0);
        knots.extend(strikes.iter().copied().filter(|&k| k > 0.0));
        let values = knots.iter().map(|&x| strategy.linear_pnl(x)).collect();
        let tail_slope = strategy
            .legs
            .iter()
            .filter(|l| l.kind == OptionSide::Call)
            .map(Leg::weight)
            .sum();
        Piecewise {
            knots,
            values,
            tail_slope,
        }
    }

    /// Best and worst P&L at expiry.
    fn extremes(&self, lot: f64) -> (Extreme, Extreme) {
        let best = self
            .values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let worst = self.values.iter().copied().fold(f64::INFINITY, f64::min);
        let bounded = |points: f64| Extreme::Bounded {
            points,
            rupees: points * lot,
        };
        let max_profit = if self.tail_slope > 0.0 {
            Extreme::Unlimited
        } else {
            bounded(best)
        };
        let max_loss = if self.tail_slope < 0.0 {
            Extreme::Unlimited
        } else {
            bounded(worst)
        };
        (max_profit, max_loss)
    }

    /// Maximal intervals `(low, high)` where the P&L is > 0 (`high = None`: unbounded above).
    fn profitable(&self) -> Vec<(f64, Option<f64>)> {
        let mut pieces: Vec<(f64, Option<f64>)> = Vec::new();
        let n = self.knots.len();
        for j in 0..n {
            let (l, vl) = (self.knots[j], self.values[j]);
            let piece = if j + 1 < n {
                let (r, vr) = (self.knots[j + 1], self.values[j + 1]);
                match (vl > 0.0, vr > 0.0) {
                    (true, true) => Some((l, Some(r))),
                    (false, false) => None,
                    (true, false) => Some((l, Some(l + vl / (vl - vr) * (r - l)))),
                    (false, true) => Some((l + vl / (vl - vr) * (r - l), Some(r))),
                }
            } else {
                let b = self.tail_slope;
                match (vl > 0.0, b) {
                    (true, b) if b >= 0.0 => Some((l, None)),
                    (true, b) => Some((l, Some(l - vl / b))),
                    (false, b) if b > 0.0 => Some((l - vl / b, None)),
                    (false, _) => None,
                }
            };
            if let Some(p) = piece {
                push_merged(&mut pieces, p);
            }
        }
        pieces
    }
}

/// Appends `p`, merging it with the last interval when they touch.
fn push_merged(pieces: &mut Vec<(f64, Option<f64>)>, p: (f64, Option<f64>)) {
    if let Some(last) = pieces.last_mut()
        && last.1 == Some(p.0)
    {
        last.1 = p.1;
        return;
    }
    pieces.push(p);
}

/// Profitable intervals of a continuous P&L sampled at ascending `levels`: sign changes are
/// refined by bisection; the first and last intervals extend to 0 and +∞ when the curve is
/// profitable at the grid's ends.
fn numerical_profitable(
    levels: &[f64],
    values: &[f64],
    f: impl Fn(f64) -> Result<f64, StrategyError>,
) -> Result<Vec<(f64, Option<f64>)>, StrategyError> {
    let mut pieces = Vec::new();
    let mut open: Option<f64> = (values[0] > 0.0).then_some(0.0);
    for i in 1..levels.len() {
        let (was, is) = (values[i - 1] > 0.0, values[i] > 0.0);
        if was == is {
            continue;
        }
        let root = bisect(&f, levels[i - 1], levels[i], was)?;
        if is {
            open = Some(root);
        } else if let Some(low) = open.take() {
            pieces.push((low, Some(root)));
        }
    }
    if let Some(low) = open {
        pieces.push((low, None));
    }
    Ok(pieces)
}

/// The level in `[a, b]` where `f` changes from `> 0` (if `positive_left`) to `≤ 0`, or back,
/// to the last representable bit.
fn bisect(
    f: &impl Fn(f64) -> Result<f64, StrategyError>,
    mut a: f64,
    mut b: f64,
    positive_left: bool,
) -> Result<f64, StrategyError> {
    loop {
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            return Ok(m);
        }
        if (f(m)? > 0.0) == positive_left {
            a = m;
        } else {
            b = m;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Presets

/// Premium and IV of one contract, as a pricer returns them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LegQuote {
    /// Price per unit, in points.
    pub premium: f64,
    /// Implied vol, if known.
    pub iv: Option<AnnualVol>,
}

/// Prices a contract for a preset (typically from an option chain).
pub trait LegPricer {
    /// Premium and IV of the `kind` option at `strike` of `expiry`, or why it cannot be priced.
    fn quote(&self, kind: OptionSide, strike: f64, expiry: Expiry) -> Result<LegQuote, String>;
}

impl<F> LegPricer for F
where
    F: Fn(OptionSide, f64, Expiry) -> Result<LegQuote, String>,
{
    fn quote(&self, kind: OptionSide, strike: f64, expiry: Expiry) -> Result<LegQuote, String> {
        self(kind, strike, expiry)
    }
}

/// Expiry, lots per leg and lot size of a preset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PresetSize {
    /// The expiry of every leg.
    pub expiry: Expiry,
    /// Lots of every leg.
    pub lots: u32,
    /// Units per lot for the expiry (contract table).
    pub lot_size: u32,
}

fn priced_leg(
    side: TradeSide,
    kind: OptionSide,
    strike: f64,
    size: &PresetSize,
    pricer: &impl LegPricer,
) -> Result<Leg, StrategyError> {
    let q = pricer
        .quote(kind, strike, size.expiry)
        .map_err(|reason| StrategyError::Unpriced {
            kind,
            strike,
            expiry: size.expiry,
            reason,
        })?;
    Ok(Leg {
        side,
        kind,
        strike,
        expiry: size.expiry,
        lots: size.lots,
        premium: q.premium,
        iv: q.iv,
    })
}

fn require(
    preset: &'static str,
    ok: bool,
    rule: impl FnOnce() -> String,
) -> Result<(), StrategyError> {
    if ok {
        Ok(())
    } else {
        Err(StrategyError::PresetStrikes {
            preset,
            rule: rule(),
        })
    }
}

/// Short strangle: sell the `put_strike` put and the `call_strike` call (the edges of the safe
/// range, rounded outward to listed strikes), both out of the money: `put < spot < call`.
pub fn short_strangle(
    spot: f64,
    put_strike: f64,
    call_strike: f64,
    size: &PresetSize,
    pricer: &impl LegPricer,
) -> Result<Strategy, StrategyError> {
    require(
        "short strangle",
        put_strike < spot && spot < call_strike,
        || {
            format!(
                "needs put strike < spot < call strike, got {put_strike} / {spot} / {call_strike}"
            )
        },
    )?;
    Strategy::new(
        vec![
            priced_leg(TradeSide::Sell, OptionSide::Put, put_strike, size, pricer)?,
            priced_leg(TradeSide::Sell, OptionSide::Call, call_strike, size, pricer)?,
        ],
        size.lot_size,
    )
}

/// Iron condor: buy the `long_put`, sell the `short_put`, sell the `short_call`, buy the
/// `long_call`, with `long_put < short_put < short_call < long_call`.
pub fn iron_condor(
    short_put: f64,
    long_put: f64,
    short_call: f64,
    long_call: f64,
    size: &PresetSize,
    pricer: &impl LegPricer,
) -> Result<Strategy, StrategyError> {
    require(
        "iron condor",
        long_put < short_put && short_put < short_call && short_call < long_call,
        || {
            format!(
                "needs long put < short put < short call < long call, got {long_put} / {short_put} / {short_call} / {long_call}"
            )
        },
    )?;
    Strategy::new(
        vec![
            priced_leg(TradeSide::Buy, OptionSide::Put, long_put, size, pricer)?,
            priced_leg(TradeSide::Sell, OptionSide::Put, short_put, size, pricer)?,
            priced_leg(TradeSide::Sell, OptionSide::Call, short_call, size, pricer)?,
            priced_leg(TradeSide::Buy, OptionSide::Call, long_call, size, pricer)?,
        ],
        size.lot_size,
    )
}

/// Long straddle: buy the call and the put at the `atm` strike.
pub fn long_straddle(
    atm: f64,
    size: &PresetSize,
    pricer: &impl LegPricer,
) -> Result<Strategy, StrategyError> {
    Strategy::new(
        vec![
            priced_leg(TradeSide::Buy, OptionSide::Call, atm, size, pricer)?,
            priced_leg(TradeSide::Buy, OptionSide::Put, atm, size, pricer)?,
        ],
        size.lot_size,
    )
}

/// Bull call spread: buy the `lower` call, sell the `upper` call, `lower < upper`.
pub fn bull_call_spread(
    lower: f64,
    upper: f64,
    size: &PresetSize,
    pricer: &impl LegPricer,
) -> Result<Strategy, StrategyError> {
    require("bull call spread", lower < upper, || {
        format!("needs lower strike < upper strike, got {lower} / {upper}")
    })?;
    Strategy::new(
        vec![
            priced_leg(TradeSide::Buy, OptionSide::Call, lower, size, pricer)?,
            priced_leg(TradeSide::Sell, OptionSide::Call, upper, size, pricer)?,
        ],
        size.lot_size,
    )
}

#[cfg(test)]
mod tests {
    use super::Strategy;
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::Strategy as _;

    const CALL: OptionSide = OptionSide::Call;
    const PUT: OptionSide = OptionSide::Put;
    const LOT: u32 = 75;
    const F: f64 = 25_050.0;

    fn expiry() -> Expiry {
        "2025-07-24".parse().unwrap()
    }

    fn t7() -> Years {
        Years::from_calendar_days(7.0)
    }

    /// A skewed smile: puts below the forward are dearer.
    fn smile(k: f64) -> AnnualVol {
        let x = (k / F).ln();
        AnnualVol(0.12 - 0.3 * x + 1.0 * x * x)
    }

    /// Prices every contract of [`expiry`] by Black-76 off [`smile`], as a chain would.
    fn chain_pricer(kind: OptionSide, strike: f64, e: Expiry) -> Result<LegQuote, String> {
        if e != expiry() {
            return Err(format!("no quotes for expiry {e}"));
        }
        let vol = smile(strike);
        let o = Black76::undiscounted(Forward(F), Strike(strike), t7(), vol).unwrap();
        Ok(LegQuote {
            premium: o.price(kind),
            iv: Some(vol),
        })
    }

    fn size(lots: u32) -> PresetSize {
        PresetSize {
            expiry: expiry(),
            lots,
            lot_size: LOT,
        }
    }

    fn market() -> Market {
        Market::single(expiry(), F, t7())
    }

    fn grid() -> PriceGrid {
        PriceGrid::new(23_500.0, 26_500.0, 301).unwrap()
    }

    fn vol(sigma: f64) -> ProbabilityVol {
        ProbabilityVol {
            source: VolSource::AtmIv,
            vol: AnnualVol(sigma),
            years: t7(),
        }
    }

    fn premium(kind: OptionSide, k: f64) -> f64 {
        chain_pricer(kind, k, expiry()).unwrap().premium
    }

    /// Black-76 greeks of one contract, computed separately from the strategy code.
    fn leg_greeks(kind: OptionSide, k: f64) -> Greeks {
        Black76::undiscounted(Forward(F), Strike(k), t7(), smile(k))
            .unwrap()
            .greeks(kind)
    }

    /// `Σ sign · greeks`, the hand sum of the net greeks of one-lot legs.
    fn hand_greeks(legs: &[(f64, OptionSide, f64)]) -> Greeks {
        let mut g = Greeks {
            price: 0.0,
            delta: 0.0,
            gamma: 0.0,
            vega_per_point: 0.0,
            theta_per_day: 0.0,
        };
        for &(sign, kind, k) in legs {
            let l = leg_greeks(kind, k);
            g.price += sign * l.price;
            g.delta += sign * l.delta;
            g.gamma += sign * l.gamma;
            g.vega_per_point += sign * l.vega_per_point;
            g.theta_per_day += sign * l.theta_per_day;
        }
        g
    }

    fn assert_greeks(got: &NetGreeks, want: &Greeks, lots: f64) {
        let pairs = [
            (got.per_unit.price, want.price),
            (got.per_unit.delta, want.delta),
            (got.per_unit.gamma, want.gamma),
            (got.per_unit.vega_per_point, want.vega_per_point),
            (got.per_unit.theta_per_day, want.theta_per_day),
        ];
        for (i, (g, w)) in pairs.into_iter().enumerate() {
            let w = w * lots;
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1e-6),
                "greek {i}: {g} vs {w}"
            );
        }
        let lot = f64::from(LOT);
        assert_eq!(got.position.delta, got.per_unit.delta * lot);
        assert_eq!(got.position.gamma, got.per_unit.gamma * lot);
        assert_eq!(got.position.theta_per_day, got.per_unit.theta_per_day * lot);
        assert_eq!(
            got.position.vega_per_point,
            got.per_unit.vega_per_point * lot
        );
    }

    fn bounded(e: Extreme) -> f64 {
        match e {
            Extreme::Bounded { points, rupees } => {
                assert_eq!(rupees, points * f64::from(LOT));
                points
            }
            Extreme::Unlimited => panic!("expected a bounded extreme"),
        }
    }

    fn levels(a: &Analysis) -> Vec<f64> {
        a.breakevens.iter().map(|b| b.level).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(1.0)
    }

    /// Every curve point's P&L at expiry equals the hand payoff.
    fn assert_curve(a: &Analysis, hand: impl Fn(f64) -> f64) {
        assert!(a.curve.len() >= 301);
        assert!(
            a.curve
                .windows(2)
                .all(|w| w[0].underlying < w[1].underlying)
        );
        for p in &a.curve {
            let want = hand(p.underlying);
            assert!(
                (p.at_expiry - want).abs() < 1e-9,
                "at {}: {} vs {want}",
                p.underlying,
                p.at_expiry
            );
        }
    }

    // ---- splitmix64 + Box–Muller, written here so the Monte Carlo check is independent ----

    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform on (0, 1].
        fn uniform(&mut self) -> f64 {
            ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
        }
        fn normal_pair(&mut self) -> (f64, f64) {
            let (u1, u2) = (self.uniform(), self.uniform());
            let r = (-2.0 * u1.ln()).sqrt();
            let a = std::f64::consts::TAU * u2;
            (r * a.cos(), r * a.sin())
        }
    }

    /// Asserts the analytic probability of profit against N = 200 000 simulated terminal
    /// prices `S_0·exp(σ√T·Z)` scored with the hand payoff, within 4 standard errors.
    fn assert_monte_carlo(a: &Analysis, hand: impl Fn(f64) -> f64, seed: u64) {
        const N: usize = 200_000;
        let ProbabilityVol { vol, years, .. } = a.probability_of_profit.vol;
        let s = vol.0 * years.0.sqrt();
        let mut rng = SplitMix64(seed);
        let mut wins = 0usize;
        for _ in 0..N / 2 {
            let (z1, z2) = rng.normal_pair();
            for z in [z1, z2] {
                if hand(F * (s * z).exp()) > 0.0 {
                    wins += 1;
                }
            }
        }
        let p_mc = wins as f64 / N as f64;
        let p = a.probability_of_profit.probability.get();
        let bound = 4.0 * (p * (1.0 - p) / N as f64).sqrt();
        assert!(
            p > 0.05 && p < 0.95,
            "choose a vol that makes the check sharp: p = {p}"
        );
        assert!(
            (p_mc - p).abs() < bound,
            "MC {p_mc} vs analytic {p} (bound {bound})"
        );
        let parts: f64 = a
            .probability_of_profit
            .intervals
            .iter()
            .map(|i| i.probability.get())
            .sum();
        assert!((parts - p).abs() < 1e-15);
    }

    /// Touch probability of each breakeven by the reflection formula, by hand.
    fn assert_touch(a: &Analysis) {
        let ProbabilityVol { vol, years, .. } = a.probability_of_profit.vol;
        for b in &a.breakevens {
            let d = (b.level / F).ln().abs() / (vol.0 * years.0.sqrt());
            let want = (2.0 * normal::cdf(-d)).min(1.0);
            assert!((b.touch_probability.get() - want).abs() < 1e-15);
        }
    }

    #[test]
    fn short_strangle_matches_hand_formulas() {
        let (kp, kc) = (24_500.0, 25_600.0);
        let s = short_strangle(F, kp, kc, &size(1), &chain_pricer).unwrap();
        let a = analyze(&s, &market(), &grid(), &vol(0.13)).unwrap();
        let credit = premium(PUT, kp) + premium(CALL, kc);
        assert!(credit > 20.0, "a realistic credit: {credit}");
        let hand = |x: f64| credit - (kp - x).max(0.0) - (x - kc).max(0.0);

        assert_eq!(a.method, ExpiryMethod::Exact);
        assert_eq!(a.net_premium.flow, PremiumFlow::Credit);
        assert!(close(a.net_premium.points, credit));
        assert!(close(a.net_premium.rupees, credit * 75.0));
        let be = levels(&a);
        assert_eq!(be.len(), 2);
        assert!(
            close(be[0], kp - credit) && close(be[1], kc + credit),
            "{be:?}"
        );
        assert!(close(bounded(a.max_profit), credit));
        assert_eq!(a.max_loss, Extreme::Unlimited);
        assert_curve(&a, hand);
        assert_greeks(
            &a.greeks,
            &hand_greeks(&[(-1.0, PUT, kp), (-1.0, CALL, kc)]),
            1.0,
        );
        assert!(
            a.greeks.per_unit.theta_per_day > 0.0,
            "a short strangle earns time decay"
        );
        assert_monte_carlo(&a, hand, 1);
        assert_touch(&a);
        assert_eq!(a.probability_of_profit.intervals.len(), 1);
        assert_eq!(a.lot_size, LOT);
        assert_eq!(a.nearest_expiry, expiry());
    }

    #[test]
    fn iron_condor_matches_hand_formulas() {
        let (lp, sp, sc, lc) = (24_300.0, 24_600.0, 25_500.0, 25_800.0);
        let s = iron_condor(sp, lp, sc, lc, &size(1), &chain_pricer).unwrap();
        let a = analyze(&s, &market(), &grid(), &vol(0.11)).unwrap();
        let credit = premium(PUT, sp) + premium(CALL, sc) - premium(PUT, lp) - premium(CALL, lc);
        let width = 300.0;
        let hand = |x: f64| {
            credit - (sp - x).max(0.0) + (lp - x).max(0.0) - (x - sc).max(0.0) + (x - lc).max(0.0)
        };

        assert!(close(a.net_premium.points, credit));
        assert!(close(bounded(a.max_profit), credit));
        assert!(close(bounded(a.max_loss), -(width - credit)));
        let be = levels(&a);
        assert!(be.len() == 2 && close(be[0], sp - credit) && close(be[1], sc + credit));
        assert_curve(&a, hand);
        assert_greeks(
            &a.greeks,
            &hand_greeks(&[
                (1.0, PUT, lp),
                (-1.0, PUT, sp),
                (-1.0, CALL, sc),
                (1.0, CALL, lc),
            ]),
            1.0,
        );
        assert_monte_carlo(&a, hand, 2);
        assert_touch(&a);
        // The profitable interval is exactly between the breakevens.
        let i = a.probability_of_profit.intervals[0];
        assert!(close(i.low, be[0]) && close(i.high.unwrap(), be[1]));
    }

    #[test]
    fn bull_call_spread_matches_hand_formulas() {
        let (lo, hi) = (25_000.0, 25_200.0);
        let s = bull_call_spread(lo, hi, &size(1), &chain_pricer).unwrap();
        let a = analyze(&s, &market(), &grid(), &vol(0.12)).unwrap();
        let debit = premium(CALL, lo) - premium(CALL, hi);
        let hand = |x: f64| (x - lo).max(0.0) - (x - hi).max(0.0) - debit;

        assert_eq!(a.net_premium.flow, PremiumFlow::Debit);
        assert!(close(a.net_premium.points, -debit));
        assert!(close(bounded(a.max_loss), -debit));
        assert!(close(bounded(a.max_profit), 200.0 - debit));
        let be = levels(&a);
        assert!(be.len() == 1 && close(be[0], lo + debit), "{be:?}");
        assert_curve(&a, hand);
        assert_greeks(
            &a.greeks,
            &hand_greeks(&[(1.0, CALL, lo), (-1.0, CALL, hi)]),
            1.0,
        );
        assert_monte_carlo(&a, hand, 3);
        assert_touch(&a);
        let i = a.probability_of_profit.intervals[0];
        assert!(close(i.low, lo + debit) && i.high.is_none());
    }

    #[test]
    fn long_straddle_matches_hand_formulas() {
        let k = 25_050.0;
        let s = long_straddle(k, &size(1), &chain_pricer).unwrap();
        let a = analyze(&s, &market(), &grid(), &vol(0.12)).unwrap();
        let debit = premium(CALL, k) + premium(PUT, k);
        let hand = |x: f64| (x - k).abs() - debit;

        assert!(close(a.net_premium.points, -debit));
        assert!(close(bounded(a.max_loss), -debit));
        assert_eq!(a.max_profit, Extreme::Unlimited);
        let be = levels(&a);
        assert!(be.len() == 2 && close(be[0], k - debit) && close(be[1], k + debit));
        assert_curve(&a, hand);
        assert_greeks(
            &a.greeks,
            &hand_greeks(&[(1.0, CALL, k), (1.0, PUT, k)]),
            1.0,
        );
        assert!(a.greeks.per_unit.gamma > 0.0 && a.greeks.per_unit.theta_per_day < 0.0);
        assert_monte_carlo(&a, hand, 4);
        assert_touch(&a);
        // Profitable below the lower and above the upper breakeven.
        let iv = &a.probability_of_profit.intervals;
        assert_eq!(iv.len(), 2);
        assert!(iv[0].low == 0.0 && iv[1].high.is_none());
    }

    #[test]
    fn lots_scale_points_and_rupees() {
        let one = iron_condor(
            24_600.0,
            24_300.0,
            25_500.0,
            25_800.0,
            &size(1),
            &chain_pricer,
        )
        .unwrap();
        let three = iron_condor(
            24_600.0,
            24_300.0,
            25_500.0,
            25_800.0,
            &size(3),
            &chain_pricer,
        )
        .unwrap();
        let (a1, a3) = (
            analyze(&one, &market(), &grid(), &vol(0.12)).unwrap(),
            analyze(&three, &market(), &grid(), &vol(0.12)).unwrap(),
        );
        assert!(close(a3.net_premium.points, 3.0 * a1.net_premium.points));
        assert!(close(
            a3.net_premium.rupees,
            3.0 * 75.0 * a1.net_premium.points
        ));
        assert!(close(bounded(a3.max_loss), 3.0 * bounded(a1.max_loss)));
        // Breakevens and probabilities do not depend on the size.
        assert_eq!(levels(&a1).len(), levels(&a3).len());
        for (x, y) in levels(&a1).iter().zip(levels(&a3)) {
            assert!(close(*x, y));
        }
        let (p1, p3) = (
            a1.probability_of_profit.probability.get(),
            a3.probability_of_profit.probability.get(),
        );
        assert!((p1 - p3).abs() < 1e-12);
        assert!(close(
            a3.greeks.position.vega_per_point,
            3.0 * a1.greeks.position.vega_per_point
        ));
    }

    /// The net greeks are the derivatives of the strategy's own value today.
    #[test]
    fn greeks_are_finite_differences_of_the_value_today() {
        let s = iron_condor(
            24_600.0,
            24_300.0,
            25_500.0,
            25_800.0,
            &size(2),
            &chain_pricer,
        )
        .unwrap();
        let m = market();
        let g = s.greeks(&m).unwrap().per_unit;
        let v = |x: f64| s.pnl_today(x, &m).unwrap();
        let h = 1.0;
        let delta = (v(F + h) - v(F - h)) / (2.0 * h);
        let gamma = (v(F + h) - 2.0 * v(F) + v(F - h)) / (h * h);
        assert!((delta - g.delta).abs() < 1e-6, "{delta} vs {}", g.delta);
        assert!((gamma - g.gamma).abs() < 1e-6, "{gamma} vs {}", g.gamma);
        // Value today = Σ weight·price − entry premiums.
        assert!((v(F) - (g.price + s.net_premium().points)).abs() < 1e-9);

        let bump_vol = |dv: f64| {
            let legs = s
                .legs()
                .iter()
                .map(|l| Leg {
                    iv: l.iv.map(|x| AnnualVol(x.0 + dv)),
                    ..*l
                })
                .collect();
            Strategy::new(legs, LOT).unwrap().pnl_today(F, &m).unwrap()
        };
        let hv = 1e-5;
        let vega = (bump_vol(hv) - bump_vol(-hv)) / (2.0 * hv) / 100.0;
        assert!(
            (vega - g.vega_per_point).abs() < 1e-6,
            "{vega} vs {}",
            g.vega_per_point
        );

        let at_time = |days: f64| {
            s.pnl_today(
                F,
                &Market::single(expiry(), F, Years::from_calendar_days(days)),
            )
            .unwrap()
        };
        let hd = 1e-4;
        let theta = -(at_time(7.0 + hd) - at_time(7.0 - hd)) / (2.0 * hd);
        assert!(
            (theta - g.theta_per_day).abs() < 1e-5,
            "{theta} vs {}",
            g.theta_per_day
        );
    }

    /// A calendar spread: the near leg at intrinsic value, the far leg by Black-76 with the time
    /// left between the expiries and the forward scaled by today's ratio.
    #[test]
    fn mixed_expiries_value_the_later_legs_at_the_nearest_expiry() {
        let (near, far): (Expiry, Expiry) =
            ("2025-07-24".parse().unwrap(), "2025-08-28".parse().unwrap());
        let (t1, t2) = (
            Years::from_calendar_days(7.0),
            Years::from_calendar_days(42.0),
        );
        let (f1, f2) = (F, F * 1.004);
        let k = 25_000.0;
        let legs = vec![
            Leg {
                side: TradeSide::Sell,
                kind: CALL,
                strike: k,
                expiry: near,
                lots: 1,
                premium: 150.0,
                iv: Some(AnnualVol(0.12)),
            },
            Leg {
                side: TradeSide::Buy,
                kind: CALL,
                strike: k,
                expiry: far,
                lots: 1,
                premium: 420.0,
                iv: Some(AnnualVol(0.14)),
            },
        ];
        let s = Strategy::new(legs, LOT).unwrap();
        assert!(!s.is_single_expiry());
        let mut m = Market::single(near, f1, t1);
        m.expiries.insert(
            far,
            ExpiryMarket {
                forward: f2,
                years: t2,
            },
        );
        let hand = |x: f64| {
            let far_value = Black76::undiscounted(
                Forward(x * f2 / f1),
                Strike(k),
                Years(t2.0 - t1.0),
                AnnualVol(0.14),
            )
            .unwrap()
            .price(CALL);
            -((x - k).max(0.0) - 150.0) + (far_value - 420.0)
        };
        for x in [24_000.0, 25_000.0, 25_321.5, 26_000.0] {
            assert!((s.pnl_at_expiry(x, &m).unwrap() - hand(x)).abs() < 1e-9);
        }
        let g = PriceGrid::new(23_500.0, 26_500.0, 121).unwrap();
        let a = analyze(&s, &m, &g, &vol(0.12)).unwrap();
        assert_eq!(
            a.method,
            ExpiryMethod::NumericalWithinGrid {
                low: 23_500.0,
                high: 26_500.0
            }
        );
        let be = levels(&a);
        assert_eq!(be.len(), 2, "{be:?}");
        for b in &be {
            assert!(hand(*b).abs() < 1e-6, "breakeven {b}: {}", hand(*b));
        }
        // The calendar profits around the strike, and the best grid value is near it.
        assert!(be[0] < k && k < be[1]);
        let best = bounded(a.max_profit);
        assert!(a.curve.iter().all(|p| p.at_expiry <= best));
        assert!(
            (best - hand(k)).abs() < 1e-9,
            "the kink at the strike is on the grid"
        );
        // Greeks now include the forward ratio of the far leg.
        let gk = s.greeks(&m).unwrap().per_unit;
        let far_delta = Black76::undiscounted(Forward(f2), Strike(k), t2, AnnualVol(0.14))
            .unwrap()
            .delta(CALL);
        let near_delta = Black76::undiscounted(Forward(f1), Strike(k), t1, AnnualVol(0.12))
            .unwrap()
            .delta(CALL);
        assert!((gk.delta - (far_delta * f2 / f1 - near_delta)).abs() < 1e-12);
    }

    #[test]
    fn invalid_strategies_and_inputs_are_named() {
        assert_eq!(Strategy::new(vec![], LOT), Err(StrategyError::NoLegs));
        let good = Leg {
            side: TradeSide::Buy,
            kind: CALL,
            strike: 25_000.0,
            expiry: expiry(),
            lots: 1,
            premium: 100.0,
            iv: Some(AnnualVol(0.12)),
        };
        assert_eq!(
            Strategy::new(vec![good], 0),
            Err(StrategyError::ZeroLotSize)
        );
        let cases = [
            (
                Leg {
                    strike: -1.0,
                    ..good
                },
                "strike",
            ),
            (Leg { lots: 0, ..good }, "lots"),
            (
                Leg {
                    premium: f64::NAN,
                    ..good
                },
                "premium",
            ),
            (
                Leg {
                    iv: Some(AnnualVol(0.0)),
                    ..good
                },
                "iv",
            ),
        ];
        for (leg, name) in cases {
            match Strategy::new(vec![good, leg], LOT) {
                Err(StrategyError::BadLeg { leg: 1, field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        let no_iv = Strategy::new(vec![good, Leg { iv: None, ..good }], LOT).unwrap();
        let e = analyze(&no_iv, &market(), &grid(), &vol(0.1)).unwrap_err();
        assert!(
            matches!(e, StrategyError::MissingIv { leg: 1, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("no implied vol"), "{e}");
        // Without IV the expiry payoff of a single-expiry strategy is still defined.
        assert_eq!(
            no_iv.pnl_at_expiry(25_300.0, &Market::default()).unwrap(),
            400.0
        );

        let s = Strategy::new(vec![good], LOT).unwrap();
        let e = analyze(&s, &Market::default(), &grid(), &vol(0.1)).unwrap_err();
        assert_eq!(e, StrategyError::MissingMarket { expiry: expiry() });
        let e = analyze(&s, &Market::single(expiry(), 0.0, t7()), &grid(), &vol(0.1)).unwrap_err();
        assert!(matches!(e, StrategyError::BadMarket { .. }) && e.to_string().contains("forward"));
        let e = analyze(&s, &market(), &grid(), &vol(0.0)).unwrap_err();
        assert!(matches!(
            e,
            StrategyError::BadProbabilityInput(InputError {
                name: "volatility",
                ..
            })
        ));
        assert!(s.pnl_today(-5.0, &market()).is_err());
        assert!(PriceGrid::new(100.0, 50.0, 10).is_err());
        assert!(PriceGrid::new(0.0, 50.0, 10).is_err());
        assert!(PriceGrid::new(10.0, 50.0, 1).is_err());

        let e = iron_condor(
            24_300.0,
            24_600.0,
            25_500.0,
            25_800.0,
            &size(1),
            &chain_pricer,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                StrategyError::PresetStrikes {
                    preset: "iron condor",
                    ..
                }
            ),
            "{e}"
        );
        assert!(short_strangle(F, 25_100.0, 25_600.0, &size(1), &chain_pricer).is_err());
        assert!(bull_call_spread(25_200.0, 25_000.0, &size(1), &chain_pricer).is_err());
        let other = PresetSize {
            expiry: "2025-07-31".parse().unwrap(),
            ..size(1)
        };
        let e = long_straddle(25_000.0, &other, &chain_pricer).unwrap_err();
        assert!(matches!(e, StrategyError::Unpriced { .. }), "{e:?}");
        assert!(
            e.to_string().contains("no quotes for expiry 2025-07-31"),
            "{e}"
        );
    }

    #[test]
    fn a_shared_strategy_round_trips_and_is_validated_on_the_way_in() {
        // Short decimals, which every JSON reader maps to the same doubles.
        let leg = |side, kind, strike, premium| Leg {
            side,
            kind,
            strike,
            expiry: expiry(),
            lots: 2,
            premium,
            iv: Some(AnnualVol(0.125)),
        };
        let s = Strategy::new(
            vec![
                leg(TradeSide::Buy, PUT, 24_300.0, 12.35),
                leg(TradeSide::Sell, PUT, 24_600.0, 31.4),
                leg(TradeSide::Sell, CALL, 25_500.0, 28.05),
                leg(TradeSide::Buy, CALL, 25_800.0, 9.9),
            ],
            LOT,
        )
        .unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: Strategy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let broken = json.replace("\"lot_size\":75", "\"lot_size\":0");
        assert_ne!(broken, json);
        let e = serde_json::from_str::<Strategy>(&broken).unwrap_err();
        assert!(e.to_string().contains("lot size 0"), "{e}");
    }

    // ---- Property tests on random single-expiry strategies ----

    fn arb_strategy() -> impl proptest::strategy::Strategy<Value = super::Strategy> {
        let leg = (
            any::<bool>(),
            any::<bool>(),
            0u32..41,
            1u32..4,
            0.0f64..400.0,
        )
            .prop_map(|(buy, call, k, lots, premium)| Leg {
                side: if buy { TradeSide::Buy } else { TradeSide::Sell },
                kind: if call { CALL } else { PUT },
                strike: 24_000.0 + 50.0 * f64::from(k),
                expiry: expiry(),
                lots,
                premium,
                iv: Some(smile(24_000.0 + 50.0 * f64::from(k))),
            });
        proptest::collection::vec(leg, 1..6).prop_map(|legs| Strategy::new(legs, LOT).unwrap())
    }

    proptest! {
        /// Between two consecutive strikes (and beyond the last) the payoff is linear: the
        /// midpoint value is the mean of the ends, so every kink is at a strike.
        #[test]
        fn payoff_is_linear_between_strikes(s in arb_strategy(), u in 0.0f64..1.0, v in 0.0f64..1.0) {
            let m = Market::default();
            let mut kinks = strike_kinks(&s);
            kinks.insert(0, 0.0);
            kinks.push(kinks.last().unwrap() + 5_000.0);
            for w in kinks.windows(2) {
                let (a, b) = (w[0] + u * (w[1] - w[0]), w[0] + v * (w[1] - w[0]));
                let f = |x: f64| s.pnl_at_expiry(x, &m).unwrap();
                let mid = f(0.5 * (a + b));
                prop_assert!((mid - 0.5 * (f(a) + f(b))).abs() < 1e-8, "{a}..{b}");
            }
        }

        /// Breakevens are roots, the profitable intervals' probabilities sum to a probability,
        /// and the extremes bound the curve.
        #[test]
        fn breakevens_are_roots_and_probabilities_are_coherent(
            s in arb_strategy(), sigma in 0.05f64..0.6,
        ) {
            let a = analyze(&s, &market(), &grid(), &vol(sigma)).unwrap();
            let m = Market::default();
            for b in &a.breakevens {
                let v = s.pnl_at_expiry(b.level, &m).unwrap();
                prop_assert!(v.abs() < 1e-8, "pnl at breakeven {}: {v}", b.level);
            }
            let total: f64 = a.probability_of_profit.intervals.iter().map(|i| i.probability.get()).sum();
            prop_assert!((-1e-15..=1.0 + 1e-12).contains(&total), "{total}");
            prop_assert!((total.clamp(0.0, 1.0) - a.probability_of_profit.probability.get()).abs() < 1e-15);
            for i in &a.probability_of_profit.intervals {
                let probe = match i.high { Some(h) => 0.5 * (i.low + h), None => i.low + 1.0 };
                prop_assert!(s.pnl_at_expiry(probe, &m).unwrap() > 0.0);
            }
            for p in &a.curve {
                if let Extreme::Bounded { points, .. } = a.max_profit {
                    prop_assert!(p.at_expiry <= points + 1e-9);
                }
                if let Extreme::Bounded { points, .. } = a.max_loss {
                    prop_assert!(p.at_expiry >= points - 1e-9);
                }
            }
        }
    }
}
