//! Exponential moving average.

use super::Indicator;

/// Exponential moving average with `α = 2 / (period + 1)`, seeded with the simple mean of the
/// first `period` values (so the seed carries no weight from a single first value).
///
/// `EMA_t = EMA_{t−1} + α·(x_t − EMA_{t−1})`; initialized after `period` values.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    count: usize,
    seed_sum: f64,
    value: f64,
}

impl Ema {
    /// An EMA over `period` (≥ 1) values.
    ///
    /// # Panics
    /// If `period` is 0 (a programming error; feature specs are validated before this).
    pub fn new(period: usize) -> Self {
        assert!(period >= 1, "EMA period must be at least 1");
        Ema {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            count: 0,
            seed_sum: 0.0,
            value: 0.0,
        }
    }

    /// Feeds the next value.
    pub fn update(&mut self, x: f64) {
        self.count += 1;
        if self.count < self.period {
            self.seed_sum += x;
        } else if self.count == self.period {
            self.seed_sum += x;
            self.value = self.seed_sum / self.period as f64;
        } else {
            self.value += self.alpha * (x - self.value);
        }
    }

    /// The smoothing factor α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
}

impl Indicator for Ema {
    fn name(&self) -> String {
        format!("EMA({})", self.period)
    }
    fn initialized(&self) -> bool {
        self.count >= self.period
    }
    fn value(&self) -> Option<f64> {
        self.initialized().then_some(self.value)
    }
    fn reset(&mut self) {
        *self = Ema::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::naive;
    use crate::test_data;
    use rstest::rstest;

    #[test]
    fn seeds_with_the_simple_mean_then_smooths() {
        let mut ema = Ema::new(3);
        ema.update(1.0);
        ema.update(2.0);
        assert_eq!(ema.value(), None);
        ema.update(6.0);
        assert_eq!(ema.value(), Some(3.0));
        ema.update(7.0); // 3 + 0.5·(7 − 3)
        assert_eq!(ema.value(), Some(5.0));
        assert_eq!(ema.name(), "EMA(3)");
        ema.reset();
        assert!(!ema.initialized());
    }

    #[rstest]
    #[case(20)]
    #[case(50)]
    fn matches_a_batch_computation_on_nifty_closes(#[case] period: usize) {
        let closes = test_data::nifty_yahoo().closes();
        let want = naive::ema(&closes, period);
        let mut ema = Ema::new(period);
        for (i, &c) in closes.iter().enumerate() {
            ema.update(c);
            naive::assert_close(ema.value(), want[i], 1e-9, i);
        }
    }
}
