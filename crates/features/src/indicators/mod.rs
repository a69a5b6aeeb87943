//! Streaming indicators, in the style of NautilusTrader's `crates/indicators`.
//!
//! Each indicator is a small struct fed bars (or values) in time order through `update`.
//! It keeps only the state its window needs, so an update costs O(1) amortised
//! ([`RollingPercentile`] costs O(window) in the worst case, see its docs), and a value can
//! only ever depend on what was fed before it: there is no way to look ahead.
//!
//! Every indicator implements [`Indicator`]: `initialized()` says whether enough history has
//! been seen, and `value()` is `None` until then (and when the value is undefined, e.g. a
//! 0/0 ratio on a perfectly flat window).
//!
//! Inputs must be finite and, for prices, positive; the feature builder only feeds bars of a
//! validated [`aegis_model::Series`] (or bars it has checked itself).

mod adx;
mod atr;
mod autocorr;
mod ema;
mod extremes;
mod percentile;
mod returns;
mod rsi;
mod volatility;

pub use adx::Adx;
pub use atr::Atr;
pub use autocorr::Autocorrelation;
pub use ema::Ema;
pub use extremes::{RollingHigh, RollingLow};
pub use percentile::RollingPercentile;
pub use returns::RollingLogReturn;
pub use rsi::Rsi;
pub use volatility::{RealizedVol, VarianceRatio, VolEstimator};

/// Trading days per year, used to annualise daily variances.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// What every streaming indicator offers besides its `update` method.
pub trait Indicator {
    /// Name with parameters, e.g. `RSI(14)`.
    fn name(&self) -> String;
    /// Whether enough history has been fed for [`Indicator::value`] to be defined.
    fn initialized(&self) -> bool;
    /// The current value, `None` until initialized or when undefined.
    fn value(&self) -> Option<f64>;
    /// Forgets all history.
    fn reset(&mut self);
}

#[cfg(test)]
pub(crate) mod naive;
