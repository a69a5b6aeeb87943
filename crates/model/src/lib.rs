//! Domain types shared by every stage of the AegisMatrix pipeline.
//!
//! Nothing in this crate does I/O. It names the things the rest of the
//! workspace talks about:
//!
//! * [`Symbol`] — the instruments we track (NIFTY 50, India VIX, …);
//! * [`Candle`] and [`Series`] — validated OHLC bars keyed by IST trading
//!   date ([`DailyBar`]) or by bar-start timestamp ([`IntradayBar`]);
//! * [`OptionChain`] — one snapshot of an option chain across expiries;
//! * [`Expiry`] — an option expiry date;
//! * units that must not be confused: [`Points`], [`Percent`],
//!   [`AnnualVol`], [`Probability`];
//! * [`Provenance`] and [`Metric`] — where every published number came from.
//!
//! ```
//! use aegis_model::{Candle, Series, Symbol, Interval, DataOrigin};
//! use chrono::NaiveDate;
//!
//! let d = |day| NaiveDate::from_ymd_opt(2025, 11, day).unwrap();
//! let bars = vec![
//!     Candle::new(d(24), 100.0, 105.0, 99.0, 104.0),
//!     Candle::new(d(25), 104.0, 106.0, 101.0, 102.0),
//! ];
//! let series = Series::new(Symbol::Nifty50, Interval::Daily, DataOrigin::CsvImport, bars).unwrap();
//! assert_eq!(series.last().unwrap().close, 102.0);
//! ```

mod candle;
mod chain;
mod provenance;
mod symbol;
pub mod time;
mod units;

pub use candle::{
    BarError, BarKey, BarRule, Candle, DailyBar, DailySeries, DataOrigin, Interval, IntradayBar,
    IntradaySeries, Series,
};
pub use chain::{ChainError, ChainRow, Expiry, OptionChain, OptionQuote, OptionSide};
pub use provenance::{Method, Metric, Provenance, Status};
pub use symbol::{Symbol, UnknownSymbol};
pub use units::{AnnualVol, Percent, Points, Probability, ProbabilityError};
