//! The no-look-ahead law, on the real shared series: the features of day `t` computed from
//! `history[..=t]` are bit-for-bit the features of day `t` computed from the full history,
//! and no change to days after `t` can move them.

use aegis_calendar::NseCalendar;
use aegis_model::{Candle, DailySeries, Series};
use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

use crate::test_data;
use crate::{FeatureFrame, FeatureKind, FeatureSet};

/// Same value, NaN included (a missing value must stay missing).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Asserts that every row of `prefix` equals the same-dated row of `full`, bit for bit.
fn assert_prefix_rows_equal(prefix: &FeatureFrame, full: &FeatureFrame) {
    assert_eq!(prefix.names(), full.names());
    for i in 0..prefix.n_rows() {
        assert_eq!(prefix.dates()[i], full.dates()[i]);
        for (c, (a, b)) in prefix.row(i).iter().zip(full.row(i)).enumerate() {
            assert!(
                same(*a, *b),
                "{} on {}: prefix {a} vs full {b}",
                prefix.names()[c],
                prefix.dates()[i]
            );
        }
    }
}

/// The standard set without the two expiry features: they are pure functions of the date
/// (calendar look-ups, no state), so they are checked on their own below, over the years the
/// calendar's holiday table covers.
fn set_without_calendar() -> FeatureSet {
    FeatureSet::standard()
        .without(FeatureKind::needs_calendar)
        .unwrap()
}

/// The part of `series` whose years the calendar covers.
fn calendar_covered(series: &DailySeries) -> DailySeries {
    let years = NseCalendar::new().covered_years();
    let bars = series
        .bars()
        .iter()
        .copied()
        .filter(|b| years.contains(&b.key.year()))
        .collect();
    Series::new(series.symbol(), series.interval(), series.origin(), bars).unwrap()
}

fn check_cut(
    set: &FeatureSet,
    nifty: &DailySeries,
    vix: &DailySeries,
    full: &FeatureFrame,
    cut: usize,
) {
    let t: NaiveDate = nifty.bars()[cut].key;
    let prefix = FeatureFrame::build(set.clone(), &nifty.until(t), Some(&vix.until(t))).unwrap();
    assert_eq!(prefix.n_rows(), cut + 1);
    assert_prefix_rows_equal(&prefix, full);
}

/// Cut points at the edges and at every warm-up boundary (1, 5, 10, 20, 50, 60, 252 days…).
const FIXED_CUTS: [usize; 12] = [0, 1, 2, 5, 14, 20, 27, 54, 60, 61, 252, 300];

#[test]
fn yahoo_prefixes_equal_the_full_history_at_fixed_cuts() {
    let (nifty, vix) = (test_data::nifty_yahoo(), test_data::vix_yahoo());
    let set = set_without_calendar();
    let full = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
    for cut in FIXED_CUTS
        .into_iter()
        .chain([nifty.len() - 2, nifty.len() - 1])
    {
        check_cut(&set, &nifty, &vix, &full, cut);
    }
}

#[test]
fn nse_2000_2022_prefixes_equal_the_full_history_at_fixed_cuts() {
    let (nifty, vix) = (test_data::nifty_nse(), test_data::vix_2008());
    let set = set_without_calendar();
    let full = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
    // 2008-03-03 (first VIX day) is row 2013; 2009-03 is a year of VIX later.
    for cut in FIXED_CUTS
        .into_iter()
        .chain([2012, 2013, 2014, 2300, 2600, nifty.len() - 1])
    {
        check_cut(&set, &nifty, &vix, &full, cut);
    }
}

#[test]
fn yahoo_with_expiry_features_prefixes_equal_the_full_history() {
    let nifty = calendar_covered(&test_data::nifty_yahoo());
    let vix = test_data::vix_yahoo();
    let set = FeatureSet::standard();
    let full = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
    assert_eq!(
        full.n_rows(),
        test_data::nifty_yahoo().len(),
        "calendar covers 2020–2025"
    );
    for cut in [0, 1, 252, 600, nifty.len() - 2, nifty.len() - 1] {
        check_cut(&set, &nifty, &vix, &full, cut);
    }
}

#[test]
fn nse_with_expiry_features_prefixes_equal_the_full_history() {
    let nifty = calendar_covered(&test_data::nifty_nse());
    assert!(
        nifty.len() > 300,
        "the calendar should cover a good part of 2000–2022"
    );
    let vix = test_data::vix_2008();
    let set = FeatureSet::standard();
    let full = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
    for cut in [0, 1, 300, nifty.len() / 2, nifty.len() - 1] {
        check_cut(&set, &nifty, &vix, &full, cut);
    }
}

/// Scales every price of the bars after `cut` by `factor` (OHLC stays consistent).
fn rescale_after(series: &DailySeries, cut: usize, factor: f64) -> DailySeries {
    let bars = series
        .bars()
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if i <= cut {
                *b
            } else {
                Candle {
                    open: b.open * factor,
                    high: b.high * factor,
                    low: b.low * factor,
                    close: b.close * factor,
                    ..*b
                }
            }
        })
        .collect();
    Series::new(series.symbol(), series.interval(), series.origin(), bars).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any cut of the Yahoo 2020–2025 pair.
    #[test]
    fn yahoo_any_cut_is_unchanged_by_later_days(frac in 0.0f64..1.0) {
        let (nifty, vix) = (test_data::nifty_yahoo(), test_data::vix_yahoo());
        let set = set_without_calendar();
        let full = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
        let cut = ((nifty.len() - 1) as f64 * frac) as usize;
        check_cut(&set, &nifty, &vix, &full, cut);
    }

    /// Any cut of the long NSE 2000–2022 series with VIX 2008–2022.
    #[test]
    fn nse_any_cut_is_unchanged_by_later_days(frac in 0.0f64..1.0) {
        let (nifty, vix) = (test_data::nifty_nse(), test_data::vix_2008());
        let set = set_without_calendar();
        let full = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
        let cut = ((nifty.len() - 1) as f64 * frac) as usize;
        check_cut(&set, &nifty, &vix, &full, cut);
    }

    /// A different future (every later price and VIX value rescaled) leaves rows ≤ t as they were.
    #[test]
    fn a_different_future_changes_nothing_before_it(
        frac in 0.0f64..1.0,
        factor in prop_oneof![0.5f64..0.95, 1.05f64..2.0],
    ) {
        let (nifty, vix) = (test_data::nifty_yahoo(), test_data::vix_yahoo());
        let set = set_without_calendar();
        let cut = ((nifty.len() - 2) as f64 * frac) as usize;
        let t = nifty.bars()[cut].key;
        let vix_cut = vix.bars().partition_point(|b| b.key <= t).saturating_sub(1);
        let base = FeatureFrame::build(set.clone(), &nifty, Some(&vix)).unwrap();
        let other = FeatureFrame::build(
            set,
            &rescale_after(&nifty, cut, factor),
            Some(&rescale_after(&vix, vix_cut, 1.0 / factor)),
        )
        .unwrap();
        for i in 0..=cut {
            for (a, b) in base.row(i).iter().zip(other.row(i)) {
                prop_assert!(same(*a, *b), "row {} changed by the future", i);
            }
        }
        // And the future really is different (so the test can fail).
        let last = nifty.len() - 1;
        prop_assert!(base.row(last).iter().zip(other.row(last)).any(|(a, b)| !same(*a, *b)));
    }
}
