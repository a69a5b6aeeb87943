//! Rolling percentile rank of the newest value within its window.

use std::collections::VecDeque;

use super::Indicator;

/// The fraction of the last `period` values (the newest included) that are ≤ the newest value,
/// in `(0, 1]`. Initialized after `period` values.
///
/// Kept as a ring buffer (for eviction order) plus a sorted copy of the window: each update
/// finds the evicted and the new value by binary search (O(log n)) and shifts the sorted
/// vector (O(n) moves of contiguous `f64`s, a few dozen nanoseconds for a 252-day window;
/// see `benches/features.rs`). Values must be finite.
#[derive(Debug, Clone)]
pub struct RollingPercentile {
    period: usize,
    ring: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl RollingPercentile {
    /// A percentile rank over `period` (≥ 1) values.
    ///
    /// # Panics
    /// If `period` is 0.
    pub fn new(period: usize) -> Self {
        assert!(
            period >= 1,
            "a rolling percentile needs a window of at least 1"
        );
        RollingPercentile {
            period,
            ring: VecDeque::with_capacity(period + 1),
            sorted: Vec::with_capacity(period + 1),
        }
    }

    /// Feeds the next (finite) value.
    pub fn update(&mut self, x: f64) {
        debug_assert!(x.is_finite(), "RollingPercentile needs finite values");
        if self.ring.len() == self.period
            && let Some(old) = self.ring.pop_front()
        {
            let at = self.sorted.partition_point(|v| v.total_cmp(&old).is_lt());
            self.sorted.remove(at);
        }
        self.ring.push_back(x);
        let at = self.sorted.partition_point(|v| v.total_cmp(&x).is_le());
        self.sorted.insert(at, x);
    }
}

impl Indicator for RollingPercentile {
    fn name(&self) -> String {
        format!("RollingPercentile({})", self.period)
    }
    fn initialized(&self) -> bool {
        self.ring.len() == self.period
    }
    fn value(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        let x = *self.ring.back()?;
        let at_or_below = self.sorted.partition_point(|v| v.total_cmp(&x).is_le());
        Some(at_or_below as f64 / self.period as f64)
    }
    fn reset(&mut self) {
        self.ring.clear();
        self.sorted.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_data;
    use proptest::prelude::*;

    fn naive_rank(w: &[f64]) -> f64 {
        let x = *w.last().unwrap();
        w.iter().filter(|&&v| v <= x).count() as f64 / w.len() as f64
    }

    #[test]
    fn small_worked_example() {
        let mut p = RollingPercentile::new(4);
        for x in [3.0, 1.0, 2.0] {
            p.update(x);
        }
        assert_eq!(p.value(), None);
        p.update(2.0); // window 3 1 2 2 → three values ≤ 2
        assert_eq!(p.value(), Some(0.75));
        p.update(0.5); // window 1 2 2 0.5 → only itself
        assert_eq!(p.value(), Some(0.25));
        p.update(9.0); // window 2 2 0.5 9
        assert_eq!(p.value(), Some(1.0));
    }

    #[test]
    fn matches_counting_on_the_vix_series() {
        let vix = test_data::vix_2008();
        let closes = vix.closes();
        let mut p = RollingPercentile::new(252);
        for i in 0..closes.len() {
            p.update(closes[i]);
            let want = (i + 1 >= 252).then(|| naive_rank(&closes[i + 1 - 252..=i]));
            assert_eq!(p.value(), want, "row {i}");
        }
    }

    proptest! {
        #[test]
        fn matches_counting_with_ties(xs in prop::collection::vec(0u8..5, 1..60), n in 1usize..10) {
            let mut p = RollingPercentile::new(n);
            for i in 0..xs.len() {
                p.update(f64::from(xs[i]));
                let w: Vec<f64> = xs[(i + 1).saturating_sub(n)..=i].iter().map(|&x| f64::from(x)).collect();
                let want = (i + 1 >= n).then(|| naive_rank(&w));
                prop_assert_eq!(p.value(), want);
            }
        }
    }
}
