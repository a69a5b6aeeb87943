//! Lag-1 autocorrelation of log returns over a rolling window.

use super::Indicator;
use crate::rolling::{Ring, RollingSum};

/// Sample lag-1 autocorrelation of the last `days` one-step log returns (fed closes).
///
/// `ρ₁ = Σ_{t=2..T} (r_t − μ)(r_{t−1} − μ) / Σ_{t=1..T} (r_t − μ)²`, the standard ACF estimator,
/// with `T = days` and `μ` the window mean. Kept O(1) per update from running sums:
/// the numerator is `Σ r_t·r_{t−1} − μ·(2·Σr − r_1 − r_T) + (T − 1)·μ²`.
/// Initialized after `days + 1` closes; undefined (`None`) when the window has zero variance.
#[derive(Debug, Clone)]
pub struct Autocorrelation {
    days: usize,
    prev_close: Option<f64>,
    returns: RollingSum,
    returns_sq: RollingSum,
    products: RollingSum,
    last_return: Ring,
}

impl Autocorrelation {
    /// Lag-1 autocorrelation over `days` (≥ 3) returns.
    ///
    /// # Panics
    /// If `days` < 3.
    pub fn new(days: usize) -> Self {
        assert!(
            days >= 3,
            "autocorrelation needs a window of at least 3 returns"
        );
        Autocorrelation {
            days,
            prev_close: None,
            returns: RollingSum::new(days),
            returns_sq: RollingSum::new(days),
            products: RollingSum::new(days - 1),
            last_return: Ring::new(1),
        }
    }

    /// Feeds the next close.
    pub fn update(&mut self, close: f64) {
        if let Some(pc) = self.prev_close.replace(close) {
            let r = (close / pc).ln();
            if let Some(prev_r) = self.last_return.back() {
                self.products.push(r * prev_r);
            }
            self.last_return.push(r);
            self.returns.push(r);
            self.returns_sq.push(r * r);
        }
    }
}

impl Indicator for Autocorrelation {
    fn name(&self) -> String {
        format!("Autocorrelation(lag=1, {})", self.days)
    }
    fn initialized(&self) -> bool {
        self.returns.is_full()
    }
    fn value(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        let t = self.days as f64;
        let sum = self.returns.sum();
        let mu = sum / t;
        let first = self.returns.front()?;
        let last = self.last_return.back()?;
        let num = self.products.sum() - mu * (2.0 * sum - first - last) + (t - 1.0) * mu * mu;
        let den = self.returns_sq.sum() - t * mu * mu;
        (den > 0.0).then(|| num / den)
    }
    fn reset(&mut self) {
        *self = Autocorrelation::new(self.days);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::naive;
    use crate::test_data;
    use rstest::rstest;

    #[rstest]
    #[case(60)]
    #[case(3)]
    fn matches_recomputation_on_nifty_closes(#[case] days: usize) {
        let closes = test_data::nifty_yahoo().closes();
        let mut ac = Autocorrelation::new(days);
        for i in 0..closes.len() {
            ac.update(closes[i]);
            let want = naive::autocorr1(&closes[..=i], days);
            naive::assert_close(ac.value(), want, 1e-9, i);
        }
        assert_eq!(ac.name(), format!("Autocorrelation(lag=1, {days})"));
    }

    #[test]
    fn hand_computed_example() {
        // Returns ln-spaced so that r = (a, b, c) exactly: use closes 1, e^a, e^(a+b), e^(a+b+c).
        let (a, b, c) = (0.02, -0.01, 0.03);
        let closes = [0.0, a, a + b, a + b + c].map(f64::exp);
        let mut ac = Autocorrelation::new(3);
        for x in closes {
            ac.update(x);
        }
        let mu = (a + b + c) / 3.0;
        let num = (b - mu) * (a - mu) + (c - mu) * (b - mu);
        let den = (a - mu).powi(2) + (b - mu).powi(2) + (c - mu).powi(2);
        assert!((ac.value().unwrap() - num / den).abs() < 1e-9);
    }
}
