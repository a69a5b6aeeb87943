//! Log return over a fixed number of steps.

use super::Indicator;
use crate::rolling::Ring;

/// `ln(x_t / x_{t−n})`: the log return over the last `n` steps (e.g. `n` trading days of closes).
/// Initialized after `n + 1` values.
#[derive(Debug, Clone)]
pub struct RollingLogReturn {
    n: usize,
    values: Ring,
}

impl RollingLogReturn {
    /// The log return over `n` (≥ 1) steps.
    ///
    /// # Panics
    /// If `n` is 0.
    pub fn new(n: usize) -> Self {
        assert!(n >= 1, "a log return needs at least 1 step");
        RollingLogReturn {
            n,
            values: Ring::new(n + 1),
        }
    }

    /// Feeds the next (positive) value.
    pub fn update(&mut self, x: f64) {
        self.values.push(x);
    }
}

impl Indicator for RollingLogReturn {
    fn name(&self) -> String {
        format!("LogReturn({})", self.n)
    }
    fn initialized(&self) -> bool {
        self.values.is_full()
    }
    fn value(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        Some((self.values.back()? / self.values.front()?).ln())
    }
    fn reset(&mut self) {
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data;
    use rstest::rstest;

    #[rstest]
    #[case(1)]
    #[case(5)]
    #[case(10)]
    #[case(20)]
    fn equals_the_direct_ratio_on_nifty_closes(#[case] n: usize) {
        let closes = test_data::nifty_yahoo().closes();
        let mut r = RollingLogReturn::new(n);
        for (i, &c) in closes.iter().enumerate() {
            r.update(c);
            let want = (i >= n).then(|| (closes[i] / closes[i - n]).ln());
            assert_eq!(r.value(), want, "close #{i}");
        }
        r.reset();
        assert!(!r.initialized());
    }
}
