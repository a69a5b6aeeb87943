//! Crate-private building blocks for streaming windows: a fixed-capacity window with a running sum.

use std::collections::VecDeque;

/// The last `capacity` values with their running sum.
///
/// Adding and subtracting values for thousands of updates lets rounding error creep into a
/// running sum. To bound it, the sum is recomputed from the window every `capacity` pushes:
/// O(1) amortised, and the drift never spans more than one window length. The recompute
/// cadence depends only on the number of values pushed since the start, so replaying the same
/// history always gives bit-identical sums (what the no-look-ahead tests rely on).
#[derive(Debug, Clone)]
pub(crate) struct RollingSum {
    window: VecDeque<f64>,
    capacity: usize,
    sum: f64,
    pushes_since_recompute: usize,
}

impl RollingSum {
    /// An empty window holding at most `capacity` (≥ 1) values.
    pub(crate) fn new(capacity: usize) -> Self {
        assert!(
            capacity >= 1,
            "a rolling window needs a capacity of at least 1"
        );
        RollingSum {
            window: VecDeque::with_capacity(capacity + 1),
            capacity,
            sum: 0.0,
            pushes_since_recompute: 0,
        }
    }

    /// Adds `x`, evicting the oldest value once full.
    pub(crate) fn push(&mut self, x: f64) {
        if self.window.len() == self.capacity
            && let Some(old) = self.window.pop_front()
        {
            self.sum -= old;
        }
        self.window.push_back(x);
        self.sum += x;
        self.pushes_since_recompute += 1;
        if self.pushes_since_recompute >= self.capacity {
            self.sum = self.window.iter().sum();
            self.pushes_since_recompute = 0;
        }
    }

    /// Sum of the values in the window.
    pub(crate) fn sum(&self) -> f64 {
        self.sum
    }

    /// Whether the window holds `capacity` values.
    pub(crate) fn is_full(&self) -> bool {
        self.window.len() == self.capacity
    }

    /// The oldest value held.
    pub(crate) fn front(&self) -> Option<f64> {
        self.window.front().copied()
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        self.window.clear();
        self.sum = 0.0;
        self.pushes_since_recompute = 0;
    }
}

/// The last `capacity` values, without sums (a ring buffer).
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    window: VecDeque<f64>,
    capacity: usize,
}

impl Ring {
    /// An empty ring holding at most `capacity` (≥ 1) values.
    pub(crate) fn new(capacity: usize) -> Self {
        assert!(capacity >= 1, "a ring needs a capacity of at least 1");
        Ring {
            window: VecDeque::with_capacity(capacity + 1),
            capacity,
        }
    }

    /// Adds `x`, evicting the oldest value once full.
    pub(crate) fn push(&mut self, x: f64) {
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        self.window.push_back(x);
    }

    /// Whether the ring holds `capacity` values.
    pub(crate) fn is_full(&self) -> bool {
        self.window.len() == self.capacity
    }

    /// The oldest value held.
    pub(crate) fn front(&self) -> Option<f64> {
        self.window.front().copied()
    }

    /// The newest value held.
    pub(crate) fn back(&self) -> Option<f64> {
        self.window.back().copied()
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        self.window.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_sum_tracks_the_window_and_recomputes() {
        let mut s = RollingSum::new(3);
        for x in [1.0, 2.0, 3.0] {
            s.push(x);
        }
        assert!(s.is_full());
        assert_eq!(s.sum(), 6.0);
        s.push(10.0);
        assert_eq!(s.sum(), 15.0);
        assert_eq!(s.front(), Some(2.0));
        // Values with very different magnitudes: after the big one leaves, a recompute
        // restores the exact small sum.
        let mut s = RollingSum::new(2);
        for x in [1e16, 1.0, 1.0, 1.0] {
            s.push(x);
        }
        assert_eq!(s.sum(), 2.0);
        s.clear();
        assert_eq!((s.is_full(), s.sum(), s.front()), (false, 0.0, None));
    }

    #[test]
    fn ring_keeps_the_last_values() {
        let mut r = Ring::new(2);
        r.push(1.0);
        assert!(!r.is_full());
        r.push(2.0);
        r.push(3.0);
        assert_eq!((r.front(), r.back()), (Some(2.0), Some(3.0)));
        r.clear();
        assert_eq!(r.back(), None);
    }
}
