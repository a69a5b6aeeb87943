//! Gamma exposure (GEX) by strike and in total, for each live expiry and summed across them.
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
//!
//! # Across expiries
//!
//! [`GexTotal`] adds the per-expiry figures strike by strike (same convention and units: each
//! expiry's GEX already uses its own lot size and gamma, so the rupee figures add). An expiry
//! whose GEX is unavailable is listed in [`GexTotal::left_out`] with its reason and contributes
//! nothing; the total is unavailable only when no expiry has a GEX.

use aegis_model::{Expiry, Metric, OptionChain, OptionSide};
use aegis_quant::{Black76, Forward, Strike};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ToolkitError;
use crate::pricing::ExpiryContext;

/// The sign convention, as shown on the tile.
pub const GEX_CONVENTION: &str = "GEX = Γ × OI × lot × S² × 0.01, calls +, puts − (dealers long customer-sold calls, short customer-bought puts); Γ = Black-76 gamma at the strike's smile IV on the parity forward";
/// The unit of every GEX figure.
pub const GEX_UNITS: &str = "₹ per 1% move of the index";
/// How the all-expiries total is formed, as shown on the tile.
pub const GEX_TOTAL_METHOD: &str = "sum over the included expiries of each expiry's GEX at each strike (each expiry with its own gamma, time to expiry and lot size)";

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

/// The GEX of one live expiry, in the order of the explorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GexEntry {
    /// The expiry.
    pub expiry: Expiry,
    /// Its gamma exposure, or why it has none.
    pub gex: Metric<GammaExposure>,
}

/// One strike of the all-expiries total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GexTotalStrike {
    /// Strike, points.
    pub strike: f64,
    /// Summed calls' GEX (≥ 0), rupees per 1 % move.
    pub call_gex: f64,
    /// Summed puts' GEX (≤ 0), rupees per 1 % move.
    pub put_gex: f64,
    /// `call_gex + put_gex`.
    pub net_gex: f64,
    /// How many of the included expiries have this strike.
    pub expiries: usize,
}

/// An expiry left out of the all-expiries total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GexLeftOut {
    /// The expiry.
    pub expiry: Expiry,
    /// Why its GEX is unavailable.
    pub reason: String,
}

/// Gamma exposure summed over every live expiry that has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GexTotal {
    /// Underlying `S` (the same snapshot for every expiry).
    pub underlying: f64,
    /// [`GEX_CONVENTION`].
    pub convention: String,
    /// [`GEX_UNITS`].
    pub units: String,
    /// [`GEX_TOTAL_METHOD`].
    pub method: String,
    /// Per strike of any included expiry, ascending.
    pub strikes: Vec<GexTotalStrike>,
    /// Sum of the calls' GEX over the included expiries.
    pub total_call: f64,
    /// Sum of the puts' GEX over the included expiries.
    pub total_put: f64,
    /// Net total over the included expiries.
    pub total: f64,
    /// The expiries summed, nearest first.
    pub included: Vec<Expiry>,
    /// The expiries without a GEX, with the reason, nearest first.
    pub left_out: Vec<GexLeftOut>,
    /// Strikes with open interest left out for want of an IV, over the included expiries.
    pub strikes_without_iv: usize,
    /// Their open interest (calls + puts), contracts.
    pub oi_without_iv: f64,
}

/// Sums the per-expiry GEX of `entries` strike by strike. Fails when no expiry has a GEX (the
/// reason lists each expiry's) or when the entries disagree on the underlying (they must come
/// from one snapshot).
pub(crate) fn total_gamma_exposure(entries: &[GexEntry]) -> Result<GexTotal, ToolkitError> {
    let mut included: Vec<&GammaExposure> = Vec::new();
    let mut left_out = Vec::new();
    for entry in entries {
        match &entry.gex.value {
            Some(g) => included.push(g),
            None => left_out.push(GexLeftOut {
                expiry: entry.expiry,
                reason: entry
                    .gex
                    .provenance
                    .reason
                    .clone()
                    .unwrap_or_else(|| "unavailable (no reason recorded)".into()),
            }),
        }
    }
    let Some(first) = included.first() else {
        let why = if left_out.is_empty() {
            "there is no live expiry".to_string()
        } else {
            left_out
                .iter()
                .map(|l| format!("{}: {}", l.expiry, l.reason))
                .collect::<Vec<_>>()
                .join("; ")
        };
        return Err(ToolkitError::unavailable(
            "gamma exposure across expiries",
            format!("no expiry has a gamma exposure ({why})"),
        ));
    };
    let underlying = first.underlying;
    if let Some(other) = included.iter().find(|g| g.underlying != underlying) {
        return Err(ToolkitError::unavailable(
            "gamma exposure across expiries",
            format!(
                "expiry {} was computed with underlying {} but expiry {} with {}; the total needs one snapshot",
                first.expiry, underlying, other.expiry, other.underlying
            ),
        ));
    }
    let mut all: Vec<&GexStrike> = included.iter().flat_map(|g| &g.strikes).collect();
    all.sort_by(|a, b| a.strike.total_cmp(&b.strike));
    let mut strikes: Vec<GexTotalStrike> = Vec::new();
    for s in all {
        match strikes.last_mut() {
            Some(t) if t.strike == s.strike => {
                t.call_gex += s.call_gex;
                t.put_gex += s.put_gex;
                t.net_gex += s.net_gex;
                t.expiries += 1;
            }
            _ => strikes.push(GexTotalStrike {
                strike: s.strike,
                call_gex: s.call_gex,
                put_gex: s.put_gex,
                net_gex: s.net_gex,
                expiries: 1,
            }),
        }
    }
    let total_call: f64 = included.iter().map(|g| g.total_call).sum();
    let total_put: f64 = included.iter().map(|g| g.total_put).sum();
    Ok(GexTotal {
        underlying,
        convention: GEX_CONVENTION.to_string(),
        units: GEX_UNITS.to_string(),
        method: GEX_TOTAL_METHOD.to_string(),
        strikes,
        total_call,
        total_put,
        total: total_call + total_put,
        included: included.iter().map(|g| g.expiry).collect(),
        left_out,
        strikes_without_iv: included.iter().map(|g| g.strikes_without_iv).sum(),
        oi_without_iv: included.iter().map(|g| g.oi_without_iv).sum(),
    })
}
