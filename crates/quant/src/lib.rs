//! Option mathematics, option-chain analytics, volatility models and statistics for AegisMatrix.
//!
//! * [`normal`] — standard normal pdf, cdf and inverse, full relative precision in the tails.
//! * [`black76`] — Black-76 on the forward: price and greeks ([`Black76`], [`Greeks`]); the time,
//!   vol and greek conventions of the whole crate are documented there.
//! * [`iv`] — implied volatility ([`implied_vol`]), a typed error for any price outside the
//!   no-arbitrage bounds.
//! * [`parity`] — the forward of an expiry from put–call parity.
//! * [`barrier`] — touch and finish probabilities of a driftless lognormal, and the band at a target
//!   touch probability.
//! * [`chain`] — one expiry of an option chain: max pain, PCR, OI walls and changes, forward,
//!   smile, ATM and 25-delta vols, skew, straddle move ([`chain::analyze_expiry`]).
//! * [`vol`] — realized vol, GARCH(1,1), HAR-RV and the QLIKE loss.
//! * [`stats`] — Wilson interval, percentile rank, skewness, entropy, mean and sd.
//! * [`strategy`] — option strategies: payoff at expiry and today, breakevens, maximum profit
//!   and loss, net greeks, probability of profit and of touching the breakevens; presets.
//!
//! Every function checks its inputs and returns a typed error naming the input and the rule it
//! breaks; none returns a placeholder number.

pub mod barrier;
pub mod black76;
pub mod chain;
mod error;
pub mod iv;
pub mod normal;
mod optimize;
pub mod parity;
pub mod stats;
pub mod strategy;
pub mod vol;

pub use black76::{Black76, DiscountFactor, Forward, Greeks, Strike, Years};
pub use error::InputError;
pub use iv::{IvError, implied_vol};
pub use vol::{Garch11, GarchOptions, HarRv, VolError, qlike, realized_vol};
