//! The toolkit's typed errors.

use aegis_model::{Expiry, OptionSide};

/// Why a toolkit computation or file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ToolkitError {
    /// A leg description does not parse.
    #[error(
        "leg `{input}`: {rule}; write legs like `sell:call:25500:2025-07-17:1` (side:kind:strike:expiry:lots)"
    )]
    BadLeg {
        /// The text given.
        input: String,
        /// What is wrong with it.
        rule: String,
    },
    /// An unknown name for a volatility source, a preset or another choice.
    #[error("unknown {what} `{input}`: use one of {allowed}")]
    UnknownChoice {
        /// What was being chosen.
        what: &'static str,
        /// The text given.
        input: String,
        /// The accepted values.
        allowed: &'static str,
    },
    /// The chain has no usable quote for a leg.
    #[error("the {kind:?} at strike {strike} of expiry {expiry} cannot be priced: {reason}")]
    Unpriced {
        /// Call or put.
        kind: OptionSide,
        /// Strike.
        strike: f64,
        /// Expiry.
        expiry: Expiry,
        /// Why.
        reason: String,
    },
    /// Something the computation needs is missing from the data.
    #[error("{what} is unavailable: {reason}")]
    Unavailable {
        /// The quantity.
        what: &'static str,
        /// Why, and what to do.
        reason: String,
    },
    /// The strategy mathematics refused the inputs.
    #[error("strategy analysis failed: {0}")]
    Strategy(#[from] aegis_quant::strategy::StrategyError),
    /// Reading the store failed.
    #[error("reading the store: {0}")]
    Store(#[from] aegis_store::StoreError),
    /// Writing the toolkit file failed.
    #[error("writing the toolkit document: {0}")]
    Write(#[from] aegis_payload::PayloadError),
}

impl ToolkitError {
    /// Shorthand for [`ToolkitError::Unavailable`].
    pub fn unavailable(what: &'static str, reason: impl Into<String>) -> Self {
        ToolkitError::Unavailable {
            what,
            reason: reason.into(),
        }
    }
}
