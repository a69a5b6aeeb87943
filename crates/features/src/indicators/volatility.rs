//! Realized-volatility estimators and the variance ratio.

use aegis_model::{BarKey, Candle};
use serde::{Deserialize, Serialize};

use super::{Indicator, TRADING_DAYS_PER_YEAR};
use crate::rolling::RollingSum;

/// A realized-volatility estimator from daily OHLC bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolEstimator {
    /// Sample standard deviation of close-to-close log returns.
    CloseToClose,
    /// Parkinson (1980), from the high–low range.
    Parkinson,
    /// Garman–Klass (1980), from open, high, low and close.
    GarmanKlass,
    /// Yang–Zhang (2000): overnight + open-to-close + Rogers–Satchell, drift-independent.
    YangZhang,
}

impl VolEstimator {
    /// Every estimator, in a fixed order.
    pub const ALL: [VolEstimator; 4] = [
        VolEstimator::CloseToClose,
        VolEstimator::Parkinson,
        VolEstimator::GarmanKlass,
        VolEstimator::YangZhang,
    ];

    /// Short stable code used in feature names: `cc`, `pk`, `gk`, `yz`.
    pub fn code(self) -> &'static str {
        match self {
            VolEstimator::CloseToClose => "cc",
            VolEstimator::Parkinson => "pk",
            VolEstimator::GarmanKlass => "gk",
            VolEstimator::YangZhang => "yz",
        }
    }
}

/// Sample variance `(Σx² − (Σx)²/n) / (n − 1)` from running sums, clamped at 0 against rounding.
fn sample_variance(sum: f64, sum_sq: f64, n: f64) -> f64 {
    ((sum_sq - sum * sum / n) / (n - 1.0)).max(0.0)
}

/// Annualised realized volatility (a decimal: 0.15 = 15 %) over the last `days` daily bars.
///
/// With `o = ln(O_t/C_{t−1})` (overnight), `c = ln(C_t/O_t)` (open to close),
/// `r = ln(C_t/C_{t−1})`, `u = ln(H_t/O_t)`, `d = ln(L_t/O_t)`, sums over the window of `n = days`
/// bars, and `σ = √(252·σ²)`:
///
/// * close-to-close: `σ² = Σ(r − r̄)² / (n − 1)`;
/// * Parkinson (M. Parkinson, *J. Business* 53(1), 1980): `σ² = Σ ln(H/L)² / (4·ln 2·n)`;
/// * Garman–Klass (M. Garman & M. Klass, *J. Business* 53(1), 1980):
///   `σ² = (1/n)·Σ [½·ln(H/L)² − (2·ln 2 − 1)·ln(C/O)²]`;
/// * Yang–Zhang (D. Yang & Q. Zhang, *J. Business* 73(3), 2000):
///   `σ² = σ²_o + k·σ²_c + (1 − k)·σ²_RS` with `σ²_o`, `σ²_c` the sample variances of `o` and `c`,
///   `σ²_RS = (1/n)·Σ [u·(u − c) + d·(d − c)]` (Rogers–Satchell), `k = 0.34 / (1.34 + (n+1)/(n−1))`.
///
/// Close-to-close and Yang–Zhang need the previous close, so they are initialized after
/// `days + 1` bars; Parkinson and Garman–Klass after `days` bars.
#[derive(Debug, Clone)]
pub struct RealizedVol {
    estimator: VolEstimator,
    days: usize,
    prev_close: Option<f64>,
    /// Per-bar terms; which ones are used depends on the estimator.
    a: RollingSum,
    a_sq: RollingSum,
    b: RollingSum,
    b_sq: RollingSum,
    rs: RollingSum,
}

impl RealizedVol {
    /// An estimator over `days` (≥ 2) bars.
    ///
    /// # Panics
    /// If `days` < 2.
    pub fn new(estimator: VolEstimator, days: usize) -> Self {
        assert!(
            days >= 2,
            "realized volatility needs a window of at least 2 days"
        );
        RealizedVol {
            estimator,
            days,
            prev_close: None,
            a: RollingSum::new(days),
            a_sq: RollingSum::new(days),
            b: RollingSum::new(days),
            b_sq: RollingSum::new(days),
            rs: RollingSum::new(days),
        }
    }

    /// The estimator.
    pub fn estimator(&self) -> VolEstimator {
        self.estimator
    }

    /// Feeds the next daily bar.
    pub fn update<K: BarKey>(&mut self, bar: &Candle<K>) {
        let prev = self.prev_close.replace(bar.close);
        match self.estimator {
            VolEstimator::CloseToClose => {
                if let Some(pc) = prev {
                    let r = (bar.close / pc).ln();
                    self.a.push(r);
                    self.a_sq.push(r * r);
                }
            }
            VolEstimator::Parkinson => {
                let hl = (bar.high / bar.low).ln();
                self.a_sq.push(hl * hl);
            }
            VolEstimator::GarmanKlass => {
                let hl = (bar.high / bar.low).ln();
                let co = (bar.close / bar.open).ln();
                self.a_sq
                    .push(0.5 * hl * hl - (2.0 * std::f64::consts::LN_2 - 1.0) * co * co);
            }
            VolEstimator::YangZhang => {
                if let Some(pc) = prev {
                    let o = (bar.open / pc).ln();
                    let c = (bar.close / bar.open).ln();
                    let u = (bar.high / bar.open).ln();
                    let d = (bar.low / bar.open).ln();
                    self.a.push(o);
                    self.a_sq.push(o * o);
                    self.b.push(c);
                    self.b_sq.push(c * c);
                    self.rs.push(u * (u - c) + d * (d - c));
                }
            }
        }
    }

    /// The daily (not annualised) variance, once initialized.
    pub fn daily_variance(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        let n = self.days as f64;
        let var = match self.estimator {
            VolEstimator::CloseToClose => sample_variance(self.a.sum(), self.a_sq.sum(), n),
            VolEstimator::Parkinson => self.a_sq.sum() / (4.0 * std::f64::consts::LN_2 * n),
            VolEstimator::GarmanKlass => self.a_sq.sum() / n,
            VolEstimator::YangZhang => {
                let k = 0.34 / (1.34 + (n + 1.0) / (n - 1.0));
                let var_o = sample_variance(self.a.sum(), self.a_sq.sum(), n);
                let var_c = sample_variance(self.b.sum(), self.b_sq.sum(), n);
                let var_rs = self.rs.sum() / n;
                var_o + k * var_c + (1.0 - k) * var_rs
            }
        };
        Some(var.max(0.0))
    }
}

impl Indicator for RealizedVol {
    fn name(&self) -> String {
        format!("RealizedVol[{}]({})", self.estimator.code(), self.days)
    }
    fn initialized(&self) -> bool {
        self.a_sq.is_full()
    }
    fn value(&self) -> Option<f64> {
        self.daily_variance()
            .map(|v| (v * TRADING_DAYS_PER_YEAR).sqrt())
    }
    fn reset(&mut self) {
        self.prev_close = None;
        for s in [
            &mut self.a,
            &mut self.a_sq,
            &mut self.b,
            &mut self.b_sq,
            &mut self.rs,
        ] {
            s.clear();
        }
    }
}

/// Lo–MacKinlay variance ratio `VR(q)` of log returns over a rolling window.
///
/// A. Lo & C. MacKinlay, "Stock market prices do not follow random walks", *Review of
/// Financial Studies* 1(1), 1988, with their bias-corrected overlapping estimator. Over the last
/// `T = days` one-step log returns `r` with mean `μ`:
/// `σ²_a = Σ(r − μ)² / (T − 1)`;
/// `σ²_c = Σ_{overlapping q-sums S} (S − q·μ)² / m` with `m = q·(T − q + 1)·(1 − q/T)`;
/// `VR = σ²_c / σ²_a`. `VR ≈ 1` for a random walk, `> 1` for trending (positively
/// autocorrelated) returns, `< 1` for mean reversion. Fed closes; initialized after `days + 1`.
/// Undefined (`None`) when the window has zero variance.
#[derive(Debug, Clone)]
pub struct VarianceRatio {
    q: usize,
    days: usize,
    prev_close: Option<f64>,
    returns: RollingSum,
    returns_sq: RollingSum,
    q_sum: RollingSum,
    q_sums: RollingSum,
    q_sums_sq: RollingSum,
}

impl VarianceRatio {
    /// `VR(q)` over `days` returns; needs `q ≥ 2` and `days > q`.
    ///
    /// # Panics
    /// If `q < 2` or `days ≤ q`.
    pub fn new(q: usize, days: usize) -> Self {
        assert!(
            q >= 2 && days > q,
            "variance ratio needs q ≥ 2 and days > q"
        );
        VarianceRatio {
            q,
            days,
            prev_close: None,
            returns: RollingSum::new(days),
            returns_sq: RollingSum::new(days),
            q_sum: RollingSum::new(q),
            q_sums: RollingSum::new(days - q + 1),
            q_sums_sq: RollingSum::new(days - q + 1),
        }
    }

    /// Feeds the next close.
    pub fn update(&mut self, close: f64) {
        if let Some(pc) = self.prev_close.replace(close) {
            let r = (close / pc).ln();
            self.returns.push(r);
            self.returns_sq.push(r * r);
            self.q_sum.push(r);
            if self.q_sum.is_full() {
                let s = self.q_sum.sum();
                self.q_sums.push(s);
                self.q_sums_sq.push(s * s);
            }
        }
    }
}

impl Indicator for VarianceRatio {
    fn name(&self) -> String {
        format!("VarianceRatio(q={}, {})", self.q, self.days)
    }
    fn initialized(&self) -> bool {
        self.returns.is_full()
    }
    fn value(&self) -> Option<f64> {
        if !self.initialized() {
            return None;
        }
        let t = self.days as f64;
        let q = self.q as f64;
        let mu = self.returns.sum() / t;
        let var_a = sample_variance(self.returns.sum(), self.returns_sq.sum(), t);
        let count = t - q + 1.0;
        let ss = self.q_sums_sq.sum() - 2.0 * q * mu * self.q_sums.sum() + count * q * q * mu * mu;
        let m = q * count * (1.0 - q / t);
        let var_c = ss.max(0.0) / m;
        (var_a > 0.0).then(|| var_c / var_a)
    }
    fn reset(&mut self) {
        *self = VarianceRatio::new(self.q, self.days);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::naive;
    use crate::test_data;
    use chrono::NaiveDate;
    use rstest::rstest;

    #[rstest]
    #[case(VolEstimator::CloseToClose, 10)]
    #[case(VolEstimator::CloseToClose, 20)]
    #[case(VolEstimator::CloseToClose, 60)]
    #[case(VolEstimator::Parkinson, 10)]
    #[case(VolEstimator::Parkinson, 20)]
    #[case(VolEstimator::Parkinson, 60)]
    #[case(VolEstimator::GarmanKlass, 10)]
    #[case(VolEstimator::GarmanKlass, 20)]
    #[case(VolEstimator::GarmanKlass, 60)]
    #[case(VolEstimator::YangZhang, 10)]
    #[case(VolEstimator::YangZhang, 20)]
    #[case(VolEstimator::YangZhang, 60)]
    fn matches_recomputation_from_scratch_on_nifty(#[case] est: VolEstimator, #[case] days: usize) {
        let series = test_data::nifty_nse();
        let bars = series.bars();
        let mut rv = RealizedVol::new(est, days);
        let first = match est {
            VolEstimator::Parkinson | VolEstimator::GarmanKlass => days - 1,
            _ => days,
        };
        for (i, b) in bars.iter().enumerate() {
            rv.update(b);
            assert_eq!(rv.initialized(), i >= first, "bar {i}");
            let want = naive::realized_vol(&bars[..=i], est, days);
            naive::assert_close(rv.value(), want, 1e-9, i);
        }
        rv.reset();
        assert!(!rv.initialized());
    }

    #[test]
    fn hand_computed_two_day_example() {
        let d = |day| NaiveDate::from_ymd_opt(2025, 1, day).unwrap();
        // (O, H, L, C): (100, 102, 99, 101), (101, 104, 100, 103), (103, 103, 98, 99).
        let bars = [
            Candle::new(d(1), 100.0, 102.0, 99.0, 101.0),
            Candle::new(d(2), 101.0, 104.0, 100.0, 103.0),
            Candle::new(d(3), 103.0, 103.0, 98.0, 99.0),
        ];
        let ln = f64::ln;
        // Close-to-close over 2 returns: r1 = ln(103/101), r2 = ln(99/103).
        let (r1, r2) = (ln(103.0 / 101.0), ln(99.0 / 103.0));
        let cc = ((r1 - r2) * (r1 - r2) / 2.0 * 252.0).sqrt(); // sample var of 2 values = (a−b)²/2
        // Parkinson over the last 2 bars.
        let pk = ((ln(1.04).powi(2) + ln(103.0 / 98.0).powi(2)) / (4.0 * 2f64.ln() * 2.0) * 252.0)
            .sqrt();
        let mut rv_cc = RealizedVol::new(VolEstimator::CloseToClose, 2);
        let mut rv_pk = RealizedVol::new(VolEstimator::Parkinson, 2);
        for b in &bars {
            rv_cc.update(b);
            rv_pk.update(b);
        }
        assert!((rv_cc.value().unwrap() - cc).abs() < 1e-12);
        assert!((rv_pk.value().unwrap() - pk).abs() < 1e-12);
        assert_eq!(rv_pk.name(), "RealizedVol[pk](2)");
    }

    #[rstest]
    #[case(5, 60)]
    #[case(2, 20)]
    fn variance_ratio_matches_recomputation(#[case] q: usize, #[case] days: usize) {
        let closes = test_data::nifty_nse().closes();
        let mut vr = VarianceRatio::new(q, days);
        for i in 0..closes.len() {
            vr.update(closes[i]);
            let want = naive::variance_ratio(&closes[..=i], q, days);
            naive::assert_close(vr.value(), want, 1e-9, i);
        }
    }

    #[test]
    fn variance_ratio_separates_trend_from_reversal() {
        // Alternating returns (+1 %, −1 %): strongly mean-reverting, VR(2) far below 1.
        // Returns growing in runs of the same sign: VR(2) above 1.
        let mut alt = VarianceRatio::new(2, 20);
        let mut runs = VarianceRatio::new(2, 20);
        let (mut a, mut b) = (100.0, 100.0);
        for i in 0..40 {
            a *= if i % 2 == 0 { 1.01 } else { 0.99 };
            b *= if (i / 5) % 2 == 0 { 1.01 } else { 0.99 };
            alt.update(a);
            runs.update(b);
        }
        assert!(alt.value().unwrap() < 0.2, "{:?}", alt.value());
        assert!(runs.value().unwrap() > 1.3, "{:?}", runs.value());
    }
}
