//! Strategies priced from a chain snapshot and analysed with [`aegis_quant::strategy::analyze`]:
//! legs written as text (`sell:call:25500:2025-07-17:1`), the four presets, the volatility of the
//! probabilities chosen by the user (ATM IV, India VIX or the model forecast).
//!
//! Each leg's entry premium is the chain's (mid of a two-sided book, else the last price) and its
//! IV our own on the expiry's parity forward; the lot size comes from the contract table for the
//! nearest expiry. The payoff chart covers `[0.94 × lowest, 1.06 × highest]` of the strikes and
//! the forward ([`GRID_MARGIN`]), [`GRID_POINTS`] levels plus the strikes and breakevens.

use std::fmt;
use std::str::FromStr;

use aegis_calendar::NseCalendar;
use aegis_model::{AnnualVol, Expiry, OptionChain, OptionSide};
use aegis_quant::strategy::{
    self, Extreme, LegQuote, Market, PresetSize, PriceGrid, ProbabilityVol, Strategy, TradeSide,
    VolSource,
};
use aegis_quant::{Greeks, Years};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ToolkitError;
use crate::pricing::{ExpiryContext, quote_contract};

/// Relative margin of the payoff chart beyond the strikes and the forward.
pub const GRID_MARGIN: f64 = 0.06;
/// Evenly spaced levels of the payoff chart.
pub const GRID_POINTS: usize = 161;
/// Strike steps between the short and the long strike of each iron-condor wing.
pub const CONDOR_WING_STEPS: f64 = 4.0;
/// Strike steps between the two strikes of the bull call spread (ATM and above).
pub const SPREAD_WIDTH_STEPS: f64 = 4.0;

/// One leg as the user writes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LegSpec {
    /// `buy` or `sell`.
    pub side: Side,
    /// Call or put.
    pub kind: OptionSide,
    /// Strike, points.
    pub strike: f64,
    /// Expiry.
    pub expiry: Expiry,
    /// Lots (≥ 1).
    pub lots: u32,
}

/// Buy or sell (mirrors [`TradeSide`], with a JSON Schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Long.
    Buy,
    /// Short.
    Sell,
}

impl From<Side> for TradeSide {
    fn from(s: Side) -> Self {
        match s {
            Side::Buy => TradeSide::Buy,
            Side::Sell => TradeSide::Sell,
        }
    }
}

impl From<TradeSide> for Side {
    fn from(s: TradeSide) -> Self {
        match s {
            TradeSide::Buy => Side::Buy,
            TradeSide::Sell => Side::Sell,
        }
    }
}

impl FromStr for LegSpec {
    type Err = ToolkitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |rule: &str| ToolkitError::BadLeg {
            input: s.to_string(),
            rule: rule.to_string(),
        };
        let parts: Vec<&str> = s.trim().split(':').collect();
        let [side, kind, strike, expiry, lots] = parts[..] else {
            return Err(bad("it needs 5 fields separated by `:`"));
        };
        let side = match side.to_ascii_lowercase().as_str() {
            "buy" | "b" => Side::Buy,
            "sell" | "s" => Side::Sell,
            _ => return Err(bad("the side must be buy or sell")),
        };
        let kind = match kind.to_ascii_lowercase().as_str() {
            "call" | "c" | "ce" => OptionSide::Call,
            "put" | "p" | "pe" => OptionSide::Put,
            _ => return Err(bad("the kind must be call or put")),
        };
        let strike: f64 = strike
            .parse()
            .ok()
            .filter(|k: &f64| k.is_finite() && *k > 0.0)
            .ok_or_else(|| bad("the strike must be a positive number"))?;
        let expiry: Expiry = expiry
            .parse()
            .map_err(|_| bad("the expiry must be a date like 2025-07-17"))?;
        let lots: u32 = lots
            .parse()
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| bad("lots must be a whole number ≥ 1"))?;
        Ok(LegSpec {
            side,
            kind,
            strike,
            expiry,
            lots,
        })
    }
}

impl fmt::Display for LegSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Buy => "buy",
            Side::Sell => "sell",
        };
        let kind = match self.kind {
            OptionSide::Call => "call",
            OptionSide::Put => "put",
        };
        write!(
            f,
            "{side}:{kind}:{}:{}:{}",
            self.strike, self.expiry, self.lots
        )
    }
}

/// Parses a comma-separated list of legs.
pub fn parse_legs(text: &str) -> Result<Vec<LegSpec>, ToolkitError> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// The volatility behind the probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VolChoice {
    /// ATM IV of the nearest expiry (calendar clock).
    AtmIv,
    /// India VIX (calendar clock).
    Vix,
    /// The payload's volatility forecast (trading-day clock).
    Forecast,
}

impl FromStr for VolChoice {
    type Err = ToolkitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "atm-iv" | "atm" | "iv" => Ok(VolChoice::AtmIv),
            "vix" | "india-vix" => Ok(VolChoice::Vix),
            "forecast" | "model" => Ok(VolChoice::Forecast),
            _ => Err(ToolkitError::UnknownChoice {
                what: "volatility source",
                input: s.to_string(),
                allowed: "atm-iv, vix, forecast",
            }),
        }
    }
}

impl fmt::Display for VolChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VolChoice::AtmIv => "atm-iv",
            VolChoice::Vix => "vix",
            VolChoice::Forecast => "forecast",
        })
    }
}

/// The vols the user may pick besides the chain's own ATM IV.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VolInputs {
    /// India VIX close, percent, at or before the snapshot.
    pub vix_pct: Option<f64>,
    /// The payload's forecast vol to the nearest expiry, percent.
    pub forecast_pct: Option<f64>,
}

/// The presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Sell the put and the call at the edges of the payload's safe range.
    ShortStrangle,
    /// The short strangle with wings [`CONDOR_WING_STEPS`] strikes further out.
    IronCondor,
    /// Buy the ATM call and put.
    LongStraddle,
    /// Buy the ATM call, sell the call [`SPREAD_WIDTH_STEPS`] strikes higher.
    BullCallSpread,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 4] = [
        Preset::ShortStrangle,
        Preset::IronCondor,
        Preset::LongStraddle,
        Preset::BullCallSpread,
    ];

    /// Display name.
    pub fn title(self) -> &'static str {
        match self {
            Preset::ShortStrangle => "Short strangle (safe range)",
            Preset::IronCondor => "Iron condor (safe range)",
            Preset::LongStraddle => "Long straddle (ATM)",
            Preset::BullCallSpread => "Bull call spread (ATM)",
        }
    }
}

impl FromStr for Preset {
    type Err = ToolkitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "short-strangle" | "strangle" => Ok(Preset::ShortStrangle),
            "iron-condor" | "condor" => Ok(Preset::IronCondor),
            "long-straddle" | "straddle" => Ok(Preset::LongStraddle),
            "bull-call-spread" | "bull-call" => Ok(Preset::BullCallSpread),
            _ => Err(ToolkitError::UnknownChoice {
                what: "preset",
                input: s.to_string(),
                allowed: "short-strangle, iron-condor, long-straddle, bull-call-spread",
            }),
        }
    }
}

/// A leg as analysed: the spec with its entry premium and IV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PricedLeg {
    /// The leg.
    #[serde(flatten)]
    pub spec: LegSpec,
    /// Entry premium per unit, points.
    pub premium: f64,
    /// Our IV, percent.
    pub iv_pct: Option<f64>,
}

/// One point of the payoff chart, points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PayoffPoint {
    /// Index level (forward of the nearest expiry).
    pub x: f64,
    /// P&L at the nearest expiry.
    pub at_expiry: f64,
    /// P&L now (Black-76 at each leg's IV).
    pub today: f64,
}

/// A breakeven with its touch probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BreakevenView {
    /// Index level.
    pub level: f64,
    /// Probability of touching it before expiry.
    pub touch_probability: f64,
}

/// Maximum profit or loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExtremeView {
    /// No bound.
    pub unlimited: bool,
    /// Points (a loss negative), when bounded.
    pub points: Option<f64>,
    /// Rupees, when bounded.
    pub rupees: Option<f64>,
}

impl From<Extreme> for ExtremeView {
    fn from(e: Extreme) -> Self {
        match e {
            Extreme::Bounded { points, rupees } => ExtremeView {
                unlimited: false,
                points: Some(points),
                rupees: Some(rupees),
            },
            Extreme::Unlimited => ExtremeView {
                unlimited: true,
                points: None,
                rupees: None,
            },
        }
    }
}

/// Net greeks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GreeksView {
    /// Value.
    pub price: f64,
    /// Delta.
    pub delta: f64,
    /// Gamma.
    pub gamma: f64,
    /// Theta per calendar day.
    pub theta_per_day: f64,
    /// Vega per vol point.
    pub vega_per_point: f64,
}

impl From<Greeks> for GreeksView {
    fn from(g: Greeks) -> Self {
        GreeksView {
            price: g.price,
            delta: g.delta,
            gamma: g.gamma,
            theta_per_day: g.theta_per_day,
            vega_per_point: g.vega_per_point,
        }
    }
}

/// The analysis of one strategy, as the dashboard and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StrategyView {
    /// A name (the preset's, or "custom").
    pub name: String,
    /// The legs as text, comma-separated (for the URL).
    pub legs_text: String,
    /// The legs.
    pub legs: Vec<PricedLeg>,
    /// Units per lot (contract table, nearest expiry).
    pub lot_size: u32,
    /// The expiry of the "at expiry" figures.
    pub nearest_expiry: Expiry,
    /// Forward of the nearest expiry (the chart's axis is centred on it).
    pub forward: f64,
    /// `exact` (one expiry) or `numerical within the chart range` (mixed expiries).
    pub method: String,
    /// `credit`, `debit` or `zero`.
    pub premium_flow: String,
    /// Net premium, points (received > 0).
    pub net_premium_points: f64,
    /// Net premium, rupees.
    pub net_premium_rupees: f64,
    /// Payoff chart.
    pub curve: Vec<PayoffPoint>,
    /// Breakevens at expiry, ascending.
    pub breakevens: Vec<BreakevenView>,
    /// Maximum profit at expiry.
    pub max_profit: ExtremeView,
    /// Maximum loss at expiry.
    pub max_loss: ExtremeView,
    /// Probability of profit at expiry.
    pub probability_of_profit: f64,
    /// The vol source of the probabilities.
    pub vol_source: VolChoice,
    /// The vol used, percent.
    pub vol_pct: f64,
    /// Years to expiry on the vol's clock.
    pub vol_years: f64,
    /// Net greeks per unit, points.
    pub greeks_points: GreeksView,
    /// Net greeks of the position, rupees.
    pub greeks_rupees: GreeksView,
}

/// A chain snapshot ready to price strategies: its live expiries analysed on demand.
#[derive(Debug)]
pub struct StrategyDesk<'a> {
    chain: &'a OptionChain,
    calendar: &'a NseCalendar,
    vols: VolInputs,
    contexts: std::cell::RefCell<Vec<ExpiryContext>>,
}

impl<'a> StrategyDesk<'a> {
    /// A desk on `chain`.
    pub fn new(chain: &'a OptionChain, calendar: &'a NseCalendar, vols: VolInputs) -> Self {
        StrategyDesk {
            chain,
            calendar,
            vols,
            contexts: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The analysed expiry (cached).
    pub(crate) fn context(&self, expiry: Expiry) -> Result<ExpiryContext, ToolkitError> {
        if let Some(c) = self.contexts.borrow().iter().find(|c| c.expiry == expiry) {
            return Ok(c.clone());
        }
        if !self.chain.expiries.contains(&expiry) {
            return Err(ToolkitError::unavailable(
                "expiry",
                format!(
                    "expiry {expiry} is not listed in the snapshot of {}; listed: {}",
                    self.chain.timestamp,
                    self.chain
                        .expiries
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let c = ExpiryContext::new(self.chain, expiry)?;
        self.contexts.borrow_mut().push(c.clone());
        Ok(c)
    }

    /// The nearest live expiry of the snapshot.
    pub fn nearest_expiry(&self) -> Result<Expiry, ToolkitError> {
        self.chain
            .expiries
            .iter()
            .copied()
            .find(|e| crate::pricing::years_to_expiry(self.chain.timestamp, *e).is_some())
            .ok_or_else(|| {
                ToolkitError::unavailable("expiry", "every expiry of the snapshot has expired")
            })
    }

    fn lot_size(&self, expiry: Expiry) -> Result<u32, ToolkitError> {
        self.calendar
            .try_contract_spec(self.chain.symbol, expiry)
            .map(|s| s.lot_size)
            .map_err(|e| ToolkitError::unavailable("lot size", e.to_string()))
    }

    fn strike_step(&self, expiry: Expiry) -> Result<f64, ToolkitError> {
        self.calendar
            .try_contract_spec(self.chain.symbol, expiry)
            .map(|s| s.strike_step)
            .map_err(|e| ToolkitError::unavailable("strike step", e.to_string()))
    }

    fn pricer(&self) -> impl Fn(OptionSide, f64, Expiry) -> Result<LegQuote, String> + '_ {
        move |kind, strike, expiry| {
            let ctx = self.context(expiry).map_err(|e| e.to_string())?;
            let (premium, iv) =
                quote_contract(self.chain, &ctx, kind, strike).map_err(|e| e.to_string())?;
            Ok(LegQuote {
                premium,
                iv: Some(iv),
            })
        }
    }

    /// The legs of a preset on the nearest expiry, one lot each. The short strangle and the iron
    /// condor need the safe range `(lower, upper)` of the sellers' view.
    pub fn preset(
        &self,
        preset: Preset,
        safe_range: Option<(f64, f64)>,
    ) -> Result<Vec<LegSpec>, ToolkitError> {
        let expiry = self.nearest_expiry()?;
        let ctx = self.context(expiry)?;
        let forward = ctx.forward()?;
        let size = PresetSize {
            expiry,
            lots: 1,
            lot_size: self.lot_size(expiry)?,
        };
        let step = self.strike_step(expiry)?;
        let listed: Vec<f64> = self
            .chain
            .expiry_rows(expiry)
            .iter()
            .map(|r| r.strike)
            .collect();
        let atm = listed
            .iter()
            .copied()
            .min_by(|a, b| (a - forward).abs().total_cmp(&(b - forward).abs()))
            .ok_or_else(|| ToolkitError::unavailable("ATM strike", "the expiry lists no strike"))?;
        let range = || {
            safe_range.ok_or_else(|| {
                ToolkitError::unavailable(
                    "safe range",
                    "the sellers' safe range of the payload is unavailable (run `aegis run`)",
                )
            })
        };
        let pricer = self.pricer();
        let s = match preset {
            Preset::ShortStrangle => {
                let (lo, hi) = range()?;
                strategy::short_strangle(forward, lo, hi, &size, &pricer)?
            }
            Preset::IronCondor => {
                let (lo, hi) = range()?;
                let w = CONDOR_WING_STEPS * step;
                strategy::iron_condor(lo, lo - w, hi, hi + w, &size, &pricer)?
            }
            Preset::LongStraddle => strategy::long_straddle(atm, &size, &pricer)?,
            Preset::BullCallSpread => {
                strategy::bull_call_spread(atm, atm + SPREAD_WIDTH_STEPS * step, &size, &pricer)?
            }
        };
        Ok(s.legs()
            .iter()
            .map(|l| LegSpec {
                side: l.side.into(),
                kind: l.kind,
                strike: l.strike,
                expiry: l.expiry,
                lots: l.lots,
            })
            .collect())
    }

    /// Prices and analyses `legs` with probabilities from `vol`.
    pub fn analyze(
        &self,
        name: &str,
        legs: &[LegSpec],
        vol: VolChoice,
    ) -> Result<StrategyView, ToolkitError> {
        if legs.is_empty() {
            return Err(ToolkitError::BadLeg {
                input: String::new(),
                rule: "a strategy needs at least one leg".into(),
            });
        }
        let pricer = self.pricer();
        let mut priced = Vec::with_capacity(legs.len());
        let mut quant_legs = Vec::with_capacity(legs.len());
        let mut market = Market::default();
        for spec in legs {
            let ctx = self.context(spec.expiry)?;
            let q = aegis_quant::strategy::LegPricer::quote(
                &pricer,
                spec.kind,
                spec.strike,
                spec.expiry,
            )
            .map_err(|reason| ToolkitError::Unpriced {
                kind: spec.kind,
                strike: spec.strike,
                expiry: spec.expiry,
                reason,
            })?;
            market.expiries.insert(
                spec.expiry,
                strategy::ExpiryMarket {
                    forward: ctx.forward()?,
                    years: ctx.years,
                },
            );
            priced.push(PricedLeg {
                spec: *spec,
                premium: q.premium,
                iv_pct: q.iv.map(|v| v.0 * 100.0),
            });
            quant_legs.push(strategy::Leg {
                side: spec.side.into(),
                kind: spec.kind,
                strike: spec.strike,
                expiry: spec.expiry,
                lots: spec.lots,
                premium: q.premium,
                iv: q.iv,
            });
        }
        let nearest = legs.iter().map(|l| l.expiry).min().expect("non-empty");
        let s = Strategy::new(quant_legs, self.lot_size(nearest)?)?;
        let near = self.context(nearest)?;
        let forward = near.forward()?;
        let (vol_pct, years, source) = match vol {
            VolChoice::AtmIv => (
                near.analytics
                    .atm_iv
                    .as_ref()
                    .map(|a| a.iv.0 * 100.0)
                    .map_err(|e| ToolkitError::unavailable("ATM IV", e.to_string()))?,
                near.years,
                VolSource::AtmIv,
            ),
            VolChoice::Vix => (
                self.vols.vix_pct.ok_or_else(|| {
                    ToolkitError::unavailable(
                        "India VIX",
                        "no India VIX close is stored (aegis fetch --daily)",
                    )
                })?,
                near.years,
                VolSource::IndiaVix,
            ),
            VolChoice::Forecast => {
                let pct = self.vols.forecast_pct.ok_or_else(|| {
                    ToolkitError::unavailable(
                        "vol forecast",
                        "the payload has no vol forecast for the nearest expiry (run `aegis run`)",
                    )
                })?;
                let date = self.chain.timestamp.date_naive();
                let days = self
                    .calendar
                    .trading_days_between(date, nearest.date())
                    .map_err(|e| ToolkitError::unavailable("trading days", e.to_string()))?;
                // A snapshot taken before the close of its own session still has that session.
                let days = days.max(1);
                (
                    pct,
                    Years::from_trading_days(f64::from(days)),
                    VolSource::ModelForecast,
                )
            }
        };
        let lo = legs.iter().map(|l| l.strike).fold(forward, f64::min) * (1.0 - GRID_MARGIN);
        let hi = legs.iter().map(|l| l.strike).fold(forward, f64::max) * (1.0 + GRID_MARGIN);
        let grid = PriceGrid::new(lo, hi, GRID_POINTS)?;
        let pv = ProbabilityVol {
            source,
            vol: AnnualVol(vol_pct / 100.0),
            years,
        };
        let a = strategy::analyze(&s, &market, &grid, &pv)?;
        Ok(StrategyView {
            name: name.to_string(),
            legs_text: legs
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(","),
            legs: priced,
            lot_size: a.lot_size,
            nearest_expiry: a.nearest_expiry,
            forward,
            method: match a.method {
                strategy::ExpiryMethod::Exact => "exact".into(),
                strategy::ExpiryMethod::NumericalWithinGrid { low, high } => {
                    format!("numerical within {low:.0}–{high:.0}")
                }
            },
            premium_flow: match a.net_premium.flow {
                strategy::PremiumFlow::Credit => "credit",
                strategy::PremiumFlow::Debit => "debit",
                strategy::PremiumFlow::Zero => "zero",
            }
            .into(),
            net_premium_points: a.net_premium.points,
            net_premium_rupees: a.net_premium.rupees,
            curve: a
                .curve
                .iter()
                .map(|c| PayoffPoint {
                    x: c.underlying,
                    at_expiry: c.at_expiry,
                    today: c.today,
                })
                .collect(),
            breakevens: a
                .breakevens
                .iter()
                .map(|b| BreakevenView {
                    level: b.level,
                    touch_probability: b.touch_probability.get(),
                })
                .collect(),
            max_profit: a.max_profit.into(),
            max_loss: a.max_loss.into(),
            probability_of_profit: a.probability_of_profit.probability.get(),
            vol_source: vol,
            vol_pct,
            vol_years: years.0,
            greeks_points: a.greeks.per_unit.into(),
            greeks_rupees: a.greeks.position.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legs_parse_and_print_back() {
        let l: LegSpec = "sell:call:25500:2025-07-17:2".parse().unwrap();
        assert_eq!(l.side, Side::Sell);
        assert_eq!(l.kind, OptionSide::Call);
        assert_eq!(l.strike, 25_500.0);
        assert_eq!(l.lots, 2);
        assert_eq!(l.to_string(), "sell:call:25500:2025-07-17:2");
        let many = parse_legs("buy:put:25000:2025-07-17:1, sell:put:25100:17-Jul-2025:1").unwrap();
        assert_eq!(many.len(), 2);
        for bad in [
            "sell:call:25500:2025-07-17",
            "hold:call:25500:2025-07-17:1",
            "sell:fut:25500:2025-07-17:1",
            "sell:call:-1:2025-07-17:1",
            "sell:call:25500:17/07/2025:1",
            "sell:call:25500:2025-07-17:0",
        ] {
            let e = bad.parse::<LegSpec>().unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
        assert_eq!("atm-iv".parse::<VolChoice>().unwrap(), VolChoice::AtmIv);
        assert!("garch".parse::<VolChoice>().is_err());
        assert_eq!("iron-condor".parse::<Preset>().unwrap(), Preset::IronCondor);
    }
}
