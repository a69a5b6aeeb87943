//! Features without look-ahead: streaming indicators and the feature builder.
//!
//! * [`indicators`] — small streaming structs (EMA, RSI, ATR, ADX, realized-vol estimators,
//!   variance ratio, autocorrelation, rolling extremes and percentile), fed in time order,
//!   O(1) amortised per update, in the style of NautilusTrader's `crates/indicators`.
//! * [`FeatureSet`] — an ordered list of named features with parameters, and its
//!   [`FeatureSet::feature_hash`] over (names, parameters, [`FEATURE_CODE_VERSION`]) that model
//!   files record.
//! * [`FeatureBuilder`] — replays a daily NIFTY series (with India VIX joined on date) through
//!   the indicators into a [`FeatureFrame`], and then takes one bar at a time for live use.
//!   A feature of day `t` sees only days `≤ t` by construction.
//! * [`intraday`] — today's 5-minute features: gap, opening range, realized vol so far against
//!   the usual for this time of day, and the 30-minute block profile.
//!
//! ```no_run
//! use aegis_features::{FeatureFrame, FeatureSet};
//! # fn get() -> (aegis_model::DailySeries, aegis_model::DailySeries) { unimplemented!() }
//! let (nifty, vix) = get();
//! let frame = FeatureFrame::build(FeatureSet::standard(), &nifty, Some(&vix))?;
//! let train_rows = frame.complete_rows();
//! println!("{} rows, hash {}", train_rows.len(), frame.feature_hash());
//! # Ok::<(), aegis_features::FeatureError>(())
//! ```

mod builder;
pub mod indicators;
pub mod intraday;
mod rolling;
mod spec;

pub use builder::{FeatureBuilder, FeatureError, FeatureFrame, FeatureRow};
pub use spec::{FEATURE_CODE_VERSION, FeatureHash, FeatureKind, FeatureSet, FeatureSetError};

#[cfg(test)]
mod lookahead_tests;
#[cfg(test)]
mod test_data;
