//! Volatility history: ATM implied vol of each stored chain day and India VIX, with IV rank and IV
//! percentile over one year, beside 20-day realized vol and the payload's vol forecast.
//!
//! * **ATM IV of a day**: the last chain stored that IST day, expiry = the nearest one at least
//!   [`MIN_DAYS_TO_EXPIRY`] calendar days away (expiry-day IVs are dominated by the last hours'
//!   time decay and would spike the series), interpolated at the parity forward
//!   ([`aegis_quant::chain`]).
//! * **IV rank** = `(current − min) / (max − min)` and **IV percentile** = the share of the
//!   window's observations `≤ current` ([`aegis_quant::stats::percentile_rank`]), both over the
//!   observations dated within 365 calendar days up to and including the latest one. Stated with
//!   `n`; unavailable below [`MIN_RANK_OBSERVATIONS`].

use aegis_model::OptionChain;
use aegis_quant::stats::percentile_rank;
use chrono::{Days, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pricing::{ExpiryContext, years_to_expiry};

/// Calendar days to expiry below which an expiry is skipped for the day's ATM IV.
pub const MIN_DAYS_TO_EXPIRY: f64 = 2.0;
/// Observations needed in the 1-year window for a rank or percentile.
pub const MIN_RANK_OBSERVATIONS: usize = 20;
/// Calendar days of the rank window.
pub const RANK_WINDOW_DAYS: u64 = 365;

/// One day of the history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VolPoint {
    /// IST date.
    pub date: NaiveDate,
    /// ATM IV of the day's last chain, percent, when computable.
    pub atm_iv_pct: Option<f64>,
    /// India VIX close, percent, when stored.
    pub vix_pct: Option<f64>,
}

/// Rank and percentile of the latest value in its 1-year window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankStats {
    /// The latest value, percent.
    pub current_pct: f64,
    /// Its date.
    pub date: NaiveDate,
    /// Window minimum, percent.
    pub low_pct: f64,
    /// Window maximum, percent.
    pub high_pct: f64,
    /// `(current − min) / (max − min)`, 0–1.
    pub rank: f64,
    /// Share of the window `≤ current`, 0–1.
    pub percentile: f64,
    /// Observations in the window.
    pub n: usize,
    /// First date of the window's observations.
    pub from: NaiveDate,
}

/// Rank and percentile of the last observation of `series` (ascending dates) over the 365
/// calendar days ending on it, or why not.
pub fn rank_stats(series: &[(NaiveDate, f64)]) -> Result<RankStats, String> {
    let Some(&(date, current)) = series.last() else {
        return Err("no observations".into());
    };
    let start = date
        .checked_sub_days(Days::new(RANK_WINDOW_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let window: Vec<(NaiveDate, f64)> = series
        .iter()
        .copied()
        .filter(|(d, _)| *d > start && *d <= date)
        .collect();
    if window.len() < MIN_RANK_OBSERVATIONS {
        return Err(format!(
            "only {} observation(s) in the year to {date}; {MIN_RANK_OBSERVATIONS} are needed (keep storing chains: `aegis fetch --chain` each session)",
            window.len()
        ));
    }
    let values: Vec<f64> = window.iter().map(|w| w.1).collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if high <= low {
        return Err(format!(
            "every observation of the year equals {low}: the range is empty"
        ));
    }
    let percentile = percentile_rank(current, &values).map_err(|e| e.to_string())?;
    Ok(RankStats {
        current_pct: current,
        date,
        low_pct: low,
        high_pct: high,
        rank: (current - low) / (high - low),
        percentile: percentile.get(),
        n: window.len(),
        from: window[0].0,
    })
}

/// ATM IV (percent) of a chain: the nearest expiry at least [`MIN_DAYS_TO_EXPIRY`] away.
pub(crate) fn daily_atm_iv(chain: &OptionChain) -> Result<f64, String> {
    let expiry = chain
        .expiries
        .iter()
        .copied()
        .find(|e| {
            years_to_expiry(chain.timestamp, *e)
                .is_some_and(|y| y.0 * aegis_quant::Years::CALENDAR_DAYS >= MIN_DAYS_TO_EXPIRY)
        })
        .ok_or_else(|| format!("no expiry at least {MIN_DAYS_TO_EXPIRY} days away in the chain"))?;
    let ctx = ExpiryContext::new(chain, expiry).map_err(|e| e.to_string())?;
    ctx.analytics
        .atm_iv
        .as_ref()
        .map(|a| a.iv.0 * 100.0)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Days::new(u64::from(day))
    }

    #[test]
    fn rank_and_percentile_of_a_hand_series() {
        // 25 daily values 10, 11, …, 34 then the latest 20: min 10, max 34.
        let mut s: Vec<(NaiveDate, f64)> = (0..25).map(|i| (d(i), 10.0 + f64::from(i))).collect();
        s.push((d(30), 20.0));
        let r = rank_stats(&s).unwrap();
        assert_eq!(r.n, 26);
        assert_eq!((r.low_pct, r.high_pct), (10.0, 34.0));
        assert!((r.rank - 10.0 / 24.0).abs() < 1e-12);
        // ≤ 20: the values 10..=20 (11 of them) and the latest itself → 12 / 26.
        assert!((r.percentile - 12.0 / 26.0).abs() < 1e-12);
        assert_eq!(r.from, d(0));
    }

    #[test]
    fn the_window_is_one_year_and_short_history_is_refused() {
        // An old spike more than 365 days before the latest value is outside the window.
        let mut s = vec![(d(0), 99.0)];
        s.extend((0..20).map(|i| (d(400 + i), 10.0 + f64::from(i))));
        let r = rank_stats(&s).unwrap();
        assert_eq!(r.n, 20);
        assert_eq!(r.high_pct, 29.0);
        assert!((r.rank - 1.0).abs() < 1e-12);
        let short: Vec<(NaiveDate, f64)> = (0..19).map(|i| (d(i), f64::from(i))).collect();
        let e = rank_stats(&short).unwrap_err();
        assert!(e.contains("only 19 observation"), "{e}");
        let flat: Vec<(NaiveDate, f64)> = (0..30).map(|i| (d(i), 12.0)).collect();
        assert!(rank_stats(&flat).unwrap_err().contains("range is empty"));
    }
}
