//! Gamma exposure (GEX) by strike and in total, for one expiry.
//!
//! # Convention
//!
//! The common dealer-positioning convention (customers are taken to sell calls to dealers and to
//! buy puts from them, so dealers are long the calls' gamma and short the puts'):
//!
//! `GEX(K) = Γ(K) × (OI_call(K) − OI_put(K)) × lot × S² × 0.01`
//!
//! calls counted **+**, puts **−**; `Γ` is the Black-76 gamma per point (`∂²V/∂F²`) at the
//! strike's smile IV (the out-of-the-money leg's IV, the same for the call and the put of a
//! strike under Black-76) on the parity forward; `OI` in contracts; `lot` the contract table's
//! units per lot; `S` the underlying. The unit is **rupees per 1 % move of the index**: the
//! change in the dealers' delta (in rupees of index exposure) when the index moves 1 %.
//! A positive total means dealers hedge against the move (they sell rallies and buy dips:
//! dampening); a negative total means they hedge with it (amplifying).
//!
//! Strikes with open interest but no smile IV (no usable quote) are left out and counted.

use aegis_model::{OptionChain, OptionSide};
use aegis_quant::{Black76, Forward, Strike};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ToolkitError;
use crate::pricing::ExpiryContext;

/// The sign convention, as shown on the tile.
pub const GEX_CONVENTION: &str = "GEX = Γ × OI × lot × S² × 0.01, calls +, puts − (dealers long customer-sold calls, short customer-bought puts); Γ = Black-76 gamma at the strike's smile IV on the parity forward";
/// The unit of every GEX figure.
pub const GEX_UNITS: &str = "₹ per 1% move of the index";

/// GEX at one strike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GexStrike {
    /// Strike, points.
    pub strike: f64,
    /// Call open interest, contracts.
    pub call_oi: f64,
    /// Put open interest, contracts.
    pub put_oi: f64,
    /// Smile IV used, percent.
    pub iv_pct: f64,
    /// Gamma per point.
    pub gamma: f64,
    /// Calls' GEX (≥ 0), rupees per 1 % move.
    pub call_gex: f64,
    /// Puts' GEX (≤ 0), rupees per 1 % move.
    pub put_gex: f64,
    /// `call_gex + put_gex`.
    pub net_gex: f64,
}

/// Gamma exposure of one expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GammaExposure {
    /// The expiry.
    pub expiry: aegis_model::Expiry,
    /// Underlying `S`.
    pub underlying: f64,
    /// Parity forward the gammas are taken on.
    pub forward: f64,
    /// Units per lot.
    pub lot_size: u32,
    /// [`GEX_CONVENTION`].
    pub convention: String,
    /// [`GEX_UNITS`].
    pub units: String,
    /// Per strike with a smile IV, ascending.
    pub strikes: Vec<GexStrike>,
    /// Sum of the calls' GEX.
    pub total_call: f64,
    /// Sum of the puts' GEX.
    pub total_put: f64,
    /// Net total.
    pub total: f64,
    /// Strikes with open interest left out for want of an IV.
    pub strikes_without_iv: usize,
    /// Their open interest (calls + puts), contracts.
    pub oi_without_iv: f64,
}

/// GEX of one analysed expiry.
pub(crate) fn gamma_exposure(
    chain: &OptionChain,
    ctx: &ExpiryContext,
    lot_size: u32,
) -> Result<GammaExposure, ToolkitError> {
    let forward = ctx.forward()?;
    let s = chain.underlying;
    let scale = f64::from(lot_size) * s * s * 0.01;
    let smile = &ctx.analytics.smile;
    let mut strikes = Vec::new();
    let (mut missing, mut missing_oi) = (0, 0.0);
    for row in chain.expiry_rows(ctx.expiry) {
        let call_oi = row.leg(OptionSide::Call).map_or(0.0, |q| q.open_interest);
        let put_oi = row.leg(OptionSide::Put).map_or(0.0, |q| q.open_interest);
        if call_oi + put_oi == 0.0 {
            continue;
        }
        let Some(point) = smile.iter().find(|p| p.strike == row.strike) else {
            missing += 1;
            missing_oi += call_oi + put_oi;
            continue;
        };
        let gamma =
            Black76::undiscounted(Forward(forward), Strike(row.strike), ctx.years, point.iv)
                .map_err(|e| ToolkitError::unavailable("gamma exposure", e.to_string()))?
                .gamma();
        let call_gex = gamma * call_oi * scale;
        let put_gex = -gamma * put_oi * scale;
        strikes.push(GexStrike {
            strike: row.strike,
            call_oi,
            put_oi,
            iv_pct: point.iv.0 * 100.0,
            gamma,
            call_gex,
            put_gex,
            net_gex: call_gex + put_gex,
        });
    }
    if strikes.is_empty() {
        return Err(ToolkitError::unavailable(
            "gamma exposure",
            format!(
                "no strike of expiry {} has both open interest and a usable implied vol",
                ctx.expiry
            ),
        ));
    }
    let total_call: f64 = strikes.iter().map(|g| g.call_gex).sum();
    let total_put: f64 = strikes.iter().map(|g| g.put_gex).sum();
    Ok(GammaExposure {
        expiry: ctx.expiry,
        underlying: s,
        forward,
        lot_size,
        convention: GEX_CONVENTION.to_string(),
        units: GEX_UNITS.to_string(),
        strikes,
        total_call,
        total_put,
        total: total_call + total_put,
        strikes_without_iv: missing,
        oi_without_iv: missing_oi,
    })
}
