//! Values several engines read, computed once per run: spot, the volatility model's forecasts and
//! the walk-forward σ series of the safe-range history.

use aegis_ml::volforecast::{SigmaForecast, VolMethod};

use crate::common::{Missing, predict_missing};
use crate::context::{EngineInputs, fix};
use crate::market::{self, SpotView};

/// Shared values of a run.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Spot.
    pub spot: SpotView,
    /// The walk-forward σ of every history session for its nearest expiry window.
    sigma0: Result<Vec<Option<f64>>, Missing>,
}

/// The payload's name of a volatility method.
pub(crate) fn method_name(m: VolMethod) -> &'static str {
    match m {
        VolMethod::Garch => "garch",
        VolMethod::Har => "har",
        VolMethod::NaiveRv20 => "naive_rv20",
        VolMethod::Vix => "india_vix",
    }
}

impl Shared {
    pub fn new(cx: &EngineInputs<'_>) -> Self {
        Shared {
            spot: market::spot(cx),
            sigma0: cx
                .models
                .safe_range_sigma(&cx.history, &cx.windows)
                .map_err(predict_missing),
        }
    }

    /// The volatility model's σ over the next `h` sessions after the origin.
    pub fn vol_sigma(&self, cx: &EngineInputs<'_>, h: usize) -> Result<SigmaForecast, Missing> {
        let (id, vol) = cx.models.vol().map_err(predict_missing)?;
        if h > aegis_ml::volforecast::MAX_HORIZON {
            // Only stale daily bars put an expiry this far after the origin.
            return Err(Missing::new(
                format!(
                    "the expiry is {h} sessions after the newest daily bar ({}), beyond the \
                     volatility model's reach of {} sessions: the daily bars are out of date",
                    cx.origin(),
                    aegis_ml::volforecast::MAX_HORIZON
                ),
                fix::DAILY,
            ));
        }
        vol.sigma(&cx.history, h).map_err(|e| {
            Missing::new(
                format!("volatility forecast ({id}) for {h} sessions: {e}"),
                fix::TRAIN,
            )
        })
    }

    /// The walk-forward σ series of the nearest-expiry windows.
    pub fn sigma0(&self) -> Result<&[Option<f64>], Missing> {
        self.sigma0.as_deref().map_err(Clone::clone)
    }

    /// Sessions from the origin to the nearest weekly expiry after it.
    pub fn nearest_sessions(&self, cx: &EngineInputs<'_>) -> Result<u32, Missing> {
        cx.windows
            .last()
            .copied()
            .flatten()
            .map(|w| w.sessions)
            .ok_or_else(|| {
                Missing::new(
                    format!(
                        "the NSE calendar has no expiry after {} (its holiday table ends); update aegis",
                        cx.origin()
                    ),
                    "update aegis (the calendar's holiday table)",
                )
            })
    }

    /// The value of feature `name` at the origin.
    pub fn last_feature(&self, cx: &EngineInputs<'_>, name: &str) -> Result<f64, Missing> {
        let col = cx
            .frame
            .column_index(name)
            .ok_or_else(|| Missing::new(format!("the feature set has no {name}"), fix::TRAIN))?;
        let v = cx.frame.row(cx.frame.n_rows() - 1)[col];
        if v.is_nan() {
            return Err(Missing::new(
                format!(
                    "feature {name} is missing on {} (too little history, or no India VIX close that day)",
                    cx.origin()
                ),
                fix::DAILY,
            ));
        }
        Ok(v)
    }

    /// The values of feature `name` of the last `n` sessions up to the origin (missing ones
    /// skipped).
    pub fn feature_tail(&self, cx: &EngineInputs<'_>, name: &str, n: usize) -> Vec<f64> {
        let Some(col) = cx.frame.column_index(name) else {
            return Vec::new();
        };
        let rows = cx.frame.n_rows();
        (rows.saturating_sub(n)..rows)
            .map(|i| cx.frame.row(i)[col])
            .filter(|v| !v.is_nan())
            .collect()
    }
}
