//! Average true range with Wilder's smoothing.

use aegis_model::{BarKey, Candle};

use super::Indicator;

/// Wilder's average true range.
///
/// True range `TR_t = max(H_t − L_t, |H_t − C_{t−1}|, |L_t − C_{t−1}|)` needs the previous close,
/// so the first bar only provides that close. The first ATR is the simple mean of the first
/// `period` true ranges, then `ATR_t = (ATR_{t−1}·(period − 1) + TR_t) / period`
/// (the TA-Lib convention). Initialized after `period + 1` bars.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    ranges: usize,
    value: f64,
}

impl Atr {
    /// An ATR over `period` (≥ 1) true ranges.
    ///
    /// # Panics
    /// If `period` is 0.
    pub fn new(period: usize) -> Self {
        assert!(period >= 1, "ATR period must be at least 1");
        Atr {
            period,
            prev_close: None,
            ranges: 0,
            value: 0.0,
        }
    }

    /// Feeds the next bar.
    pub fn update<K: BarKey>(&mut self, bar: &Candle<K>) {
        if let Some(pc) = self.prev_close {
            let tr = bar.true_range(Some(pc));
            self.ranges += 1;
            let n = self.period as f64;
            if self.ranges < self.period {
                self.value += tr;
            } else if self.ranges == self.period {
                self.value = (self.value + tr) / n;
            } else {
                self.value = (self.value * (n - 1.0) + tr) / n;
            }
        }
        self.prev_close = Some(bar.close);
    }
}

impl Indicator for Atr {
    fn name(&self) -> String {
        format!("ATR({})", self.period)
    }
    fn initialized(&self) -> bool {
        self.ranges >= self.period
    }
    fn value(&self) -> Option<f64> {
        self.initialized().then_some(self.value)
    }
    fn reset(&mut self) {
        *self = Atr::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::naive;
    use crate::test_data;
    use chrono::NaiveDate;

    fn bar(day: u32, h: f64, l: f64, c: f64) -> Candle<NaiveDate> {
        let d = NaiveDate::from_ymd_opt(2025, 1, day).unwrap();
        Candle::new(d, c, h, l, c)
    }

    #[test]
    fn hand_computed_example() {
        // Bars (H, L, C): (10, 8, 9), (11, 9, 10.5), (12, 10, 11), (11.5, 7, 8), (9, 8.5, 8.8).
        // True ranges from the second bar: max(2, 2, 0)=2; max(2, 1.5, 0.5)=2; max(4.5, 0.5, 4)=4.5;
        // max(0.5, 1, 0.5)=1.
        // ATR(3): first = (2 + 2 + 4.5)/3 = 8.5/3; then (8.5/3·2 + 1)/3 = (17/3 + 1)/3 = 20/9.
        let bars = [
            bar(1, 10.0, 8.0, 9.0),
            bar(2, 11.0, 9.0, 10.5),
            bar(3, 12.0, 10.0, 11.0),
            bar(4, 11.5, 7.0, 8.0),
            bar(5, 9.0, 8.5, 8.8),
        ];
        let mut atr = Atr::new(3);
        for b in &bars[..3] {
            atr.update(b);
            assert_eq!(atr.value(), None);
        }
        atr.update(&bars[3]);
        assert!((atr.value().unwrap() - 8.5 / 3.0).abs() < 1e-12);
        atr.update(&bars[4]);
        assert!((atr.value().unwrap() - 20.0 / 9.0).abs() < 1e-12);
        assert_eq!(atr.name(), "ATR(3)");
    }

    #[test]
    fn matches_a_batch_computation_on_nifty_bars() {
        let series = test_data::nifty_nse();
        let want = naive::atr(series.bars(), 14);
        let mut atr = Atr::new(14);
        for (i, b) in series.bars().iter().enumerate() {
            atr.update(b);
            naive::assert_close(atr.value(), want[i], 1e-9, i);
        }
    }
}
