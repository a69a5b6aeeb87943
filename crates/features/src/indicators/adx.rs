//! Average directional index with Wilder's smoothing.

use aegis_model::{BarKey, Candle};

use super::Indicator;

/// Wilder's ADX with the directional indicators +DI and −DI (Wilder 1978; TA-Lib convention).
///
/// For each bar after the first: `up = H_t − H_{t−1}`, `down = L_{t−1} − L_t`;
/// `+DM = up` if `up > down` and `up > 0`, else 0; `−DM = down` if `down > up` and `down > 0`,
/// else 0; `TR` the true range. `TR`, `+DM`, `−DM` are Wilder-smoothed as sums: the first value
/// is the sum of the first `period`, then `S_t = S_{t−1} − S_{t−1}/period + x_t`.
/// `+DI = 100·S(+DM)/S(TR)`, `−DI = 100·S(−DM)/S(TR)`,
/// `DX = 100·|+DI − −DI| / (+DI + −DI)` (0 when both are 0).
/// The first ADX is the mean of the first `period` DX values, then
/// `ADX_t = (ADX_{t−1}·(period − 1) + DX_t) / period`.
/// +DI/−DI are defined after `period + 1` bars; ADX after `2·period` bars.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    prev: Option<(f64, f64, f64)>,
    moves: usize,
    tr_s: f64,
    plus_s: f64,
    minus_s: f64,
    dx_count: usize,
    adx: f64,
}

impl Adx {
    /// An ADX over `period` (≥ 1) bars.
    ///
    /// # Panics
    /// If `period` is 0.
    pub fn new(period: usize) -> Self {
        assert!(period >= 1, "ADX period must be at least 1");
        Adx {
            period,
            prev: None,
            moves: 0,
            tr_s: 0.0,
            plus_s: 0.0,
            minus_s: 0.0,
            dx_count: 0,
            adx: 0.0,
        }
    }

    /// Feeds the next bar.
    pub fn update<K: BarKey>(&mut self, bar: &Candle<K>) {
        if let Some((ph, pl, pc)) = self.prev {
            let up = bar.high - ph;
            let down = pl - bar.low;
            let plus = if up > down && up > 0.0 { up } else { 0.0 };
            let minus = if down > up && down > 0.0 { down } else { 0.0 };
            let tr = bar.true_range(Some(pc));
            self.moves += 1;
            let n = self.period as f64;
            if self.moves <= self.period {
                self.tr_s += tr;
                self.plus_s += plus;
                self.minus_s += minus;
            } else {
                self.tr_s = self.tr_s - self.tr_s / n + tr;
                self.plus_s = self.plus_s - self.plus_s / n + plus;
                self.minus_s = self.minus_s - self.minus_s / n + minus;
            }
            if self.moves >= self.period {
                let dx = self.dx();
                self.dx_count += 1;
                if self.dx_count < self.period {
                    self.adx += dx;
                } else if self.dx_count == self.period {
                    self.adx = (self.adx + dx) / n;
                } else {
                    self.adx = (self.adx * (n - 1.0) + dx) / n;
                }
            }
        }
        self.prev = Some((bar.high, bar.low, bar.close));
    }

    fn di(&self) -> Option<(f64, f64)> {
        if self.moves < self.period || self.tr_s <= 0.0 {
            return None;
        }
        Some((
            100.0 * self.plus_s / self.tr_s,
            100.0 * self.minus_s / self.tr_s,
        ))
    }

    fn dx(&self) -> f64 {
        match self.di() {
            Some((p, m)) if p + m > 0.0 => 100.0 * (p - m).abs() / (p + m),
            _ => 0.0,
        }
    }

    /// +DI, once `period + 1` bars have been fed (and the smoothed true range is positive).
    pub fn plus_di(&self) -> Option<f64> {
        self.di().map(|(p, _)| p)
    }

    /// −DI, once `period + 1` bars have been fed (and the smoothed true range is positive).
    pub fn minus_di(&self) -> Option<f64> {
        self.di().map(|(_, m)| m)
    }
}

impl Indicator for Adx {
    fn name(&self) -> String {
        format!("ADX({})", self.period)
    }
    fn initialized(&self) -> bool {
        self.dx_count >= self.period
    }
    fn value(&self) -> Option<f64> {
        self.initialized().then_some(self.adx)
    }
    fn reset(&mut self) {
        *self = Adx::new(self.period);
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
    fn hand_computed_example_period_2() {
        // (H, L, C): (10, 9, 9.5), (11, 9.5, 10.8), (11.5, 10, 10.2), (10.5, 8.5, 9).
        // Bar 2: up 1, down −0.5 → +DM 1, −DM 0, TR max(1.5, 1.5, 0) = 1.5.
        // Bar 3: up 0.5, down −0.5 → +DM 0.5, −DM 0, TR max(1.5, 0.7, 0.8) = 1.5.
        //   S(TR)=3, S(+)=1.5, S(−)=0 → +DI 50, −DI 0, DX 100.
        // Bar 4: up −1, down 1.5 → +DM 0, −DM 1.5, TR max(2, 0.3, 1.7) = 2.
        //   S(TR)=3−1.5+2=3.5, S(+)=1.5−0.75=0.75, S(−)=1.5 → +DI 150/7, −DI 300/7, DX 100/3.
        //   ADX = (100 + 100/3)/2 = 200/3.
        let bars = [
            bar(1, 10.0, 9.0, 9.5),
            bar(2, 11.0, 9.5, 10.8),
            bar(3, 11.5, 10.0, 10.2),
            bar(4, 10.5, 8.5, 9.0),
        ];
        let mut adx = Adx::new(2);
        for b in &bars[..3] {
            adx.update(b);
        }
        assert_eq!(adx.plus_di(), Some(50.0));
        assert_eq!(adx.minus_di(), Some(0.0));
        assert_eq!(adx.value(), None);
        adx.update(&bars[3]);
        assert!((adx.plus_di().unwrap() - 150.0 / 7.0).abs() < 1e-12);
        assert!((adx.minus_di().unwrap() - 300.0 / 7.0).abs() < 1e-12);
        assert!((adx.value().unwrap() - 200.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn matches_a_batch_computation_on_nifty_bars() {
        let series = test_data::nifty_nse();
        let want = naive::adx(series.bars(), 14);
        let mut adx = Adx::new(14);
        for (i, b) in series.bars().iter().enumerate() {
            adx.update(b);
            assert_eq!(adx.initialized(), i >= 27, "bar {i}");
            naive::assert_close(adx.value(), want[i], 1e-9, i);
        }
    }
}
