//! The market block: spot, India VIX, the market regime, the session and the data times.
//!
//! * **Spot**: while the market is open and today has a complete 5-minute bar, the close of the
//!   newest one (observed at the bar's end), against the previous session's close; otherwise the
//!   last daily close against the close before it. In a session without a bar of today yet,
//!   the last close is shown and marked stale by the intraday rule.
//! * **India VIX**: the last complete daily close (the models read daily VIX), its change, and
//!   its percentile among the last 252 daily closes (today's included): `LOW` below 1/3,
//!   `HIGH` above 2/3, `NORMAL` between.
//! * **Regime**: the `regime_hmm` model's filtered state probabilities at the origin (forward pass
//!   only), each state named by the model's documented mapping (`aegis-ml` `MODELS.md`).

use aegis_calendar::MarketState;
use aegis_ml::modelfile::Learner;
use aegis_ml::regime::Regime;
use aegis_model::Metric;
use aegis_model::time::{ist_date, to_ist};
use chrono::Duration;

use crate::blocks::{
    MarketBlock, MarketRegime, RegimeLabel, RegimeState, SessionInfo, Spot, SpotSource, TimePoint,
    Vix, VixBand,
};
use crate::common::{How, Missing, finish, model};
use crate::context::{BAR_MINUTES, Basis, EngineInputs, fix};

/// The spot value shared by the three views.
#[derive(Debug, Clone)]
pub(crate) struct SpotView {
    pub metric: Metric<Spot>,
    pub bases: Vec<Basis>,
}

impl SpotView {
    /// The spot value, or why there is none.
    pub fn value(&self) -> Result<f64, Missing> {
        self.metric.value.as_ref().map(|s| s.value).ok_or_else(|| {
            Missing::new(
                format!(
                    "needs spot, which is unavailable: {}",
                    self.metric.provenance.reason.as_deref().unwrap_or("")
                ),
                self.metric
                    .provenance
                    .fix
                    .clone()
                    .unwrap_or_else(|| fix::DAILY.into()),
            )
        })
    }

    /// The bases as references, for [`finish`].
    pub fn bases(&self) -> Vec<&Basis> {
        self.bases.iter().collect()
    }
}

/// Computes spot (see the module documentation).
pub(crate) fn spot(cx: &EngineInputs<'_>) -> SpotView {
    let closes = cx.history.close();
    let n = closes.len();
    let last_close = closes[n - 1];
    let origin_at = cx.daily.at.expect("daily basis has a time");
    let today_bar = cx
        .today()
        .and_then(|_| cx.latest_bar())
        .filter(|b| ist_date(b.key) == ist_date(cx.as_of));
    let (value, prev, source, at, bases) = match (cx.state == MarketState::Open, today_bar) {
        (true, Some(bar)) => (
            bar.close,
            Some(last_close),
            SpotSource::IntradayBar,
            to_ist(bar.key + Duration::minutes(BAR_MINUTES)),
            vec![cx.intra.clone(), cx.daily.clone()],
        ),
        (true, None) => {
            // No bar of today yet: the last close, judged by the intraday rule.
            let mut intra = cx.intra.clone();
            intra.missing = None;
            if intra.stale.is_none() {
                intra.stale = Some("no 5-minute bar of today's session yet".into());
            }
            (
                last_close,
                (n >= 2).then(|| closes[n - 2]),
                SpotSource::DailyClose,
                origin_at,
                vec![cx.daily.clone(), intra],
            )
        }
        (false, _) => (
            last_close,
            (n >= 2).then(|| closes[n - 2]),
            SpotSource::DailyClose,
            origin_at,
            vec![cx.daily.clone()],
        ),
    };
    let intraday: Vec<TimePoint> = match (source, cx.today()) {
        (SpotSource::IntradayBar, Some(s)) => (0..=s.last_slot().unwrap_or(0))
            .filter_map(|slot| s.bar(slot))
            .map(|b| TimePoint {
                t: to_ist(b.key),
                v: b.close,
            })
            .collect(),
        _ => Vec::new(),
    };
    let result = prev
        .ok_or_else(|| {
            Missing::new(
                "only one complete daily bar is stored: no previous close to compare with",
                fix::DAILY,
            )
        })
        .map(|prev_close| Spot {
            value,
            prev_close,
            change_pts: value - prev_close,
            change_pct: 100.0 * (value / prev_close - 1.0),
            source,
            at,
            intraday,
        });
    let refs: Vec<&Basis> = bases.iter().collect();
    let metric = finish(cx, How::Formula, &refs, result);
    SpotView { metric, bases }
}

/// Fraction of the last 252 values (the last one included) at or below the last value.
pub(crate) fn percentile_of_last(values: &[f64], window: usize) -> Option<f64> {
    let w = &values[values.len().saturating_sub(window)..];
    let last = *w.last()?;
    aegis_quant::stats::percentile_rank(last, w)
        .ok()
        .map(|p| p.get())
}

/// The VIX band of a 1-year percentile.
pub fn vix_band(percentile: f64) -> VixBand {
    if percentile < 1.0 / 3.0 {
        VixBand::Low
    } else if percentile > 2.0 / 3.0 {
        VixBand::High
    } else {
        VixBand::Normal
    }
}

fn vix(cx: &EngineInputs<'_>) -> Metric<Vix> {
    let bars = cx.vix_daily.bars();
    let value = (|| {
        let n = bars.len();
        if n < 2 {
            return Err(Missing::new(
                "fewer than two complete India VIX daily bars are stored",
                fix::DAILY,
            ));
        }
        let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
        let (value, prev_close) = (closes[n - 1], closes[n - 2]);
        let percentile_1y = percentile_of_last(&closes, 252).expect("n ≥ 2");
        Ok(Vix {
            value,
            prev_close,
            change: value - prev_close,
            change_pct: 100.0 * (value / prev_close - 1.0),
            percentile_1y,
            band: vix_band(percentile_1y),
        })
    })();
    finish(cx, How::Formula, &[&cx.vix_basis], value)
}

fn regime_label(r: Regime) -> RegimeLabel {
    match r {
        Regime::LowVolBull => RegimeLabel::LowVolBull,
        Regime::HighVolBear => RegimeLabel::HighVolBear,
        Regime::SidewaysChop => RegimeLabel::SidewaysChop,
        Regime::TrendFollowing => RegimeLabel::TrendFollowing,
    }
}

/// The documented state-to-label mapping (`aegis-ml` `MODELS.md`).
pub const REGIME_MAPPING_RULE: &str = "4-state Gaussian HMM on (daily log return, ln India VIX); states named by their return mean μ and sd: HIGH_VOL_BEAR = highest-sd state with μ < 0; LOW_VOL_BULL = lowest-sd remaining state with μ > 0; TREND_FOLLOWING = the higher |μ|/sd of the last two; SIDEWAYS_CHOP = the last; probabilities are filtered (forward pass, no look-ahead) at the last session";

fn regime(cx: &EngineInputs<'_>) -> Metric<MarketRegime> {
    let value = (|| {
        let m = model(cx.models, "regime_hmm")?;
        let (_, forecast) = cx
            .models
            .regime(&cx.history)
            .map_err(crate::common::predict_missing)?;
        let Learner::Hmm(hmm) = &m.file.body().learner else {
            return Err(Missing::new(
                "regime_hmm is not an HMM model file",
                fix::TRAIN,
            ));
        };
        let labels = m.file.card().state_labels.clone().unwrap_or_default();
        let mut states = Vec::with_capacity(labels.len());
        for (s, l) in labels.iter().enumerate() {
            let r = Regime::from_label(l).ok_or_else(|| {
                Missing::new(format!("regime_hmm names a state `{l}`"), fix::TRAIN)
            })?;
            let probability = forecast
                .probabilities
                .iter()
                .find(|(x, _)| *x == r)
                .map_or(0.0, |(_, p)| *p);
            states.push(RegimeState {
                label: regime_label(r),
                probability,
                mean_return_ann_pct: hmm.mean(s)[0] * 252.0 * 100.0,
                mean_vix: hmm.mean(s)[1].exp(),
            });
        }
        Ok(MarketRegime {
            label: regime_label(forecast.regime),
            states,
            mapping_rule: REGIME_MAPPING_RULE.into(),
        })
    })();
    finish(cx, How::Model("regime_hmm"), &[&cx.daily], value)
}

fn session(cx: &EngineInputs<'_>) -> SessionInfo {
    let state = match cx.state {
        MarketState::PreOpen => "pre_open",
        MarketState::Open => "open",
        MarketState::PostClose => "post_close",
        MarketState::Closed => "closed",
    };
    let session_date = match cx.state {
        MarketState::Open | MarketState::PostClose => ist_date(cx.as_of),
        MarketState::PreOpen | MarketState::Closed => cx.last_session,
    };
    SessionInfo {
        market_open: cx.state == MarketState::Open,
        state: state.into(),
        session_date,
    }
}

/// The market block, with the spot the other views use.
pub(crate) fn block(cx: &EngineInputs<'_>, spot: &SpotView) -> MarketBlock {
    MarketBlock {
        symbol: cx.symbol(),
        spot: spot.metric.clone(),
        vix: vix(cx),
        regime: regime(cx),
        session: session(cx),
        data_times: cx.data_times(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vix_band_splits_the_year_in_thirds() {
        assert_eq!(vix_band(0.10), VixBand::Low);
        assert_eq!(vix_band(0.34), VixBand::Normal);
        assert_eq!(vix_band(0.66), VixBand::Normal);
        assert_eq!(vix_band(0.90), VixBand::High);
    }

    #[test]
    fn percentile_counts_the_window_including_today() {
        let v: Vec<f64> = (1..=300).map(f64::from).collect();
        // The last 252 values are 49..=300; 300 is the largest.
        assert_eq!(percentile_of_last(&v, 252), Some(1.0));
        let mut w = v.clone();
        w.push(49.0); // window 50..=300 plus 49: only itself at or below.
        assert!((percentile_of_last(&w, 252).unwrap() - 1.0 / 252.0).abs() < 1e-12);
    }
}
