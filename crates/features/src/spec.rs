//! Feature specifications: stable names, parameters, and the feature hash that model files record.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::indicators::VolEstimator;

/// Version of the feature formulas. Bump it whenever any formula in this crate changes
/// (a definition, a normalisation, a warm-up rule), so that models trained on the old
/// formulas stop loading instead of silently receiving different numbers.
pub const FEATURE_CODE_VERSION: u32 = 1;

/// One feature and its parameters. The name is derived from the kind (see [`FeatureKind::name`]).
///
/// Units: returns and distances are log returns (×100 where the name says `pct`); volatilities
/// are annualised decimals (0.15 = 15 %); VIX values are in VIX points (percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureKind {
    /// `ret_log_{days}d`: `ln(C_t / C_{t−days})`.
    LogReturn {
        /// Trading days.
        days: u32,
    },
    /// `rv_{code}_{days}d`: annualised realized volatility over `days` bars
    /// (see [`crate::indicators::RealizedVol`]).
    RealizedVol {
        /// The estimator.
        estimator: VolEstimator,
        /// Trading days (≥ 2).
        days: u32,
    },
    /// `atr_{period}_pct`: `100 · ATR(period) / C_t` (Wilder ATR as a percentage of the close).
    AtrPct {
        /// Wilder period.
        period: u32,
    },
    /// `rsi_{period}`: Wilder RSI, 0–100.
    Rsi {
        /// Wilder period.
        period: u32,
    },
    /// `ema_{period}_slope`: `100 · ln(EMA_t / EMA_{t−lookback}) / lookback`, the EMA's
    /// average log change in percent per day over the last `lookback` days.
    EmaSlope {
        /// EMA period.
        period: u32,
        /// Days over which the slope is measured.
        lookback: u32,
    },
    /// `adx_{period}`: Wilder ADX, 0–100.
    Adx {
        /// Wilder period.
        period: u32,
    },
    /// `vr_{days}`: Lo–MacKinlay variance ratio `VR(q)` of daily log returns over `days` returns.
    VarianceRatio {
        /// Aggregation horizon in days (≥ 2).
        q: u32,
        /// Window of daily returns (> q).
        days: u32,
    },
    /// `ac1_{days}`: lag-1 autocorrelation of daily log returns over `days` returns.
    Autocorr1 {
        /// Window of daily returns (≥ 3).
        days: u32,
    },
    /// `dist_high_{days}d_pct`: `100 · ln(C_t / max(H over the last days bars, today included))`, ≤ 0.
    DistHigh {
        /// Window in bars.
        days: u32,
    },
    /// `dist_low_{days}d_pct`: `100 · ln(C_t / min(L over the last days bars, today included))`, ≥ 0.
    DistLow {
        /// Window in bars.
        days: u32,
    },
    /// `range_comp_{short}_{long}`: `(max H − min L over short bars) / (max H − min L over long bars)`,
    /// in (0, 1] when `short ≤ long`; small values mean a compressed recent range.
    RangeCompression {
        /// Short window in bars.
        short: u32,
        /// Long window in bars.
        long: u32,
    },
    /// `vix_level`: India VIX close on the same trading date (VIX points). Missing (NaN) on a
    /// NIFTY session without a VIX row: the last value is never carried forward.
    VixLevel,
    /// `vix_chg_1d`: `ln(VIX_t / VIX_{t−1})` where `t−1` is the previous NIFTY session; missing
    /// when either day has no VIX row.
    VixChange1d,
    /// `vix_pct_{days}`: fraction of the last `days` VIX observations (today's included) that
    /// are ≤ today's VIX, in (0, 1]. The window counts VIX observations joined to NIFTY
    /// sessions (sessions without a VIX row are skipped, not filled); missing on such sessions.
    VixPercentile {
        /// Window in VIX observations (252 ≈ one year).
        days: u32,
    },
    /// `vix_rv_spread_{days}d`: `VIX_t − 100 · rv_cc_{days}d`, implied minus close-to-close
    /// realized volatility, in vol points. Missing when today has no VIX row.
    VixRvSpread {
        /// Realized-vol window in trading days (≥ 2).
        days: u32,
    },
    /// `days_to_weekly_expiry`: NSE trading days in `(t, E]` where `E` is the first weekly
    /// expiry on or after `t` (0 on expiry day), from `aegis-calendar`. Before NIFTY weeklies
    /// were listed (14-Feb-2019) the calendar answers with the monthly expiry, so this equals
    /// `days_to_monthly_expiry` there. Dates in years without a holiday table are an error.
    DaysToWeeklyExpiry,
    /// `days_to_monthly_expiry`: as above for the monthly expiry.
    DaysToMonthlyExpiry,
}

impl FeatureKind {
    /// The stable feature name.
    pub fn name(&self) -> String {
        match *self {
            FeatureKind::LogReturn { days } => format!("ret_log_{days}d"),
            FeatureKind::RealizedVol { estimator, days } => {
                format!("rv_{}_{days}d", estimator.code())
            }
            FeatureKind::AtrPct { period } => format!("atr_{period}_pct"),
            FeatureKind::Rsi { period } => format!("rsi_{period}"),
            FeatureKind::EmaSlope { period, .. } => format!("ema_{period}_slope"),
            FeatureKind::Adx { period } => format!("adx_{period}"),
            FeatureKind::VarianceRatio { days, .. } => format!("vr_{days}"),
            FeatureKind::Autocorr1 { days } => format!("ac1_{days}"),
            FeatureKind::DistHigh { days } => format!("dist_high_{days}d_pct"),
            FeatureKind::DistLow { days } => format!("dist_low_{days}d_pct"),
            FeatureKind::RangeCompression { short, long } => format!("range_comp_{short}_{long}"),
            FeatureKind::VixLevel => "vix_level".to_string(),
            FeatureKind::VixChange1d => "vix_chg_1d".to_string(),
            FeatureKind::VixPercentile { days } => format!("vix_pct_{days}"),
            FeatureKind::VixRvSpread { days } => format!("vix_rv_spread_{days}d"),
            FeatureKind::DaysToWeeklyExpiry => "days_to_weekly_expiry".to_string(),
            FeatureKind::DaysToMonthlyExpiry => "days_to_monthly_expiry".to_string(),
        }
    }

    /// Every parameter in a canonical text form, e.g. `realized_vol(estimator=yz,days=20)`;
    /// this is what the feature hash covers besides the name.
    pub fn canonical_params(&self) -> String {
        match *self {
            FeatureKind::LogReturn { days } => format!("log_return(days={days})"),
            FeatureKind::RealizedVol { estimator, days } => {
                format!("realized_vol(estimator={},days={days})", estimator.code())
            }
            FeatureKind::AtrPct { period } => format!("atr_pct(period={period})"),
            FeatureKind::Rsi { period } => format!("rsi(period={period})"),
            FeatureKind::EmaSlope { period, lookback } => {
                format!("ema_slope(period={period},lookback={lookback})")
            }
            FeatureKind::Adx { period } => format!("adx(period={period})"),
            FeatureKind::VarianceRatio { q, days } => format!("variance_ratio(q={q},days={days})"),
            FeatureKind::Autocorr1 { days } => format!("autocorr1(days={days})"),
            FeatureKind::DistHigh { days } => format!("dist_high(days={days})"),
            FeatureKind::DistLow { days } => format!("dist_low(days={days})"),
            FeatureKind::RangeCompression { short, long } => {
                format!("range_compression(short={short},long={long})")
            }
            FeatureKind::VixLevel => "vix_level()".to_string(),
            FeatureKind::VixChange1d => "vix_change(days=1)".to_string(),
            FeatureKind::VixPercentile { days } => format!("vix_percentile(days={days})"),
            FeatureKind::VixRvSpread { days } => {
                format!("vix_rv_spread(estimator=cc,days={days})")
            }
            FeatureKind::DaysToWeeklyExpiry => "days_to_expiry(kind=weekly)".to_string(),
            FeatureKind::DaysToMonthlyExpiry => "days_to_expiry(kind=monthly)".to_string(),
        }
    }

    /// Whether the feature needs the India VIX series.
    pub fn needs_vix(&self) -> bool {
        matches!(
            self,
            FeatureKind::VixLevel
                | FeatureKind::VixChange1d
                | FeatureKind::VixPercentile { .. }
                | FeatureKind::VixRvSpread { .. }
        )
    }

    /// Whether the feature needs the NSE calendar.
    pub fn needs_calendar(&self) -> bool {
        matches!(
            self,
            FeatureKind::DaysToWeeklyExpiry | FeatureKind::DaysToMonthlyExpiry
        )
    }

    /// Checks the parameters; the error text names the rule.
    fn check(&self) -> Result<(), String> {
        let at_least = |what: &str, v: u32, min: u32| {
            if v < min {
                Err(format!("{what} must be at least {min}, got {v}"))
            } else {
                Ok(())
            }
        };
        match *self {
            FeatureKind::LogReturn { days }
            | FeatureKind::DistHigh { days }
            | FeatureKind::DistLow { days }
            | FeatureKind::VixPercentile { days } => at_least("days", days, 1),
            FeatureKind::RealizedVol { days, .. } | FeatureKind::VixRvSpread { days } => {
                at_least("days", days, 2)
            }
            FeatureKind::AtrPct { period }
            | FeatureKind::Rsi { period }
            | FeatureKind::Adx { period } => at_least("period", period, 1),
            FeatureKind::EmaSlope { period, lookback } => {
                at_least("period", period, 1)?;
                at_least("lookback", lookback, 1)
            }
            FeatureKind::VarianceRatio { q, days } => {
                at_least("q", q, 2)?;
                at_least("days", days, q + 1)
            }
            FeatureKind::Autocorr1 { days } => at_least("days", days, 3),
            FeatureKind::RangeCompression { short, long } => {
                at_least("short", short, 1)?;
                at_least("long", long, short)
            }
            FeatureKind::VixLevel
            | FeatureKind::VixChange1d
            | FeatureKind::DaysToWeeklyExpiry
            | FeatureKind::DaysToMonthlyExpiry => Ok(()),
        }
    }
}

/// Why a feature set was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureSetError {
    /// No features.
    #[error("a feature set needs at least one feature")]
    Empty,
    /// Two features with the same name.
    #[error(
        "feature `{0}` appears twice: names must be unique (two specs that differ only in a parameter not in the name, such as an EMA slope lookback, cannot share a set)"
    )]
    DuplicateName(String),
    /// A parameter out of range.
    #[error("feature `{name}`: {rule}")]
    BadParameter {
        /// The feature's name.
        name: String,
        /// The rule broken.
        rule: String,
    },
}

/// The hash of a feature set: FNV-1a 64 of the code version, names and canonical parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeatureHash(pub u64);

impl fmt::Display for FeatureHash {
    /// `fnv1a64:` followed by 16 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fnv1a64:{:016x}", self.0)
    }
}

/// FNV-1a, 64 bit (Fowler–Noll–Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// An ordered list of uniquely named features: the columns of a [`crate::FeatureFrame`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatureSet {
    kinds: Vec<FeatureKind>,
    #[serde(skip)]
    names: Vec<String>,
}

impl FeatureSet {
    /// Validates the features (non-empty, unique names, parameters in range).
    pub fn new(kinds: Vec<FeatureKind>) -> Result<Self, FeatureSetError> {
        if kinds.is_empty() {
            return Err(FeatureSetError::Empty);
        }
        let names: Vec<String> = kinds.iter().map(FeatureKind::name).collect();
        for (i, (kind, name)) in kinds.iter().zip(&names).enumerate() {
            kind.check().map_err(|rule| FeatureSetError::BadParameter {
                name: name.clone(),
                rule,
            })?;
            if names[..i].contains(name) {
                return Err(FeatureSetError::DuplicateName(name.clone()));
            }
        }
        Ok(FeatureSet { kinds, names })
    }

    /// The standard daily feature set (34 features) used by the models.
    pub fn standard() -> Self {
        use FeatureKind as K;
        let mut kinds = Vec::new();
        for days in [1, 5, 10, 20] {
            kinds.push(K::LogReturn { days });
        }
        for estimator in VolEstimator::ALL {
            for days in [10, 20, 60] {
                kinds.push(K::RealizedVol { estimator, days });
            }
        }
        kinds.extend([
            K::AtrPct { period: 14 },
            K::Rsi { period: 14 },
            K::EmaSlope {
                period: 20,
                lookback: 5,
            },
            K::EmaSlope {
                period: 50,
                lookback: 5,
            },
            K::Adx { period: 14 },
            K::VarianceRatio { q: 5, days: 60 },
            K::Autocorr1 { days: 60 },
            K::DistHigh { days: 10 },
            K::DistLow { days: 10 },
            K::DistHigh { days: 20 },
            K::DistLow { days: 20 },
            K::RangeCompression {
                short: 10,
                long: 60,
            },
            K::VixLevel,
            K::VixChange1d,
            K::VixPercentile { days: 252 },
            K::VixRvSpread { days: 20 },
            K::DaysToWeeklyExpiry,
            K::DaysToMonthlyExpiry,
        ]);
        FeatureSet::new(kinds).expect("the standard set is valid")
    }

    /// The features, in column order.
    pub fn kinds(&self) -> &[FeatureKind] {
        &self.kinds
    }

    /// The feature names, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Always false: a set has at least one feature.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Column index of a feature name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// A copy without the features for which `drop` is true (for example the VIX or calendar
    /// features, when that input is not available). `None` if nothing would be left.
    pub fn without(&self, drop: impl Fn(&FeatureKind) -> bool) -> Option<Self> {
        let kinds: Vec<FeatureKind> = self.kinds.iter().copied().filter(|k| !drop(k)).collect();
        FeatureSet::new(kinds).ok()
    }

    /// Whether any feature needs the India VIX series.
    pub fn needs_vix(&self) -> bool {
        self.kinds.iter().any(FeatureKind::needs_vix)
    }

    /// Whether any feature needs the NSE calendar.
    pub fn needs_calendar(&self) -> bool {
        self.kinds.iter().any(FeatureKind::needs_calendar)
    }

    /// The exact text the hash covers: a header line with [`FEATURE_CODE_VERSION`], then one
    /// `name=canonical_params` line per feature, in column order.
    pub fn canonical_text(&self) -> String {
        let mut s = format!("aegis-features code_version={FEATURE_CODE_VERSION}\n");
        for (name, kind) in self.names.iter().zip(&self.kinds) {
            s.push_str(name);
            s.push('=');
            s.push_str(&kind.canonical_params());
            s.push('\n');
        }
        s
    }

    /// The stable hash of (names, parameters, [`FEATURE_CODE_VERSION`]) that model files record.
    pub fn feature_hash(&self) -> FeatureHash {
        FeatureHash(fnv1a64(self.canonical_text().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// GOLDEN VALUE. Change it only together with [`FEATURE_CODE_VERSION`] (or when the
    /// standard set's names/parameters change on purpose): a model file that recorded the old
    /// hash must then fail to load, which is the point.
    /// Cross-checked by an independent Python FNV-1a over the canonical text when it was set.
    const STANDARD_HASH: &str = "fnv1a64:0dc172ff193ef515";

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn standard_set_names_are_stable() {
        let set = FeatureSet::standard();
        let names: Vec<&str> = set.names().iter().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "ret_log_1d",
                "ret_log_5d",
                "ret_log_10d",
                "ret_log_20d",
                "rv_cc_10d",
                "rv_cc_20d",
                "rv_cc_60d",
                "rv_pk_10d",
                "rv_pk_20d",
                "rv_pk_60d",
                "rv_gk_10d",
                "rv_gk_20d",
                "rv_gk_60d",
                "rv_yz_10d",
                "rv_yz_20d",
                "rv_yz_60d",
                "atr_14_pct",
                "rsi_14",
                "ema_20_slope",
                "ema_50_slope",
                "adx_14",
                "vr_60",
                "ac1_60",
                "dist_high_10d_pct",
                "dist_low_10d_pct",
                "dist_high_20d_pct",
                "dist_low_20d_pct",
                "range_comp_10_60",
                "vix_level",
                "vix_chg_1d",
                "vix_pct_252",
                "vix_rv_spread_20d",
                "days_to_weekly_expiry",
                "days_to_monthly_expiry",
            ]
        );
        assert!(set.needs_vix() && set.needs_calendar());
        assert_eq!(set.index_of("rsi_14"), Some(17));
    }

    #[test]
    fn standard_hash_is_the_golden_value() {
        assert_eq!(
            FeatureSet::standard().feature_hash().to_string(),
            STANDARD_HASH
        );
        // And it is a pure function of the set: recomputing gives the same value.
        assert_eq!(
            FeatureSet::standard().feature_hash(),
            FeatureSet::standard().feature_hash()
        );
    }

    #[rstest]
    #[case::parameter_not_in_name(FeatureKind::EmaSlope { period: 20, lookback: 5 }, FeatureKind::EmaSlope { period: 20, lookback: 3 })]
    #[case::name_and_parameter(FeatureKind::Rsi { period: 14 }, FeatureKind::Rsi { period: 10 })]
    #[case::window(FeatureKind::RealizedVol { estimator: VolEstimator::YangZhang, days: 20 }, FeatureKind::RealizedVol { estimator: VolEstimator::YangZhang, days: 21 })]
    #[case::variance_ratio_q(FeatureKind::VarianceRatio { q: 5, days: 60 }, FeatureKind::VarianceRatio { q: 4, days: 60 })]
    fn hash_changes_with_any_name_or_parameter(
        #[case] original: FeatureKind,
        #[case] changed: FeatureKind,
    ) {
        let std = FeatureSet::standard();
        let at = std.kinds().iter().position(|k| *k == original).unwrap();
        let mut kinds = std.kinds().to_vec();
        kinds[at] = changed;
        let other = FeatureSet::new(kinds).unwrap();
        assert_ne!(other.feature_hash(), std.feature_hash());
    }

    #[test]
    fn hash_depends_on_order_and_membership() {
        let std = FeatureSet::standard();
        let mut kinds = std.kinds().to_vec();
        kinds.swap(0, 1);
        assert_ne!(
            FeatureSet::new(kinds).unwrap().feature_hash(),
            std.feature_hash()
        );
        let no_vix = std.without(FeatureKind::needs_vix).unwrap();
        assert_eq!(no_vix.len(), 30);
        assert!(!no_vix.needs_vix());
        assert_ne!(no_vix.feature_hash(), std.feature_hash());
        let one = |estimator| {
            FeatureSet::new(vec![FeatureKind::RealizedVol {
                estimator,
                days: 20,
            }])
            .unwrap()
            .feature_hash()
        };
        assert_ne!(one(VolEstimator::YangZhang), one(VolEstimator::GarmanKlass));
    }

    #[test]
    fn canonical_text_starts_with_the_code_version() {
        let text = FeatureSet::standard().canonical_text();
        assert!(text.starts_with(&format!(
            "aegis-features code_version={FEATURE_CODE_VERSION}\n"
        )));
        assert!(text.contains("\nrv_yz_20d=realized_vol(estimator=yz,days=20)\n"));
    }

    #[rstest]
    #[case(vec![], FeatureSetError::Empty)]
    #[case(vec![FeatureKind::Rsi { period: 14 }, FeatureKind::Rsi { period: 14 }], FeatureSetError::DuplicateName("rsi_14".into()))]
    #[case(vec![FeatureKind::VarianceRatio { q: 5, days: 5 }], FeatureSetError::BadParameter { name: "vr_5".into(), rule: "days must be at least 6, got 5".into() })]
    #[case(vec![FeatureKind::RealizedVol { estimator: VolEstimator::Parkinson, days: 1 }], FeatureSetError::BadParameter { name: "rv_pk_1d".into(), rule: "days must be at least 2, got 1".into() })]
    #[case(vec![FeatureKind::RangeCompression { short: 60, long: 10 }], FeatureSetError::BadParameter { name: "range_comp_60_10".into(), rule: "long must be at least 60, got 10".into() })]
    fn invalid_sets_are_rejected(#[case] kinds: Vec<FeatureKind>, #[case] want: FeatureSetError) {
        assert_eq!(FeatureSet::new(kinds).unwrap_err(), want);
    }
}
