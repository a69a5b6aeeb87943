//! Relative strength index with Wilder's smoothing.

use super::Indicator;

/// Wilder's RSI (J. W. Wilder, *New Concepts in Technical Trading Systems*, 1978).
///
/// From close-to-close changes `d_t = C_t − C_{t−1}`: gains `max(d, 0)`, losses `max(−d, 0)`.
/// The first average gain/loss is the simple mean of the first `period` changes; after that
/// `avg_t = (avg_{t−1}·(period − 1) + x_t) / period`. `RSI = 100 − 100 / (1 + avg_gain / avg_loss)`;
/// 100 when there are no losses, undefined (`None`) when there are neither gains nor losses.
/// Initialized after `period + 1` closes.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev_close: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    /// An RSI over `period` (≥ 1) changes.
    ///
    /// # Panics
    /// If `period` is 0.
    pub fn new(period: usize) -> Self {
        assert!(period >= 1, "RSI period must be at least 1");
        Rsi {
            period,
            prev_close: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
        }
    }

    /// Feeds the next close.
    pub fn update(&mut self, close: f64) {
        if let Some(prev) = self.prev_close {
            let d = close - prev;
            let (gain, loss) = (d.max(0.0), (-d).max(0.0));
            self.changes += 1;
            let n = self.period as f64;
            if self.changes <= self.period {
                // Accumulate the seed as a sum; divide once the seed window is complete.
                self.avg_gain += gain;
                self.avg_loss += loss;
                if self.changes == self.period {
                    self.avg_gain /= n;
                    self.avg_loss /= n;
                }
            } else {
                self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
                self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
            }
        }
        self.prev_close = Some(close);
    }
}

impl Indicator for Rsi {
    fn name(&self) -> String {
        format!("RSI({})", self.period)
    }
    fn initialized(&self) -> bool {
        self.changes >= self.period
    }
    fn value(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        if self.avg_loss == 0.0 {
            return (self.avg_gain > 0.0).then_some(100.0);
        }
        Some(100.0 - 100.0 / (1.0 + self.avg_gain / self.avg_loss))
    }
    fn reset(&mut self) {
        *self = Rsi::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::naive;
    use crate::test_data;

    /// The classic 14-day worked example (the closes StockCharts uses to illustrate Wilder's RSI).
    /// Expected values are the exact Wilder recursion rounded to 2 decimals; StockCharts'
    /// spreadsheet shows 70.53, 66.32, … because it rounds the averages at every step.
    const WILDER_CLOSES: [f64; 33] = [
        44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61,
        46.28, 46.28, 46.00, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25, 45.71, 46.45, 45.78, 45.35,
        44.03, 44.18, 44.22, 44.57, 43.42, 42.66, 43.13,
    ];
    const WILDER_RSI: [f64; 19] = [
        70.46, 66.25, 66.48, 69.35, 66.29, 57.92, 62.88, 63.21, 56.01, 62.34, 54.67, 50.39, 40.02,
        41.49, 41.90, 45.50, 37.32, 33.09, 37.79,
    ];

    #[test]
    fn reproduces_the_classic_worked_example() {
        let mut rsi = Rsi::new(14);
        let mut got = Vec::new();
        for (i, &c) in WILDER_CLOSES.iter().enumerate() {
            rsi.update(c);
            assert_eq!(rsi.initialized(), i >= 14, "close #{i}");
            if let Some(v) = rsi.value() {
                got.push(v);
            }
        }
        assert_eq!(got.len(), WILDER_RSI.len());
        for (i, (g, w)) in got.iter().zip(WILDER_RSI).enumerate() {
            assert!((g - w).abs() < 0.005, "RSI #{i}: got {g:.4}, want {w}");
        }
    }

    #[test]
    fn edge_cases_all_gains_and_flat() {
        let mut up = Rsi::new(3);
        let mut flat = Rsi::new(3);
        for i in 0..5 {
            up.update(100.0 + i as f64);
            flat.update(100.0);
        }
        assert_eq!(up.value(), Some(100.0));
        assert_eq!(flat.value(), None, "0/0 is undefined, not 50");
        assert!(flat.initialized());
        up.reset();
        assert!(!up.initialized());
    }

    #[test]
    fn matches_a_batch_computation_on_nifty_closes() {
        let closes = test_data::nifty_nse().closes();
        let want = naive::rsi(&closes, 14);
        let mut rsi = Rsi::new(14);
        for (i, &c) in closes.iter().enumerate() {
            rsi.update(c);
            naive::assert_close(rsi.value(), want[i], 1e-9, i);
        }
    }
}
