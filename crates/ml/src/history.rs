//! The daily market history labels, volatility forecasts and the safe-range backtest read:
//! complete NIFTY 50 bars with the India VIX close joined on the trading date.
//!
//! A still-forming (partial) last bar is dropped: nothing here ever looks at it. VIX is
//! joined by date, never carried forward: a session without a VIX row has `vix = None`.

use aegis_model::{DailySeries, Symbol};
use chrono::NaiveDate;

use crate::MlError;

/// Complete daily bars, column-wise, with the VIX close of the same date (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct DailyHistory {
    symbol: Symbol,
    dates: Vec<NaiveDate>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    vix: Vec<Option<f64>>,
}

impl DailyHistory {
    /// Joins the complete bars of `nifty` with the complete bars of `vix` (if given) on date.
    ///
    /// Errors when `vix` is not the India VIX series or `nifty` is.
    pub fn new(nifty: &DailySeries, vix: Option<&DailySeries>) -> Result<Self, MlError> {
        if nifty.symbol() == Symbol::IndiaVix {
            return Err(MlError::InvalidDataset {
                reason: "the index series given is India VIX; pass the NIFTY 50 daily series"
                    .into(),
            });
        }
        if let Some(v) = vix
            && v.symbol() != Symbol::IndiaVix
        {
            return Err(MlError::InvalidDataset {
                reason: format!(
                    "the VIX series given is {}; pass the India VIX daily series",
                    v.symbol()
                ),
            });
        }
        let nifty = nifty.complete();
        let vix_bars = vix.map(DailySeries::complete);
        let vix_bars = vix_bars.as_ref().map(DailySeries::bars).unwrap_or(&[]);
        let n = nifty.len();
        let mut h = DailyHistory {
            symbol: nifty.symbol(),
            dates: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            vix: Vec::with_capacity(n),
        };
        let mut j = 0;
        for bar in nifty.bars() {
            while j < vix_bars.len() && vix_bars[j].key < bar.key {
                j += 1;
            }
            let v = (j < vix_bars.len() && vix_bars[j].key == bar.key).then(|| vix_bars[j].close);
            h.dates.push(bar.key);
            h.open.push(bar.open);
            h.high.push(bar.high);
            h.low.push(bar.low);
            h.close.push(bar.close);
            h.vix.push(v);
        }
        Ok(h)
    }

    /// A history of NIFTY 50 from raw columns (tests, simulations; see
    /// [`DailyHistory::with_symbol`]). Checks lengths, increasing dates and
    /// `High ≥ max(Open, Close) ≥ min(Open, Close) ≥ Low > 0`.
    pub fn from_columns(
        dates: Vec<NaiveDate>,
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        vix: Vec<Option<f64>>,
    ) -> Result<Self, MlError> {
        let n = dates.len();
        if [open.len(), high.len(), low.len(), close.len(), vix.len()]
            .iter()
            .any(|&l| l != n)
        {
            return Err(MlError::InvalidDataset {
                reason: "history columns have different lengths".into(),
            });
        }
        for i in 0..n {
            let ok = [open[i], high[i], low[i], close[i]]
                .iter()
                .all(|v| v.is_finite())
                && low[i] > 0.0
                && high[i] >= open[i].max(close[i])
                && low[i] <= open[i].min(close[i]);
            if !ok {
                return Err(MlError::InvalidDataset {
                    reason: format!("history bar {i} ({}) breaks an OHLC rule", dates[i]),
                });
            }
            if i > 0 && dates[i] <= dates[i - 1] {
                return Err(MlError::InvalidDataset {
                    reason: format!("history dates not increasing at row {i} ({})", dates[i]),
                });
            }
            if let Some(v) = vix[i]
                && !(v.is_finite() && v > 0.0)
            {
                return Err(MlError::InvalidDataset {
                    reason: format!("VIX on row {i} ({}) is {v}", dates[i]),
                });
            }
        }
        Ok(DailyHistory {
            symbol: Symbol::Nifty50,
            dates,
            open,
            high,
            low,
            close,
            vix,
        })
    }

    /// The same history labelled as another index's ([`DailyHistory::from_columns`] gives
    /// NIFTY 50's).
    pub fn with_symbol(mut self, symbol: Symbol) -> Self {
        self.symbol = symbol;
        self
    }

    /// The index whose bars these are (expiry windows follow its expiry rules).
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }

    /// The first `n` rows (as if the data ended there).
    pub fn truncated(&self, n: usize) -> Self {
        let n = n.min(self.len());
        DailyHistory {
            symbol: self.symbol,
            dates: self.dates[..n].to_vec(),
            open: self.open[..n].to_vec(),
            high: self.high[..n].to_vec(),
            low: self.low[..n].to_vec(),
            close: self.close[..n].to_vec(),
            vix: self.vix[..n].to_vec(),
        }
    }

    /// The rows with `from ≤ date`.
    pub fn since(&self, from: NaiveDate) -> Self {
        let s = self.dates.partition_point(|d| *d < from);
        DailyHistory {
            symbol: self.symbol,
            dates: self.dates[s..].to_vec(),
            open: self.open[s..].to_vec(),
            high: self.high[s..].to_vec(),
            low: self.low[s..].to_vec(),
            close: self.close[s..].to_vec(),
            vix: self.vix[s..].to_vec(),
        }
    }

    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there are no sessions.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Trading dates, oldest first.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// Opens.
    pub fn open(&self) -> &[f64] {
        &self.open
    }

    /// Highs.
    pub fn high(&self) -> &[f64] {
        &self.high
    }

    /// Lows.
    pub fn low(&self) -> &[f64] {
        &self.low
    }

    /// Closes.
    pub fn close(&self) -> &[f64] {
        &self.close
    }

    /// India VIX close on each date (VIX points), `None` where VIX has no row.
    pub fn vix(&self) -> &[Option<f64>] {
        &self.vix
    }

    /// Daily log returns `r_t = ln(C_t / C_{t−1})`; `r_0` is NaN.
    pub fn log_returns(&self) -> Vec<f64> {
        let mut r = Vec::with_capacity(self.len());
        for i in 0..self.len() {
            r.push(if i == 0 {
                f64::NAN
            } else {
                (self.close[i] / self.close[i - 1]).ln()
            });
        }
        r
    }

    /// Position of `date`, if it is a session.
    pub fn position(&self, date: NaiveDate) -> Option<usize> {
        self.dates.binary_search(&date).ok()
    }

    /// The last row with `date ≤ on`, if any.
    pub fn last_on_or_before(&self, on: NaiveDate) -> Option<usize> {
        self.dates.partition_point(|d| *d <= on).checked_sub(1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aegis_model::{Candle, DataOrigin, Interval, Series};

    pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn joins_vix_on_date_and_drops_the_partial_bar() {
        let mut bars = vec![
            Candle::new(d(2025, 1, 1), 100.0, 101.0, 99.0, 100.5),
            Candle::new(d(2025, 1, 2), 100.5, 102.0, 100.0, 101.0),
            Candle::new(d(2025, 1, 3), 101.0, 103.0, 100.5, 102.0),
        ];
        bars[2].partial = true;
        let nifty = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::Yahoo, bars).unwrap();
        let vix = Series::new(
            Symbol::IndiaVix,
            Interval::Daily,
            DataOrigin::Yahoo,
            vec![
                Candle::new(d(2024, 12, 31), 14.0, 14.0, 14.0, 14.0),
                Candle::new(d(2025, 1, 2), 15.0, 15.5, 14.5, 15.2),
            ],
        )
        .unwrap();
        let h = DailyHistory::new(&nifty, Some(&vix)).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h.vix(), &[None, Some(15.2)]);
        assert!(h.log_returns()[0].is_nan());
        assert!((h.log_returns()[1] - (101.0f64 / 100.5).ln()).abs() < 1e-15);
        assert!(DailyHistory::new(&vix, None).is_err());
        assert!(DailyHistory::new(&nifty, Some(&nifty)).is_err());
        assert_eq!(h.last_on_or_before(d(2025, 1, 5)), Some(1));
        assert_eq!(h.last_on_or_before(d(2024, 1, 5)), None);
    }
}
