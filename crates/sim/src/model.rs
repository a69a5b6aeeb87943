//! The index's volatility model: an EGARCH(1,1) with a leverage term, Student-t innovations and
//! compound-Poisson jumps that feed the variance; the intraday variance profile; and the
//! India-VIX-like implied vol.
//!
//! Daily log return `ε_t = √h_t · z_t + J_t`, `z_t` a unit-variance Student-t (a normal scaled by
//! `√((ν−2)/χ²_ν)`, the same scale for the whole day so the intraday path stays one draw), `J_t` a
//! jump (about 1.5 a year, log size N(−3 %, 2 %): mostly down), and
//!
//! ```text
//! ln h_{t+1} = min(ω + β·ln h_t + α·(|ẑ_t| − E|z|) + γ·ẑ_t + κ·max(−J_t, 0), ln h_max),
//! ẑ_t = ε_t/√h_t clipped to ±z_clip
//! ```
//!
//! With `γ < 0` a fall raises the variance and a rise lowers it (the leverage effect), which is
//! what makes the VIX move against the index; a crash (`κ` term) starts a volatile spell of a few
//! months. Parameters are chosen to resemble NIFTY 2012–2025 (annualised 21-day vol with a median
//! near 13 % and mostly 7–30 %, spells of 40–100 % after crashes, excess kurtosis well above 1,
//! clustered squared returns); the tests in `tests.rs` check those properties on the output.

/// Trading days per year (the clock of daily variances).
pub(crate) const TRADING_DAYS: f64 = 252.0;

/// Parameters of the daily model. One fixed set (see [`VOL_MODEL`]); kept as a struct so every
/// number has a name and a comment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VolModel {
    /// β: persistence of log-variance.
    pub persistence: f64,
    /// α: response of log-variance to the size of a shock.
    pub size_response: f64,
    /// γ: response to the sign of a shock (negative: falls raise vol).
    pub leverage: f64,
    /// Standardised shocks are clipped to ± this in the variance update (a jump of −8 % on a
    /// 1 %-vol day still raises vol a lot, but cannot blow it up).
    pub shock_clip: f64,
    /// Long-run annualised volatility of the diffusive part.
    pub long_run_vol: f64,
    /// Ceiling of the annualised diffusive volatility (NIFTY's worst month, March 2020, realised
    /// about 70 %): keeps the jump/variance feedback from running away.
    pub max_vol: f64,
    /// Degrees of freedom of the Student-t innovations.
    pub t_dof: u32,
    /// Jumps per year (compound Poisson).
    pub jumps_per_year: f64,
    /// Rise of `ln h` per unit of downward jump (log size): a crash starts a volatile spell beyond
    /// what its clipped standardised size alone would (a −3 % jump multiplies the variance by
    /// e^0.9 ≈ 2.5).
    pub jump_vol_impact: f64,
    /// Mean log jump size (negative: mostly down).
    pub jump_mean: f64,
    /// Standard deviation of the log jump size.
    pub jump_sd: f64,
    /// Share of jumps that happen overnight (in the opening gap) rather than intraday.
    pub jump_overnight_share: f64,
    /// Share of a day's diffusive variance that falls overnight (the opening gap).
    pub gap_variance_share: f64,
    /// Variance risk premium: implied vol is `(1 + vrp)` times the model-expected vol.
    pub variance_risk_premium: f64,
    /// A premium that does not scale with vol (model uncertainty): implied variance gets this
    /// squared added, so the VIX-like series never sinks as low as realised vol can (India VIX
    /// has hardly closed below 10 since 2010).
    pub implied_vol_floor: f64,
    /// AR(1) coefficient of the log-VIX noise.
    pub vix_noise_persistence: f64,
    /// Innovation standard deviation of the log-VIX noise.
    pub vix_noise_sd: f64,
    /// Intraday elasticity of log VIX to the index's log return (VIX falls as the index rises).
    pub vix_intraday_beta: f64,
    /// Intraday log-VIX noise per session (standard deviation over a full session).
    pub vix_intraday_noise: f64,
    /// Intraday profile: extra variance at the open, relative to midday.
    pub open_boost: f64,
    /// Intraday profile: decay of the opening burst, as a fraction of the session.
    pub open_decay: f64,
    /// Intraday profile: extra variance into the close, relative to midday.
    pub close_boost: f64,
    /// Intraday profile: build-up into the close, as a fraction of the session.
    pub close_decay: f64,
}

/// The model used by [`crate::simulate`].
pub(crate) const VOL_MODEL: VolModel = VolModel {
    persistence: 0.985,
    size_response: 0.09,
    leverage: -0.09,
    shock_clip: 6.0,
    long_run_vol: 0.115,
    max_vol: 0.9,
    t_dof: 20,
    jumps_per_year: 1.5,
    jump_vol_impact: 30.0,
    jump_mean: -0.03,
    jump_sd: 0.02,
    jump_overnight_share: 0.7,
    gap_variance_share: 0.25,
    variance_risk_premium: 0.16,
    implied_vol_floor: 0.07,
    vix_noise_persistence: 0.85,
    vix_noise_sd: 0.045,
    vix_intraday_beta: 3.0,
    vix_intraday_noise: 0.06,
    open_boost: 5.0,
    open_decay: 0.05,
    close_boost: 2.6,
    close_decay: 0.07,
};

/// `Γ(n/2)` for a whole number `n ≥ 1`, from `Γ(1) = 1`, `Γ(1/2) = √π` and `Γ(x + 1) = x·Γ(x)`.
fn gamma_half(n: u32) -> f64 {
    let (mut x, mut g) = if n.is_multiple_of(2) {
        (1.0, 1.0)
    } else {
        (0.5, std::f64::consts::PI.sqrt())
    };
    while x < f64::from(n) / 2.0 {
        g *= x;
        x += 1.0;
    }
    g
}

impl VolModel {
    /// `E|z|` for the unit-variance Student-t `z = n·√((ν−2)/χ²_ν)`:
    /// `E|n| = √(2/π)` and `E[√(1/χ²_ν)] = Γ((ν−1)/2) / (√2·Γ(ν/2))`.
    pub fn mean_abs_shock(&self) -> f64 {
        let nu = self.t_dof;
        let e_scale = (f64::from(nu - 2) / 2.0).sqrt() * gamma_half(nu - 1) / gamma_half(nu);
        e_scale * (2.0 / std::f64::consts::PI).sqrt()
    }

    /// Variance of one log-variance innovation `α(|z| − E|z|) + γz` (`Cov(|z|, z) = 0` by symmetry).
    fn innovation_variance(&self) -> f64 {
        let m = self.mean_abs_shock();
        self.size_response.powi(2) * (1.0 - m * m) + self.leverage.powi(2)
    }

    /// Stationary variance of `ln h`.
    fn log_variance_spread(&self) -> f64 {
        self.innovation_variance() / (1.0 - self.persistence.powi(2))
    }

    /// Long-run mean daily diffusive variance `h̄`.
    pub fn long_run_variance(&self) -> f64 {
        self.long_run_vol.powi(2) / TRADING_DAYS
    }

    /// Stationary mean of `ln h`, set so that `E[h] = h̄` under a log-normal approximation.
    pub fn long_run_log_variance(&self) -> f64 {
        self.long_run_variance().ln() - 0.5 * self.log_variance_spread()
    }

    /// One variance update: `ln h_{t+1}` from `ln h_t`, the day's shock `ε/√h` and its jump (log
    /// size, 0 if none).
    pub fn next_log_variance(&self, log_h: f64, shock: f64, jump: f64) -> f64 {
        let z = shock.clamp(-self.shock_clip, self.shock_clip);
        let omega = (1.0 - self.persistence) * self.long_run_log_variance();
        (omega
            + self.persistence * log_h
            + self.size_response * (z.abs() - self.mean_abs_shock())
            + self.leverage * z
            + self.jump_vol_impact * (-jump).max(0.0))
        .min((self.max_vol * self.max_vol / TRADING_DAYS).ln())
    }

    /// Daily jump probability.
    pub fn jump_probability(&self) -> f64 {
        self.jumps_per_year / TRADING_DAYS
    }

    /// Model-expected mean daily variance (diffusion plus jumps) over the next `days` trading
    /// days, given `ln h` of the first of them. The log-variance forecast decays geometrically to
    /// its mean; `E[h] = exp(mean + var/2)` (log-normal approximation; the feedback of future jumps
    /// into the variance is left out).
    pub fn expected_variance(&self, log_h_next: f64, days: usize) -> f64 {
        let days = days.max(1);
        let m = self.long_run_log_variance();
        let q = self.innovation_variance();
        let b2 = self.persistence * self.persistence;
        let jump_second_moment = self.jump_mean.powi(2) + self.jump_sd.powi(2);
        let (mut decay, mut decay2, mut total) = (1.0, 1.0, 0.0);
        for _ in 0..days {
            let mean = m + decay * (log_h_next - m);
            let var = q * (1.0 - decay2) / (1.0 - b2);
            total += (mean + 0.5 * var).exp();
            decay *= self.persistence;
            decay2 *= b2;
        }
        total / days as f64 + self.jump_probability() * jump_second_moment
    }

    /// The implied volatility (annualised fraction) for a horizon of `days` trading days:
    /// `√((1 + vrp)² · 252 · expected variance + floor²) · e^{noise}`.
    pub fn implied_vol(&self, log_h_next: f64, days: usize, log_noise: f64) -> f64 {
        let premium = (1.0 + self.variance_risk_premium).powi(2);
        (premium * TRADING_DAYS * self.expected_variance(log_h_next, days)
            + self.implied_vol_floor.powi(2))
        .sqrt()
            * log_noise.exp()
    }

    /// The intraday variance profile at session fraction `tau ∈ [0, 1]`, relative to midday: a
    /// burst at the open decaying over the first minutes, a build-up into the close (the U shape
    /// of NSE intraday volatility).
    pub fn intraday_profile(&self, tau: f64) -> f64 {
        1.0 + self.open_boost * (-tau / self.open_decay).exp()
            + self.close_boost * (-(1.0 - tau) / self.close_decay).exp()
    }

    /// Per-minute variance weights for a session of `minutes` minutes, summing to 1.
    pub fn minute_weights(&self, minutes: usize) -> Vec<f64> {
        let raw: Vec<f64> = (0..minutes)
            .map(|m| self.intraday_profile((m as f64 + 0.5) / minutes as f64))
            .collect();
        let total: f64 = raw.iter().sum();
        raw.into_iter().map(|w| w / total).collect()
    }
}

/// Trading days in a horizon of `calendar_years` (calendar-time years), at least one.
pub(crate) fn trading_days_in(calendar_years: f64) -> usize {
    ((calendar_years * TRADING_DAYS).round() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn gamma_at_half_integers() {
        let pi = std::f64::consts::PI;
        assert!((gamma_half(1) - pi.sqrt()).abs() < 1e-15);
        assert_eq!(gamma_half(2), 1.0);
        assert!((gamma_half(5) - 0.75 * pi.sqrt()).abs() < 1e-15); // Γ(5/2)
        assert_eq!(gamma_half(8), 6.0); // Γ(4)
    }

    /// The closed form of E|z| against 400 000 draws of the same construction the simulator uses
    /// (standard error of |z| ≈ 0.65/√n ≈ 0.001).
    #[test]
    fn mean_abs_shock_matches_sampling() {
        let m = VOL_MODEL;
        let mut r = Rng::new(11);
        let n = 400_000;
        let nu = m.t_dof;
        let mut sum = 0.0;
        for _ in 0..n {
            let s = (f64::from(nu - 2) / r.chi_square(nu)).sqrt();
            sum += (r.normal() * s).abs();
        }
        let sampled = sum / n as f64;
        assert!(
            (sampled - m.mean_abs_shock()).abs() < 0.005,
            "{sampled} vs {}",
            m.mean_abs_shock()
        );
    }

    #[test]
    fn forecast_reverts_to_the_long_run_and_leverage_raises_vol() {
        let m = VOL_MODEL;
        let mean = m.long_run_log_variance();
        let high = mean + 1.5;
        let low = mean - 1.0;
        // Short horizons sit near the current state, long ones near the mean.
        assert!(m.expected_variance(high, 1) > m.expected_variance(high, 250));
        assert!(m.expected_variance(low, 1) < m.expected_variance(low, 250));
        // A fall raises next-day variance, an equal rise lowers it.
        assert!(m.next_log_variance(mean, -2.0, 0.0) > m.next_log_variance(mean, 0.0, 0.0));
        assert!(m.next_log_variance(mean, 2.0, 0.0) <= m.next_log_variance(mean, 0.0, 0.0) + 1e-12);
        // Stationarity: with no shock beyond its mean the state reverts.
        let next = m.next_log_variance(high, m.mean_abs_shock(), 0.0);
        assert!(m.next_log_variance(mean, -3.0, -0.05) > m.next_log_variance(mean, -3.0, 0.0));
        assert!(next < high && next > mean);
    }

    #[test]
    fn intraday_profile_is_u_shaped() {
        let m = VOL_MODEL;
        let w = m.minute_weights(375);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let block = |a: usize, b: usize| w[a..b].iter().sum::<f64>();
        let (open, mid, close) = (block(0, 30), block(165, 195), block(345, 375));
        assert!(
            open > 1.5 * mid && close > 1.5 * mid,
            "{open} {mid} {close}"
        );
    }
}
