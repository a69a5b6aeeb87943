//! The data files shipped in `crates/calendar/data/`, parsed and checked.
//!
//! Everything the calendar knows about holidays, sessions, expiry rules and contract specifications
//! comes from these three files; this module turns their text into typed rows and rejects anything
//! malformed with [`CalendarError::BadTable`] naming the file and the offending entry.

use std::str::FromStr;

use aegis_model::Symbol;
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

use crate::CalendarError;

/// Path of the holiday table, as named in error messages.
pub(crate) const HOLIDAYS_FILE: &str = "crates/calendar/data/nse_holidays.toml";
/// Path of the expiry rules, as named in error messages.
pub(crate) const EXPIRY_FILE: &str = "crates/calendar/data/expiry_rules.toml";
/// Path of the contract specifications, as named in error messages.
pub(crate) const SPECS_FILE: &str = "crates/calendar/data/contract_specs.toml";

/// The embedded holiday table.
pub(crate) const HOLIDAYS_TOML: &str = include_str!("../data/nse_holidays.toml");
/// The embedded expiry rules.
pub(crate) const EXPIRY_TOML: &str = include_str!("../data/expiry_rules.toml");
/// The embedded contract specifications.
pub(crate) const SPECS_TOML: &str = include_str!("../data/contract_specs.toml");

pub(crate) fn bad(file: &'static str, detail: impl Into<String>) -> CalendarError {
    CalendarError::BadTable {
        file,
        detail: detail.into(),
    }
}

fn date_of(
    file: &'static str,
    what: &str,
    dt: &toml::value::Datetime,
) -> Result<NaiveDate, CalendarError> {
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(|| bad(file, format!("{what}: {dt} is not a calendar date")))
        }
        _ => Err(bad(
            file,
            format!("{what}: {dt} must be a plain date such as 2025-01-26"),
        )),
    }
}

fn time_of(file: &'static str, what: &str, s: &str) -> Result<NaiveTime, CalendarError> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| bad(file, format!("{what}: time \"{s}\" must be HH:MM (IST)")))
}

pub(crate) fn weekday_of(
    file: &'static str,
    what: &str,
    s: &str,
) -> Result<Weekday, CalendarError> {
    Weekday::from_str(s).map_err(|_| bad(file, format!("{what}: weekday \"{s}\" must be Mon..Sun")))
}

pub(crate) fn option_symbol(file: &'static str, s: &str) -> Result<Symbol, CalendarError> {
    let symbol = Symbol::from_str(s).map_err(|e| bad(file, e.to_string()))?;
    if symbol.nse_option_symbol() != Some(s) {
        return Err(bad(
            file,
            format!(
                "symbol \"{s}\": use the NSE option symbol (NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY)"
            ),
        ));
    }
    Ok(symbol)
}

// ---------------------------------------------------------------- holidays and sessions

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    year: Vec<YearRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearRaw {
    year: i32,
    #[allow(dead_code)]
    source: String,
    holidays: Vec<HolidayRaw>,
    #[serde(default)]
    special_sessions: Vec<SpecialRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRaw {
    date: toml::value::Datetime,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecialRaw {
    date: toml::value::Datetime,
    name: String,
    windows: Vec<[String; 2]>,
}

/// An exchange holiday: the regular session is not held on `date`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The IST date.
    pub date: NaiveDate,
    /// The name NSE gives the holiday.
    pub name: String,
}

/// One continuous trading window of a session, in IST wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionWindow {
    /// Normal-market open (IST).
    pub open: NaiveTime,
    /// Normal-market close (IST).
    pub close: NaiveTime,
}

/// A session held on a day that is otherwise closed: Muhurat trading, a Budget weekend session, a
/// live session with a switch-over to the disaster-recovery site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialSession {
    /// The IST date.
    pub date: NaiveDate,
    /// What the session was.
    pub name: String,
    /// Normal-market windows in time order; empty when the hours are not recorded.
    pub windows: Vec<SessionWindow>,
}

/// The parsed holiday table.
#[derive(Debug)]
pub(crate) struct HolidayTable {
    pub(crate) first_year: i32,
    pub(crate) last_year: i32,
    /// Sorted by date, unique.
    pub(crate) holidays: Vec<Holiday>,
    /// Sorted by date, unique.
    pub(crate) specials: Vec<SpecialSession>,
}

pub(crate) fn parse_holidays(text: &str) -> Result<HolidayTable, CalendarError> {
    let f = HOLIDAYS_FILE;
    let raw: HolidayFile = toml::from_str(text).map_err(|e| bad(f, e.to_string()))?;
    if raw.year.is_empty() {
        return Err(bad(f, "no [[year]] tables"));
    }
    let first_year = raw.year[0].year;
    let mut holidays = Vec::new();
    let mut specials = Vec::new();
    for (i, y) in raw.year.iter().enumerate() {
        let want = first_year + i as i32;
        if y.year != want {
            return Err(bad(
                f,
                format!(
                    "years must be contiguous and ascending: found {} where {want} was expected",
                    y.year
                ),
            ));
        }
        for h in &y.holidays {
            let what = format!("holiday \"{}\"", h.name);
            let date = date_of(f, &what, &h.date)?;
            if date.year() != y.year {
                return Err(bad(
                    f,
                    format!("{what} on {date} is listed under year {}", y.year),
                ));
            }
            if h.name.trim().is_empty() {
                return Err(bad(f, format!("holiday on {date} has no name")));
            }
            holidays.push(Holiday {
                date,
                name: h.name.clone(),
            });
        }
        for s in &y.special_sessions {
            let what = format!("special session \"{}\"", s.name);
            let date = date_of(f, &what, &s.date)?;
            if date.year() != y.year {
                return Err(bad(
                    f,
                    format!("{what} on {date} is listed under year {}", y.year),
                ));
            }
            let mut windows = Vec::with_capacity(s.windows.len());
            for [open, close] in &s.windows {
                let w = SessionWindow {
                    open: time_of(f, &what, open)?,
                    close: time_of(f, &what, close)?,
                };
                if w.open >= w.close {
                    return Err(bad(
                        f,
                        format!(
                            "{what} on {date}: window {open}-{close} does not close after it opens"
                        ),
                    ));
                }
                if windows
                    .last()
                    .is_some_and(|p: &SessionWindow| p.close > w.open)
                {
                    return Err(bad(
                        f,
                        format!("{what} on {date}: windows overlap or are out of order"),
                    ));
                }
                windows.push(w);
            }
            specials.push(SpecialSession {
                date,
                name: s.name.clone(),
                windows,
            });
        }
    }
    holidays.sort_by_key(|h| h.date);
    specials.sort_by_key(|s| s.date);
    if let Some(w) = holidays.windows(2).find(|w| w[0].date == w[1].date) {
        return Err(bad(f, format!("holiday {} is listed twice", w[0].date)));
    }
    if let Some(w) = specials.windows(2).find(|w| w[0].date == w[1].date) {
        return Err(bad(
            f,
            format!("special session {} is listed twice", w[0].date),
        ));
    }
    for s in &specials {
        let weekend = matches!(s.date.weekday(), Weekday::Sat | Weekday::Sun);
        let holiday = holidays.binary_search_by_key(&s.date, |h| h.date).is_ok();
        if !weekend && !holiday {
            return Err(bad(
                f,
                format!(
                    "special session on {} falls on a regular trading day: list the holiday it replaced or remove it",
                    s.date
                ),
            ));
        }
    }
    Ok(HolidayTable {
        first_year,
        last_year: raw.year[raw.year.len() - 1].year,
        holidays,
        specials,
    })
}

// ---------------------------------------------------------------- expiry rules

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpiryFile {
    symbol: Vec<SymbolRulesRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SymbolRulesRaw {
    symbol: String,
    listed_from: toml::value::Datetime,
    monthly: Vec<MonthlyRaw>,
    #[serde(default)]
    weekly: Vec<WeeklyRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonthlyRaw {
    from: String,
    until: Option<String>,
    weekday: String,
    #[allow(dead_code)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WeeklyRaw {
    first: toml::value::Datetime,
    last: Option<toml::value::Datetime>,
    weekday: String,
    #[allow(dead_code)]
    source: String,
}

/// Monthly contracts of months `from ..= until` expire on the last `weekday` of the month.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MonthlyRule {
    /// (year, month) of the first contract month.
    pub(crate) from: (i32, u32),
    /// (year, month) of the last contract month; `None` while in force.
    pub(crate) until: Option<(i32, u32)>,
    pub(crate) weekday: Weekday,
}

/// Weekly contracts expire on every `weekday` in `first ..= last` outside monthly-expiry weeks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WeeklyRule {
    pub(crate) first: NaiveDate,
    pub(crate) last: Option<NaiveDate>,
    pub(crate) weekday: Weekday,
}

/// The expiry rules of one symbol.
#[derive(Debug, Clone)]
pub(crate) struct SymbolRules {
    pub(crate) symbol: Symbol,
    pub(crate) listed_from: NaiveDate,
    pub(crate) monthly: Vec<MonthlyRule>,
    pub(crate) weekly: Vec<WeeklyRule>,
}

fn month_of(file: &'static str, what: &str, s: &str) -> Result<(i32, u32), CalendarError> {
    let d = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| bad(file, format!("{what}: month \"{s}\" must be YYYY-MM")))?;
    Ok((d.year(), d.month()))
}

pub(crate) fn parse_expiry_rules(text: &str) -> Result<Vec<SymbolRules>, CalendarError> {
    let f = EXPIRY_FILE;
    let raw: ExpiryFile = toml::from_str(text).map_err(|e| bad(f, e.to_string()))?;
    let mut out: Vec<SymbolRules> = Vec::new();
    for r in raw.symbol {
        let symbol = option_symbol(f, &r.symbol)?;
        if out.iter().any(|o| o.symbol == symbol) {
            return Err(bad(f, format!("{} has two [[symbol]] tables", r.symbol)));
        }
        let what = r.symbol.clone();
        let listed_from = date_of(f, &what, &r.listed_from)?;
        let mut monthly = Vec::new();
        for m in &r.monthly {
            let rule = MonthlyRule {
                from: month_of(f, &what, &m.from)?,
                until: m
                    .until
                    .as_deref()
                    .map(|u| month_of(f, &what, u))
                    .transpose()?,
                weekday: weekday_of(f, &what, &m.weekday)?,
            };
            monthly.push(rule);
        }
        check_monthly_chain(&what, &monthly)?;
        let mut weekly = Vec::new();
        for w in &r.weekly {
            let rule = WeeklyRule {
                first: date_of(f, &what, &w.first)?,
                last: w.last.as_ref().map(|l| date_of(f, &what, l)).transpose()?,
                weekday: weekday_of(f, &what, &w.weekday)?,
            };
            weekly.push(rule);
        }
        check_weekly_chain(&what, &weekly)?;
        out.push(SymbolRules {
            symbol,
            listed_from,
            monthly,
            weekly,
        });
    }
    Ok(out)
}

/// Monthly rules must be consecutive: each starts the month after the previous one ends, and only the
/// last may be open-ended.
fn check_monthly_chain(what: &str, rules: &[MonthlyRule]) -> Result<(), CalendarError> {
    let f = EXPIRY_FILE;
    if rules.is_empty() {
        return Err(bad(f, format!("{what}: no monthly rule")));
    }
    for (i, r) in rules.iter().enumerate() {
        if let Some(until) = r.until
            && until < r.from
        {
            return Err(bad(
                f,
                format!("{what}: monthly rule ends before it starts"),
            ));
        }
        match (r.until, rules.get(i + 1)) {
            (None, Some(_)) => {
                return Err(bad(
                    f,
                    format!("{what}: only the last monthly rule may omit `until`"),
                ));
            }
            (Some((y, m)), Some(next)) => {
                let follows = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                if next.from != follows {
                    return Err(bad(
                        f,
                        format!("{what}: monthly rules leave a gap or overlap at {y}-{m:02}"),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Weekly rules must not overlap and must be in date order; only the last may be open-ended.
fn check_weekly_chain(what: &str, rules: &[WeeklyRule]) -> Result<(), CalendarError> {
    let f = EXPIRY_FILE;
    for (i, r) in rules.iter().enumerate() {
        if r.last.is_some_and(|l| l < r.first) {
            return Err(bad(
                f,
                format!("{what}: weekly rule from {} ends before it starts", r.first),
            ));
        }
        if let Some(next) = rules.get(i + 1) {
            match r.last {
                None => {
                    return Err(bad(
                        f,
                        format!("{what}: only the last weekly rule may omit `last`"),
                    ));
                }
                Some(l) if next.first <= l => {
                    return Err(bad(
                        f,
                        format!("{what}: weekly rules overlap at {}", next.first),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- contract specifications

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecsFile {
    lot: Vec<LotRaw>,
    strike_step: Vec<StepRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LotRaw {
    symbol: String,
    from_expiry: toml::value::Datetime,
    applies_to: String,
    lot_size: u32,
    #[allow(dead_code)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRaw {
    symbol: String,
    from_expiry: toml::value::Datetime,
    step: Option<f64>,
    source: String,
}

/// Which contracts of an expiry date a lot-size row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AppliesTo {
    All,
    Weekly,
    Monthly,
}

/// A lot size in force for expiries from `from` on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LotRow {
    pub(crate) symbol: Symbol,
    pub(crate) from: NaiveDate,
    pub(crate) applies_to: AppliesTo,
    pub(crate) lot_size: u32,
}

/// A strike step in force for expiries from `from` on; `step: None` marks an unknown period.
#[derive(Debug, Clone)]
pub(crate) struct StepRow {
    pub(crate) symbol: Symbol,
    pub(crate) from: NaiveDate,
    pub(crate) step: Option<f64>,
    pub(crate) source: String,
}

pub(crate) fn parse_specs(text: &str) -> Result<(Vec<LotRow>, Vec<StepRow>), CalendarError> {
    let f = SPECS_FILE;
    let raw: SpecsFile = toml::from_str(text).map_err(|e| bad(f, e.to_string()))?;
    let mut lots = Vec::new();
    for l in raw.lot {
        let symbol = option_symbol(f, &l.symbol)?;
        let what = format!("{} lot from {}", l.symbol, l.from_expiry);
        let applies_to = match l.applies_to.as_str() {
            "all" => AppliesTo::All,
            "weekly" => AppliesTo::Weekly,
            "monthly" => AppliesTo::Monthly,
            other => {
                return Err(bad(
                    f,
                    format!("{what}: applies_to \"{other}\" must be all, weekly or monthly"),
                ));
            }
        };
        if l.lot_size == 0 {
            return Err(bad(f, format!("{what}: lot_size must be positive")));
        }
        lots.push(LotRow {
            symbol,
            from: date_of(f, &what, &l.from_expiry)?,
            applies_to,
            lot_size: l.lot_size,
        });
    }
    let mut steps = Vec::new();
    for s in raw.strike_step {
        let symbol = option_symbol(f, &s.symbol)?;
        let what = format!("{} strike step from {}", s.symbol, s.from_expiry);
        if let Some(step) = s.step
            && !(step.is_finite() && step > 0.0)
        {
            return Err(bad(
                f,
                format!("{what}: step must be a positive number of points"),
            ));
        }
        steps.push(StepRow {
            symbol,
            from: date_of(f, &what, &s.from_expiry)?,
            step: s.step,
            source: s.source,
        });
    }
    lots.sort_by_key(|l| (l.symbol, l.from));
    steps.sort_by_key(|s| (s.symbol, s.from));
    if let Some(w) = lots.windows(2).find(|w| {
        w[0].symbol == w[1].symbol && w[0].from == w[1].from && w[0].applies_to == w[1].applies_to
    }) {
        return Err(bad(
            f,
            format!("two lot rows for {} from {}", w[0].symbol, w[0].from),
        ));
    }
    if let Some(w) = steps
        .windows(2)
        .find(|w| w[0].symbol == w[1].symbol && w[0].from == w[1].from)
    {
        return Err(bad(
            f,
            format!(
                "two strike-step rows for {} from {}",
                w[0].symbol, w[0].from
            ),
        ));
    }
    Ok((lots, steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn shipped_files_parse() {
        let h = parse_holidays(HOLIDAYS_TOML).unwrap();
        assert_eq!(h.first_year, 2016);
        assert!(h.last_year >= 2026);
        assert_eq!(parse_expiry_rules(EXPIRY_TOML).unwrap().len(), 4);
        let (lots, steps) = parse_specs(SPECS_TOML).unwrap();
        assert!(!lots.is_empty() && !steps.is_empty());
    }

    #[rstest]
    #[case::gap_in_years(
        "[[year]]\nyear = 2016\nsource = \"s\"\nholidays = []\n[[year]]\nyear = 2018\nsource = \"s\"\nholidays = []\n",
        "contiguous"
    )]
    #[case::wrong_year(
        "[[year]]\nyear = 2016\nsource = \"s\"\nholidays = [{ date = 2017-01-26, name = \"Republic Day\" }]\n",
        "listed under year 2016"
    )]
    #[case::duplicate(
        "[[year]]\nyear = 2016\nsource = \"s\"\nholidays = [{ date = 2016-01-26, name = \"a\" }, { date = 2016-01-26, name = \"b\" }]\n",
        "listed twice"
    )]
    #[case::special_on_regular_day(
        "[[year]]\nyear = 2016\nsource = \"s\"\nholidays = []\nspecial_sessions = [{ date = 2016-01-27, name = \"x\", windows = [[\"09:15\", \"15:30\"]] }]\n",
        "regular trading day"
    )]
    #[case::bad_window(
        "[[year]]\nyear = 2016\nsource = \"s\"\nholidays = []\nspecial_sessions = [{ date = 2016-01-30, name = \"x\", windows = [[\"15:30\", \"09:15\"]] }]\n",
        "does not close after it opens"
    )]
    #[case::bad_time(
        "[[year]]\nyear = 2016\nsource = \"s\"\nholidays = []\nspecial_sessions = [{ date = 2016-01-30, name = \"x\", windows = [[\"9h15\", \"15:30\"]] }]\n",
        "HH:MM"
    )]
    fn malformed_holiday_tables_are_rejected(#[case] text: &str, #[case] needle: &str) {
        let err = parse_holidays(text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(needle), "{msg}");
        assert!(msg.contains(HOLIDAYS_FILE), "{msg}");
    }

    #[rstest]
    #[case::gap(
        "[[symbol]]\nsymbol = \"NIFTY\"\nlisted_from = 2001-06-04\nmonthly = [{ from = \"2001-06\", until = \"2020-01\", weekday = \"Thu\", source = \"s\" }, { from = \"2020-03\", weekday = \"Tue\", source = \"s\" }]\n",
        "gap or overlap"
    )]
    #[case::bad_weekday(
        "[[symbol]]\nsymbol = \"NIFTY\"\nlisted_from = 2001-06-04\nmonthly = [{ from = \"2001-06\", weekday = \"Thursdays\", source = \"s\" }]\n",
        "Mon..Sun"
    )]
    #[case::yahoo_symbol(
        "[[symbol]]\nsymbol = \"^NSEI\"\nlisted_from = 2001-06-04\nmonthly = [{ from = \"2001-06\", weekday = \"Thu\", source = \"s\" }]\n",
        "NSE option symbol"
    )]
    #[case::weekly_overlap(
        "[[symbol]]\nsymbol = \"NIFTY\"\nlisted_from = 2001-06-04\nmonthly = [{ from = \"2001-06\", weekday = \"Thu\", source = \"s\" }]\nweekly = [{ first = 2019-02-14, last = 2025-08-31, weekday = \"Thu\", source = \"s\" }, { first = 2025-08-01, weekday = \"Tue\", source = \"s\" }]\n",
        "overlap"
    )]
    fn malformed_expiry_rules_are_rejected(#[case] text: &str, #[case] needle: &str) {
        let msg = parse_expiry_rules(text).unwrap_err().to_string();
        assert!(msg.contains(needle), "{msg}");
    }

    #[test]
    fn malformed_specs_are_rejected() {
        let text = "[[lot]]\nsymbol = \"NIFTY\"\nfrom_expiry = 2016-01-01\napplies_to = \"quarterly\"\nlot_size = 75\nsource = \"s\"\n[[strike_step]]\nsymbol = \"NIFTY\"\nfrom_expiry = 2016-01-01\nstep = 50.0\nsource = \"s\"\n";
        let msg = parse_specs(text).unwrap_err().to_string();
        assert!(msg.contains("applies_to"), "{msg}");
        let text = text.replace("quarterly", "all").replace("50.0", "-5.0");
        let msg = parse_specs(&text).unwrap_err().to_string();
        assert!(msg.contains("positive"), "{msg}");
    }
}
