//! What to simulate, and why a request was refused.

use aegis_calendar::CalendarError;
use aegis_model::time::ist_at;
use aegis_model::{BarError, ChainError};
use aegis_quant::InputError;
use chrono::{DateTime, NaiveDate, Utc};

/// What to simulate. `Default` is a fixed, documented configuration (seed 2026, "now" =
/// 2026-11-25 15:30 IST) so that defaults are reproducible; the demo sets `end` to the current
/// time.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The seed: the same seed and configuration always give bit-identical output.
    pub seed: u64,
    /// The simulated "now". Inside a session the last daily bar is partial and the 5-minute bars
    /// and chains stop at this instant; after the close, or on a closed day, the last complete
    /// session is the last day.
    pub end: DateTime<Utc>,
    /// Years of daily history before the last day.
    pub years: u32,
    /// The index level before the first simulated day.
    pub start_level: f64,
    /// Where the index should end up: the drift is calibrated so that the last close lands within
    /// a few percent (a seeded draw, ±3 % one standard deviation) of this level.
    pub end_level: f64,
    /// Number of most recent sessions with 5-minute bars (Yahoo keeps about 60 days of them).
    pub intraday_sessions: u32,
    /// Number of most recent sessions with option-chain snapshots: one at each session's close, and
    /// through the latest session one every [`SimConfig::intraday_chain_every_minutes`].
    pub chain_days: u32,
    /// Spacing of the option-chain snapshots through the latest session, in minutes.
    pub intraday_chain_every_minutes: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
        SimConfig {
            seed: 2026,
            end: ist_at(day, 15, 30),
            years: 10,
            start_level: 8_000.0,
            end_level: 25_000.0,
            intraday_sessions: 60,
            chain_days: 10,
            intraday_chain_every_minutes: 15,
        }
    }
}

impl SimConfig {
    /// Checks every field on its own (the calendar window is checked by [`crate::simulate`]).
    pub(crate) fn check(&self) -> Result<(), SimError> {
        let bad = |field: &'static str, value: String, rule: &'static str| SimError::Config {
            field,
            value,
            rule,
        };
        if self.years == 0 {
            return Err(bad("years", "0".into(), "at least 1 year of daily history"));
        }
        for (field, v) in [
            ("start_level", self.start_level),
            ("end_level", self.end_level),
        ] {
            if !(v.is_finite() && v >= 1.0) {
                return Err(bad(
                    field,
                    v.to_string(),
                    "a finite index level of at least 1 point",
                ));
            }
        }
        if !(1..=375).contains(&self.intraday_chain_every_minutes) {
            return Err(bad(
                "intraday_chain_every_minutes",
                self.intraday_chain_every_minutes.to_string(),
                "between 1 and 375 minutes (one session)",
            ));
        }
        Ok(())
    }
}

/// Why a simulation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A configuration field out of its domain.
    #[error("SimConfig.{field} = {value} is invalid: it must be {rule}")]
    Config {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        rule: &'static str,
    },
    /// The window to simulate leaves the years the NSE calendar covers.
    #[error(
        "the simulated window {first} .. {last} leaves the years the NSE calendar covers ({covered_first}..={covered_last}): \
         lower SimConfig.years or move SimConfig.end inside the covered years"
    )]
    WindowNotCovered {
        /// First date the window needs.
        first: NaiveDate,
        /// Last date the window needs (the IST date of `end`).
        last: NaiveDate,
        /// First covered year.
        covered_first: i32,
        /// Last covered year.
        covered_last: i32,
    },
    /// A calendar query failed (for example a special session whose hours are not recorded falls
    /// on the date of `end`).
    #[error("calendar: {0}")]
    Calendar(#[from] CalendarError),
    /// A generated series failed validation: a bug in the simulator, reported rather than hidden.
    #[error("simulated {what} failed validation (simulator bug): {source}")]
    Series {
        /// Which series.
        what: &'static str,
        /// The broken rule.
        source: BarError,
    },
    /// A generated option chain failed validation: a bug in the simulator.
    #[error("simulated option chain at {at} failed validation (simulator bug): {source}")]
    Chain {
        /// Snapshot time.
        at: DateTime<Utc>,
        /// The broken rule.
        source: ChainError,
    },
    /// [`crate::simulate_index`] was asked for an index it does not derive.
    #[error(
        "simulate_index derives NIFTYBANK, FINNIFTY and MIDCAPSELECT from a simulated NIFTY market, not {symbol}: \
         NIFTY 50 and India VIX come from `simulate` itself (SimMarket.nifty_daily, vix_daily, ...)"
    )]
    NotDerived {
        /// The symbol asked for.
        symbol: aegis_model::Symbol,
    },
    /// The NIFTY market given to [`crate::simulate_index`] is not the one `simulate` produces for
    /// the configuration given with it.
    #[error(
        "the SimMarket passed to simulate_index was not simulated from this SimConfig ({detail}): \
         pass the market that simulate(config, cal) returned for the same config and calendar"
    )]
    MarketMismatch {
        /// What differs.
        detail: String,
    },
    /// A pricing input out of its domain: a bug in the simulator.
    #[error("pricing an option of the simulated chain failed (simulator bug): {0}")]
    Pricing(#[from] InputError),
}
