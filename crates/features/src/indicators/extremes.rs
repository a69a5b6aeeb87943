//! Rolling maximum and minimum with monotone deques.

use std::collections::VecDeque;

use super::Indicator;

/// A monotone deque of `(step, value)`: front is the extreme of the window.
#[derive(Debug, Clone)]
struct MonotoneWindow {
    period: usize,
    step: usize,
    deque: VecDeque<(usize, f64)>,
    keep_max: bool,
}

impl MonotoneWindow {
    fn new(period: usize, keep_max: bool) -> Self {
        assert!(
            period >= 1,
            "a rolling extreme needs a window of at least 1"
        );
        MonotoneWindow {
            period,
            step: 0,
            deque: VecDeque::with_capacity(period + 1),
            keep_max,
        }
    }

    fn update(&mut self, x: f64) {
        // Drop values that can never be the extreme again (dominated by the newer x).
        while let Some(&(_, back)) = self.deque.back() {
            let dominated = if self.keep_max { back <= x } else { back >= x };
            if !dominated {
                break;
            }
            self.deque.pop_back();
        }
        self.deque.push_back((self.step, x));
        self.step += 1;
        // Evict values that have left the window (steps ≤ step − 1 − period).
        while let Some(&(i, _)) = self.deque.front() {
            if i + self.period >= self.step {
                break;
            }
            self.deque.pop_front();
        }
    }

    fn initialized(&self) -> bool {
        self.step >= self.period
    }

    fn value(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        self.deque.front().map(|&(_, v)| v)
    }

    fn reset(&mut self) {
        self.step = 0;
        self.deque.clear();
    }
}

/// The highest of the last `period` values (e.g. highs), O(1) amortised per update.
/// Initialized after `period` values.
#[derive(Debug, Clone)]
pub struct RollingHigh(MonotoneWindow);

/// The lowest of the last `period` values (e.g. lows), O(1) amortised per update.
/// Initialized after `period` values.
#[derive(Debug, Clone)]
pub struct RollingLow(MonotoneWindow);

impl RollingHigh {
    /// The maximum over `period` (≥ 1) values.
    ///
    /// # Panics
    /// If `period` is 0.
    pub fn new(period: usize) -> Self {
        RollingHigh(MonotoneWindow::new(period, true))
    }
    /// Feeds the next value.
    pub fn update(&mut self, x: f64) {
        self.0.update(x);
    }
}

impl RollingLow {
    /// The minimum over `period` (≥ 1) values.
    ///
    /// # Panics
    /// If `period` is 0.
    pub fn new(period: usize) -> Self {
        RollingLow(MonotoneWindow::new(period, false))
    }
    /// Feeds the next value.
    pub fn update(&mut self, x: f64) {
        self.0.update(x);
    }
}

impl Indicator for RollingHigh {
    fn name(&self) -> String {
        format!("RollingHigh({})", self.0.period)
    }
    fn initialized(&self) -> bool {
        self.0.initialized()
    }
    fn value(&self) -> Option<f64> {
        self.0.value()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

impl Indicator for RollingLow {
    fn name(&self) -> String {
        format!("RollingLow({})", self.0.period)
    }
    fn initialized(&self) -> bool {
        self.0.initialized()
    }
    fn value(&self) -> Option<f64> {
        self.0.value()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case(1)]
    #[case(10)]
    #[case(20)]
    #[case(60)]
    fn equal_the_window_max_and_min_on_nifty_bars(#[case] n: usize) {
        let s = test_data::nifty_nse();
        let (mut hi, mut lo) = (RollingHigh::new(n), RollingLow::new(n));
        for (i, b) in s.bars().iter().enumerate() {
            hi.update(b.high);
            lo.update(b.low);
            let w = &s.bars()[(i + 1).saturating_sub(n)..=i];
            let want_hi = (i + 1 >= n).then(|| w.iter().map(|b| b.high).fold(f64::MIN, f64::max));
            let want_lo = (i + 1 >= n).then(|| w.iter().map(|b| b.low).fold(f64::MAX, f64::min));
            assert_eq!((hi.value(), lo.value()), (want_hi, want_lo), "bar {i}");
        }
    }

    proptest! {
        #[test]
        fn equal_the_window_extremes_with_ties(xs in prop::collection::vec(0u8..6, 1..80), n in 1usize..8) {
            let (mut hi, mut lo) = (RollingHigh::new(n), RollingLow::new(n));
            for i in 0..xs.len() {
                hi.update(f64::from(xs[i]));
                lo.update(f64::from(xs[i]));
                let w = &xs[(i + 1).saturating_sub(n)..=i];
                let want_hi = (i + 1 >= n).then(|| f64::from(*w.iter().max().unwrap()));
                let want_lo = (i + 1 >= n).then(|| f64::from(*w.iter().min().unwrap()));
                prop_assert_eq!(hi.value(), want_hi);
                prop_assert_eq!(lo.value(), want_lo);
            }
        }
    }
}
