//! The option-chain explorer: per expiry, the strikes around the money with quotes, our IV and
//! Black-76 greeks on the parity forward, open interest, its change and volume; ATM, max pain
//! and the OI walls flagged; the IV smile.

use aegis_model::{AnnualVol, OptionChain, OptionQuote, OptionSide};
use aegis_quant::{Black76, Forward, Strike, Years};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pricing::{ExpiryContext, leg_iv, leg_premium};

/// Strikes listed on each side of the ATM strike unless configured.
pub const DEFAULT_STRIKES_EACH_SIDE: usize = 10;

/// One leg (call or put) at one strike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LegRow {
    /// Last traded price (points), if reported.
    pub last_price: Option<f64>,
    /// Best bid (points), if reported.
    pub bid: Option<f64>,
    /// Best ask (points), if reported.
    pub ask: Option<f64>,
    /// The premium used (mid of a two-sided book, else the last price).
    pub premium: Option<f64>,
    /// Our implied vol, percent (Black-76 on the parity forward).
    pub iv_pct: Option<f64>,
    /// Delta `∂V/∂F`.
    pub delta: Option<f64>,
    /// Gamma `∂²V/∂F²`, per point.
    pub gamma: Option<f64>,
    /// Theta, points per calendar day.
    pub theta_per_day: Option<f64>,
    /// Vega, points per vol point.
    pub vega_per_point: Option<f64>,
    /// Open interest, contracts.
    pub open_interest: f64,
    /// Change in open interest since the previous session, contracts.
    pub change_in_oi: f64,
    /// Contracts traded.
    pub volume: f64,
    /// Why the IV and greeks are missing, when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One strike of the explorer table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExplorerRow {
    /// Strike, points.
    pub strike: f64,
    /// The strike nearest the forward.
    pub atm: bool,
    /// The max-pain strike.
    pub max_pain: bool,
    /// The call-OI wall (resistance).
    pub call_wall: bool,
    /// The put-OI wall (support).
    pub put_wall: bool,
    /// The call, if listed.
    pub call: Option<LegRow>,
    /// The put, if listed.
    pub put: Option<LegRow>,
}

/// One point of the IV smile (the out-of-the-money leg at each strike).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SmilePoint {
    /// Strike, points.
    pub strike: f64,
    /// The leg used.
    pub side: OptionSide,
    /// Implied vol, percent.
    pub iv_pct: f64,
}

/// The explorer of one expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExpiryExplorer {
    /// The expiry.
    pub expiry: aegis_model::Expiry,
    /// Calendar days to the 15:30 IST close of the expiry day.
    pub days_to_expiry: f64,
    /// Units per lot for this expiry (contract table), when known.
    pub lot_size: Option<u32>,
    /// Underlying reported with the snapshot.
    pub underlying: f64,
    /// Parity forward, when available.
    pub forward: Option<f64>,
    /// The strike nearest the forward (or the underlying without a forward).
    pub atm_strike: f64,
    /// ATM implied vol, percent.
    pub atm_iv_pct: Option<f64>,
    /// Max-pain strike.
    pub max_pain: Option<f64>,
    /// Call-OI wall.
    pub call_wall: Option<f64>,
    /// Put-OI wall.
    pub put_wall: Option<f64>,
    /// Put/call ratio of open interest.
    pub pcr_oi: Option<f64>,
    /// Strikes around the money, ascending.
    pub rows: Vec<ExplorerRow>,
    /// The whole smile of the expiry, ascending strike.
    pub smile: Vec<SmilePoint>,
    /// Why any of the optional figures is missing.
    pub notes: Vec<String>,
}

fn leg_row(
    q: &OptionQuote,
    kind: OptionSide,
    strike: f64,
    forward: Result<f64, String>,
    years: Years,
) -> LegRow {
    let mut row = LegRow {
        last_price: q.last_price,
        bid: q.bid,
        ask: q.ask,
        premium: None,
        iv_pct: None,
        delta: None,
        gamma: None,
        theta_per_day: None,
        vega_per_point: None,
        open_interest: q.open_interest,
        change_in_oi: q.change_in_oi,
        volume: q.volume,
        note: None,
    };
    let premium = match leg_premium(q) {
        Ok(p) => p,
        Err(why) => {
            row.note = Some(why.to_string());
            return row;
        }
    };
    row.premium = Some(premium);
    let forward = match forward {
        Ok(f) => f,
        Err(why) => {
            row.note = Some(why);
            return row;
        }
    };
    match leg_iv(kind, premium, forward, strike, years) {
        Ok(iv) => {
            let greeks = explorer_greeks(kind, forward, strike, years, iv);
            row.iv_pct = Some(iv.0 * 100.0);
            if let Some(g) = greeks {
                row.delta = Some(g.delta);
                row.gamma = Some(g.gamma);
                row.theta_per_day = Some(g.theta_per_day);
                row.vega_per_point = Some(g.vega_per_point);
            }
        }
        Err(why) => row.note = Some(why),
    }
    row
}

/// Black-76 greeks (undiscounted) of one leg on the forward, at its own IV.
pub(crate) fn explorer_greeks(
    kind: OptionSide,
    forward: f64,
    strike: f64,
    years: Years,
    iv: AnnualVol,
) -> Option<aegis_quant::Greeks> {
    Black76::undiscounted(Forward(forward), Strike(strike), years, iv)
        .ok()
        .map(|o| o.greeks(kind))
}

/// The explorer of one analysed expiry, with `each_side` strikes below and above the ATM strike.
pub(crate) fn explore(
    chain: &OptionChain,
    ctx: &ExpiryContext,
    each_side: usize,
    lot_size: Option<u32>,
) -> ExpiryExplorer {
    let a = &ctx.analytics;
    let rows = chain.expiry_rows(ctx.expiry);
    let mut notes = Vec::new();
    let forward = ctx.forward().map_err(|e| e.to_string());
    if let Err(e) = &forward {
        notes.push(e.clone());
    }
    let centre = *forward.as_ref().unwrap_or(&chain.underlying);
    let atm_index = rows
        .iter()
        .enumerate()
        .min_by(|x, y| {
            (x.1.strike - centre)
                .abs()
                .total_cmp(&(y.1.strike - centre).abs())
        })
        .map(|(i, _)| i)
        .unwrap_or(0);
    let atm_strike = rows.get(atm_index).map_or(centre, |r| r.strike);
    let max_pain = a.max_pain.as_ref().map(|m| m.strike);
    let call_wall = a.call_wall.as_ref().map(|w| w.strike);
    let put_wall = a.put_wall.as_ref().map(|w| w.strike);
    for (name, why) in [
        ("max pain", max_pain.as_ref().err().map(|e| e.to_string())),
        ("call wall", call_wall.as_ref().err().map(|e| e.to_string())),
        ("put wall", put_wall.as_ref().err().map(|e| e.to_string())),
        ("ATM IV", a.atm_iv.as_ref().err().map(|e| e.to_string())),
    ] {
        if let Some(why) = why {
            notes.push(format!("{name}: {why}"));
        }
    }
    let lo = atm_index.saturating_sub(each_side);
    let hi = (atm_index + each_side + 1).min(rows.len());
    let table = rows[lo..hi]
        .iter()
        .map(|r| ExplorerRow {
            strike: r.strike,
            atm: r.strike == atm_strike,
            max_pain: max_pain.as_ref().ok() == Some(&r.strike),
            call_wall: call_wall.as_ref().ok() == Some(&r.strike),
            put_wall: put_wall.as_ref().ok() == Some(&r.strike),
            call: r
                .call
                .as_ref()
                .map(|q| leg_row(q, OptionSide::Call, r.strike, forward.clone(), ctx.years)),
            put: r
                .put
                .as_ref()
                .map(|q| leg_row(q, OptionSide::Put, r.strike, forward.clone(), ctx.years)),
        })
        .collect();
    ExpiryExplorer {
        expiry: ctx.expiry,
        days_to_expiry: ctx.years.0 * Years::CALENDAR_DAYS,
        lot_size,
        underlying: chain.underlying,
        forward: forward.ok(),
        atm_strike,
        atm_iv_pct: a.atm_iv.as_ref().ok().map(|x| x.iv.0 * 100.0),
        max_pain: max_pain.ok(),
        call_wall: call_wall.ok(),
        put_wall: put_wall.ok(),
        pcr_oi: a.put_call_ratios.by_open_interest.as_ref().ok().copied(),
        rows: table,
        smile: a
            .smile
            .iter()
            .map(|p| SmilePoint {
                strike: p.strike,
                side: p.side,
                iv_pct: p.iv.0 * 100.0,
            })
            .collect(),
        notes,
    }
}
