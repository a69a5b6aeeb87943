//! Option-chain analytics for one expiry: max pain, put/call ratios, OI walls and OI change,
//! the parity forward, our own implied-vol smile, ATM and 25-delta vols, skew and the
//! straddle-implied move.
//!
//! # Rules for quotes
//!
//! Each leg (call or put at a strike) gets at most one premium:
//!
//! 1. **Zeros are missing.** NSE reports 0 for "not reported"; sources map those to `None`, and
//!    any zero or negative bid, ask or last price that still arrives is treated as missing too.
//! 2. **Two-sided book** (bid and ask both present): the premium is the mid, unless the book is
//!    **crossed** (bid > ask), in which case the leg is excluded (`crossed`), even if it traded:
//!    the snapshot of that leg is inconsistent.
//! 3. **One-sided book** (only a bid or only an ask): a one-sided quote is a bound, not a value,
//!    so the last traded price is used if there is one (counted in `one_sided_books` and
//!    `priced_from_last`); otherwise the leg is excluded (`one_sided_no_last`).
//! 4. **No book**: the last traded price if there is one, else excluded (`no_price`).
//!
//! The forward comes from put–call parity over the priced strikes ([`crate::parity`]). Then every
//! priced leg is inverted with [`implied_vol`] (undiscounted Black-76 on that forward, `T` as given):
//! a premium below intrinsic value (`below_intrinsic`), with no time value (`no_time_value`), at or
//! above the upper bound (`above_upper_bound`), or for which the solver fails (`solver_failed`) is
//! excluded; so is an IV outside `[min_iv, max_iv]` (default 1 %–300 %: `iv_below_min`,
//! `iv_above_max`), which only a stale or erroneous premium produces.
//!
//! The **smile** uses the out-of-the-money leg at each strike (the put below the forward, the call
//! at or above it); where that leg is excluded the strike has no smile point (no fallback to the
//! in-the-money leg, whose premium is mostly intrinsic value). NSE's own IV field is never used
//! for our vols; it is reported separately as [`ExpiryAnalytics::exchange_atm_iv`], for comparison.
//!
//! * **ATM IV**: linear interpolation in strike between the nearest smile points below and above
//!   the forward; unavailable when one side of the forward has no smile point.
//! * **25-delta vols**: forward (undiscounted) Black-76 deltas `N(d1)` and `N(d1) − 1` from each
//!   point's own IV; walking out from the ATM point along each wing, the first pair of points that
//!   brackets +0.25 (calls) or −0.25 (puts) is interpolated linearly in delta. A wing that never
//!   reaches 25 delta makes the skew unavailable.
//! * **Expected move**: the ATM straddle `C + P` at whichever of the two strikes bracketing the
//!   forward is nearer it and has both legs accepted; `E|F_T − F| ≈` the straddle under Black-76.
//! * **Walls**: the largest call OI (resistance) and put OI (support) among strikes within
//!   `±wall_window` (default 10 %) of the underlying the exchange reported.
//! * **Max pain**: over the strikes of the expiry as settlement candidates, the `X` minimising
//!   `Σ_K OI_call(K)·max(X−K, 0) + OI_put(K)·max(K−X, 0)` (ties to the lower strike); the zone is
//!   every strike whose pain is within `max_pain_zone` (default 1.05) times the minimum.

use aegis_model::{
    AnnualVol, ChainRow, Expiry, OptionChain, OptionQuote, OptionSide, Percent, Points,
};
use serde::Serialize;

use crate::error::{InputError, positive};
use crate::normal;
use crate::parity::{ParityForward, StrikeQuotes, forward_from_parity};
use crate::{DiscountFactor, Forward, IvError, Strike, Years, implied_vol};

/// Tunable rules of the analysis (the defaults are the documented ones).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChainConfig {
    /// Strikes (nearest the money) whose parity forwards are combined by their median.
    pub parity_strikes: usize,
    /// Implied vols below this are excluded as absurd.
    pub min_iv: AnnualVol,
    /// Implied vols above this are excluded as absurd.
    pub max_iv: AnnualVol,
    /// OI walls are searched within `underlying × (1 ± wall_window)`.
    pub wall_window: f64,
    /// How many strikes to list as change-in-OI leaders per side.
    pub oi_leaders: usize,
    /// Max-pain zone: strikes whose pain is at most this multiple of the minimum.
    pub max_pain_zone: f64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            parity_strikes: 3,
            min_iv: AnnualVol(0.01),
            max_iv: AnnualVol(3.0),
            wall_window: 0.10,
            oi_leaders: 5,
            max_pain_zone: 1.05,
        }
    }
}

/// Why the analysis of an expiry could not start at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainAnalyticsError {
    /// The chain has no rows for the expiry.
    #[error("the option chain has no strikes for expiry {0}")]
    NoRows(Expiry),
    /// Time to expiry or a configuration value out of its domain.
    #[error(transparent)]
    Input(#[from] InputError),
}

/// Why one metric of the analysis is unavailable (the others may still be computed).
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unavailable {
    /// No open interest on any leg of the expiry.
    #[error("no open interest in this expiry")]
    NoOpenInterest,
    /// The call total (the ratio's denominator) is zero.
    #[error("total call {what} is zero, so the put/call ratio is undefined")]
    NoCallTotal {
        /// `"open interest"` or `"volume"`.
        what: &'static str,
    },
    /// No strike in the wall window has open interest on that side.
    #[error(
        "no strike within ±{window_percent}% of the underlying {underlying} has {side:?} open interest"
    )]
    NoWallStrike {
        /// Call or put.
        side: OptionSide,
        /// The underlying the window is centred on.
        underlying: f64,
        /// Half-width of the window in percent.
        window_percent: f64,
    },
    /// Put–call parity gave no forward.
    #[error("no forward from put–call parity: {message}")]
    NoForward {
        /// The parity error.
        message: String,
    },
    /// One side of the forward has no usable implied vol.
    #[error("no usable implied vol {side} the forward {forward}")]
    NoSmileSide {
        /// `"below"` or `"above"`.
        side: &'static str,
        /// The forward.
        forward: f64,
    },
    /// The skew needs the ATM implied vol, which is unavailable.
    #[error("the ATM implied vol is unavailable, so the skew measures are too")]
    NoAtmIv,
    /// A wing of the smile does not reach 25 delta.
    #[error("the {wing:?} wing does not reach 25 delta (furthest usable delta {furthest_delta})")]
    WingTooShort {
        /// Which wing.
        wing: OptionSide,
        /// The delta of its furthest usable point.
        furthest_delta: f64,
    },
    /// Neither strike next to the forward has both legs accepted.
    #[error("neither strike next to the forward {forward} has both legs priced and accepted")]
    NoAtmStraddle {
        /// The forward.
        forward: f64,
    },
}

/// Where a premium came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// Mid of a two-sided, uncrossed book.
    Mid,
    /// Last traded price.
    Last,
}

/// Why a leg was left out of pricing and implied vol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// No book and no last price.
    NoPrice,
    /// Only one side of the book and no last price.
    OneSidedNoLast,
    /// Bid above ask.
    Crossed,
    /// Premium below intrinsic value on the parity forward.
    BelowIntrinsic,
    /// Premium equal to intrinsic value: no time value.
    NoTimeValue,
    /// Premium at or above the no-arbitrage bound (`F` for a call, `K` for a put).
    AboveUpperBound,
    /// Implied vol under `min_iv`.
    IvBelowMin,
    /// Implied vol over `max_iv`.
    IvAboveMax,
    /// The implied-vol solver failed.
    SolverFailed,
}

/// Legs excluded, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ExclusionCounts {
    /// [`Exclusion::NoPrice`].
    pub no_price: usize,
    /// [`Exclusion::OneSidedNoLast`].
    pub one_sided_no_last: usize,
    /// [`Exclusion::Crossed`].
    pub crossed: usize,
    /// [`Exclusion::BelowIntrinsic`].
    pub below_intrinsic: usize,
    /// [`Exclusion::NoTimeValue`].
    pub no_time_value: usize,
    /// [`Exclusion::AboveUpperBound`].
    pub above_upper_bound: usize,
    /// [`Exclusion::IvBelowMin`].
    pub iv_below_min: usize,
    /// [`Exclusion::IvAboveMax`].
    pub iv_above_max: usize,
    /// [`Exclusion::SolverFailed`].
    pub solver_failed: usize,
}

impl ExclusionCounts {
    fn add(&mut self, reason: Exclusion) {
        let slot = match reason {
            Exclusion::NoPrice => &mut self.no_price,
            Exclusion::OneSidedNoLast => &mut self.one_sided_no_last,
            Exclusion::Crossed => &mut self.crossed,
            Exclusion::BelowIntrinsic => &mut self.below_intrinsic,
            Exclusion::NoTimeValue => &mut self.no_time_value,
            Exclusion::AboveUpperBound => &mut self.above_upper_bound,
            Exclusion::IvBelowMin => &mut self.iv_below_min,
            Exclusion::IvAboveMax => &mut self.iv_above_max,
            Exclusion::SolverFailed => &mut self.solver_failed,
        };
        *slot += 1;
    }

    /// All exclusions together.
    pub fn total(&self) -> usize {
        self.no_price
            + self.one_sided_no_last
            + self.crossed
            + self.below_intrinsic
            + self.no_time_value
            + self.above_upper_bound
            + self.iv_below_min
            + self.iv_above_max
            + self.solver_failed
    }
}

/// How the legs of the expiry were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QuoteCounts {
    /// Legs listed (calls plus puts).
    pub legs: usize,
    /// Legs priced from a mid.
    pub priced_from_mid: usize,
    /// Legs priced from the last traded price.
    pub priced_from_last: usize,
    /// Legs with a one-sided book (priced from last, or excluded as `one_sided_no_last`).
    pub one_sided_books: usize,
    /// Legs with an accepted implied vol.
    pub with_iv: usize,
    /// Legs excluded, by reason.
    pub excluded: ExclusionCounts,
}

/// Pain at one settlement candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PainPoint {
    /// Settlement candidate (a strike).
    pub strike: f64,
    /// `Σ OI_call·max(X−K, 0) + OI_put·max(K−X, 0)`, in contracts × index points.
    pub pain: f64,
}

/// Max pain and its zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxPain {
    /// The strike of least pain.
    pub strike: f64,
    /// The pain there.
    pub pain: f64,
    /// Lowest strike of the zone.
    pub zone_low: f64,
    /// Highest strike of the zone.
    pub zone_high: f64,
    /// Pain at every strike, ascending.
    pub curve: Vec<PainPoint>,
}

/// Put/call ratios by open interest and by volume, with their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PutCallRatios {
    /// Σ call OI.
    pub call_open_interest: f64,
    /// Σ put OI.
    pub put_open_interest: f64,
    /// Σ call volume.
    pub call_volume: f64,
    /// Σ put volume.
    pub put_volume: f64,
    /// Σ put OI / Σ call OI.
    pub by_open_interest: Result<f64, Unavailable>,
    /// Σ put volume / Σ call volume.
    pub by_volume: Result<f64, Unavailable>,
}

/// The strike with the most open interest on one side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OiWall {
    /// The strike.
    pub strike: f64,
    /// Its open interest (contracts).
    pub open_interest: f64,
}

/// A strike with a large change in open interest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OiChange {
    /// The strike.
    pub strike: f64,
    /// Change since the previous session (contracts; negative = unwinding).
    pub change_in_oi: f64,
    /// Open interest now.
    pub open_interest: f64,
}

/// One point of the implied-vol smile (the out-of-the-money leg at a strike).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SmilePoint {
    /// Strike.
    pub strike: f64,
    /// The leg used.
    pub side: OptionSide,
    /// Its premium.
    pub premium: f64,
    /// Where the premium came from.
    pub source: PriceSource,
    /// Implied vol from that premium.
    pub iv: AnnualVol,
    /// Forward delta `N(d1)` (call) or `N(d1) − 1` (put) at that vol.
    pub delta: f64,
}

/// ATM implied vol at the forward, with the strikes it was interpolated between.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AtmIv {
    /// The vol at the forward.
    pub iv: AnnualVol,
    /// Smile strike at or below the forward.
    pub lower_strike: f64,
    /// Smile strike at or above the forward.
    pub upper_strike: f64,
}

/// 25-delta vols and skew. Differences are vol fractions (0.01 = 1 vol point).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Skew25 {
    /// ATM implied vol.
    pub atm_iv: AnnualVol,
    /// IV of the 25-delta put.
    pub put_iv: AnnualVol,
    /// IV of the 25-delta call.
    pub call_iv: AnnualVol,
    /// `RR25 = IV_c25 − IV_p25` (negative when puts are bid).
    pub risk_reversal: f64,
    /// `BF25 = (IV_c25 + IV_p25)/2 − ATM`.
    pub butterfly: f64,
    /// `IV_p25 − ATM`.
    pub put_skew: f64,
    /// `IV_c25 − ATM`.
    pub call_skew: f64,
}

/// The move implied by the ATM straddle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExpectedMove {
    /// Strike of the straddle.
    pub strike: f64,
    /// `C + P` at that strike, in index points.
    pub straddle: Points,
    /// The straddle as a percentage of the forward.
    pub percent_of_forward: Percent,
}

/// Everything computed for one expiry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpiryAnalytics {
    /// The expiry.
    pub expiry: Expiry,
    /// Time to expiry used, in years (calendar days / 365).
    pub years: f64,
    /// The underlying the exchange reported with the snapshot.
    pub underlying: f64,
    /// Strikes listed for the expiry.
    pub strikes: usize,
    /// Max pain.
    pub max_pain: Result<MaxPain, Unavailable>,
    /// Put/call ratios.
    pub put_call_ratios: PutCallRatios,
    /// Largest call OI near the underlying (resistance).
    pub call_wall: Result<OiWall, Unavailable>,
    /// Largest put OI near the underlying (support).
    pub put_wall: Result<OiWall, Unavailable>,
    /// Calls with the largest |change in OI|, largest first.
    pub call_oi_changes: Vec<OiChange>,
    /// Puts with the largest |change in OI|, largest first.
    pub put_oi_changes: Vec<OiChange>,
    /// The parity forward.
    pub forward: Result<ParityForward, Unavailable>,
    /// Our implied-vol smile, by strike.
    pub smile: Vec<SmilePoint>,
    /// ATM implied vol at the forward, from our smile.
    pub atm_iv: Result<AtmIv, Unavailable>,
    /// 25-delta vols, risk reversal, butterfly, skews.
    pub skew: Result<Skew25, Unavailable>,
    /// Move implied by the ATM straddle.
    pub expected_move: Result<ExpectedMove, Unavailable>,
    /// NSE's own IV field of the out-of-the-money legs, interpolated at the forward the same way;
    /// for comparison only (NSE computes it on its own spot and rate conventions).
    pub exchange_atm_iv: Result<AtmIv, Unavailable>,
    /// How the quotes were used and why legs were excluded.
    pub quotes: QuoteCounts,
}

/// A finite positive value, or `None` (zero means "not reported").
fn reported(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x > 0.0)
}

/// The premium of a leg by the rules in the module documentation.
fn leg_premium(q: &OptionQuote) -> Result<(f64, PriceSource), Exclusion> {
    let last = reported(q.last_price);
    match (reported(q.bid), reported(q.ask)) {
        (Some(b), Some(a)) if b > a => Err(Exclusion::Crossed),
        (Some(b), Some(a)) => Ok((0.5 * (a + b), PriceSource::Mid)),
        (Some(_), None) | (None, Some(_)) => last
            .map(|p| (p, PriceSource::Last))
            .ok_or(Exclusion::OneSidedNoLast),
        (None, None) => last
            .map(|p| (p, PriceSource::Last))
            .ok_or(Exclusion::NoPrice),
    }
}

fn is_one_sided(q: &OptionQuote) -> bool {
    reported(q.bid).is_some() != reported(q.ask).is_some()
}

/// A leg's premium and its source, if it could be priced.
type PricedLeg = Option<(f64, PriceSource)>;

/// A leg that survived pricing and implied vol.
#[derive(Debug, Clone, Copy)]
struct GoodLeg {
    premium: f64,
    source: PriceSource,
    iv: f64,
}

/// Per-strike evaluation of both legs.
#[derive(Debug, Clone, Copy)]
struct StrikeEval {
    strike: f64,
    call: Option<GoodLeg>,
    put: Option<GoodLeg>,
}

/// Analyses one expiry of `chain`, with `years` to expiry (calendar days / 365, computed by the
/// caller from the snapshot time and the 15:30 IST close of the expiry day).
pub fn analyze_expiry(
    chain: &OptionChain,
    expiry: Expiry,
    years: Years,
    config: &ChainConfig,
) -> Result<ExpiryAnalytics, ChainAnalyticsError> {
    let rows = chain.expiry_rows(expiry);
    if rows.is_empty() {
        return Err(ChainAnalyticsError::NoRows(expiry));
    }
    let t = positive("years to expiry", years.0)?;
    check_config(config)?;

    let mut quotes = QuoteCounts::default();
    let mut priced: Vec<(f64, PricedLeg, PricedLeg)> = Vec::with_capacity(rows.len());
    for row in rows {
        let mut price_leg = |leg: Option<&OptionQuote>| {
            let q = leg?;
            quotes.legs += 1;
            if is_one_sided(q) {
                quotes.one_sided_books += 1;
            }
            match leg_premium(q) {
                Ok(p) => {
                    match p.1 {
                        PriceSource::Mid => quotes.priced_from_mid += 1,
                        PriceSource::Last => quotes.priced_from_last += 1,
                    }
                    Some(p)
                }
                Err(reason) => {
                    quotes.excluded.add(reason);
                    None
                }
            }
        };
        let call = price_leg(row.call.as_ref());
        let put = price_leg(row.put.as_ref());
        priced.push((row.strike, call, put));
    }

    let parity_quotes: Vec<StrikeQuotes> = priced
        .iter()
        .map(|&(strike, c, p)| StrikeQuotes {
            strike,
            call: c.map(|x| x.0),
            put: p.map(|x| x.0),
        })
        .collect();
    let forward = forward_from_parity(&parity_quotes, config.parity_strikes).map_err(|e| {
        Unavailable::NoForward {
            message: e.to_string(),
        }
    });

    let mut evals = Vec::with_capacity(priced.len());
    if let Ok(fwd) = &forward {
        let f = fwd.forward.0;
        let mut accept = |side: OptionSide, strike: f64, leg: PricedLeg| {
            let (premium, source) = leg?;
            match leg_iv(side, premium, f, strike, t, config) {
                Ok(iv) => {
                    quotes.with_iv += 1;
                    Some(GoodLeg {
                        premium,
                        source,
                        iv,
                    })
                }
                Err(reason) => {
                    quotes.excluded.add(reason);
                    None
                }
            }
        };
        for &(strike, c, p) in &priced {
            evals.push(StrikeEval {
                strike,
                call: accept(OptionSide::Call, strike, c),
                put: accept(OptionSide::Put, strike, p),
            });
        }
    }

    let (smile, atm_iv, skew, expected_move, exchange_atm_iv) = match &forward {
        Ok(fwd) => {
            let f = fwd.forward.0;
            let smile = build_smile(&evals, f, t);
            let atm_iv = interpolate_at_forward(smile.iter().map(|p| (p.strike, p.iv.0)), f);
            let skew = match &atm_iv {
                Ok(atm) => skew_25(&smile, atm.iv.0, f, t),
                Err(_) => Err(Unavailable::NoAtmIv),
            };
            let expected_move = atm_straddle(&evals, rows, f);
            let exchange = interpolate_at_forward(exchange_otm_ivs(rows, f), f);
            (smile, atm_iv, skew, expected_move, exchange)
        }
        Err(e) => (
            Vec::new(),
            Err(e.clone()),
            Err(e.clone()),
            Err(e.clone()),
            Err(e.clone()),
        ),
    };

    let (call_wall, put_wall) = (
        oi_wall(rows, OptionSide::Call, chain.underlying, config.wall_window),
        oi_wall(rows, OptionSide::Put, chain.underlying, config.wall_window),
    );
    Ok(ExpiryAnalytics {
        expiry,
        years: t,
        underlying: chain.underlying,
        strikes: rows.len(),
        max_pain: max_pain(rows, config.max_pain_zone),
        put_call_ratios: put_call_ratios(rows),
        call_wall,
        put_wall,
        call_oi_changes: oi_change_leaders(rows, OptionSide::Call, config.oi_leaders),
        put_oi_changes: oi_change_leaders(rows, OptionSide::Put, config.oi_leaders),
        forward,
        smile,
        atm_iv,
        skew,
        expected_move,
        exchange_atm_iv,
        quotes,
    })
}

fn check_config(c: &ChainConfig) -> Result<(), InputError> {
    let bad = |name, value, rule| Err(InputError { name, value, rule });
    if c.parity_strikes == 0 {
        return bad("parity_strikes", 0.0, "at least 1");
    }
    positive("min_iv", c.min_iv.0)?;
    if !(c.max_iv.0.is_finite() && c.max_iv.0 > c.min_iv.0) {
        return bad("max_iv", c.max_iv.0, "a finite number above min_iv");
    }
    positive("wall_window", c.wall_window)?;
    if !(c.max_pain_zone.is_finite() && c.max_pain_zone >= 1.0) {
        return bad("max_pain_zone", c.max_pain_zone, "a finite number ≥ 1");
    }
    Ok(())
}

/// The implied vol of a priced leg, or the reason it is excluded.
fn leg_iv(
    side: OptionSide,
    premium: f64,
    forward: f64,
    strike: f64,
    years: f64,
    config: &ChainConfig,
) -> Result<f64, Exclusion> {
    let iv = implied_vol(
        side,
        premium,
        Forward(forward),
        Strike(strike),
        Years(years),
        DiscountFactor::ONE,
    )
    .map_err(|e| match e {
        IvError::BelowIntrinsic { .. } => Exclusion::BelowIntrinsic,
        IvError::NoTimeValue { .. } => Exclusion::NoTimeValue,
        IvError::AboveUpperBound { .. } => Exclusion::AboveUpperBound,
        IvError::Input(_)
        | IvError::NonPositiveTime(_)
        | IvError::BadPrice(_)
        | IvError::NotConverged(_) => Exclusion::SolverFailed,
    })?
    .0;
    if iv < config.min_iv.0 {
        Err(Exclusion::IvBelowMin)
    } else if iv > config.max_iv.0 {
        Err(Exclusion::IvAboveMax)
    } else {
        Ok(iv)
    }
}

/// Forward delta of the leg: `N(d1)` for a call, `N(d1) − 1` (= `−N(−d1)`) for a put.
fn forward_delta(side: OptionSide, forward: f64, strike: f64, iv: f64, years: f64) -> f64 {
    let s = iv * years.sqrt();
    let d1 = (forward / strike).ln() / s + 0.5 * s;
    match side {
        OptionSide::Call => normal::cdf(d1),
        OptionSide::Put => -normal::cdf(-d1),
    }
}

fn build_smile(evals: &[StrikeEval], forward: f64, years: f64) -> Vec<SmilePoint> {
    evals
        .iter()
        .filter_map(|e| {
            let (side, leg) = if e.strike < forward {
                (OptionSide::Put, e.put?)
            } else {
                (OptionSide::Call, e.call?)
            };
            Some(SmilePoint {
                strike: e.strike,
                side,
                premium: leg.premium,
                source: leg.source,
                iv: AnnualVol(leg.iv),
                delta: forward_delta(side, forward, e.strike, leg.iv, years),
            })
        })
        .collect()
}

/// Linear interpolation in strike at the forward between the nearest points on either side.
fn interpolate_at_forward(
    points: impl Iterator<Item = (f64, f64)>,
    forward: f64,
) -> Result<AtmIv, Unavailable> {
    let mut below: Option<(f64, f64)> = None;
    let mut above: Option<(f64, f64)> = None;
    for (k, v) in points {
        if k <= forward && below.is_none_or(|b| k > b.0) {
            below = Some((k, v));
        }
        if k >= forward && above.is_none_or(|a| k < a.0) {
            above = Some((k, v));
        }
    }
    let (lo, hi) = match (below, above) {
        (Some(lo), Some(hi)) => (lo, hi),
        (None, _) => {
            return Err(Unavailable::NoSmileSide {
                side: "below",
                forward,
            });
        }
        (_, None) => {
            return Err(Unavailable::NoSmileSide {
                side: "above",
                forward,
            });
        }
    };
    let iv = if hi.0 == lo.0 {
        lo.1
    } else {
        lo.1 + (hi.1 - lo.1) * (forward - lo.0) / (hi.0 - lo.0)
    };
    Ok(AtmIv {
        iv: AnnualVol(iv),
        lower_strike: lo.0,
        upper_strike: hi.0,
    })
}

/// NSE's IV (percent → fraction) of the out-of-the-money leg at each strike, where reported.
fn exchange_otm_ivs(rows: &[ChainRow], forward: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
    rows.iter().filter_map(move |r| {
        let side = if r.strike < forward {
            OptionSide::Put
        } else {
            OptionSide::Call
        };
        let iv = reported(r.leg(side)?.iv_percent)?;
        Some((r.strike, iv / 100.0))
    })
}

/// The IV where the wing's delta crosses `target`, walking out from the ATM point.
fn iv_at_delta(wing: &[(f64, f64)], target: f64, side: OptionSide) -> Result<f64, Unavailable> {
    for pair in wing.windows(2) {
        let ((d0, v0), (d1, v1)) = (pair[0], pair[1]);
        if (d0 - target) * (d1 - target) <= 0.0 {
            return Ok(if d1 == d0 {
                v0
            } else {
                v0 + (v1 - v0) * (target - d0) / (d1 - d0)
            });
        }
    }
    Err(Unavailable::WingTooShort {
        wing: side,
        furthest_delta: wing.last().map_or(f64::NAN, |p| p.0),
    })
}

fn skew_25(
    smile: &[SmilePoint],
    atm: f64,
    forward: f64,
    years: f64,
) -> Result<Skew25, Unavailable> {
    let half_total = 0.5 * atm * years.sqrt();
    let atm_call_delta = normal::cdf(half_total);
    let mut call_wing = vec![(atm_call_delta, atm)];
    call_wing.extend(
        smile
            .iter()
            .filter(|p| p.side == OptionSide::Call && p.strike > forward)
            .map(|p| (p.delta, p.iv.0)),
    );
    let mut put_wing = vec![(atm_call_delta - 1.0, atm)];
    put_wing.extend(
        smile
            .iter()
            .rev()
            .filter(|p| p.side == OptionSide::Put && p.strike < forward)
            .map(|p| (p.delta, p.iv.0)),
    );
    let call_iv = iv_at_delta(&call_wing, 0.25, OptionSide::Call)?;
    let put_iv = iv_at_delta(&put_wing, -0.25, OptionSide::Put)?;
    Ok(Skew25 {
        atm_iv: AnnualVol(atm),
        put_iv: AnnualVol(put_iv),
        call_iv: AnnualVol(call_iv),
        risk_reversal: call_iv - put_iv,
        butterfly: 0.5 * (call_iv + put_iv) - atm,
        put_skew: put_iv - atm,
        call_skew: call_iv - atm,
    })
}

fn atm_straddle(
    evals: &[StrikeEval],
    rows: &[ChainRow],
    forward: f64,
) -> Result<ExpectedMove, Unavailable> {
    // The two listed strikes bracketing the forward (one if the forward sits on a strike).
    let below = rows
        .iter()
        .rev()
        .find(|r| r.strike <= forward)
        .map(|r| r.strike);
    let above = rows.iter().find(|r| r.strike >= forward).map(|r| r.strike);
    let mut candidates: Vec<f64> = below.into_iter().chain(above).collect();
    candidates.sort_by(|a, b| {
        (a - forward)
            .abs()
            .total_cmp(&(b - forward).abs())
            .then(a.total_cmp(b))
    });
    for k in candidates {
        if let Some(e) = evals.iter().find(|e| e.strike == k)
            && let (Some(c), Some(p)) = (e.call, e.put)
        {
            let straddle = c.premium + p.premium;
            return Ok(ExpectedMove {
                strike: k,
                straddle: Points(straddle),
                percent_of_forward: Percent(100.0 * straddle / forward),
            });
        }
    }
    Err(Unavailable::NoAtmStraddle { forward })
}

fn open_interest(row: &ChainRow, side: OptionSide) -> f64 {
    row.leg(side).map_or(0.0, |q| q.open_interest)
}

fn max_pain(rows: &[ChainRow], zone: f64) -> Result<MaxPain, Unavailable> {
    let total: f64 = rows
        .iter()
        .map(|r| open_interest(r, OptionSide::Call) + open_interest(r, OptionSide::Put))
        .sum();
    if total <= 0.0 {
        return Err(Unavailable::NoOpenInterest);
    }
    let curve: Vec<PainPoint> = rows
        .iter()
        .map(|x| {
            let pain = rows
                .iter()
                .map(|r| {
                    open_interest(r, OptionSide::Call) * (x.strike - r.strike).max(0.0)
                        + open_interest(r, OptionSide::Put) * (r.strike - x.strike).max(0.0)
                })
                .sum();
            PainPoint {
                strike: x.strike,
                pain,
            }
        })
        .collect();
    // Strict `<` keeps the lowest strike among ties.
    let best = curve
        .iter()
        .copied()
        .reduce(|a, b| if b.pain < a.pain { b } else { a })
        .ok_or(Unavailable::NoOpenInterest)?;
    let in_zone = |p: &&PainPoint| p.pain <= zone * best.pain;
    let zone_low = curve.iter().find(in_zone).map_or(best.strike, |p| p.strike);
    let zone_high = curve
        .iter()
        .rev()
        .find(in_zone)
        .map_or(best.strike, |p| p.strike);
    Ok(MaxPain {
        strike: best.strike,
        pain: best.pain,
        zone_low,
        zone_high,
        curve,
    })
}

fn put_call_ratios(rows: &[ChainRow]) -> PutCallRatios {
    let sum = |side: OptionSide, f: fn(&OptionQuote) -> f64| -> f64 {
        rows.iter().filter_map(|r| r.leg(side)).map(f).sum()
    };
    let (call_oi, put_oi) = (
        sum(OptionSide::Call, |q| q.open_interest),
        sum(OptionSide::Put, |q| q.open_interest),
    );
    let (call_vol, put_vol) = (
        sum(OptionSide::Call, |q| q.volume),
        sum(OptionSide::Put, |q| q.volume),
    );
    let ratio = |put: f64, call: f64, what| {
        if call > 0.0 {
            Ok(put / call)
        } else {
            Err(Unavailable::NoCallTotal { what })
        }
    };
    PutCallRatios {
        call_open_interest: call_oi,
        put_open_interest: put_oi,
        call_volume: call_vol,
        put_volume: put_vol,
        by_open_interest: ratio(put_oi, call_oi, "open interest"),
        by_volume: ratio(put_vol, call_vol, "volume"),
    }
}

fn oi_wall(
    rows: &[ChainRow],
    side: OptionSide,
    underlying: f64,
    window: f64,
) -> Result<OiWall, Unavailable> {
    let (lo, hi) = (underlying * (1.0 - window), underlying * (1.0 + window));
    rows.iter()
        .filter(|r| r.strike >= lo && r.strike <= hi)
        .map(|r| OiWall {
            strike: r.strike,
            open_interest: open_interest(r, side),
        })
        .filter(|w| w.open_interest > 0.0)
        .reduce(|a, b| {
            if b.open_interest > a.open_interest {
                b
            } else {
                a
            }
        })
        .ok_or(Unavailable::NoWallStrike {
            side,
            underlying,
            window_percent: 100.0 * window,
        })
}

fn oi_change_leaders(rows: &[ChainRow], side: OptionSide, n: usize) -> Vec<OiChange> {
    let mut changes: Vec<OiChange> = rows
        .iter()
        .filter_map(|r| {
            let q = r.leg(side)?;
            (q.change_in_oi != 0.0).then_some(OiChange {
                strike: r.strike,
                change_in_oi: q.change_in_oi,
                open_interest: q.open_interest,
            })
        })
        .collect();
    changes.sort_by(|a, b| {
        b.change_in_oi
            .abs()
            .total_cmp(&a.change_in_oi.abs())
            .then(a.strike.total_cmp(&b.strike))
    });
    changes.truncate(n);
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Black76;
    use aegis_model::{DataOrigin, Symbol};
    use chrono::{DateTime, FixedOffset};

    fn ts() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2025-07-16T15:30:00+05:30").unwrap()
    }

    fn expiry() -> Expiry {
        "2025-07-24".parse().unwrap()
    }

    fn oi_leg(oi: f64, change: f64, volume: f64) -> OptionQuote {
        OptionQuote {
            open_interest: oi,
            change_in_oi: change,
            volume,
            ..Default::default()
        }
    }

    fn make_chain(underlying: f64, rows: Vec<ChainRow>) -> OptionChain {
        OptionChain::new(
            Symbol::Nifty50,
            ts(),
            underlying,
            vec![],
            rows,
            DataOrigin::Simulated,
        )
        .unwrap()
    }

    /// Five strikes, worked by hand.
    ///
    /// | K   | call OI | Δ call OI | call vol | put OI | Δ put OI | put vol |
    /// |-----|---------|-----------|----------|--------|----------|---------|
    /// | 100 | 10      | +1        | 1        | 80     | −20      | 6       |
    /// | 110 | 20      | −5        | 2        | 70     | +15      | 5       |
    /// | 120 | 40      | +12       | 5        | 40     | +3       | 3       |
    /// | 130 | 60      | +30       | 4        | 10     | 0        | 1       |
    /// | 140 | 30      | 0         | 3        | 5      | +1       | 1       |
    ///
    /// Pain(X) = Σ callOI·max(X−K,0) + putOI·max(K−X,0):
    /// * X=100: puts 70·10 + 40·20 + 10·30 + 5·40 = 2000
    /// * X=110: calls 10·10 = 100; puts 40·10 + 10·20 + 5·30 = 750 → 850
    /// * X=120: calls 10·20 + 20·10 = 400; puts 10·10 + 5·20 = 200 → 600  ← minimum
    /// * X=130: calls 10·30 + 20·20 + 40·10 = 1100; puts 5·10 = 50 → 1150
    /// * X=140: calls 10·40 + 20·30 + 40·20 + 60·10 = 2400 → 2400
    ///
    /// Zone at 1.05: pain ≤ 630 → {120}; at 1.5: pain ≤ 900 → {110, 120}.
    /// PCR by OI = (80+70+40+10+5)/(10+20+40+60+30) = 205/160 = 1.28125;
    /// by volume = 16/15. Walls within ±10 % of 120 (108..132): calls 130 (60), puts 110 (70);
    /// within ±20 % the put wall moves to 100 (80).
    fn hand_chain() -> OptionChain {
        let e = expiry();
        let data = [
            (100.0, (10.0, 1.0, 1.0), (80.0, -20.0, 6.0)),
            (110.0, (20.0, -5.0, 2.0), (70.0, 15.0, 5.0)),
            (120.0, (40.0, 12.0, 5.0), (40.0, 3.0, 3.0)),
            (130.0, (60.0, 30.0, 4.0), (10.0, 0.0, 1.0)),
            (140.0, (30.0, 0.0, 3.0), (5.0, 1.0, 1.0)),
        ];
        let rows = data
            .iter()
            .map(|&(k, c, p)| ChainRow {
                expiry: e,
                strike: k,
                call: Some(oi_leg(c.0, c.1, c.2)),
                put: Some(oi_leg(p.0, p.1, p.2)),
            })
            .collect();
        make_chain(120.0, rows)
    }

    #[test]
    fn hand_checked_max_pain_pcr_walls_and_oi_changes() {
        let chain = hand_chain();
        let a = analyze_expiry(
            &chain,
            expiry(),
            Years(7.0 / 365.0),
            &ChainConfig::default(),
        )
        .unwrap();
        let mp = a.max_pain.as_ref().unwrap();
        assert_eq!(mp.strike, 120.0);
        assert_eq!(mp.pain, 600.0);
        let pains: Vec<f64> = mp.curve.iter().map(|p| p.pain).collect();
        assert_eq!(pains, vec![2000.0, 850.0, 600.0, 1150.0, 2400.0]);
        assert_eq!((mp.zone_low, mp.zone_high), (120.0, 120.0));

        let pcr = &a.put_call_ratios;
        assert_eq!(pcr.by_open_interest, Ok(1.28125));
        assert_eq!(pcr.by_volume, Ok(16.0 / 15.0));
        assert_eq!(
            (pcr.call_open_interest, pcr.put_open_interest),
            (160.0, 205.0)
        );

        assert_eq!(
            a.call_wall,
            Ok(OiWall {
                strike: 130.0,
                open_interest: 60.0
            })
        );
        assert_eq!(
            a.put_wall,
            Ok(OiWall {
                strike: 110.0,
                open_interest: 70.0
            })
        );

        let strikes = |v: &[OiChange]| {
            v.iter()
                .map(|c| (c.strike, c.change_in_oi))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strikes(&a.call_oi_changes),
            vec![(130.0, 30.0), (120.0, 12.0), (110.0, -5.0), (100.0, 1.0)]
        );
        assert_eq!(
            strikes(&a.put_oi_changes),
            vec![(100.0, -20.0), (110.0, 15.0), (120.0, 3.0), (140.0, 1.0)]
        );

        // No prices at all: every leg is excluded as unpriced, and everything price-based is unavailable.
        assert_eq!(a.quotes.legs, 10);
        assert_eq!(a.quotes.excluded.no_price, 10);
        assert!(matches!(a.forward, Err(Unavailable::NoForward { .. })));
        assert!(matches!(a.atm_iv, Err(Unavailable::NoForward { .. })));
        assert!(a.smile.is_empty());

        let wide = ChainConfig {
            max_pain_zone: 1.5,
            wall_window: 0.2,
            oi_leaders: 2,
            ..ChainConfig::default()
        };
        let b = analyze_expiry(&chain, expiry(), Years(7.0 / 365.0), &wide).unwrap();
        let mp = b.max_pain.unwrap();
        assert_eq!((mp.zone_low, mp.zone_high), (110.0, 120.0));
        assert_eq!(
            b.put_wall,
            Ok(OiWall {
                strike: 100.0,
                open_interest: 80.0
            })
        );
        assert_eq!(
            strikes(&b.call_oi_changes),
            vec![(130.0, 30.0), (120.0, 12.0)]
        );
    }

    #[test]
    fn no_open_interest_and_no_call_totals_are_unavailable() {
        let e = expiry();
        let rows = vec![ChainRow {
            expiry: e,
            strike: 100.0,
            call: Some(oi_leg(0.0, 0.0, 0.0)),
            put: Some(oi_leg(0.0, 0.0, 0.0)),
        }];
        let a = analyze_expiry(
            &make_chain(100.0, rows),
            e,
            Years(0.1),
            &ChainConfig::default(),
        )
        .unwrap();
        assert_eq!(a.max_pain, Err(Unavailable::NoOpenInterest));
        assert_eq!(
            a.put_call_ratios.by_open_interest,
            Err(Unavailable::NoCallTotal {
                what: "open interest"
            })
        );
        assert_eq!(
            a.put_call_ratios.by_volume,
            Err(Unavailable::NoCallTotal { what: "volume" })
        );
        assert!(matches!(
            a.call_wall,
            Err(Unavailable::NoWallStrike {
                side: OptionSide::Call,
                ..
            })
        ));
    }

    #[test]
    fn bad_inputs_stop_the_analysis() {
        let chain = hand_chain();
        let other: Expiry = "2025-07-31".parse().unwrap();
        assert_eq!(
            analyze_expiry(&chain, other, Years(0.1), &ChainConfig::default()),
            Err(ChainAnalyticsError::NoRows(other))
        );
        let err =
            analyze_expiry(&chain, expiry(), Years(0.0), &ChainConfig::default()).unwrap_err();
        assert!(err.to_string().contains("years to expiry"), "{err}");
        let bad = ChainConfig {
            max_iv: AnnualVol(0.005),
            ..ChainConfig::default()
        };
        assert!(
            matches!(analyze_expiry(&chain, expiry(), Years(0.1), &bad), Err(ChainAnalyticsError::Input(e)) if e.name == "max_iv")
        );
    }

    // ---- A priced synthetic chain: forward 25 040, strikes 24 000..26 000 every 50, 7 days. ----

    const F0: f64 = 25_040.0;
    const T7: f64 = 7.0 / 365.0;

    /// A skewed smile: `σ(K) = 0.13 − 0.25·x + 1.5·x²`, `x = ln(K/F)`.
    fn smile_vol(k: f64) -> f64 {
        let x = (k / F0).ln();
        0.13 - 0.25 * x + 1.5 * x * x
    }

    fn black(side: OptionSide, k: f64, vol: f64) -> f64 {
        Black76::undiscounted(Forward(F0), Strike(k), Years(T7), AnnualVol(vol))
            .unwrap()
            .price(side)
    }

    /// A quote whose mid is exactly `price` (bid/ask ±0.05) and whose last price is `price`.
    fn priced(price: f64, oi: f64) -> OptionQuote {
        OptionQuote {
            open_interest: oi,
            change_in_oi: 0.0,
            volume: 10.0,
            iv_percent: None,
            last_price: Some(price),
            bid: Some(price - 0.05),
            ask: Some(price + 0.05),
        }
    }

    fn priced_rows(strikes: impl Iterator<Item = f64>) -> Vec<ChainRow> {
        strikes
            .map(|k| {
                let v = smile_vol(k);
                ChainRow {
                    expiry: expiry(),
                    strike: k,
                    call: Some(priced(black(OptionSide::Call, k, v), 100.0)),
                    put: Some(priced(black(OptionSide::Put, k, v), 100.0)),
                }
            })
            .collect()
    }

    fn grid() -> impl Iterator<Item = f64> {
        (0..=40).map(|i| 24_000.0 + 50.0 * f64::from(i))
    }

    fn analyze(rows: Vec<ChainRow>) -> ExpiryAnalytics {
        analyze_expiry(
            &make_chain(25_000.0, rows),
            expiry(),
            Years(T7),
            &ChainConfig::default(),
        )
        .unwrap()
    }

    /// The 25-delta call strike of the continuous smile, by bisection on `N(d1(K, σ(K))) = 0.25`.
    fn true_delta_vol(target: f64, side: OptionSide) -> f64 {
        let (mut lo, mut hi) = match side {
            OptionSide::Call => (F0, F0 * 1.2),
            OptionSide::Put => (F0 * 0.8, F0),
        };
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            let d = forward_delta(side, F0, mid, smile_vol(mid), T7);
            // Both deltas fall as the strike rises.
            if d > target { lo = mid } else { hi = mid }
        }
        smile_vol(0.5 * (lo + hi))
    }

    #[test]
    fn priced_chain_recovers_forward_smile_atm_skew_and_straddle() {
        let a = analyze(priced_rows(grid()));
        let fwd = a.forward.as_ref().unwrap();
        assert!((fwd.forward.0 - F0).abs() < 1e-6, "{fwd:?}");
        assert_eq!(a.quotes.legs, 82);
        assert_eq!(a.quotes.priced_from_mid, 82);
        assert_eq!(a.quotes.with_iv, 82);
        assert_eq!(a.quotes.excluded.total(), 0);

        assert_eq!(a.smile.len(), 41);
        for p in &a.smile {
            assert!((p.iv.0 - smile_vol(p.strike)).abs() < 1e-8, "{p:?}");
            assert_eq!(
                p.side,
                if p.strike < F0 {
                    OptionSide::Put
                } else {
                    OptionSide::Call
                }
            );
            assert_eq!(p.source, PriceSource::Mid);
        }

        // ATM: linear between 25 000 and 25 050 at 25 040.
        let atm = a.atm_iv.unwrap();
        let want = smile_vol(25_000.0) + (smile_vol(25_050.0) - smile_vol(25_000.0)) * 40.0 / 50.0;
        assert!((atm.iv.0 - want).abs() < 1e-8);
        assert_eq!((atm.lower_strike, atm.upper_strike), (25_000.0, 25_050.0));
        assert!((atm.iv.0 - 0.13).abs() < 1e-4);

        // 25-delta vols: the piecewise-linear reading of a 50-point grid stays within 0.05 vol points
        // of the continuous smile's exact 25-delta vols.
        let skew = a.skew.unwrap();
        let (c25, p25) = (
            true_delta_vol(0.25, OptionSide::Call),
            true_delta_vol(-0.25, OptionSide::Put),
        );
        assert!(
            (skew.call_iv.0 - c25).abs() < 5e-4,
            "{} vs {c25}",
            skew.call_iv.0
        );
        assert!(
            (skew.put_iv.0 - p25).abs() < 5e-4,
            "{} vs {p25}",
            skew.put_iv.0
        );
        assert!(skew.risk_reversal < 0.0, "puts are bid in this smile");
        assert_eq!(skew.risk_reversal, skew.call_iv.0 - skew.put_iv.0);
        assert!(
            (skew.butterfly - (0.5 * (skew.call_iv.0 + skew.put_iv.0) - atm.iv.0)).abs() < 1e-15
        );
        assert!(skew.put_skew > 0.0 && skew.call_skew < skew.put_skew);

        // Straddle at 25 050, the strike nearest the forward.
        let mv = a.expected_move.unwrap();
        let v = smile_vol(25_050.0);
        let straddle = black(OptionSide::Call, 25_050.0, v) + black(OptionSide::Put, 25_050.0, v);
        assert_eq!(mv.strike, 25_050.0);
        assert!((mv.straddle.0 - straddle).abs() < 1e-9);
        assert!((mv.percent_of_forward.0 - 100.0 * straddle / F0).abs() < 1e-9);
    }

    fn set_leg(
        rows: &mut [ChainRow],
        strike: f64,
        side: OptionSide,
        f: impl FnOnce(&mut OptionQuote),
    ) {
        let row = rows.iter_mut().find(|r| r.strike == strike).unwrap();
        let leg = match side {
            OptionSide::Call => row.call.as_mut(),
            OptionSide::Put => row.put.as_mut(),
        };
        f(leg.unwrap());
    }

    fn smile_has(a: &ExpiryAnalytics, strike: f64) -> bool {
        a.smile.iter().any(|p| p.strike == strike)
    }

    #[test]
    fn rule_zero_quotes_are_missing() {
        let mut rows = priced_rows(grid());
        // NSE zeros: a "book" of 0/0 and a last price of 0 are no price at all.
        set_leg(&mut rows, 25_600.0, OptionSide::Call, |q| {
            q.bid = Some(0.0);
            q.ask = Some(0.0);
            q.last_price = Some(0.0);
        });
        set_leg(&mut rows, 24_400.0, OptionSide::Put, |q| {
            q.bid = None;
            q.ask = None;
            q.last_price = None;
        });
        let a = analyze(rows);
        assert_eq!(a.quotes.excluded.no_price, 2);
        assert_eq!(a.quotes.excluded.total(), 2);
        assert!(!smile_has(&a, 25_600.0) && !smile_has(&a, 24_400.0));
        assert_eq!(a.smile.len(), 39);
    }

    #[test]
    fn rule_one_sided_books_use_last_or_are_excluded() {
        let mut rows = priced_rows(grid());
        set_leg(&mut rows, 25_700.0, OptionSide::Call, |q| q.ask = None); // bid + last
        set_leg(&mut rows, 24_300.0, OptionSide::Put, |q| {
            q.bid = None; // ask only, no last
            q.last_price = None;
        });
        let a = analyze(rows);
        assert_eq!(a.quotes.one_sided_books, 2);
        assert_eq!(a.quotes.priced_from_last, 1);
        assert_eq!(a.quotes.excluded.one_sided_no_last, 1);
        let p = a.smile.iter().find(|p| p.strike == 25_700.0).unwrap();
        assert_eq!(p.source, PriceSource::Last);
        assert!(!smile_has(&a, 24_300.0));
    }

    #[test]
    fn rule_crossed_books_are_excluded_even_when_traded() {
        let mut rows = priced_rows(grid());
        set_leg(&mut rows, 25_500.0, OptionSide::Call, |q| {
            q.bid = Some(12.0);
            q.ask = Some(10.0);
        });
        let a = analyze(rows);
        assert_eq!(a.quotes.excluded.crossed, 1);
        assert!(!smile_has(&a, 25_500.0));
    }

    #[test]
    fn rule_absurd_ivs_are_excluded_and_counted() {
        let mut rows = priced_rows(grid());
        // 26 000 call at 5 000 points with 7 days to go: about 420 % vol (300 % is worth 3 736).
        set_leg(&mut rows, 26_000.0, OptionSide::Call, |q| {
            *q = priced(5_000.0, 1.0)
        });
        // 25 100 call traded at the premium of 0.9 % vol (about 0.33 points; no book).
        let tiny = black(OptionSide::Call, 25_100.0, 0.009);
        assert!(tiny > 0.1);
        set_leg(&mut rows, 25_100.0, OptionSide::Call, |q| {
            q.bid = None;
            q.ask = None;
            q.last_price = Some(tiny);
        });
        let a = analyze(rows);
        assert_eq!(a.quotes.excluded.iv_above_max, 1);
        assert_eq!(a.quotes.excluded.iv_below_min, 1);
        assert!(!smile_has(&a, 26_000.0) && !smile_has(&a, 25_100.0));
        assert!((a.forward.unwrap().forward.0 - F0).abs() < 1e-6);
    }

    #[test]
    fn rule_legs_below_intrinsic_are_excluded() {
        let mut rows = priced_rows(grid());
        // The 26 000 put is worth at least 26 000 − 25 040 = 960.
        set_leg(&mut rows, 26_000.0, OptionSide::Put, |q| {
            *q = priced(900.0, 1.0)
        });
        let a = analyze(rows);
        assert_eq!(a.quotes.excluded.below_intrinsic, 1);
        assert_eq!(a.quotes.with_iv, 81);
        // ITM legs are not smile points, so the smile keeps its 41 (OTM) points.
        assert_eq!(a.smile.len(), 41);
    }

    #[test]
    fn rule_no_strikes_above_the_forward() {
        let a = analyze(priced_rows(grid().filter(|&k| k <= 25_000.0)));
        assert!((a.forward.as_ref().unwrap().forward.0 - F0).abs() < 1e-6);
        assert_eq!(
            a.atm_iv,
            Err(Unavailable::NoSmileSide {
                side: "above",
                forward: a.forward.as_ref().unwrap().forward.0
            })
        );
        assert_eq!(a.skew, Err(Unavailable::NoAtmIv));
        // The straddle at 25 000 (the only strike next to the forward) is still real.
        assert_eq!(a.expected_move.unwrap().strike, 25_000.0);
    }

    #[test]
    fn rule_short_wings_make_the_skew_unavailable() {
        let a = analyze(priced_rows(
            grid().filter(|&k| (24_900.0..=25_200.0).contains(&k)),
        ));
        assert!(a.atm_iv.is_ok());
        assert!(
            matches!(a.skew, Err(Unavailable::WingTooShort { .. })),
            "{:?}",
            a.skew
        );
    }

    #[test]
    fn rule_no_complete_strike_means_no_forward() {
        let mut rows = priced_rows(grid());
        for r in &mut rows {
            if r.strike < 25_000.0 {
                r.call = None
            } else {
                r.put = None
            }
        }
        let a = analyze(rows);
        assert!(matches!(a.forward, Err(Unavailable::NoForward { .. })));
        assert!(a.smile.is_empty() && a.expected_move.is_err());
        assert!(a.max_pain.is_ok() && a.put_call_ratios.by_open_interest.is_ok());
    }

    #[test]
    fn serialises_with_reasons() {
        let mut rows = priced_rows(grid());
        set_leg(&mut rows, 25_500.0, OptionSide::Call, |q| q.bid = Some(1e6));
        let a = analyze(rows);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["quotes"]["excluded"]["crossed"], 1);
        assert_eq!(
            json["max_pain"]["Ok"]["strike"],
            a.max_pain.as_ref().unwrap().strike
        );
        let unavailable = serde_json::to_value(Unavailable::NoSmileSide {
            side: "above",
            forward: 1.0,
        })
        .unwrap();
        assert_eq!(unavailable["reason"], "no_smile_side");
    }

    // ---- A real NSE snapshot: NIFTY, 16-Jul-2025 15:30 IST. ----

    fn nse_chain(file: &str) -> (OptionChain, serde_json::Value) {
        let path = format!(
            "{}/../../../shared/data/option_chain/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let records = &json["records"];
        let nonzero = |v: &serde_json::Value| v.as_f64().filter(|x| *x > 0.0);
        let leg = |v: &serde_json::Value| -> Option<OptionQuote> {
            v.is_object().then(|| OptionQuote {
                open_interest: v["openInterest"].as_f64().unwrap(),
                change_in_oi: v["changeinOpenInterest"].as_f64().unwrap(),
                volume: v["totalTradedVolume"].as_f64().unwrap(),
                iv_percent: nonzero(&v["impliedVolatility"]),
                last_price: nonzero(&v["lastPrice"]),
                bid: nonzero(&v["bidprice"]),
                ask: nonzero(&v["askPrice"]),
            })
        };
        let rows = records["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| ChainRow {
                expiry: r["expiryDate"].as_str().unwrap().parse().unwrap(),
                strike: r["strikePrice"].as_f64().unwrap(),
                call: leg(&r["CE"]),
                put: leg(&r["PE"]),
            })
            .collect();
        let chain = OptionChain::new(
            Symbol::Nifty50,
            ts(),
            records["underlyingValue"].as_f64().unwrap(),
            vec![],
            rows,
            DataOrigin::Nse,
        )
        .unwrap();
        (chain, json)
    }

    #[test]
    fn real_nse_snapshot() {
        let (chain, json) = nse_chain("nifty_2025-07-16_eod.json");
        let cfg = ChainConfig::default();

        // Nearest weekly (17-Jul, one calendar day away): NSE's own filtered totals give the PCR.
        let weekly: Expiry = "17-Jul-2025".parse().unwrap();
        let a = analyze_expiry(&chain, weekly, Years::from_calendar_days(1.0), &cfg).unwrap();
        let (ce, pe) = (
            json["filtered"]["CE"]["totOI"].as_f64().unwrap(),
            json["filtered"]["PE"]["totOI"].as_f64().unwrap(),
        );
        assert_eq!((ce, pe), (2_215_609.0, 1_817_093.0));
        assert!((a.put_call_ratios.by_open_interest.clone().unwrap() - pe / ce).abs() < 1e-12);
        let s = chain.underlying;
        let f = a.forward.as_ref().unwrap().forward.0;
        assert!((f / s - 1.0).abs() < 0.002, "forward {f} vs spot {s}");
        let mp = a.max_pain.as_ref().unwrap();
        assert!((mp.strike / s - 1.0).abs() < 0.02, "max pain {}", mp.strike);
        let listed = chain
            .expiry_rows(weekly)
            .iter()
            .map(|r| usize::from(r.call.is_some()) + usize::from(r.put.is_some()))
            .sum::<usize>();
        assert_eq!(a.quotes.legs, listed);

        // Monthly (31-Jul, 15 days): our ATM vol against India VIX's close that day (11.24 %), which is
        // a 30-day NIFTY implied vol, and against NSE's own IV field.
        let monthly: Expiry = "31-Jul-2025".parse().unwrap();
        let m = analyze_expiry(&chain, monthly, Years::from_calendar_days(15.0), &cfg).unwrap();
        let atm = m.atm_iv.as_ref().unwrap().iv.0;
        assert!((atm - 0.1124).abs() < 0.02, "ATM IV {atm}");
        let skew = m.skew.as_ref().unwrap();
        assert!(
            skew.risk_reversal < 0.0,
            "NIFTY puts trade over calls: {skew:?}"
        );
        let mv = m.expected_move.as_ref().unwrap();
        // Under Black-76 the ATM straddle is ≈ 0.8·σ√T·F.
        let approx = 0.8 * atm * (15.0f64 / 365.0).sqrt() * 100.0;
        assert!(
            (mv.percent_of_forward.0 / approx - 1.0).abs() < 0.05,
            "{mv:?} vs {approx}"
        );
        assert!(m.exchange_atm_iv.is_ok());
        if std::env::var_os("AEGIS_PRINT").is_some() {
            println!(
                "{}",
                serde_json::to_string_pretty(&(
                    &a.forward,
                    &a.atm_iv,
                    &a.skew,
                    &a.expected_move,
                    &a.exchange_atm_iv,
                    &a.quotes,
                    &a.max_pain
                        .as_ref()
                        .map(|m| (m.strike, m.zone_low, m.zone_high)),
                    &a.call_wall,
                    &a.put_wall
                ))
                .unwrap()
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&(
                    &m.forward,
                    &m.atm_iv,
                    &m.skew,
                    &m.expected_move,
                    &m.exchange_atm_iv,
                    &m.quotes,
                    &m.max_pain
                        .as_ref()
                        .map(|m| (m.strike, m.zone_low, m.zone_high))
                ))
                .unwrap()
            );
        }
    }
}
