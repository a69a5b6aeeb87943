//! Small numerical tools for the volatility models: a Nelder–Mead minimiser and a
//! least-squares solver by Householder QR.

/// The result of a Nelder–Mead minimisation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// Iterations used (over all restarts).
    pub iterations: usize,
    /// Whether the simplex shrank below the tolerances before the iteration limit.
    pub converged: bool,
}

/// Minimises `f` from `start` with the Nelder–Mead simplex (reflection 1, expansion 2,
/// contraction ½, shrink ½), initial simplex steps `step` along each axis.
///
/// Converged when the objective values over the simplex differ by less than `f_tol` and every
/// vertex is within `x_tol` (max-norm) of the best one. After convergence it restarts once from
/// the best point with a fresh simplex, the usual guard against a simplex that collapsed early;
/// the result counts as converged only if the restart converges too.
/// A non-finite objective is treated as `+∞` (the point is rejected).
pub(crate) fn nelder_mead(
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    f_tol: f64,
    x_tol: f64,
    max_iterations: usize,
) -> Minimum {
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut best = start.to_vec();
    let mut iterations = 0;
    let mut converged = false;
    for _round in 0..2 {
        let (x, it, ok) = simplex_run(
            &eval,
            &best,
            step,
            f_tol,
            x_tol,
            max_iterations - iterations.min(max_iterations),
        );
        best = x;
        iterations += it;
        converged = ok;
        if !ok {
            break;
        }
    }
    let value = eval(&best);
    Minimum {
        x: best,
        value,
        iterations,
        converged,
    }
}

fn simplex_run(
    eval: &impl Fn(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    f_tol: f64,
    x_tol: f64,
    max_iterations: usize,
) -> (Vec<f64>, usize, bool) {
    let n = start.len();
    let mut simplex: Vec<Vec<f64>> = (0..=n)
        .map(|i| {
            let mut v = start.to_vec();
            if i > 0 {
                v[i - 1] += step;
            }
            v
        })
        .collect();
    let mut values: Vec<f64> = simplex.iter().map(|v| eval(v)).collect();
    for iteration in 0..max_iterations {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();

        let spread = values[n] - values[0];
        let size = simplex[1..]
            .iter()
            .flat_map(|v| v.iter().zip(&simplex[0]).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if spread.is_finite() && spread <= f_tol && size <= x_tol {
            return (simplex.swap_remove(0), iteration, true);
        }

        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|v| v[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n])
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = along(-1.0);
        let fr = eval(&reflected);
        if fr < values[0] {
            let expanded = along(-2.0);
            let fe = eval(&expanded);
            if fe < fr {
                simplex[n] = expanded;
                values[n] = fe;
            } else {
                simplex[n] = reflected;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = reflected;
            values[n] = fr;
        } else {
            let (contracted, fc) = if fr < values[n] {
                let c = along(-0.5);
                let v = eval(&c);
                (c, v)
            } else {
                let c = along(0.5);
                let v = eval(&c);
                (c, v)
            };
            if fc < values[n].min(fr) {
                simplex[n] = contracted;
                values[n] = fc;
            } else {
                let best = simplex[0].clone();
                for i in 1..=n {
                    for (x, b) in simplex[i].iter_mut().zip(&best) {
                        *x = b + 0.5 * (*x - b);
                    }
                    values[i] = eval(&simplex[i]);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    (simplex.swap_remove(best), max_iterations, false)
}

/// Least squares `min ‖X·b − y‖` by Householder QR, for a row-major design matrix with `p`
/// columns. `None` when the columns are (numerically) linearly dependent: a diagonal entry of
/// `R` below `1e-10 ×` the largest.
pub(crate) fn least_squares(design: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let m = design.len();
    let p = design.first()?.len();
    if m < p || y.len() != m {
        return None;
    }
    // Column-major copy.
    let mut a: Vec<Vec<f64>> = (0..p)
        .map(|j| design.iter().map(|r| r[j]).collect())
        .collect();
    let mut rhs = y.to_vec();
    let mut diag = vec![0.0; p];
    for k in 0..p {
        let norm = a[k][k..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return None;
        }
        let alpha = if a[k][k] > 0.0 { -norm } else { norm };
        // v = x − alpha·e1, stored in place of column k (below the diagonal).
        let mut v = a[k][k..].to_vec();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|x| x * x).sum();
        diag[k] = alpha;
        if vnorm2 > 0.0 {
            for col in a.iter_mut().skip(k + 1) {
                let dot: f64 = v.iter().zip(&col[k..]).map(|(a, b)| a * b).sum();
                let s = 2.0 * dot / vnorm2;
                for (c, vi) in col[k..].iter_mut().zip(&v) {
                    *c -= s * vi;
                }
            }
            let dot: f64 = v.iter().zip(&rhs[k..]).map(|(a, b)| a * b).sum();
            let s = 2.0 * dot / vnorm2;
            for (c, vi) in rhs[k..].iter_mut().zip(&v) {
                *c -= s * vi;
            }
        }
    }
    let largest = diag.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    if diag.iter().any(|d| d.abs() <= 1e-10 * largest) {
        return None;
    }
    // Back substitution on R (upper triangle of the transformed columns, diagonal in `diag`).
    let mut b = vec![0.0; p];
    for i in (0..p).rev() {
        let s: f64 = (i + 1..p).map(|j| a[j][i] * b[j]).sum();
        b[i] = (rhs[i] - s) / diag[i];
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = nelder_mead(rosenbrock, &[-1.2, 1.0], 0.5, 1e-14, 1e-8, 10_000);
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
    }

    #[test]
    fn nelder_mead_reports_non_convergence() {
        let m = nelder_mead(|x: &[f64]| x[0], &[0.0], 1.0, 1e-12, 1e-12, 50);
        assert!(!m.converged);
        assert_eq!(m.iterations, 50);
    }

    #[test]
    fn least_squares_solves_an_exact_system_and_detects_collinearity() {
        // y = 1 + 2·x1 − 3·x2 exactly.
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| {
                let x1 = f64::from(i);
                let x2 = f64::from(i * i % 7);
                vec![1.0, x1, x2]
            })
            .collect();
        let y: Vec<f64> = rows.iter().map(|r| 1.0 + 2.0 * r[1] - 3.0 * r[2]).collect();
        let b = least_squares(&rows, &y).unwrap();
        for (got, want) in b.iter().zip([1.0, 2.0, -3.0]) {
            assert!((got - want).abs() < 1e-12, "{b:?}");
        }
        let collinear: Vec<Vec<f64>> = rows.iter().map(|r| vec![1.0, r[1], 2.0 * r[1]]).collect();
        assert_eq!(least_squares(&collinear, &y), None);
    }
}
