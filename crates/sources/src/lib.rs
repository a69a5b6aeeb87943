//! Market-data sources for AegisMatrix, one module per adapter (NautilusTrader's adapter style):
//!
//! * [`csv`] — offline import of Yahoo-export and NSE index-history CSV files;
//! * [`yahoo`] — the Yahoo Finance v8 chart API (daily and 5-minute bars, incremental);
//! * [`nse`] — the NSE option-chain API (cookie warm-up, expiry list, per-expiry `option-chain-v3`)
//!   and the parser of saved chain JSON of both known shapes;
//! * [`http`] — the shared blocking HTTP layer: timeouts, deterministic exponential-backoff retries,
//!   typed errors that name the service and the fix;
//! * [`session`] — NSE session times and the partial-bar rule shared by all adapters.
//!
//! Everything returns [`aegis_model`] types ([`DailySeries`](aegis_model::DailySeries),
//! [`IntradaySeries`](aegis_model::IntradaySeries), [`OptionChain`](aegis_model::OptionChain))
//! validated by their constructors, or a typed error. Nothing is skipped silently: every skipped row
//! is counted and reported with its reason.

pub mod csv;
pub mod http;
pub mod nse;
pub mod nse_reports;
pub mod session;
pub mod yahoo;
