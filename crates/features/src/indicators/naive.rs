//! Test-only reference implementations: each recomputes an indicator from scratch with plain
//! loops over the whole input, independently of the streaming code.

use aegis_model::DailyBar;

use super::VolEstimator;

/// Asserts that a streaming value equals the reference within `tol·max(1, |want|)`,
/// and that both agree on whether the value exists.
pub(crate) fn assert_close(got: Option<f64>, want: Option<f64>, tol: f64, at: usize) {
    match (got, want) {
        (None, None) => {}
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "at {at}: streaming {g} vs reference {w}"
        ),
        _ => panic!("at {at}: streaming {got:?} vs reference {want:?}"),
    }
}

/// EMA seeded with the SMA of the first `n` values, one entry per input.
pub(crate) fn ema(xs: &[f64], n: usize) -> Vec<Option<f64>> {
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut out = vec![None; xs.len()];
    if xs.len() < n {
        return out;
    }
    let mut e = xs[..n].iter().sum::<f64>() / n as f64;
    out[n - 1] = Some(e);
    for i in n..xs.len() {
        e = alpha * xs[i] + (1.0 - alpha) * e;
        out[i] = Some(e);
    }
    out
}

/// Wilder smoothing of `xs` (means form): first = mean of the first `n`, then (prev·(n−1)+x)/n.
/// Entry `i` is the average after `xs[..=i]`.
fn wilder_mean(xs: &[f64], n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; xs.len()];
    if xs.len() < n {
        return out;
    }
    let mut a = xs[..n].iter().sum::<f64>() / n as f64;
    out[n - 1] = Some(a);
    for i in n..xs.len() {
        a = (a * (n as f64 - 1.0) + xs[i]) / n as f64;
        out[i] = Some(a);
    }
    out
}

/// Wilder RSI per close.
pub(crate) fn rsi(closes: &[f64], n: usize) -> Vec<Option<f64>> {
    let d: Vec<f64> = closes.windows(2).map(|w| w[1] - w[0]).collect();
    let gains: Vec<f64> = d.iter().map(|x| x.max(0.0)).collect();
    let losses: Vec<f64> = d.iter().map(|x| (-x).max(0.0)).collect();
    let (g, l) = (wilder_mean(&gains, n), wilder_mean(&losses, n));
    let mut out = vec![None];
    for i in 0..d.len() {
        out.push(match (g[i], l[i]) {
            (Some(g), Some(l)) if l > 0.0 => Some(100.0 - 100.0 / (1.0 + g / l)),
            (Some(g), Some(_)) if g > 0.0 => Some(100.0),
            _ => None,
        });
    }
    out
}

fn true_ranges(bars: &[DailyBar]) -> Vec<f64> {
    bars.windows(2)
        .map(|w| {
            let (p, b) = (w[0], w[1]);
            (b.high - b.low)
                .max((b.high - p.close).abs())
                .max((b.low - p.close).abs())
        })
        .collect()
}

/// Wilder ATR per bar.
pub(crate) fn atr(bars: &[DailyBar], n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None];
    out.extend(wilder_mean(&true_ranges(bars), n));
    out
}

/// Wilder ADX per bar.
pub(crate) fn adx(bars: &[DailyBar], n: usize) -> Vec<Option<f64>> {
    let tr = true_ranges(bars);
    let mut plus = Vec::new();
    let mut minus = Vec::new();
    for w in bars.windows(2) {
        let up = w[1].high - w[0].high;
        let down = w[0].low - w[1].low;
        plus.push(if up > down && up > 0.0 { up } else { 0.0 });
        minus.push(if down > up && down > 0.0 { down } else { 0.0 });
    }
    // Wilder sums: first = Σ of the first n, then S − S/n + x.
    let wilder_sum = |xs: &[f64]| -> Vec<Option<f64>> {
        let mut out = vec![None; xs.len()];
        if xs.len() < n {
            return out;
        }
        let mut s: f64 = xs[..n].iter().sum();
        out[n - 1] = Some(s);
        for i in n..xs.len() {
            s = s - s / n as f64 + xs[i];
            out[i] = Some(s);
        }
        out
    };
    let (str_, sp, sm) = (wilder_sum(&tr), wilder_sum(&plus), wilder_sum(&minus));
    let mut dx = Vec::new();
    for i in n - 1..tr.len() {
        let (t, p, m) = (str_[i].unwrap(), sp[i].unwrap(), sm[i].unwrap());
        let (pdi, mdi) = (100.0 * p / t, 100.0 * m / t);
        dx.push(if pdi + mdi > 0.0 {
            100.0 * (pdi - mdi).abs() / (pdi + mdi)
        } else {
            0.0
        });
    }
    // dx[j] belongs to bar j + n; ADX[j] (Wilder mean over dx) likewise.
    let adx = wilder_mean(&dx, n);
    let mut out = vec![None; bars.len()];
    for (j, v) in adx.into_iter().enumerate() {
        out[j + n] = v;
    }
    out
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn sample_var(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
}

/// Annualised realized vol of the last `days` bars of `bars` (recomputed from scratch).
pub(crate) fn realized_vol(bars: &[DailyBar], est: VolEstimator, days: usize) -> Option<f64> {
    let needs_prev = matches!(est, VolEstimator::CloseToClose | VolEstimator::YangZhang);
    let need = days + usize::from(needs_prev);
    if bars.len() < need {
        return None;
    }
    let w = &bars[bars.len() - need..];
    let n = days as f64;
    let ln2 = std::f64::consts::LN_2;
    let var = match est {
        VolEstimator::CloseToClose => {
            let r: Vec<f64> = w
                .windows(2)
                .map(|p| (p[1].close / p[0].close).ln())
                .collect();
            sample_var(&r)
        }
        VolEstimator::Parkinson => {
            w.iter().map(|b| (b.high / b.low).ln().powi(2)).sum::<f64>() / (4.0 * ln2 * n)
        }
        VolEstimator::GarmanKlass => {
            w.iter()
                .map(|b| {
                    0.5 * (b.high / b.low).ln().powi(2)
                        - (2.0 * ln2 - 1.0) * (b.close / b.open).ln().powi(2)
                })
                .sum::<f64>()
                / n
        }
        VolEstimator::YangZhang => {
            let o: Vec<f64> = w
                .windows(2)
                .map(|p| (p[1].open / p[0].close).ln())
                .collect();
            let c: Vec<f64> = w[1..].iter().map(|b| (b.close / b.open).ln()).collect();
            let rs = w[1..]
                .iter()
                .map(|b| {
                    (b.high / b.close).ln() * (b.high / b.open).ln()
                        + (b.low / b.close).ln() * (b.low / b.open).ln()
                })
                .sum::<f64>()
                / n;
            let k = 0.34 / (1.34 + (n + 1.0) / (n - 1.0));
            sample_var(&o) + k * sample_var(&c) + (1.0 - k) * rs
        }
    };
    Some((var.max(0.0) * 252.0).sqrt())
}

fn last_returns(closes: &[f64], days: usize) -> Option<Vec<f64>> {
    (closes.len() > days).then(|| {
        closes[closes.len() - days - 1..]
            .windows(2)
            .map(|w| (w[1] / w[0]).ln())
            .collect()
    })
}

/// Lo–MacKinlay VR(q) over the last `days` returns of `closes`.
pub(crate) fn variance_ratio(closes: &[f64], q: usize, days: usize) -> Option<f64> {
    let r = last_returns(closes, days)?;
    let (t, qf) = (days as f64, q as f64);
    let mu = mean(&r);
    let var_a = sample_var(&r);
    let m = qf * (t - qf + 1.0) * (1.0 - qf / t);
    let var_c = r
        .windows(q)
        .map(|w| (w.iter().sum::<f64>() - qf * mu).powi(2))
        .sum::<f64>()
        / m;
    (var_a > 0.0).then(|| var_c / var_a)
}

/// Lag-1 autocorrelation over the last `days` returns of `closes`.
pub(crate) fn autocorr1(closes: &[f64], days: usize) -> Option<f64> {
    let r = last_returns(closes, days)?;
    let mu = mean(&r);
    let num: f64 = r.windows(2).map(|w| (w[1] - mu) * (w[0] - mu)).sum();
    let den: f64 = r.iter().map(|x| (x - mu).powi(2)).sum();
    (den > 0.0).then(|| num / den)
}
