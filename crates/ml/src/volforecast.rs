//! Volatility forecasts compared out of sample by QLIKE, and the σ forecast the engines use.
//!
//! **Target.** At the close of session `t` (the origin), forecast the realized variance of
//! the next `h` sessions, `RV_{t,h} = Σ_{i=t+1}^{t+h} r_i²` (`r_i` daily log returns).
//!
//! **Methods** (each forecast uses data up to `t` only):
//! * [`VolMethod::Garch`] — GARCH(1,1) (`aegis_quant::Garch11`, Gaussian QMLE) refitted every
//!   21 sessions on an expanding window of returns; between refits the conditional variance is
//!   filtered daily with the block's parameters, `h_{t+1} = ω + α(r_t − μ)² + β h_t`. Forecast
//!   `h · Garch11::forecast_variance(h)` (the mean expected daily variance over `h` days).
//! * [`VolMethod::Har`] — HAR-RV on daily squared returns (`aegis_quant::HarRv`), one regression
//!   per horizon, refitted every 21 sessions on an expanding window (only rows whose target is
//!   inside the window). Forecast `h ·` its mean daily variance; a non-positive forecast is
//!   missing.
//! * [`VolMethod::NaiveRv20`] — `h · s²`, `s²` the sample variance of the last 20 returns
//!   (the `rv_cc_20d` feature, de-annualised).
//! * [`VolMethod::Vix`] — `σ_VIX² · h / 252` with `σ_VIX = VIX_t / 100` (India VIX is a 30-day
//!   implied vol; missing on sessions without a VIX row).
//!
//! **Comparison** ([`compare`]): QLIKE `RV/F − ln(RV/F) − 1` averaged over the origins where
//! every method has a forecast and the realized variance is positive (a common sample, so the
//! means are comparable), for `h ∈ {5, 20}`. The walk-forward starts after
//! [`VolConfig::min_history`] returns. The method with the lowest mean QLIKE at a horizon is
//! chosen for it; a forecast for any horizon `h` ([`VolForecastModel::sigma`]) uses the choice
//! of the nearest compared horizon (ties to the shorter).

use std::collections::BTreeMap;

use aegis_quant::vol::{HAR_MONTH, HarRv};
use aegis_quant::{Garch11, GarchOptions, qlike};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::MlError;
use crate::history::DailyHistory;

/// Trading days per year.
const TRADING_DAYS: f64 = 252.0;
/// Horizons of the QLIKE comparison.
pub const COMPARISON_HORIZONS: [usize; 2] = [5, 20];
/// Longest horizon a saved model can forecast (HAR regressions are saved for `1..=` this).
pub const MAX_HORIZON: usize = 40;
/// Returns in the naive realized-vol window.
pub const NAIVE_WINDOW: usize = 20;

/// A volatility forecasting method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolMethod {
    /// GARCH(1,1).
    Garch,
    /// HAR-RV.
    Har,
    /// 20-day close-to-close realized vol.
    NaiveRv20,
    /// India VIX.
    Vix,
}

impl VolMethod {
    /// Every method, in table order.
    pub const ALL: [VolMethod; 4] = [
        VolMethod::Garch,
        VolMethod::Har,
        VolMethod::NaiveRv20,
        VolMethod::Vix,
    ];

    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            VolMethod::Garch => "garch",
            VolMethod::Har => "har",
            VolMethod::NaiveRv20 => "naive_rv20",
            VolMethod::Vix => "vix",
        }
    }
}

impl std::fmt::Display for VolMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Walk-forward settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VolConfig {
    /// Returns before the first forecast origin (the first fit's window).
    pub min_history: usize,
    /// Sessions between refits.
    pub refit_every: usize,
}

impl Default for VolConfig {
    fn default() -> Self {
        VolConfig {
            min_history: 252,
            refit_every: 21,
        }
    }
}

/// GARCH(1,1) parameters in daily variance units (a serialisable mirror of `Garch11`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GarchParameters {
    /// `ω`.
    pub omega: f64,
    /// `α`.
    pub alpha: f64,
    /// `β`.
    pub beta: f64,
    /// Mean removed from returns.
    pub mean: f64,
    /// Conditional variance for the session after the last fitted return.
    pub next_variance: f64,
    /// Returns fitted.
    pub observations: usize,
}

impl GarchParameters {
    fn from_fit(g: &Garch11) -> Self {
        GarchParameters {
            omega: g.omega,
            alpha: g.alpha,
            beta: g.beta,
            mean: g.mean,
            next_variance: g.next_variance,
            observations: g.observations,
        }
    }

    /// The next conditional variance after one more return `r`.
    fn step(&self, h: f64, r: f64) -> f64 {
        self.omega + self.alpha * (r - self.mean).powi(2) + self.beta * h
    }

    /// Forecast of `Σ` of the next `days` daily variances, from conditional variance `next`.
    fn variance_sum(&self, next: f64, days: usize) -> Option<f64> {
        let g = Garch11 {
            omega: self.omega,
            alpha: self.alpha,
            beta: self.beta,
            mean: self.mean,
            log_likelihood: 0.0,
            next_variance: next,
            observations: self.observations,
            iterations: 0,
            variance_targeting: false,
        };
        g.forecast_variance(days).ok().map(|v| v * days as f64)
    }

    fn validate(&self) -> Result<(), String> {
        let finite = [
            self.omega,
            self.alpha,
            self.beta,
            self.mean,
            self.next_variance,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite
            || self.omega <= 0.0
            || self.alpha < 0.0
            || self.beta < 0.0
            || self.alpha + self.beta >= 1.0
            || self.next_variance <= 0.0
        {
            return Err("GARCH parameters must be finite with ω > 0, α, β ≥ 0, α + β < 1".into());
        }
        Ok(())
    }
}

/// HAR-RV coefficients of one horizon (a serialisable mirror of `HarRv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarCoefficients {
    /// Days averaged on the left-hand side.
    pub horizon: usize,
    /// `b₀`.
    pub intercept: f64,
    /// `b_d`.
    pub daily: f64,
    /// `b_w`.
    pub weekly: f64,
    /// `b_m`.
    pub monthly: f64,
    /// Regression rows.
    pub observations: usize,
}

impl HarCoefficients {
    fn from_fit(h: &HarRv) -> Self {
        HarCoefficients {
            horizon: h.horizon,
            intercept: h.intercept,
            daily: h.daily,
            weekly: h.weekly,
            monthly: h.monthly,
            observations: h.observations,
        }
    }

    fn model(&self) -> HarRv {
        HarRv {
            horizon: self.horizon,
            intercept: self.intercept,
            daily: self.daily,
            weekly: self.weekly,
            monthly: self.monthly,
            observations: self.observations,
            r_squared: 0.0,
        }
    }

    /// Forecast of the sum of the next `horizon` daily variances after the last value of
    /// `daily_rv` (≥ 22 values); `None` if the linear forecast is not positive.
    fn variance_sum(&self, daily_rv: &[f64]) -> Option<f64> {
        self.model()
            .forecast_variance(daily_rv)
            .ok()
            .map(|v| v * self.horizon as f64)
    }
}

/// Walk-forward forecasts of every method at every origin (see the module documentation).
#[derive(Debug, Clone)]
pub struct VolPaths {
    dates: Vec<NaiveDate>,
    returns: Vec<f64>,
    squared: Vec<f64>,
    vix: Vec<Option<f64>>,
    config: VolConfig,
    /// Per origin `t ≥ first_origin`: the block's GARCH parameters and `h_{t+1}`.
    garch: Vec<Option<(usize, f64)>>,
    garch_blocks: Vec<Option<GarchParameters>>,
    /// Per horizon, per block: the HAR fit.
    har: BTreeMap<usize, Vec<Option<HarCoefficients>>>,
    /// Blocks whose GARCH fit failed, with the reason.
    pub garch_failures: Vec<(NaiveDate, String)>,
}

impl VolPaths {
    /// Runs the walk-forward over `history` with HAR regressions for `horizons`.
    pub fn compute(
        history: &DailyHistory,
        horizons: &[usize],
        config: VolConfig,
    ) -> Result<Self, MlError> {
        let n = history.len();
        if config.refit_every == 0 || config.min_history < 100 {
            return Err(MlError::InvalidParameter {
                name: "vol walk-forward",
                reason: "refit_every ≥ 1 and min_history ≥ 100 returns (GARCH needs 100)".into(),
            });
        }
        if n <= config.min_history + 1 {
            return Err(MlError::InsufficientRows {
                what: "the volatility walk-forward".into(),
                needed: config.min_history + 2,
                found: n,
            });
        }
        if let Some(&h) = horizons.iter().find(|&&h| h == 0) {
            return Err(MlError::InvalidParameter {
                name: "vol horizon",
                reason: format!("horizon {h}: must be at least 1"),
            });
        }
        let returns = history.log_returns();
        let squared: Vec<f64> = returns.iter().map(|r| r * r).collect();
        let first = config.min_history;
        let block_starts: Vec<usize> = (first..n).step_by(config.refit_every).collect();
        let mut garch = vec![None; n];
        let mut garch_blocks = Vec::with_capacity(block_starts.len());
        let mut garch_failures = Vec::new();
        let mut har: BTreeMap<usize, Vec<Option<HarCoefficients>>> = BTreeMap::new();
        let mut wanted: Vec<usize> = horizons.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        for (b, &s) in block_starts.iter().enumerate() {
            // Returns r_1 ..= r_s: everything known at the close of s.
            let window = &returns[1..=s];
            let fit = Garch11::fit(window, GarchOptions::default());
            match fit {
                Ok(g) => {
                    let p = GarchParameters::from_fit(&g);
                    let mut h = p.next_variance;
                    for t in s..(s + config.refit_every).min(n) {
                        if t > s {
                            h = p.step(h, returns[t]);
                        }
                        garch[t] = Some((b, h));
                    }
                    garch_blocks.push(Some(p));
                }
                Err(e) => {
                    garch_failures.push((history.dates()[s], e.to_string()));
                    garch_blocks.push(None);
                }
            }
            for &h in &wanted {
                let fit = HarRv::fit(&squared[1..=s], h).ok();
                har.entry(h)
                    .or_default()
                    .push(fit.as_ref().map(HarCoefficients::from_fit));
            }
        }
        Ok(VolPaths {
            dates: history.dates().to_vec(),
            returns,
            squared,
            vix: history.vix().to_vec(),
            config,
            garch,
            garch_blocks,
            har,
            garch_failures,
        })
    }

    /// Sessions in the history.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether the history is empty (never, once computed).
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Dates of the sessions.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The first origin with forecasts.
    pub fn first_origin(&self) -> usize {
        self.config.min_history
    }

    fn block(&self, t: usize) -> Option<usize> {
        (t >= self.first_origin()).then(|| (t - self.first_origin()) / self.config.refit_every)
    }

    /// The forecast, made at the close of `t`, of `Σ_{i=t+1}^{t+h} r_i²`; `None` when the
    /// method has no forecast there (warm-up, a failed fit, no VIX row, a non-positive HAR
    /// forecast, or a HAR horizon not computed).
    pub fn variance_sum(&self, method: VolMethod, t: usize, h: usize) -> Option<f64> {
        let b = self.block(t)?;
        if t >= self.len() || h == 0 {
            return None;
        }
        let v = match method {
            VolMethod::Garch => {
                let (block, next) = self.garch[t]?;
                self.garch_blocks[block]?.variance_sum(next, h)?
            }
            VolMethod::Har => {
                let fit = self.har.get(&h)?.get(b).copied().flatten()?;
                if t < HAR_MONTH {
                    return None;
                }
                fit.variance_sum(&self.squared[1..=t])?
            }
            VolMethod::NaiveRv20 => naive_daily_variance(&self.returns, t)? * h as f64,
            VolMethod::Vix => (self.vix[t]? / 100.0).powi(2) * h as f64 / TRADING_DAYS,
        };
        (v.is_finite() && v > 0.0).then_some(v)
    }

    /// Annualised σ over the next `h` sessions: `√(variance_sum · 252 / h)`.
    pub fn sigma(&self, method: VolMethod, t: usize, h: usize) -> Option<f64> {
        self.variance_sum(method, t, h)
            .map(|v| (v * TRADING_DAYS / h as f64).sqrt())
    }

    /// Realized `Σ_{i=t+1}^{t+h} r_i²`, if the data reaches `t + h`.
    pub fn realized(&self, t: usize, h: usize) -> Option<f64> {
        (t + h < self.len()).then(|| self.squared[t + 1..=t + h].iter().sum())
    }
}

/// Sample variance of the last 20 returns ending at `t` (`r_0` is not a return).
fn naive_daily_variance(returns: &[f64], t: usize) -> Option<f64> {
    if t < NAIVE_WINDOW {
        return None;
    }
    let w = &returns[t + 1 - NAIVE_WINDOW..=t];
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    Some(w.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0))
}

/// One cell of the QLIKE table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QlikeRow {
    /// The method.
    pub method: VolMethod,
    /// Horizon in sessions.
    pub horizon: usize,
    /// Mean QLIKE over the common sample.
    pub mean_qlike: f64,
    /// Origins scored.
    pub n: usize,
    /// 1 = lowest mean QLIKE at this horizon.
    pub rank: usize,
}

/// The chosen method of one horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HorizonChoice {
    /// Horizon in sessions.
    pub horizon: usize,
    /// The method with the lowest mean QLIKE.
    pub method: VolMethod,
}

/// The QLIKE comparison (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QlikeComparison {
    /// First origin scored.
    pub first_origin: NaiveDate,
    /// Last origin scored.
    pub last_origin: NaiveDate,
    /// One row per method and horizon.
    pub rows: Vec<QlikeRow>,
    /// The best method per horizon.
    pub chosen: Vec<HorizonChoice>,
    /// Origins (in the scored date range, with the realized variance known) left out because
    /// some method had no forecast, per horizon.
    pub excluded: Vec<(usize, usize)>,
    /// GARCH refits that failed (date, reason).
    pub garch_failures: Vec<(NaiveDate, String)>,
}

/// Scores every method at `horizons` on origins dated `≥ from` (all origins when `None`).
pub fn compare(
    paths: &VolPaths,
    horizons: &[usize],
    from: Option<NaiveDate>,
) -> Result<QlikeComparison, MlError> {
    let mut rows = Vec::new();
    let mut chosen = Vec::new();
    let mut excluded = Vec::new();
    let (mut first, mut last) = (None::<NaiveDate>, None::<NaiveDate>);
    for &h in horizons {
        let mut sums = [0.0; 4];
        let mut n = 0usize;
        let mut left_out = 0usize;
        for t in paths.first_origin()..paths.len() {
            if from.is_some_and(|f| paths.dates[t] < f) {
                continue;
            }
            let Some(rv) = paths.realized(t, h) else {
                continue;
            };
            let forecasts: Option<Vec<f64>> = VolMethod::ALL
                .iter()
                .map(|&m| paths.variance_sum(m, t, h))
                .collect();
            match forecasts {
                Some(f) if rv > 0.0 => {
                    for (k, fk) in f.iter().enumerate() {
                        sums[k] += qlike(*fk, rv).map_err(|e| MlError::NonFinite {
                            what: format!("QLIKE at {}: {e}", paths.dates[t]),
                        })?;
                    }
                    n += 1;
                    first = Some(first.map_or(paths.dates[t], |d| d.min(paths.dates[t])));
                    last = Some(last.map_or(paths.dates[t], |d| d.max(paths.dates[t])));
                }
                _ => left_out += 1,
            }
        }
        if n == 0 {
            return Err(MlError::InsufficientRows {
                what: format!("the QLIKE comparison at horizon {h}"),
                needed: 1,
                found: 0,
            });
        }
        let means: Vec<f64> = sums.iter().map(|s| s / n as f64).collect();
        let mut order: Vec<usize> = (0..4).collect();
        order.sort_by(|&a, &b| means[a].total_cmp(&means[b]).then(a.cmp(&b)));
        for (k, &m) in VolMethod::ALL.iter().enumerate() {
            rows.push(QlikeRow {
                method: m,
                horizon: h,
                mean_qlike: means[k],
                n,
                rank: order.iter().position(|&o| o == k).expect("ranked") + 1,
            });
        }
        chosen.push(HorizonChoice {
            horizon: h,
            method: VolMethod::ALL[order[0]],
        });
        excluded.push((h, left_out));
    }
    Ok(QlikeComparison {
        first_origin: first.expect("n > 0"),
        last_origin: last.expect("n > 0"),
        rows,
        chosen,
        excluded,
        garch_failures: paths.garch_failures.clone(),
    })
}

/// The method chosen for horizon `h`: that of the nearest compared horizon (ties: shorter).
pub fn method_for(chosen: &[HorizonChoice], h: usize) -> Option<VolMethod> {
    chosen
        .iter()
        .min_by_key(|c| (c.horizon.abs_diff(h), c.horizon))
        .map(|c| c.method)
}

/// A σ forecast and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SigmaForecast {
    /// Annualised σ over the horizon.
    pub sigma: f64,
    /// Horizon in sessions.
    pub horizon: usize,
    /// The method used.
    pub method: VolMethod,
}

/// Why a σ forecast could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VolForecastError {
    /// The horizon is 0 or above [`MAX_HORIZON`].
    #[error("volatility horizon {0} sessions is outside 1..={MAX_HORIZON}")]
    Horizon(usize),
    /// The history given does not contain the model's last training session.
    #[error(
        "the history does not contain {0}, the last session the volatility model was fitted on; run `aegis train`"
    )]
    HistoryMismatch(NaiveDate),
    /// The method needs an input that is missing.
    #[error("the {method} forecast is unavailable: {reason}")]
    Unavailable {
        /// The method.
        method: VolMethod,
        /// Why.
        reason: String,
    },
}

/// The saved volatility model: the QLIKE comparison, the choice per horizon, and the final
/// GARCH and HAR fits on the whole training history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolForecastModel {
    /// The comparison behind the choice.
    pub comparison: QlikeComparison,
    /// GARCH(1,1) on every training return.
    pub garch: GarchParameters,
    /// HAR-RV for horizons `1..=MAX_HORIZON` on every training day.
    pub har: Vec<HarCoefficients>,
    /// Last training session (GARCH filtering continues from it).
    pub last_date: NaiveDate,
    /// Walk-forward settings used.
    pub config: VolConfig,
}

impl VolForecastModel {
    /// Fits the final GARCH and HAR models on `history` and keeps `comparison`'s choice.
    pub fn fit(
        history: &DailyHistory,
        comparison: QlikeComparison,
        config: VolConfig,
    ) -> Result<Self, MlError> {
        let r = history.log_returns();
        if r.len() < 2 {
            return Err(MlError::InsufficientRows {
                what: "the volatility model".into(),
                needed: 2,
                found: r.len(),
            });
        }
        let g = Garch11::fit(&r[1..], GarchOptions::default()).map_err(|e| {
            MlError::InvalidDataset {
                reason: format!("final GARCH(1,1) fit: {e}"),
            }
        })?;
        let sq: Vec<f64> = r[1..].iter().map(|x| x * x).collect();
        let har = (1..=MAX_HORIZON)
            .map(|h| {
                HarRv::fit(&sq, h)
                    .map(|f| HarCoefficients::from_fit(&f))
                    .map_err(|e| MlError::InvalidDataset {
                        reason: format!("final HAR-RV fit for horizon {h}: {e}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VolForecastModel {
            comparison,
            garch: GarchParameters::from_fit(&g),
            har,
            last_date: *history.dates().last().expect("len ≥ 2"),
            config,
        })
    }

    /// Checks internal consistency (after loading).
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.garch.validate()?;
        if self.har.len() != MAX_HORIZON
            || self.har.iter().enumerate().any(|(i, h)| {
                h.horizon != i + 1
                    || ![h.intercept, h.daily, h.weekly, h.monthly]
                        .iter()
                        .all(|v| v.is_finite())
            })
        {
            return Err(format!(
                "the HAR table must hold finite fits for horizons 1..={MAX_HORIZON} in order"
            ));
        }
        if self.comparison.chosen.is_empty()
            || self
                .comparison
                .rows
                .iter()
                .any(|r| !r.mean_qlike.is_finite() || r.rank == 0)
        {
            return Err("the QLIKE comparison is empty or has non-finite losses".into());
        }
        Ok(())
    }

    /// The method used for horizon `h`.
    pub fn method_for(&self, h: usize) -> VolMethod {
        method_for(&self.comparison.chosen, h).expect("validated: a choice exists")
    }

    /// The annualised σ over the next `h` sessions after the last session of `history`,
    /// with the chosen method (see the module documentation). `history` must contain the
    /// model's last training session; GARCH filters forward from it with the saved parameters.
    pub fn sigma(
        &self,
        history: &DailyHistory,
        h: usize,
    ) -> Result<SigmaForecast, VolForecastError> {
        self.sigma_with(self.method_for(h), history, h)
    }

    /// As [`VolForecastModel::sigma`] with a given method.
    pub fn sigma_with(
        &self,
        method: VolMethod,
        history: &DailyHistory,
        h: usize,
    ) -> Result<SigmaForecast, VolForecastError> {
        if h == 0 || h > MAX_HORIZON {
            return Err(VolForecastError::Horizon(h));
        }
        let unavailable = |reason: &str| VolForecastError::Unavailable {
            method,
            reason: reason.to_string(),
        };
        let r = history.log_returns();
        let t = r
            .len()
            .checked_sub(1)
            .ok_or_else(|| unavailable("empty history"))?;
        let sum = match method {
            VolMethod::Garch => {
                let start = history
                    .position(self.last_date)
                    .ok_or(VolForecastError::HistoryMismatch(self.last_date))?;
                let mut next = self.garch.next_variance;
                for x in &r[start + 1..] {
                    next = self.garch.step(next, *x);
                }
                self.garch
                    .variance_sum(next, h)
                    .ok_or_else(|| unavailable("non-stationary parameters"))?
            }
            VolMethod::Har => {
                if t < HAR_MONTH {
                    return Err(unavailable("fewer than 22 returns"));
                }
                let sq: Vec<f64> = r[1..].iter().map(|x| x * x).collect();
                self.har[h - 1]
                    .variance_sum(&sq)
                    .ok_or_else(|| unavailable("the HAR forecast is not positive"))?
            }
            VolMethod::NaiveRv20 => {
                naive_daily_variance(&r, t).ok_or_else(|| unavailable("fewer than 20 returns"))?
                    * h as f64
            }
            VolMethod::Vix => {
                let v = history.vix()[t]
                    .ok_or_else(|| unavailable("no India VIX close on the last session"))?;
                (v / 100.0).powi(2) * h as f64 / TRADING_DAYS
            }
        };
        Ok(SigmaForecast {
            sigma: (sum * TRADING_DAYS / h as f64).sqrt(),
            horizon: h,
            method,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::d;
    use crate::rng::SplitMix64;

    /// A GARCH-like path with known conditional variances: returns `r_t = √v_t·z_t`.
    /// Also returns the true daily variance of each session.
    fn simulated(n: usize, seed: u64) -> (DailyHistory, Vec<f64>) {
        let mut rng = SplitMix64::new(seed);
        let (omega, alpha, beta): (f64, f64, f64) = (2e-6, 0.08, 0.9);
        let mut v: f64 = omega / (1.0 - alpha - beta);
        let mut close = 10_000.0;
        let mut dates = Vec::new();
        let mut day = d(2010, 1, 4);
        let (mut c, mut var) = (Vec::new(), Vec::new());
        for _ in 0..n {
            while matches!(day.format("%a").to_string().as_str(), "Sat" | "Sun") {
                day = day.succ_opt().unwrap();
            }
            dates.push(day);
            day = day.succ_opt().unwrap();
            let r = v.sqrt() * rng.normal();
            var.push(v);
            close *= r.exp();
            c.push(close);
            v = omega + alpha * r * r + beta * v;
        }
        let h = DailyHistory::from_columns(
            dates,
            c.clone(),
            c.clone(),
            c.clone(),
            c,
            vec![Some(20.0); n],
        )
        .unwrap();
        (h, var)
    }

    #[test]
    fn naive_window_matches_realized_vol() {
        let (h, _) = simulated(300, 1);
        let r = h.log_returns();
        let v = naive_daily_variance(&r, 100).unwrap();
        let rv = aegis_quant::realized_vol(&r[81..=100]).unwrap().0;
        assert!((v * 252.0 - rv * rv).abs() < 1e-12);
        assert_eq!(naive_daily_variance(&r, 19), None);
    }

    #[test]
    fn garch_filter_between_refits_matches_a_fresh_recursion() {
        let (h, _) = simulated(400, 2);
        let paths = VolPaths::compute(&h, &[5], VolConfig::default()).unwrap();
        let r = h.log_returns();
        let (b, next) = paths.garch[260].unwrap();
        assert_eq!(b, 0);
        let p = paths.garch_blocks[0].unwrap();
        let mut x = p.next_variance;
        for &rt in &r[253..=260] {
            x = p.step(x, rt);
        }
        assert!((x - next).abs() < 1e-18);
        // No forecast before the first origin; realized needs the future.
        assert_eq!(paths.variance_sum(VolMethod::Garch, 100, 5), None);
        assert_eq!(paths.realized(398, 5), None);
        assert!(paths.realized(390, 5).is_some());
    }

    #[test]
    fn qlike_ranks_the_true_forecaster_first() {
        // On a true GARCH path, GARCH ranks first at 5 days; at 20 days GARCH and HAR are
        // within noise of each other, and both beat the naive 20-day vol and a VIX column that
        // is a constant 20 %.
        let (h, _) = simulated(1500, 7);
        let paths = VolPaths::compute(&h, &COMPARISON_HORIZONS, VolConfig::default()).unwrap();
        let cmp = compare(&paths, &COMPARISON_HORIZONS, None).unwrap();
        assert_eq!(cmp.chosen[0].method, VolMethod::Garch, "{cmp:#?}");
        let rank = |m: VolMethod, h: usize| {
            cmp.rows
                .iter()
                .find(|r| r.method == m && r.horizon == h)
                .unwrap()
                .rank
        };
        assert!(rank(VolMethod::Garch, 20) <= 2 && rank(VolMethod::Har, 20) <= 2);
        let garch5 = cmp
            .rows
            .iter()
            .find(|r| r.method == VolMethod::Garch && r.horizon == 5)
            .unwrap();
        assert_eq!(garch5.rank, 1);
        assert_eq!(garch5.n, 1500 - 252 - 5);
        // Every row of a horizon is on the same sample.
        assert!(
            cmp.rows
                .iter()
                .filter(|r| r.horizon == 5)
                .all(|r| r.n == garch5.n)
        );
    }

    #[test]
    fn qlike_prefers_an_oracle_vix() {
        // Make VIX the true conditional vol of the next 5 days: it must win at h = 5.
        let (h, var) = simulated(900, 11);
        let n = h.len();
        let vix: Vec<Option<f64>> = (0..n)
            .map(|t| {
                let end = (t + 5).min(n - 1);
                let m = if end > t {
                    var[t + 1..=end].iter().sum::<f64>() / (end - t) as f64
                } else {
                    var[t]
                };
                Some(100.0 * (m * 252.0).sqrt())
            })
            .collect();
        let h = DailyHistory::from_columns(
            h.dates().to_vec(),
            h.open().to_vec(),
            h.high().to_vec(),
            h.low().to_vec(),
            h.close().to_vec(),
            vix,
        )
        .unwrap();
        let paths = VolPaths::compute(&h, &[5], VolConfig::default()).unwrap();
        let cmp = compare(&paths, &[5], None).unwrap();
        assert_eq!(cmp.chosen[0].method, VolMethod::Vix, "{cmp:#?}");
    }

    #[test]
    fn method_for_uses_the_nearest_horizon() {
        let chosen = [
            HorizonChoice {
                horizon: 5,
                method: VolMethod::Har,
            },
            HorizonChoice {
                horizon: 20,
                method: VolMethod::Vix,
            },
        ];
        assert_eq!(method_for(&chosen, 1), Some(VolMethod::Har));
        assert_eq!(method_for(&chosen, 12), Some(VolMethod::Har));
        assert_eq!(method_for(&chosen, 13), Some(VolMethod::Vix));
        assert_eq!(method_for(&chosen, 40), Some(VolMethod::Vix));
        assert_eq!(method_for(&[], 4), None);
    }

    #[test]
    fn saved_model_forecasts_match_the_walk_forward_state() {
        let (h, _) = simulated(600, 5);
        let paths = VolPaths::compute(&h, &COMPARISON_HORIZONS, VolConfig::default()).unwrap();
        let cmp = compare(&paths, &COMPARISON_HORIZONS, None).unwrap();
        let model = VolForecastModel::fit(&h, cmp, VolConfig::default()).unwrap();
        model.validate().unwrap();
        // On the training history itself the GARCH forecast uses the fit's own next variance.
        let s = model.sigma_with(VolMethod::Garch, &h, 5).unwrap();
        let want: f64 = (model
            .garch
            .variance_sum(model.garch.next_variance, 5)
            .unwrap()
            * 252.0
            / 5.0)
            .sqrt();
        assert!((s.sigma - want).abs() < 1e-15);
        let s = model.sigma_with(VolMethod::Vix, &h, 7).unwrap();
        assert!((s.sigma - 0.2).abs() < 1e-15);
        assert!(matches!(
            model.sigma(&h, 0),
            Err(VolForecastError::Horizon(0))
        ));
        assert!(matches!(
            model.sigma_with(VolMethod::Garch, &h.truncated(300), 5),
            Err(VolForecastError::HistoryMismatch(_))
        ));
        // JSON round trip.
        let text = serde_json::to_string(&model).unwrap();
        let back: VolForecastModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back, model);
    }
}
