//! Small statistics: mean and standard deviation, sample skewness, percentile rank,
//! Wilson score interval and Shannon entropy.
//!
//! ```
//! use aegis_model::Probability;
//! use aegis_quant::stats;
//! // 81 hits in 263 days, 95 % interval.
//! let ci = stats::wilson_interval(81, 263, Probability::new(0.95)?)?;
//! assert!((ci.low.get() - 0.2553).abs() < 1e-4 && (ci.high.get() - 0.3662).abs() < 1e-4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use aegis_model::Probability;
use serde::Serialize;

use crate::normal;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Fewer observations than the statistic needs.
    #[error("{statistic} needs at least {need} observations, got {got}")]
    TooFew {
        /// Which statistic.
        statistic: &'static str,
        /// Minimum count.
        need: usize,
        /// Count received.
        got: usize,
    },
    /// A NaN or infinite observation.
    #[error("observation {index} is {value}, not a finite number")]
    NonFinite {
        /// Position in the input.
        index: usize,
        /// The value.
        value: f64,
    },
    /// All observations equal: the statistic divides by a zero spread.
    #[error("{0} is undefined: every observation is the same")]
    ZeroSpread(&'static str),
    /// Successes greater than trials, or no trials.
    #[error(
        "{successes} successes in {trials} trials is not a valid count (need 0 ≤ successes ≤ trials, trials > 0)"
    )]
    BadCounts {
        /// Successes.
        successes: u64,
        /// Trials.
        trials: u64,
    },
    /// A confidence level of 0 or 1 (the interval would be a point or everything).
    #[error("confidence {0} must be strictly between 0 and 1")]
    BadConfidence(f64),
    /// Probabilities that are negative, non-finite, or do not sum to 1 (within 1e-9).
    #[error("probabilities must be finite, ≥ 0 and sum to 1 (sum is {sum})")]
    NotADistribution {
        /// Their sum.
        sum: f64,
    },
}

fn check(statistic: &'static str, xs: &[f64], need: usize) -> Result<(), StatsError> {
    if xs.len() < need {
        return Err(StatsError::TooFew {
            statistic,
            need,
            got: xs.len(),
        });
    }
    match xs.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(StatsError::NonFinite {
            index,
            value: xs[index],
        }),
        None => Ok(()),
    }
}

/// Arithmetic mean.
pub fn mean(xs: &[f64]) -> Result<f64, StatsError> {
    check("mean", xs, 1)?;
    Ok(xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (divisor `n − 1`).
pub fn sample_sd(xs: &[f64]) -> Result<f64, StatsError> {
    check("standard deviation", xs, 2)?;
    let m = mean(xs)?;
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    Ok((ss / (xs.len() - 1) as f64).sqrt())
}

/// Sample skewness, the adjusted Fisher–Pearson coefficient
/// `G1 = √(n(n−1))/(n−2) · m3 / m2^{3/2}` (central moments with divisor `n`), as pandas'
/// `Series.skew` and Excel's `SKEW`.
pub fn skewness(xs: &[f64]) -> Result<f64, StatsError> {
    check("skewness", xs, 3)?;
    let n = xs.len() as f64;
    let m = mean(xs)?;
    let (m2, m3) = xs.iter().fold((0.0, 0.0), |(a, b), x| {
        let d = x - m;
        (a + d * d, b + d * d * d)
    });
    let (m2, m3) = (m2 / n, m3 / n);
    if m2 == 0.0 {
        return Err(StatsError::ZeroSpread("skewness"));
    }
    Ok((n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / m2.powf(1.5))
}

/// The fraction of `sample` that is `≤ value` (so the largest observation has rank 1).
pub fn percentile_rank(value: f64, sample: &[f64]) -> Result<Probability, StatsError> {
    check("percentile rank", sample, 1)?;
    if !value.is_finite() {
        return Err(StatsError::NonFinite { index: 0, value });
    }
    let at_or_below = sample.iter().filter(|&&x| x <= value).count();
    Ok(Probability::clamped(
        at_or_below as f64 / sample.len() as f64,
    ))
}

/// A confidence interval for a rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateInterval {
    /// `successes / trials`.
    pub rate: Probability,
    /// Lower end.
    pub low: Probability,
    /// Upper end.
    pub high: Probability,
}

/// Wilson score interval for `successes` out of `trials` at two-sided `confidence`
/// (`z = N⁻¹(1 − (1−c)/2)`): centre `(p̂ + z²/2n)/(1 + z²/n)`, half-width
/// `z/(1 + z²/n)·√(p̂(1−p̂)/n + z²/4n²)`.
pub fn wilson_interval(
    successes: u64,
    trials: u64,
    confidence: Probability,
) -> Result<RateInterval, StatsError> {
    if trials == 0 || successes > trials {
        return Err(StatsError::BadCounts { successes, trials });
    }
    let c = confidence.get();
    if c <= 0.0 || c >= 1.0 {
        return Err(StatsError::BadConfidence(c));
    }
    let z = normal::inv_cdf(1.0 - (1.0 - c) / 2.0);
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2n = z * z / n;
    let centre = (p + z2n / 2.0) / (1.0 + z2n);
    let half = z / (1.0 + z2n) * (p * (1.0 - p) / n + z2n / (4.0 * n)).sqrt();
    Ok(RateInterval {
        rate: Probability::clamped(p),
        low: Probability::clamped(centre - half),
        high: Probability::clamped(centre + half),
    })
}

/// Shannon entropy `−Σ p·ln p` in nats of a discrete distribution; with `normalised`, divided by
/// `ln(n)` (the entropy of the uniform distribution on the `n` outcomes) so that it lies in `[0, 1]`.
/// Zero probabilities contribute nothing. A single outcome has normalised entropy 0.
pub fn entropy(probabilities: &[f64], normalised: bool) -> Result<f64, StatsError> {
    check("entropy", probabilities, 1)?;
    let sum: f64 = probabilities.iter().sum();
    if probabilities.iter().any(|&p| p < 0.0) || (sum - 1.0).abs() > 1e-9 {
        return Err(StatsError::NotADistribution { sum });
    }
    let h: f64 = probabilities
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| -p * p.ln())
        .sum();
    let n = probabilities.len();
    Ok(match (normalised, n) {
        (false, _) => h,
        (true, 1) => 0.0,
        (true, n) => (h / (n as f64).ln()).clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    /// Reference: the textbook formula in Python (mpmath, z from statistics.NormalDist):
    /// ```python
    /// z = mpf(NormalDist().inv_cdf(1 - (1 - c) / 2)); p = mpf(k) / n; den = 1 + z*z/n
    /// center = (p + z*z/(2*n)) / den; half = z / den * sqrt(p*(1-p)/n + z*z/(4*n*n))
    /// ```
    #[rstest]
    #[case(81, 263, 0.95, 0.2552885198782742, 0.36620957698280004)]
    #[case(0, 10, 0.95, 0.0, 0.27753279986288915)]
    #[case(10, 10, 0.95, 0.7224672001371109, 1.0)]
    #[case(45, 50, 0.90, 0.8084624858484292, 0.9504709655225548)]
    #[case(1, 3, 0.99, 0.040426629296084725, 0.8557839849523329)]
    fn wilson_matches_reference(
        #[case] k: u64,
        #[case] n: u64,
        #[case] c: f64,
        #[case] low: f64,
        #[case] high: f64,
    ) {
        let ci = wilson_interval(k, n, Probability::new(c).unwrap()).unwrap();
        assert!((ci.low.get() - low).abs() < 1e-14, "{ci:?}");
        assert!((ci.high.get() - high).abs() < 1e-14, "{ci:?}");
        assert_eq!(ci.rate.get(), k as f64 / n as f64);
    }

    #[test]
    fn wilson_rejects_bad_counts() {
        let c = Probability::new(0.95).unwrap();
        assert!(matches!(
            wilson_interval(3, 2, c),
            Err(StatsError::BadCounts { .. })
        ));
        assert!(matches!(
            wilson_interval(0, 0, c),
            Err(StatsError::BadCounts { .. })
        ));
        let one = Probability::new(1.0).unwrap();
        assert_eq!(
            wilson_interval(1, 2, one),
            Err(StatsError::BadConfidence(1.0))
        );
    }

    /// Exact moments with Python's `fractions` (then mpmath for the square roots):
    /// skewness G1 = 0.37965623820642275 (g1 = 0.3201542508329961), mean −0.0003,
    /// sample sd 0.023247700005711438.
    #[test]
    fn moments_match_exact_values() {
        let xs = [
            0.012, -0.034, 0.005, 0.021, -0.008, 0.0, 0.044, -0.019, 0.003, -0.027,
        ];
        assert!((mean(&xs).unwrap() + 0.0003).abs() < 1e-17);
        assert!((sample_sd(&xs).unwrap() - 0.023247700005711438).abs() < 1e-16);
        assert!((skewness(&xs).unwrap() - 0.37965623820642275).abs() < 1e-13);
        assert_eq!(
            skewness(&[1.0, 1.0, 1.0]),
            Err(StatsError::ZeroSpread("skewness"))
        );
        assert!(matches!(
            skewness(&[1.0, 2.0]),
            Err(StatsError::TooFew {
                need: 3,
                got: 2,
                ..
            })
        ));
        assert!(matches!(
            mean(&[1.0, f64::NAN]),
            Err(StatsError::NonFinite { index: 1, .. })
        ));
        assert!(mean(&[]).is_err());
    }

    #[test]
    fn percentile_rank_counts_ties_as_below() {
        let sample = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(percentile_rank(2.0, &sample).unwrap().get(), 0.75);
        assert_eq!(percentile_rank(0.5, &sample).unwrap().get(), 0.0);
        assert_eq!(percentile_rank(3.0, &sample).unwrap().get(), 1.0);
        assert!(percentile_rank(f64::NAN, &sample).is_err());
    }

    #[test]
    fn entropy_values() {
        // −Σ p ln p for (1/2, 1/4, 1/8, 1/8) = 1.75·ln 2; normalised by ln 4: 0.875.
        let p = [0.5, 0.25, 0.125, 0.125];
        assert!((entropy(&p, false).unwrap() - 1.2130075659799042).abs() < 1e-15);
        assert!((entropy(&p, true).unwrap() - 0.875).abs() < 1e-15);
        assert!((entropy(&[1.0 / 3.0; 3], true).unwrap() - 1.0).abs() < 1e-15);
        assert_eq!(entropy(&[0.0, 1.0, 0.0], true).unwrap(), 0.0);
        assert_eq!(entropy(&[1.0], true).unwrap(), 0.0);
        assert!(matches!(
            entropy(&[0.5, 0.6], false),
            Err(StatsError::NotADistribution { .. })
        ));
        assert!(matches!(
            entropy(&[1.5, -0.5], false),
            Err(StatsError::NotADistribution { .. })
        ));
    }

    proptest! {
        #[test]
        fn wilson_contains_the_rate_and_narrows_with_n(k in 0u64..500, extra in 0u64..500, scale in 2u64..10) {
            let n = k + extra + 1;
            let c = Probability::new(0.95).unwrap();
            let ci = wilson_interval(k, n, c).unwrap();
            prop_assert!(ci.low <= ci.rate && ci.rate <= ci.high);
            let wide = ci.high.get() - ci.low.get();
            let more = wilson_interval(k * scale, n * scale, c).unwrap();
            prop_assert!(more.high.get() - more.low.get() < wide);
        }

        #[test]
        fn normalised_entropy_is_in_unit_interval(w in proptest::collection::vec(0.0f64..1.0, 2..8)) {
            let s: f64 = w.iter().sum();
            prop_assume!(s > 1e-6);
            let p: Vec<f64> = w.iter().map(|x| x / s).collect();
            let h = entropy(&p, true).unwrap();
            prop_assert!((0.0..=1.0).contains(&h));
        }
    }
}
