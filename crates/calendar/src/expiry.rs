//! Option expiry schedules, generated once from the rules in `data/expiry_rules.toml` and the day
//! table, then queried by binary search.

use std::collections::HashSet;

use aegis_model::Symbol;
use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::CalendarError;
use crate::holidays::DayTable;
use crate::tables::{EXPIRY_FILE, MonthlyRule, SymbolRules, WeeklyRule, bad};

/// Weekly or monthly expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpiryKind {
    /// A weekly expiry that is not the month's last.
    Weekly,
    /// The month's last expiry.
    Monthly,
}

/// One generated expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scheduled {
    /// The day the contracts settle.
    pub(crate) date: NaiveDate,
    /// The day the rule names, before any holiday shift.
    pub(crate) nominal: NaiveDate,
    pub(crate) kind: ExpiryKind,
}

/// All expiries of one symbol within the covered years.
#[derive(Debug)]
pub(crate) struct Schedule {
    pub(crate) symbol: Symbol,
    pub(crate) listed_from: NaiveDate,
    /// Every expiry, ascending by date.
    pub(crate) all: Vec<Scheduled>,
    /// The monthly expiries only, ascending.
    pub(crate) monthly: Vec<Scheduled>,
}

fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let last = NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid month") - Days::new(1);
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last - Days::new(u64::from(back))
}

/// The Monday of `date`'s week.
fn week_of(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

fn months(rule: &MonthlyRule, first_year: i32, last_year: i32) -> impl Iterator<Item = (i32, u32)> {
    let lo = rule.from.max((first_year, 1));
    let hi = rule.until.unwrap_or((last_year, 12)).min((last_year, 12));
    let mut cur = lo;
    std::iter::from_fn(move || {
        if cur > hi {
            return None;
        }
        let out = cur;
        cur = if cur.1 == 12 {
            (cur.0 + 1, 1)
        } else {
            (cur.0, cur.1 + 1)
        };
        Some(out)
    })
}

fn weekly_dates(
    rule: &WeeklyRule,
    lo: NaiveDate,
    hi: NaiveDate,
) -> impl Iterator<Item = NaiveDate> {
    let start = rule.first.max(lo);
    let end = rule.last.unwrap_or(hi).min(hi);
    let ahead =
        (7 + rule.weekday.num_days_from_monday() - start.weekday().num_days_from_monday()) % 7;
    let first = start + Days::new(u64::from(ahead));
    first.iter_weeks().take_while(move |d| *d <= end)
}

impl Schedule {
    pub(crate) fn build(rules: &SymbolRules, days: &DayTable) -> Result<Self, CalendarError> {
        let lo = NaiveDate::from_ymd_opt(days.first_year, 1, 1).expect("valid year");
        let hi = NaiveDate::from_ymd_opt(days.last_year, 12, 31).expect("valid year");
        let mut nominal: Vec<(NaiveDate, ExpiryKind)> = Vec::new();
        for rule in &rules.monthly {
            for (y, m) in months(rule, days.first_year, days.last_year) {
                nominal.push((
                    last_weekday_of_month(y, m, rule.weekday),
                    ExpiryKind::Monthly,
                ));
            }
        }
        let monthly_weeks: HashSet<NaiveDate> = nominal.iter().map(|(d, _)| week_of(*d)).collect();
        for rule in &rules.weekly {
            for date in weekly_dates(rule, lo, hi) {
                if !monthly_weeks.contains(&week_of(date)) {
                    nominal.push((date, ExpiryKind::Weekly));
                }
            }
        }
        let mut all = nominal
            .into_iter()
            .map(|(nominal, kind)| {
                Ok(Scheduled {
                    date: days.regular_on_or_before(nominal)?,
                    nominal,
                    kind,
                })
            })
            .collect::<Result<Vec<_>, CalendarError>>()
            .map_err(|e| {
                bad(
                    EXPIRY_FILE,
                    format!(
                        "{}: an expiry falls before the holiday table: {e}",
                        rules.symbol
                    ),
                )
            })?;
        all.sort_by_key(|s| s.date);
        if let Some(w) = all.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(bad(
                EXPIRY_FILE,
                format!(
                    "{}: the expiries nominally on {} and {} both settle on {}",
                    rules.symbol, w[0].nominal, w[1].nominal, w[0].date
                ),
            ));
        }
        let monthly = all
            .iter()
            .copied()
            .filter(|s| s.kind == ExpiryKind::Monthly)
            .collect();
        Ok(Self {
            symbol: rules.symbol,
            listed_from: rules.listed_from,
            all,
            monthly,
        })
    }

    /// The first entry of `list` settling on or after `date`.
    pub(crate) fn first_on_or_after(
        &self,
        list: &[Scheduled],
        date: NaiveDate,
        days: &DayTable,
    ) -> Result<Scheduled, CalendarError> {
        days.kind(date)?; // the query date itself must be covered
        if date < self.listed_from {
            return Err(CalendarError::NotListed {
                symbol: self.symbol,
                date,
                listed_from: self.listed_from,
            });
        }
        let i = list.partition_point(|s| s.date < date);
        list.get(i).copied().ok_or(CalendarError::YearNotCovered {
            year: days.last_year + 1,
        })
    }

    pub(crate) fn find(&self, date: NaiveDate) -> Option<Scheduled> {
        self.all
            .binary_search_by_key(&date, |s| s.date)
            .ok()
            .map(|i| self.all[i])
    }

    pub(crate) fn between(&self, from: NaiveDate, to: NaiveDate) -> &[Scheduled] {
        let lo = self.all.partition_point(|s| s.date < from);
        let hi = self.all.partition_point(|s| s.date <= to);
        if hi > lo { &self.all[lo..hi] } else { &[] }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use aegis_model::time::ist_at;
    use aegis_model::{Expiry, Symbol};
    use chrono::{Datelike, NaiveDate, Weekday};
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;
    use crate::NseCalendar;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const CHAIN_2020: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/option_chain/nifty_2020-08-07_eod.json"
    );
    const CHAIN_2025: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/option_chain/nifty_2025-07-16_eod.json"
    );

    /// `records.expiryDates` of a saved NSE chain, read with plain string scanning.
    fn chain_expiries(path: &str) -> Vec<NaiveDate> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        let key = "\"expiryDates\"";
        let at = text
            .find(key)
            .unwrap_or_else(|| panic!("{path}: no expiryDates"));
        let rest = &text[at + key.len()..];
        let open = rest.find('[').unwrap();
        let close = rest.find(']').unwrap();
        rest[open + 1..close]
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .map(|s| {
                s.parse::<Expiry>()
                    .unwrap_or_else(|e| panic!("{path}: {s}: {e}"))
                    .date()
            })
            .collect()
    }

    fn all_nifty(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, ExpiryKind)> {
        NseCalendar::new()
            .expiries_between(Symbol::Nifty50, from, to)
            .unwrap()
            .into_iter()
            .map(|(e, k)| (e.date(), k))
            .collect()
    }

    #[rstest]
    #[case(2025, 8, Weekday::Thu, d(2025, 8, 28))]
    #[case(2025, 9, Weekday::Tue, d(2025, 9, 30))]
    #[case(2024, 2, Weekday::Thu, d(2024, 2, 29))]
    #[case(2026, 12, Weekday::Tue, d(2026, 12, 29))]
    #[case(2023, 3, Weekday::Thu, d(2023, 3, 30))]
    fn last_weekday(#[case] y: i32, #[case] m: u32, #[case] wd: Weekday, #[case] want: NaiveDate) {
        assert_eq!(last_weekday_of_month(y, m, wd), want);
    }

    #[test]
    fn nifty_july_august_2025_match_the_saved_chain() {
        // The 2025-07-16 chain lists the next four weeklies and the monthlies; 21-Aug-2025 was not yet
        // listed. Every listed expiry up to the switch must be ours, and ours from 17-Jul through
        // 14-Aug must all be listed.
        let chain: BTreeSet<NaiveDate> = chain_expiries(CHAIN_2025).into_iter().collect();
        let ours = all_nifty(d(2025, 7, 16), d(2025, 8, 31));
        let ours_dates: BTreeSet<NaiveDate> = ours.iter().map(|(x, _)| *x).collect();
        for listed in chain.iter().filter(|x| **x <= d(2025, 8, 31)) {
            assert!(
                ours_dates.contains(listed),
                "chain lists {listed}, calendar does not"
            );
        }
        for (date, _) in ours.iter().filter(|(x, _)| *x <= d(2025, 8, 14)) {
            assert!(
                chain.contains(date),
                "calendar has {date}, the chain does not list it"
            );
        }
        assert_eq!(
            ours,
            vec![
                (d(2025, 7, 17), ExpiryKind::Weekly),
                (d(2025, 7, 24), ExpiryKind::Weekly),
                (d(2025, 7, 31), ExpiryKind::Monthly),
                (d(2025, 8, 7), ExpiryKind::Weekly),
                (d(2025, 8, 14), ExpiryKind::Weekly),
                (d(2025, 8, 21), ExpiryKind::Weekly),
                (d(2025, 8, 28), ExpiryKind::Monthly),
            ]
        );
    }

    #[test]
    fn nifty_2025_chain_long_dated_expiries_moved_to_tuesday() {
        // Contracts listed before the September 2025 switch carried Thursday dates; NSE re-dated every
        // contract expiring after 31-Aug-2025 to the Tuesday rule. Same month, Tuesday (or the regular
        // session before it), and the month's monthly.
        let cal = NseCalendar::new();
        for listed in chain_expiries(CHAIN_2025)
            .into_iter()
            .filter(|x| *x > d(2025, 8, 31) && x.year() <= 2026)
        {
            let m = cal
                .monthly_expiry_on_or_after(Symbol::Nifty50, listed.with_day(1).unwrap())
                .unwrap()
                .date();
            assert_eq!(
                (m.year(), m.month()),
                (listed.year(), listed.month()),
                "{listed}"
            );
            assert!(
                m.weekday() == Weekday::Tue || cal.holiday(m + Days::new(1)).unwrap().is_some(),
                "{m}"
            );
        }
        // 24-Dec-2025 (Thu rule, Christmas shift) became Tue 30-Dec-2025; 26-Mar-2026 became Mon
        // 30-Mar-2026 because Tue 31-Mar-2026 is Mahavir Jayanti.
        assert_eq!(
            cal.monthly_expiry_on_or_after(Symbol::Nifty50, d(2025, 12, 1))
                .unwrap()
                .date(),
            d(2025, 12, 30)
        );
        assert_eq!(
            cal.monthly_expiry_on_or_after(Symbol::Nifty50, d(2026, 3, 1))
                .unwrap()
                .date(),
            d(2026, 3, 30)
        );
    }

    #[test]
    fn nifty_2020_chain_expiries_are_all_scheduled() {
        let cal = NseCalendar::new();
        let chain = chain_expiries(CHAIN_2020);
        assert_eq!(chain.len(), 17);
        for listed in chain {
            if listed == d(2023, 6, 29) {
                // Listed in 2020 under the Thursday rule; Bakri Id was later moved to Thu 29-Jun-2023
                // and the contract expired on Wed 28-Jun-2023.
                assert_eq!(
                    cal.expiries_between(Symbol::Nifty50, d(2023, 6, 26), d(2023, 6, 30)),
                    Ok(vec![(Expiry(d(2023, 6, 28)), ExpiryKind::Monthly)])
                );
                continue;
            }
            let kind = cal.expiry_kind(Symbol::Nifty50, Expiry(listed));
            assert!(kind.is_ok(), "chain lists {listed}, calendar: {kind:?}");
        }
        // The near expiries are exactly consecutive in the calendar.
        let near: Vec<NaiveDate> = all_nifty(d(2020, 8, 7), d(2020, 10, 8))
            .into_iter()
            .map(|(x, _)| x)
            .collect();
        assert_eq!(&near, &chain_expiries(CHAIN_2020)[..9]);
        assert_eq!(
            cal.expiry_kind(Symbol::Nifty50, Expiry(d(2020, 8, 13))),
            Ok(ExpiryKind::Weekly)
        );
        assert_eq!(
            cal.expiry_kind(Symbol::Nifty50, Expiry(d(2020, 8, 27))),
            Ok(ExpiryKind::Monthly)
        );
        assert_eq!(
            cal.expiry_kind(Symbol::Nifty50, Expiry(d(2020, 12, 31))),
            Ok(ExpiryKind::Monthly)
        );
    }

    #[rstest]
    #[case::weekly_jul_2025(d(2025, 7, 14), d(2025, 7, 17))]
    #[case::weekly_aug_2020(d(2020, 8, 10), d(2020, 8, 13))]
    #[case::last_thursday_weekly(d(2025, 8, 22), d(2025, 8, 28))]
    #[case::first_tuesday_weekly(d(2025, 8, 29), d(2025, 9, 2))]
    #[case::expiry_day_itself(d(2025, 9, 2), d(2025, 9, 2))]
    // Thursday holidays before the switch: the expiry moves to the previous regular session.
    #[case::holi_2019(d(2019, 3, 18), d(2019, 3, 20))]
    #[case::ram_navami_2020(d(2020, 3, 30), d(2020, 4, 1))]
    #[case::mahashivratri_2021(d(2021, 3, 8), d(2021, 3, 10))]
    #[case::muhurat_2021(d(2021, 11, 1), d(2021, 11, 3))]
    #[case::ambedkar_2022(d(2022, 4, 11), d(2022, 4, 13))]
    #[case::republic_day_2023(d(2023, 1, 23), d(2023, 1, 25))]
    #[case::ram_navami_2023_monthly(d(2023, 3, 27), d(2023, 3, 29))]
    #[case::bakri_id_2023_monthly(d(2023, 6, 26), d(2023, 6, 28))]
    #[case::id_2024(d(2024, 4, 8), d(2024, 4, 10))]
    #[case::independence_2024(d(2024, 8, 12), d(2024, 8, 14))]
    #[case::mahavir_2025(d(2025, 4, 7), d(2025, 4, 9))]
    #[case::may_day_2025_weekly_moves_into_april(d(2025, 4, 25), d(2025, 4, 30))]
    // Tuesday holidays after the switch; the Muhurat Tuesday is not a regular session.
    #[case::muhurat_2025(d(2025, 10, 17), d(2025, 10, 20))]
    #[case::holi_2026(d(2026, 2, 25), d(2026, 3, 2))]
    #[case::mahavir_2026_monthly(d(2026, 3, 25), d(2026, 3, 30))]
    #[case::ambedkar_2026(d(2026, 4, 8), d(2026, 4, 13))]
    #[case::dussehra_2026(d(2026, 10, 14), d(2026, 10, 19))]
    #[case::balipratipada_2026(d(2026, 11, 4), d(2026, 11, 9))]
    #[case::gurpurb_2026_monthly(d(2026, 11, 18), d(2026, 11, 23))]
    // Before weeklies existed: only the monthly.
    #[case::monthly_only_2018(d(2018, 3, 1), d(2018, 3, 28))] // Thu 29-Mar-2018 Mahavir Jayanti
    #[case::monthly_only_2016(d(2016, 1, 1), d(2016, 1, 28))]
    #[case::first_weekly(d(2019, 2, 8), d(2019, 2, 14))]
    fn nifty_weekly_on_or_after(#[case] from: NaiveDate, #[case] want: NaiveDate) {
        assert_eq!(
            NseCalendar::new().weekly_expiry_on_or_after(Symbol::Nifty50, from),
            Ok(Expiry(want))
        );
    }

    #[rstest]
    #[case(d(2025, 8, 1), d(2025, 8, 28))]
    #[case(d(2025, 8, 29), d(2025, 9, 30))]
    #[case(d(2023, 3, 1), d(2023, 3, 29))]
    #[case(d(2026, 11, 1), d(2026, 11, 23))]
    #[case(d(2024, 12, 27), d(2025, 1, 30))]
    fn nifty_monthly_on_or_after(#[case] from: NaiveDate, #[case] want: NaiveDate) {
        assert_eq!(
            NseCalendar::new().monthly_expiry_on_or_after(Symbol::Nifty50, from),
            Ok(Expiry(want))
        );
    }

    #[test]
    fn monthly_is_the_last_expiry_of_its_contract_month() {
        // No expiry whose nominal date lies in the same month settles after the monthly. A weekly of
        // the NEXT month moved back by a holiday can: Thu 1-May-2025 (Maharashtra Day) settled on
        // Wed 30-Apr-2025, after the April monthly of 24-Apr-2025.
        let cal = NseCalendar::new();
        for s in &cal.inner.schedules {
            for (i, e) in s.all.iter().enumerate() {
                if e.kind != ExpiryKind::Monthly {
                    continue;
                }
                let month = (e.nominal.year(), e.nominal.month());
                let later: Vec<_> = s.all[i + 1..]
                    .iter()
                    .filter(|x| (x.nominal.year(), x.nominal.month()) == month)
                    .collect();
                // Only where weeklies and monthlies expire on different weekdays (BANKNIFTY Wednesday
                // weeklies against Thursday monthlies, Sep-2023 .. Feb-2024) can a weekly of the same
                // month follow the monthly, in a later week: Wed 31-Jan-2024 after Thu 25-Jan-2024.
                let allowed = s.symbol != Symbol::Nifty50
                    && later.iter().all(|x| {
                        x.nominal.weekday() != e.nominal.weekday()
                            && week_of(x.nominal) != week_of(e.nominal)
                    });
                assert!(
                    later.is_empty() || allowed,
                    "{} {}: monthly, but {later:?} follow in its month",
                    s.symbol,
                    e.date
                );
            }
        }
        assert_eq!(
            cal.expiry_kind(Symbol::Nifty50, Expiry(d(2025, 4, 24))),
            Ok(ExpiryKind::Monthly)
        );
        assert_eq!(
            cal.expiry_kind(Symbol::Nifty50, Expiry(d(2025, 4, 30))),
            Ok(ExpiryKind::Weekly)
        );
    }

    #[test]
    fn expiries_are_strictly_increasing_and_settle_on_or_before_their_nominal_day() {
        let cal = NseCalendar::new();
        for s in &cal.inner.schedules {
            assert!(
                s.all.windows(2).all(|w| w[0].date < w[1].date),
                "{}",
                s.symbol
            );
            for e in &s.all {
                assert!(
                    e.date <= e.nominal && (e.nominal - e.date).num_days() < 7,
                    "{} {e:?}",
                    s.symbol
                );
                assert_eq!(cal.inner.days.regular_on_or_before(e.date), Ok(e.date));
            }
        }
    }

    #[rstest]
    // BANKNIFTY: Thursday weeklies, then Wednesday from 6-Sep-2023, monthly last Thursday.
    #[case(Symbol::NiftyBank, d(2023, 8, 28), d(2023, 8, 31), ExpiryKind::Monthly)]
    #[case(Symbol::NiftyBank, d(2023, 9, 1), d(2023, 9, 6), ExpiryKind::Weekly)]
    #[case(Symbol::NiftyBank, d(2023, 9, 21), d(2023, 9, 28), ExpiryKind::Monthly)]
    #[case(Symbol::NiftyBank, d(2024, 3, 21), d(2024, 3, 27), ExpiryKind::Monthly)]
    #[case(
        Symbol::NiftyBank,
        d(2024, 11, 11),
        d(2024, 11, 13),
        ExpiryKind::Weekly
    )]
    // No BANKNIFTY weeklies after 20-Nov-2024: the weekly query answers the monthly.
    #[case(
        Symbol::NiftyBank,
        d(2024, 11, 14),
        d(2024, 11, 27),
        ExpiryKind::Monthly
    )]
    #[case(
        Symbol::NiftyBank,
        d(2024, 12, 1),
        d(2024, 12, 24),
        ExpiryKind::Monthly
    )]
    #[case(Symbol::NiftyBank, d(2025, 1, 1), d(2025, 1, 30), ExpiryKind::Monthly)]
    #[case(Symbol::NiftyBank, d(2025, 9, 1), d(2025, 9, 30), ExpiryKind::Monthly)]
    #[case(Symbol::FinNifty, d(2021, 10, 15), d(2021, 10, 19), ExpiryKind::Weekly)]
    #[case(Symbol::FinNifty, d(2024, 11, 19), d(2024, 11, 19), ExpiryKind::Weekly)]
    #[case(
        Symbol::FinNifty,
        d(2024, 11, 20),
        d(2024, 11, 26),
        ExpiryKind::Monthly
    )]
    #[case(Symbol::FinNifty, d(2024, 12, 1), d(2024, 12, 31), ExpiryKind::Monthly)]
    #[case(
        Symbol::MidcapSelect,
        d(2023, 8, 17),
        d(2023, 8, 21),
        ExpiryKind::Weekly
    )]
    #[case(
        Symbol::MidcapSelect,
        d(2023, 4, 26),
        d(2023, 5, 3),
        ExpiryKind::Weekly
    )]
    #[case(
        Symbol::MidcapSelect,
        d(2024, 11, 19),
        d(2024, 11, 25),
        ExpiryKind::Monthly
    )]
    #[case(
        Symbol::MidcapSelect,
        d(2025, 9, 1),
        d(2025, 9, 30),
        ExpiryKind::Monthly
    )]
    fn other_indices(
        #[case] sym: Symbol,
        #[case] from: NaiveDate,
        #[case] want: NaiveDate,
        #[case] kind: ExpiryKind,
    ) {
        let cal = NseCalendar::new();
        let got = cal.weekly_expiry_on_or_after(sym, from).unwrap();
        assert_eq!(got, Expiry(want), "{sym} from {from}");
        assert_eq!(cal.expiry_kind(sym, got), Ok(kind));
    }

    #[test]
    fn india_vix_has_no_options() {
        let cal = NseCalendar::new();
        let err = CalendarError::NoOptions {
            symbol: Symbol::IndiaVix,
        };
        assert_eq!(
            cal.weekly_expiry_on_or_after(Symbol::IndiaVix, d(2025, 1, 1)),
            Err(err.clone())
        );
        assert_eq!(
            cal.monthly_expiry_on_or_after(Symbol::IndiaVix, d(2025, 1, 1)),
            Err(err.clone())
        );
        assert_eq!(
            cal.next_expiry(Symbol::IndiaVix, ist_at(d(2025, 1, 1), 10, 0)),
            Err(err.clone())
        );
        assert_eq!(
            cal.try_contract_spec(Symbol::IndiaVix, Expiry(d(2025, 1, 2))),
            Err(err)
        );
    }

    #[test]
    fn before_listing_is_an_error() {
        let cal = NseCalendar::new();
        let err = cal
            .weekly_expiry_on_or_after(Symbol::FinNifty, d(2020, 6, 1))
            .unwrap_err();
        assert!(
            matches!(
                err,
                CalendarError::NotListed {
                    symbol: Symbol::FinNifty,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[rstest]
    #[case::morning_of_expiry(ist_at(d(2025, 7, 17), 10, 0), d(2025, 7, 17))]
    #[case::one_minute_before_close(ist_at(d(2025, 7, 17), 15, 29), d(2025, 7, 17))]
    #[case::at_close(ist_at(d(2025, 7, 17), 15, 30), d(2025, 7, 24))]
    #[case::evening(ist_at(d(2025, 7, 17), 20, 0), d(2025, 7, 24))]
    #[case::weekend(ist_at(d(2025, 8, 30), 10, 0), d(2025, 9, 2))]
    #[case::utc_evening_is_next_ist_day(ist_at(d(2025, 9, 2), 1, 0), d(2025, 9, 2))]
    fn next_expiry_counts_expiry_day_until_the_close(
        #[case] at: chrono::DateTime<chrono::Utc>,
        #[case] want: NaiveDate,
    ) {
        assert_eq!(
            NseCalendar::new().next_expiry(Symbol::Nifty50, at),
            Ok(Expiry(want))
        );
    }

    #[test]
    fn end_of_table_is_an_error_naming_the_next_year() {
        let cal = NseCalendar::new();
        let last = *cal.covered_years().end();
        assert_eq!(
            cal.weekly_expiry_on_or_after(Symbol::Nifty50, d(last, 12, 31)),
            Err(CalendarError::YearNotCovered { year: last + 1 })
        );
        assert_eq!(
            cal.weekly_expiry_on_or_after(Symbol::Nifty50, d(last + 1, 1, 5)),
            Err(CalendarError::YearNotCovered { year: last + 1 })
        );
    }

    #[test]
    fn expiry_kind_rejects_non_expiries() {
        let cal = NseCalendar::new();
        let err = cal
            .expiry_kind(Symbol::Nifty50, Expiry(d(2025, 7, 18)))
            .unwrap_err();
        assert!(matches!(err, CalendarError::NotAnExpiry { .. }));
        assert!(err.to_string().contains("expiry_rules.toml"), "{err}");
    }

    fn option_symbols() -> impl Strategy<Value = Symbol> {
        prop_oneof![
            Just(Symbol::Nifty50),
            Just(Symbol::NiftyBank),
            Just(Symbol::FinNifty),
            Just(Symbol::MidcapSelect)
        ]
    }

    proptest! {
        #[test]
        fn expiries_are_regular_sessions_on_or_after_the_query(sym in option_symbols(), offset in 0u64..3900) {
            let cal = NseCalendar::new();
            let date = d(2016, 1, 1) + Days::new(offset);
            match cal.weekly_expiry_on_or_after(sym, date) {
                Ok(e) => {
                    prop_assert!(e.date() >= date);
                    prop_assert!(cal.is_trading_day(e.date()).unwrap());
                    prop_assert!(!cal.is_special_session(e.date()).unwrap());
                    // No other expiry in between.
                    prop_assert_eq!(cal.expiries_between(sym, date, e.date()).unwrap().len(), 1);
                    let m = cal.monthly_expiry_on_or_after(sym, date).unwrap();
                    prop_assert!(m >= e);
                    prop_assert_eq!(cal.expiry_kind(sym, m), Ok(ExpiryKind::Monthly));
                    // The nominal day is the rule's weekday or a later non-regular day.
                    let next = cal.next_trading_day(e.date()).unwrap();
                    prop_assert!((next - e.date()).num_days() <= 7);
                }
                Err(CalendarError::NotListed { listed_from, .. }) => prop_assert!(date < listed_from),
                Err(CalendarError::YearNotCovered { year }) => prop_assert_eq!(year, 2027),
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }
}
