//! One simulated day at one-minute resolution: the opening gap, a log-price step per trading
//! minute with the U-shaped variance profile, and each minute's high and low drawn exactly from the
//! Brownian bridge between its endpoints. Daily and 5-minute OHLC are both read off this one path,
//! so they agree by construction.

use crate::model::VolModel;
use crate::rng::Rng;
use crate::session::REGULAR_MINUTES;

/// A jump in the log price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Jump {
    /// Log size.
    pub size: f64,
    /// The minute it happens at the end of; `None` = overnight, in the opening gap.
    pub minute: Option<usize>,
}

/// The day-level draws that shape one day's path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DayShocks {
    /// Diffusive daily variance `h` of a full regular session (gap included).
    pub variance: f64,
    /// Student-t scale `√((ν−2)/χ²_ν)`, common to the whole day.
    pub scale: f64,
    /// The day's jump, if any.
    pub jump: Option<Jump>,
}

/// One day's path, relative to the previous close (log units).
#[derive(Debug, Clone, Default)]
pub(crate) struct DayPath {
    /// Opening gap: previous close to the open.
    pub gap: f64,
    /// Log-price change over each trading minute.
    pub steps: Vec<f64>,
    /// Highest point within each minute, relative to the minute's start (≥ max(0, step)).
    pub highs: Vec<f64>,
    /// Lowest point within each minute, relative to the minute's start (≤ min(0, step)).
    pub lows: Vec<f64>,
    /// Drift added to each minute's step (the rest of the day's drift is in the gap).
    pub drift_per_minute: f64,
}

impl DayPath {
    /// Fills the path for a session of `weights.len()` minutes. `rng` is the day's own stream, so
    /// the same inputs give the same path whatever `drift` is (the drift is added, never drawn).
    pub fn generate(
        &mut self,
        rng: &mut Rng,
        model: &VolModel,
        weights: &[f64],
        shocks: &DayShocks,
        drift: f64,
    ) {
        let minutes = weights.len();
        let g = model.gap_variance_share;
        let day_var = shocks.variance * shocks.scale * shocks.scale;
        // Shorter special sessions (Muhurat) carry proportionally less intraday variance.
        let session_share = minutes as f64 / REGULAR_MINUTES as f64;
        let intraday_var = day_var * (1.0 - g) * session_share;

        self.gap = (day_var * g).sqrt() * rng.normal() + drift * g;
        if let Some(Jump { size, minute: None }) = shocks.jump {
            self.gap += size;
        }
        self.drift_per_minute = drift * (1.0 - g) / minutes as f64;
        self.steps.clear();
        self.highs.clear();
        self.lows.clear();
        for (m, w) in weights.iter().enumerate() {
            let v = intraday_var * w;
            let b = v.sqrt() * rng.normal() + self.drift_per_minute;
            let (hi, lo) = bridge_extremes(rng, b, v);
            let (step, hi, lo) = match shocks.jump {
                Some(Jump {
                    size,
                    minute: Some(j),
                }) if j == m => (b + size, hi.max(b + size), lo.min(b + size)),
                _ => (b, hi, lo),
            };
            self.steps.push(step);
            self.highs.push(hi);
            self.lows.push(lo);
        }
    }

    /// The day's log return excluding drift (the shock the variance model responds to).
    pub fn shock(&self, drift: f64) -> f64 {
        self.gap + self.steps.iter().sum::<f64>() - drift
    }

    /// Log price at every minute boundary, from the previous close's log price: `[open, …, close]`.
    pub fn levels(&self, prev_close_log: f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.steps.len() + 1);
        let mut p = prev_close_log + self.gap;
        out.push(p);
        for s in &self.steps {
            p += s;
            out.push(p);
        }
        out
    }

    /// Log OHLC over minutes `[from, to)`, given the boundary levels from [`DayPath::levels`].
    pub fn ohlc(&self, levels: &[f64], from: usize, to: usize) -> LogOhlc {
        let (mut high, mut low) = (f64::NEG_INFINITY, f64::INFINITY);
        let minutes = levels[from..to]
            .iter()
            .zip(&self.highs[from..to])
            .zip(&self.lows[from..to]);
        for ((level, hi), lo) in minutes {
            high = high.max(level + hi);
            low = low.min(level + lo);
        }
        LogOhlc {
            open: levels[from],
            high,
            low,
            close: levels[to],
        }
    }
}

/// Highest and lowest point of a Brownian bridge from 0 to `b` with variance `v` over its span
/// (Devroye, "Non-Uniform Random Variate Generation"): `(b ± √(b² − 2v·ln U)) / 2`, one uniform
/// each, the high first.
pub(crate) fn bridge_extremes(rng: &mut Rng, b: f64, v: f64) -> (f64, f64) {
    let hi = 0.5 * (b + (b * b - 2.0 * v * rng.uniform().ln()).sqrt());
    let lo = 0.5 * (b - (b * b - 2.0 * v * rng.uniform().ln()).sqrt());
    (hi, lo)
}

/// OHLC in log price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LogOhlc {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
}

/// The India-VIX-like path through one day: from the previous close to the day's close (both set by
/// the daily model) as a Brownian bridge in log VIX whose increments load negatively on the index's
/// minute returns, so the VIX falls when the index rallies within the day too.
pub(crate) fn vix_levels(
    rng: &mut Rng,
    model: &VolModel,
    index: &DayPath,
    open_log: f64,
    close_log: f64,
) -> Vec<f64> {
    let minutes = index.steps.len();
    let noise_sd = model.vix_intraday_noise / (minutes as f64).sqrt();
    let mut raw = Vec::with_capacity(minutes + 1);
    let mut x = 0.0;
    raw.push(x);
    for s in &index.steps {
        x += -model.vix_intraday_beta * (s - index.drift_per_minute) + noise_sd * rng.normal();
        raw.push(x);
    }
    let total = x;
    let target = close_log - open_log;
    raw.iter()
        .enumerate()
        .map(|(m, r)| open_log + r - (m as f64 / minutes as f64) * (total - target))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VOL_MODEL;

    fn path(jump: Option<Jump>, drift: f64) -> DayPath {
        let w = VOL_MODEL.minute_weights(375);
        let shocks = DayShocks {
            variance: 1e-4,
            scale: 1.0,
            jump,
        };
        let mut p = DayPath::default();
        p.generate(&mut Rng::new(5), &VOL_MODEL, &w, &shocks, drift);
        p
    }

    #[test]
    fn drift_is_added_not_drawn() {
        let a = path(None, 0.0);
        let b = path(None, 0.003);
        assert!((b.shock(0.003) - a.shock(0.0)).abs() < 1e-15);
        let total_a = a.gap + a.steps.iter().sum::<f64>();
        let total_b = b.gap + b.steps.iter().sum::<f64>();
        assert!((total_b - total_a - 0.003).abs() < 1e-15);
    }

    #[test]
    fn minute_extremes_bracket_the_endpoints_and_jumps_land_where_asked() {
        let jump = Jump {
            size: -0.05,
            minute: Some(100),
        };
        let p = path(Some(jump), 0.0);
        for m in 0..p.steps.len() {
            assert!(p.highs[m] >= 0.0f64.max(p.steps[m]));
            assert!(p.lows[m] <= 0.0f64.min(p.steps[m]));
        }
        assert!(p.steps[100] < -0.04);
        let levels = p.levels(10.0);
        let day = p.ohlc(&levels, 0, 375);
        assert_eq!(day.open, levels[0]);
        assert_eq!(day.close, levels[375]);
        assert!(day.high >= day.open.max(day.close) && day.low <= day.open.min(day.close));
        let overnight = path(
            Some(Jump {
                size: -0.05,
                minute: None,
            }),
            0.0,
        );
        assert!(overnight.gap < -0.04);
    }

    #[test]
    fn vix_bridge_hits_both_ends_and_moves_against_the_index() {
        let p = path(None, 0.0);
        let v = vix_levels(&mut Rng::new(9), &VOL_MODEL, &p, 2.7, 2.8);
        assert_eq!(v[0], 2.7);
        assert!((v[375] - 2.8).abs() < 1e-12);
        let dv: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
        let cov: f64 = dv.iter().zip(&p.steps).map(|(a, b)| a * b).sum();
        assert!(cov < 0.0);
    }
}
