//! Engines: Direction, Option Sellers and Option Buyers, each metric with its provenance.
//!
//! [`blocks`] holds the types of the payload blocks the engines fill in; the dashboard reads
//! them as JSON. [`EngineInputs::prepare`] cuts the stored data at the run's as-of time and
//! derives what every engine shares; [`run`] computes the four blocks. Every metric is a
//! [`aegis_model::Metric`] whose provenance says how it was computed (`model` with
//! `name@version`, `formula`, `chain`, `rule`), the time of the newest data it used (IST) and
//! its status. The rules, thresholds and estimators are documented in each module (`market`,
//! `direction`, `seller`, `buyer`), and their constants are public.
//!
//! # Staleness (relative to the run's as-of time)
//!
//! * **Daily** metrics are `stale` when the newest complete daily bar is older than the last
//!   session that closed at or before the as-of time (NSE calendar).
//! * **Intraday** metrics are `stale` during a session when the newest complete 5-minute bar
//!   closed more than `stale_after_minutes` before the as-of time; outside a session, when its
//!   session is older than the last completed session.
//! * **Chain** metrics are `stale` when the chain is older than `stale_after_minutes` during a
//!   session, or older than the last session's close outside one; the reason gives the chain's
//!   time and age ("option chain from 2025-07-16 15:30 IST, 135 days old").
//! * Simulated data makes every metric `simulated`. The worst status wins:
//!   unavailable > simulated > stale > ok.
//!
//! # Unavailable, never substituted
//!
//! A metric that needs a chain when none is stored says "no option chain is stored" with the fix
//! `aegis fetch --chain (or aegis import a saved chain JSON)`. A metric whose model is missing or
//! fails its checks carries the loader's error (which names the file) and the fix
//! `run \`aegis train\``. A rule on other metrics is unavailable when one of its inputs is, and
//! says which. Nothing is ever filled in.

pub mod blocks;
mod buyer;
mod common;
mod context;
mod direction;
mod market;
mod seller;
mod shared;

pub use buyer::{
    AC_REVERT, AC_TREND, ADX_TREND, MIN_PROFILE_SESSIONS, THETA_EDGE_AT, THETA_WASTE_BELOW,
    VR_REVERT, VR_TREND, buyer_environment, buyer_regime_label, spike_hit_rate_of, theta_gauge,
    theta_label,
};
pub use common::{LIFT_HIGH, LIFT_LOW, level_against_base};
pub use context::{EngineError, EngineInputs, EngineSettings, MarketData};
pub use direction::{
    DIRECTION_MARGIN, GAP_MIN_PCT, HORIZONS, MIN_BASELINE_SESSIONS, gauge_direction, risk_score,
    stated_direction, today_gauge,
};
pub use market::{REGIME_MAPPING_RULE, vix_band};
pub use seller::{
    FlagInputs, HIT_RATE_TOLERANCE, RV_HIGH_PERCENTILE, RegimeInputs, seller_flag, seller_regime,
    stress_label,
};

use blocks::{BuyerBlock, DirectionBlock, MarketBlock, SellerBlock};

/// Version of the engines (the crate version), recorded in the payload.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The four blocks of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocks {
    /// Spot, VIX, regime, session, data times.
    pub market: MarketBlock,
    /// The Direction view.
    pub direction: DirectionBlock,
    /// The Option Sellers view.
    pub seller: SellerBlock,
    /// The Option Buyers view.
    pub buyer: BuyerBlock,
}

/// Runs every engine on prepared inputs. Deterministic: the same inputs and models give the
/// same blocks, bit for bit.
pub fn run(inputs: &EngineInputs<'_>) -> Blocks {
    let shared = shared::Shared::new(inputs);
    let market = market::block(inputs, &shared.spot);
    let direction = direction::block(inputs, &shared);
    let seller = seller::block(inputs, &shared, &market);
    let buyer = buyer::block(inputs, &shared);
    Blocks {
        market,
        direction,
        seller,
        buyer,
    }
}
