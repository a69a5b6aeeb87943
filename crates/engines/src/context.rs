//! The inputs of a run, cut at its as-of time, and what every engine derives from them once:
//! the complete daily history with its features and expiry windows, today's 5-minute session
//! and the earlier ones, the option chain and whether it is fresh, and the data time and
//! freshness of each kind of data (see the crate documentation for the staleness rules).

use aegis_calendar::{CalendarError, MarketState, NseCalendar};
use aegis_features::intraday::{IntradayError, SessionBars};
use aegis_features::{FeatureFrame, FeatureSet};
use aegis_ml::history::DailyHistory;
use aegis_ml::labels::ExpiryWindow;
use aegis_ml::predictor::ModelSet;
use aegis_ml::training::{TrainError, TrainingData};
use aegis_model::time::{ist_at, ist_date, to_ist};
use aegis_model::{DailySeries, DataOrigin, IntradayBar, IntradaySeries, OptionChain, Symbol};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

use crate::common::Missing;

/// Length of a 5-minute bar.
pub(crate) const BAR_MINUTES: i64 = 5;

/// Run parameters the engines use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineSettings {
    /// Confidence of the safe short range (0.90: 5 % touch probability each side).
    pub confidence: f64,
    /// During a session, intraday data and option chains older than this are stale.
    pub stale_after_minutes: i64,
    /// How many expiries the sellers' view covers (nearest first).
    pub seller_expiries: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            confidence: 0.90,
            stale_after_minutes: 30,
            seller_expiries: 3,
        }
    }
}

/// The data of a run as read from the store, before it is cut at the as-of time.
#[derive(Debug, Clone)]
pub struct MarketData {
    /// NIFTY 50 daily bars (a partial last bar is allowed; it is never used).
    pub nifty: DailySeries,
    /// India VIX daily bars.
    pub vix: DailySeries,
    /// NIFTY 50 5-minute bars of the recent sessions (may be empty).
    pub intraday: IntradaySeries,
    /// The newest option chain stamped at or before the as-of time, if any.
    pub chain: Option<OptionChain>,
}

/// Why a run could not start. Everything after the preparation is per metric: a metric that
/// cannot be computed is `unavailable`, the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The calendar cannot answer for the as-of time.
    #[error(
        "the NSE calendar cannot place the as-of time {as_of}: {source}; run with an --as-of inside the covered years"
    )]
    Calendar {
        /// The as-of time (IST).
        as_of: DateTime<FixedOffset>,
        /// The calendar's error.
        source: CalendarError,
    },
    /// No usable daily history before the as-of time.
    #[error(
        "no usable index / India VIX daily history up to {as_of}: {reason}; import or fetch the daily bars first (aegis import <csv> or aegis fetch --daily)"
    )]
    NoHistory {
        /// The as-of time (IST).
        as_of: DateTime<FixedOffset>,
        /// What is missing.
        reason: String,
    },
    /// The wrong series was passed.
    #[error("{0}")]
    WrongSeries(String),
    /// The settings are out of range.
    #[error(
        "engine setting {name} = {value} is out of range: {rule}; fix the [engine] section of the configuration"
    )]
    Setting {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// The rule.
        rule: &'static str,
    },
}

/// The time of the newest data a metric can use, and whether that data is current.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Basis {
    /// Data time (IST); `None` when there is no such data.
    pub at: Option<DateTime<FixedOffset>>,
    /// Why the data is stale, if it is.
    pub stale: Option<String>,
    /// Why the data is missing, if it is.
    pub missing: Option<Missing>,
}

impl Basis {
    fn ok(at: DateTime<FixedOffset>) -> Self {
        Basis {
            at: Some(at),
            stale: None,
            missing: None,
        }
    }

    fn missing(reason: impl Into<String>, fix: &str) -> Self {
        Basis {
            at: None,
            stale: None,
            missing: Some(Missing::new(reason, fix)),
        }
    }

    /// The data, or why it is missing.
    pub fn require(&self) -> Result<(), Missing> {
        match &self.missing {
            Some(m) => Err(m.clone()),
            None => Ok(()),
        }
    }
}

/// Fixes named in `unavailable` and `stale` metrics.
pub(crate) mod fix {
    /// No or stale option chain.
    pub const CHAIN: &str = "aegis fetch --chain (or aegis import a saved chain JSON)";
    /// No or stale 5-minute bars.
    pub const INTRADAY: &str = "aegis fetch --intraday (or aegis import a 5-minute CSV)";
    /// No or stale daily bars.
    pub const DAILY: &str = "aegis fetch --daily (or aegis import a daily CSV)";
    /// A missing or broken model.
    pub const TRAIN: &str = "run `aegis train`";
}

/// The option chain of the run and whether it is current.
#[derive(Debug, Clone)]
pub(crate) struct ChainView {
    pub chain: OptionChain,
    /// Fresh by the staleness rule (so its prices may stand for now).
    pub fresh: bool,
}

/// Everything the engines read: the inputs cut at the as-of time, and what is derived from
/// them once.
#[derive(Debug)]
pub struct EngineInputs<'a> {
    /// The run's as-of time.
    pub as_of: DateTime<Utc>,
    /// The NSE calendar.
    pub calendar: &'a NseCalendar,
    /// The trained models (each loaded or with its error).
    pub models: &'a ModelSet,
    /// Run parameters.
    pub settings: EngineSettings,
    /// Complete daily NIFTY bars with India VIX joined on date, up to the last completed session.
    pub history: DailyHistory,
    /// The standard features of every history row (the last row is the forecast origin).
    pub frame: FeatureFrame,
    /// The window to the nearest weekly expiry of every history row.
    pub windows: Vec<Option<ExpiryWindow>>,
    /// The newest option chain at or before the as-of time.
    pub chain: Option<OptionChain>,
    /// 5-minute NIFTY bars complete at the as-of time.
    pub intraday: IntradaySeries,
    pub(crate) state: MarketState,
    /// The last session whose close is at or before the as-of time.
    pub(crate) last_session: NaiveDate,
    /// The sessions of the intraday bars, oldest first (or why they could not be split).
    pub(crate) sessions: Result<Vec<SessionBars>, IntradayError>,
    /// Daily India VIX closes (complete bars up to the last completed session).
    pub(crate) vix_daily: DailySeries,
    pub(crate) chain_view: Option<ChainView>,
    pub(crate) daily: Basis,
    pub(crate) vix_basis: Basis,
    pub(crate) intra: Basis,
    pub(crate) chain_basis: Basis,
    pub(crate) simulated: bool,
    pub(crate) nifty_origin: DataOrigin,
}

/// Age of data for a staleness reason: calendar days when at least a day apart, else hours
/// and minutes.
pub(crate) fn age_text(from: DateTime<FixedOffset>, to: DateTime<FixedOffset>) -> String {
    let days = (to.date_naive() - from.date_naive()).num_days();
    if days >= 1 {
        return format!("{days} day{} old", if days == 1 { "" } else { "s" });
    }
    let minutes = (to - from).num_minutes().max(0);
    if minutes >= 120 {
        format!("{} hours old", minutes / 60)
    } else {
        format!("{minutes} minutes old")
    }
}

fn hhmm(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// The close of `date`'s session (15:30 IST on a regular day) as an IST time.
fn session_close(cal: &NseCalendar, date: NaiveDate) -> DateTime<FixedOffset> {
    match cal.session(date) {
        Ok(Some(s)) => to_ist(s.close),
        _ => to_ist(ist_at(date, 15, 30)),
    }
}

/// The last session that closed at or before `as_of`.
pub(crate) fn last_completed_session(
    cal: &NseCalendar,
    as_of: DateTime<Utc>,
) -> Result<NaiveDate, CalendarError> {
    let date = ist_date(as_of);
    if let Some(s) = cal.session(date)?
        && as_of >= s.close
    {
        return Ok(date);
    }
    cal.prev_trading_day(date)
}

fn cut_daily(series: &DailySeries, last: NaiveDate) -> DailySeries {
    series.until(last).complete()
}

/// Intraday bars complete at `as_of`: bar start + 5 minutes ≤ `as_of`.
fn cut_intraday(series: &IntradaySeries, as_of: DateTime<Utc>) -> IntradaySeries {
    series.until(as_of - Duration::minutes(BAR_MINUTES))
}

impl<'a> EngineInputs<'a> {
    /// Cuts `data` at `as_of` (no look-ahead: daily bars of sessions closed by then, complete
    /// bars only; 5-minute bars complete by then; the chain is read at or before it by the
    /// caller) and derives what the engines share.
    pub fn prepare(
        data: MarketData,
        as_of: DateTime<Utc>,
        calendar: &'a NseCalendar,
        models: &'a ModelSet,
        settings: EngineSettings,
    ) -> Result<Self, EngineError> {
        check_settings(&settings)?;
        let as_of_ist = to_ist(as_of);
        let cal_err = |source| EngineError::Calendar {
            as_of: as_of_ist,
            source,
        };
        let symbol = data.nifty.symbol();
        if symbol.nse_option_symbol().is_none() || data.vix.symbol() != Symbol::IndiaVix {
            return Err(EngineError::WrongSeries(format!(
                "the engines need the daily series of an index with listed options (NIFTY50, NIFTYBANK, FINNIFTY, MIDCAPSELECT) and India VIX's, got {} and {}",
                symbol,
                data.vix.symbol()
            )));
        }
        let others = [
            (!data.intraday.is_empty()).then(|| ("5-minute bars", data.intraday.symbol())),
            data.chain.as_ref().map(|c| ("option chain", c.symbol)),
        ];
        if let Some((what, other)) = others.into_iter().flatten().find(|(_, s)| *s != symbol) {
            return Err(EngineError::WrongSeries(format!(
                "the {what} are {other}'s but the daily bars are {symbol}'s: pass one index's data to a run"
            )));
        }
        let state = calendar.market_state(as_of).map_err(cal_err)?;
        let last_session = last_completed_session(calendar, as_of).map_err(cal_err)?;
        let nifty = cut_daily(&data.nifty, last_session);
        let vix = cut_daily(&data.vix, last_session);
        let no_history = |reason: String| EngineError::NoHistory {
            as_of: as_of_ist,
            reason,
        };
        if nifty.is_empty() {
            return Err(no_history(format!(
                "the store has no complete {} daily bar",
                symbol.display_name()
            )));
        }
        if vix.is_empty() {
            return Err(no_history(
                "the store has no complete India VIX daily bar".into(),
            ));
        }
        let prepared = TrainingData::prepare(&nifty, &vix, calendar).map_err(|e| match e {
            TrainError::NoData(reason) => no_history(reason),
            other => no_history(other.to_string()),
        })?;
        let TrainingData {
            history,
            frame,
            windows,
            ..
        } = prepared;
        let origin = *history
            .dates()
            .last()
            .expect("prepare refuses an empty history");

        let daily = {
            let at = session_close(calendar, origin);
            let mut b = Basis::ok(at);
            if origin < last_session {
                let missing = calendar
                    .trading_days_between(origin, last_session)
                    .unwrap_or(0);
                b.stale = Some(format!(
                    "newest complete {} daily bar is {origin}, but the session of {last_session} has closed ({missing} session{} missing)",
                    symbol.display_name(),
                    if missing == 1 { "" } else { "s" }
                ));
            }
            b
        };
        let vix_basis = match vix.last() {
            Some(bar) => {
                let mut b = Basis::ok(session_close(calendar, bar.key));
                if bar.key < last_session {
                    b.stale = Some(format!(
                        "newest complete India VIX daily bar is {}, but the session of {last_session} has closed",
                        bar.key
                    ));
                }
                b
            }
            None => Basis::missing("no India VIX daily bar is stored", fix::DAILY),
        };

        let intraday = cut_intraday(&data.intraday, as_of);
        let limit = settings.stale_after_minutes;
        let intra = match intraday.last() {
            None => Basis::missing(
                if data.intraday.is_empty() {
                    format!(
                        "no 5-minute bars are stored for the weeks up to {} IST",
                        hhmm(as_of_ist)
                    )
                } else {
                    format!("no 5-minute bar is complete at {} IST", hhmm(as_of_ist))
                },
                fix::INTRADAY,
            ),
            Some(bar) => {
                let end = to_ist(bar.key + Duration::minutes(BAR_MINUTES));
                let mut b = Basis::ok(end);
                let bar_day = ist_date(bar.key);
                if state == MarketState::Open {
                    let age = (as_of_ist - end).num_minutes();
                    if age > limit {
                        b.stale = Some(format!(
                            "newest 5-minute bar closed at {} IST, {} (limit {limit} minutes during a session)",
                            hhmm(end),
                            age_text(end, as_of_ist)
                        ));
                    }
                } else if bar_day < last_session {
                    b.stale = Some(format!(
                        "newest 5-minute bars are from the session of {bar_day}; the session of {last_session} has closed since"
                    ));
                }
                b
            }
        };

        let last_close = session_close(calendar, last_session);
        let chain_view = data.chain.clone().map(|chain| {
            let ts = chain.timestamp;
            let fresh = if state == MarketState::Open {
                (as_of_ist - ts).num_minutes() <= limit
            } else {
                ts >= last_close
            };
            ChainView { chain, fresh }
        });
        let chain_basis = match &chain_view {
            None => Basis::missing("no option chain is stored", fix::CHAIN),
            Some(v) => {
                let ts = v.chain.timestamp.with_timezone(&as_of_ist.timezone());
                let mut b = Basis::ok(ts);
                if !v.fresh {
                    let rule = if state == MarketState::Open {
                        format!("limit {limit} minutes during a session")
                    } else {
                        format!("older than the close of {last_session}")
                    };
                    b.stale = Some(format!(
                        "option chain from {} IST, {} ({rule})",
                        hhmm(ts),
                        age_text(ts, as_of_ist)
                    ));
                }
                b
            }
        };

        let simulated = [
            Some(data.nifty.origin()),
            Some(data.vix.origin()),
            (!data.intraday.is_empty()).then(|| data.intraday.origin()),
            data.chain.as_ref().map(|c| c.origin),
        ]
        .into_iter()
        .flatten()
        .any(DataOrigin::is_simulated);
        let sessions = SessionBars::split(&intraday);
        Ok(EngineInputs {
            as_of,
            calendar,
            models,
            settings,
            history,
            frame,
            windows,
            chain: data.chain,
            intraday,
            state,
            last_session,
            sessions,
            vix_daily: vix,
            chain_view,
            daily,
            vix_basis,
            intra,
            chain_basis,
            simulated,
            nifty_origin: data.nifty.origin(),
        })
    }

    /// The index this run computes.
    pub fn symbol(&self) -> Symbol {
        self.history.symbol()
    }

    /// The last India VIX close (percent) as the implied volatility of the index itself: only
    /// NIFTY 50's (India VIX is computed from NIFTY options; NSE publishes no volatility index
    /// for the other indices, whose implied vol must come from their own chain).
    pub(crate) fn vix_as_index_iv(&self) -> Result<f64, Missing> {
        if self.symbol() != Symbol::Nifty50 {
            return Err(Missing::new(
                format!(
                    "no fresh {} option chain gives its implied volatility, and India VIX is NIFTY 50's, not {}'s",
                    self.symbol().display_name(),
                    self.symbol().display_name()
                ),
                format!("aegis fetch --chain --index {}", self.symbol().code()),
            ));
        }
        self.vix_daily
            .last()
            .map(|b| b.close)
            .ok_or_else(|| Missing::new("no India VIX close is stored", fix::DAILY))
    }

    /// The as-of time in IST.
    pub fn as_of_ist(&self) -> DateTime<FixedOffset> {
        to_ist(self.as_of)
    }

    /// The forecast origin: the newest complete daily session.
    pub fn origin(&self) -> NaiveDate {
        *self.history.dates().last().expect("non-empty history")
    }

    /// Whether any input is the simulator's.
    pub fn simulated(&self) -> bool {
        self.simulated
    }

    /// The last session whose close is at or before the as-of time.
    pub fn last_session(&self) -> NaiveDate {
        self.last_session
    }

    /// Whether the cash market is open at the as-of time.
    pub fn market_open(&self) -> bool {
        self.state == MarketState::Open
    }

    /// The feature set of the frame.
    pub fn feature_set() -> FeatureSet {
        FeatureSet::standard()
    }

    /// Today's session bars so far, while the market is open.
    pub(crate) fn today(&self) -> Option<&SessionBars> {
        if self.state != MarketState::Open {
            return None;
        }
        let today = ist_date(self.as_of);
        self.sessions
            .as_ref()
            .ok()?
            .last()
            .filter(|s| s.date() == today && !s.is_empty())
    }

    /// Sessions before today (all of them outside a session), oldest first.
    pub(crate) fn earlier_sessions(&self) -> Result<&[SessionBars], Missing> {
        let sessions = self.sessions.as_ref().map_err(|e| {
            Missing::new(
                format!("the stored 5-minute bars are not usable: {e}"),
                fix::INTRADAY,
            )
        })?;
        let n = sessions.len() - usize::from(self.today().is_some());
        Ok(&sessions[..n])
    }

    /// The newest complete 5-minute bar.
    pub(crate) fn latest_bar(&self) -> Option<&IntradayBar> {
        self.intraday.last()
    }

    /// The chain, if it is fresh.
    pub(crate) fn fresh_chain(&self) -> Option<&OptionChain> {
        self.chain_view
            .as_ref()
            .filter(|v| v.fresh)
            .map(|v| &v.chain)
    }

    /// The data times of the inputs: daily, intraday (bar start), VIX, chain.
    pub(crate) fn data_times(&self) -> crate::blocks::DataTimes {
        crate::blocks::DataTimes {
            daily: Some(self.origin()),
            intraday: self.latest_bar().map(|b| to_ist(b.key)),
            vix: self.vix_daily.last().map(|b| b.key),
            chain: self.chain.as_ref().map(|c| c.timestamp),
        }
    }

    /// Time of the newest market data the run used.
    pub fn data_as_of(&self) -> DateTime<FixedOffset> {
        [
            self.daily.at,
            self.intra.at,
            self.vix_basis.at,
            self.chain_basis.at,
        ]
        .into_iter()
        .flatten()
        .max()
        .expect("the daily basis always has a time")
    }

    /// Where the data came from, one line per kind, for the payload's footer.
    pub fn sources(&self) -> Vec<String> {
        let origin = |o: DataOrigin| match o {
            DataOrigin::Yahoo => "Yahoo Finance",
            DataOrigin::Nse => "NSE",
            DataOrigin::CsvImport => "imported file",
            DataOrigin::Simulated => "AegisMatrix simulator (demo)",
        };
        let range = |s: &DailySeries| match (s.first(), s.last()) {
            (Some(a), Some(b)) => format!("{} .. {}", a.key, b.key),
            _ => "none".into(),
        };
        let mut out = vec![
            format!(
                "{} daily bars {} .. {} ({})",
                self.symbol().display_name(),
                self.history.dates()[0],
                self.origin(),
                origin(self.nifty_origin)
            ),
            format!(
                "India VIX daily bars {} ({})",
                range(&self.vix_daily),
                origin(self.vix_daily.origin())
            ),
        ];
        if let (Some(a), Some(b)) = (self.intraday.first(), self.intraday.last()) {
            out.push(format!(
                "{} 5-minute bars {} .. {} IST ({})",
                self.symbol().display_name(),
                hhmm(to_ist(a.key)),
                hhmm(to_ist(b.key)),
                origin(self.intraday.origin())
            ));
        }
        if let Some(c) = &self.chain {
            out.push(format!(
                "NSE option chain of {} IST ({})",
                hhmm(c.timestamp),
                origin(c.origin)
            ));
        }
        out
    }
}

fn check_settings(s: &EngineSettings) -> Result<(), EngineError> {
    if !(s.confidence > 0.5 && s.confidence < 1.0) {
        return Err(EngineError::Setting {
            name: "confidence",
            value: s.confidence.to_string(),
            rule: "must be between 0.5 and 1 (exclusive)",
        });
    }
    if s.stale_after_minutes < 1 {
        return Err(EngineError::Setting {
            name: "stale_after_minutes",
            value: s.stale_after_minutes.to_string(),
            rule: "must be at least 1",
        });
    }
    if !(1..=10).contains(&s.seller_expiries) {
        return Err(EngineError::Setting {
            name: "seller_expiries",
            value: s.seller_expiries.to_string(),
            rule: "must be 1 to 10",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ist(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<FixedOffset> {
        aegis_model::time::ist()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
    }

    #[test]
    fn age_is_in_calendar_days_then_hours_then_minutes() {
        assert_eq!(
            age_text(ist(2025, 7, 16, 15, 30), ist(2025, 11, 28, 13, 55)),
            "135 days old"
        );
        assert_eq!(
            age_text(ist(2025, 11, 27, 15, 30), ist(2025, 11, 28, 9, 0)),
            "1 day old"
        );
        assert_eq!(
            age_text(ist(2025, 11, 28, 9, 0), ist(2025, 11, 28, 13, 0)),
            "4 hours old"
        );
        assert_eq!(
            age_text(ist(2025, 11, 28, 13, 10), ist(2025, 11, 28, 13, 55)),
            "45 minutes old"
        );
    }

    #[test]
    fn last_completed_session_follows_the_close() {
        let cal = NseCalendar::new();
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        let at = |t: DateTime<FixedOffset>| t.with_timezone(&Utc);
        // In session on Friday 28 Nov: Thursday's session is the last completed one.
        assert_eq!(
            last_completed_session(&cal, at(ist(2025, 11, 28, 13, 55))).unwrap(),
            d(11, 27)
        );
        // At the close itself the day counts.
        assert_eq!(
            last_completed_session(&cal, at(ist(2025, 7, 16, 15, 30))).unwrap(),
            d(7, 16)
        );
        // Saturday: Friday.
        assert_eq!(
            last_completed_session(&cal, at(ist(2025, 11, 29, 10, 0))).unwrap(),
            d(11, 28)
        );
        // Before Monday's open: Friday.
        assert_eq!(
            last_completed_session(&cal, at(ist(2025, 12, 1, 9, 0))).unwrap(),
            d(11, 28)
        );
    }

    #[test]
    fn settings_are_checked() {
        let ok = EngineSettings::default();
        assert!(check_settings(&ok).is_ok());
        for bad in [
            EngineSettings {
                confidence: 1.0,
                ..ok
            },
            EngineSettings {
                stale_after_minutes: 0,
                ..ok
            },
            EngineSettings {
                seller_expiries: 0,
                ..ok
            },
        ] {
            assert!(check_settings(&bad).is_err(), "{bad:?}");
        }
    }
}
