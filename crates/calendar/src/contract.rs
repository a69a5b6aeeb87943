//! Contract specifications (lot size, strike step) keyed by expiry, from `data/contract_specs.toml`.

use aegis_model::Symbol;
use chrono::NaiveDate;

use crate::CalendarError;
use crate::expiry::ExpiryKind;
use crate::tables::{AppliesTo, LotRow, StepRow};

/// Contract specification of an index option for one expiry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractSpec {
    /// Units of the index per lot.
    pub lot_size: u32,
    /// Distance between listed strikes near the money, in points.
    pub strike_step: f64,
}

/// The specification rows, sorted by (symbol, from).
#[derive(Debug)]
pub(crate) struct SpecTable {
    lots: Vec<LotRow>,
    steps: Vec<StepRow>,
}

impl SpecTable {
    pub(crate) fn new(lots: Vec<LotRow>, steps: Vec<StepRow>) -> Self {
        Self { lots, steps }
    }

    fn lot(&self, symbol: Symbol, expiry: NaiveDate, kind: ExpiryKind) -> Option<u32> {
        self.lots
            .iter()
            .rev()
            .find(|r| {
                r.symbol == symbol
                    && r.from <= expiry
                    && match r.applies_to {
                        AppliesTo::All => true,
                        AppliesTo::Weekly => kind == ExpiryKind::Weekly,
                        AppliesTo::Monthly => kind == ExpiryKind::Monthly,
                    }
            })
            .map(|r| r.lot_size)
    }

    fn step(&self, symbol: Symbol, expiry: NaiveDate) -> Result<f64, CalendarError> {
        let row = self
            .steps
            .iter()
            .rev()
            .find(|r| r.symbol == symbol && r.from <= expiry);
        match row {
            Some(StepRow {
                step: Some(step), ..
            }) => Ok(*step),
            Some(StepRow { source, .. }) => Err(CalendarError::SpecUnknown {
                symbol,
                expiry,
                reason: format!("strike step not established ({source})"),
            }),
            None => Err(CalendarError::SpecUnknown {
                symbol,
                expiry,
                reason: "the strike-step table starts later".into(),
            }),
        }
    }

    /// The specification of `symbol` options expiring on `expiry`. `kind` is the expiry's kind when the
    /// schedule knows the date; otherwise the answer must not depend on it.
    pub(crate) fn spec(
        &self,
        symbol: Symbol,
        expiry: NaiveDate,
        kind: Option<ExpiryKind>,
    ) -> Result<ContractSpec, CalendarError> {
        let lot = match kind {
            Some(kind) => self.lot(symbol, expiry, kind),
            None => {
                let weekly = self.lot(symbol, expiry, ExpiryKind::Weekly);
                let monthly = self.lot(symbol, expiry, ExpiryKind::Monthly);
                if weekly != monthly {
                    return Err(CalendarError::NotAnExpiry {
                        symbol,
                        date: expiry,
                    });
                }
                weekly
            }
        };
        let lot_size = lot.ok_or_else(|| CalendarError::SpecUnknown {
            symbol,
            expiry,
            reason: "the lot-size table starts later".into(),
        })?;
        Ok(ContractSpec {
            lot_size,
            strike_step: self.step(symbol, expiry)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use aegis_model::{Expiry, Symbol};
    use chrono::NaiveDate;
    use rstest::rstest;

    use crate::{CalendarError, ContractSpec, NseCalendar};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[rstest]
    #[case::y2016(d(2016, 1, 28), 75)]
    #[case::last_75_weekly(d(2021, 7, 22), 75)]
    #[case::first_50_monthly(d(2021, 7, 29), 50)]
    #[case::first_50_weekly(d(2021, 8, 5), 50)]
    #[case::chain_2020(d(2020, 8, 13), 75)]
    #[case::last_50_monthly(d(2024, 4, 25), 50)]
    #[case::first_25_weekly(d(2024, 5, 2), 25)]
    #[case::first_25_monthly(d(2024, 5, 30), 25)]
    #[case::dec_2024_weekly(d(2024, 12, 19), 25)]
    #[case::dec_2024_monthly(d(2024, 12, 26), 25)]
    #[case::jan_2025_weekly(d(2025, 1, 2), 75)]
    #[case::jan_2025_monthly_listed_before(d(2025, 1, 30), 25)]
    #[case::feb_2025_monthly(d(2025, 2, 27), 75)]
    #[case::chain_2025(d(2025, 7, 17), 75)]
    #[case::last_75_weekly_dec_2025(d(2025, 12, 23), 75)]
    #[case::last_75_monthly(d(2025, 12, 30), 75)]
    #[case::first_65_weekly(d(2026, 1, 6), 65)]
    #[case::first_65_monthly(d(2026, 1, 27), 65)]
    #[case::long_dated_2030(d(2030, 6, 25), 65)]
    fn nifty_lot_size_by_expiry(#[case] expiry: NaiveDate, #[case] lot: u32) {
        let spec = NseCalendar::new().contract_spec(Symbol::Nifty50, Expiry(expiry));
        assert_eq!(
            spec,
            ContractSpec {
                lot_size: lot,
                strike_step: 50.0
            }
        );
    }

    #[rstest]
    #[case(Symbol::NiftyBank, d(2025, 11, 25), 35, 100.0)]
    #[case(Symbol::NiftyBank, d(2026, 1, 27), 30, 100.0)]
    #[case(Symbol::NiftyBank, d(2020, 7, 30), 25, 100.0)]
    #[case(Symbol::NiftyBank, d(2023, 7, 27), 15, 100.0)]
    #[case(Symbol::FinNifty, d(2025, 11, 25), 65, 50.0)]
    #[case(Symbol::FinNifty, d(2026, 1, 27), 60, 50.0)]
    #[case(Symbol::MidcapSelect, d(2025, 11, 25), 140, 25.0)]
    #[case(Symbol::MidcapSelect, d(2026, 1, 27), 120, 25.0)]
    #[case(Symbol::MidcapSelect, d(2022, 2, 22), 75, 50.0)]
    fn other_indices(
        #[case] sym: Symbol,
        #[case] expiry: NaiveDate,
        #[case] lot: u32,
        #[case] step: f64,
    ) {
        assert_eq!(
            NseCalendar::new().try_contract_spec(sym, Expiry(expiry)),
            Ok(ContractSpec {
                lot_size: lot,
                strike_step: step
            })
        );
    }

    #[test]
    fn strike_step_matches_the_saved_chains() {
        // The smallest gap between listed strikes within 1000 points of spot, per saved chain.
        for (path, expiry) in [
            ("nifty_2020-08-07_eod.json", d(2020, 8, 13)),
            ("nifty_2025-07-16_eod.json", d(2025, 7, 17)),
        ] {
            let full = format!(
                "{}/../../../shared/data/option_chain/{path}",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&full).unwrap();
            let spot: f64 = {
                let key = "\"underlyingValue\":";
                let at = text.find(key).unwrap() + key.len();
                let rest = &text[at..];
                let end = rest.find([',', '}']).unwrap();
                rest[..end].trim().parse().unwrap()
            };
            let key = "\"strikePrices\"";
            let rest = &text[text.find(key).unwrap() + key.len()..];
            let list = &rest[rest.find('[').unwrap() + 1..rest.find(']').unwrap()];
            let mut strikes: Vec<f64> = list
                .split(',')
                .map(|s| s.trim().parse::<f64>().unwrap())
                .filter(|k| (k - spot).abs() <= 1000.0)
                .collect();
            strikes.sort_by(f64::total_cmp);
            let gap = strikes
                .windows(2)
                .map(|w| w[1] - w[0])
                .fold(f64::INFINITY, f64::min);
            let spec = NseCalendar::new().contract_spec(Symbol::Nifty50, Expiry(expiry));
            assert_eq!(gap, spec.strike_step, "{path}");
        }
    }

    #[test]
    fn unknown_periods_and_missing_rows_are_errors() {
        let cal = NseCalendar::new();
        let err = cal
            .try_contract_spec(Symbol::MidcapSelect, Expiry(d(2024, 1, 29)))
            .unwrap_err();
        assert!(matches!(err, CalendarError::SpecUnknown { .. }), "{err:?}");
        assert!(err.to_string().contains("contract_specs.toml"), "{err}");
        assert!(matches!(
            cal.try_contract_spec(Symbol::Nifty50, Expiry(d(2015, 12, 31))),
            Err(CalendarError::SpecUnknown { .. })
        ));
    }

    #[test]
    fn a_non_expiry_date_is_answered_only_when_weekly_and_monthly_agree() {
        let cal = NseCalendar::new();
        // Friday 2025-06-06 is no expiry; weekly and monthly lots agree (75).
        assert_eq!(
            cal.try_contract_spec(Symbol::Nifty50, Expiry(d(2025, 6, 6)))
                .map(|s| s.lot_size),
            Ok(75)
        );
        // Friday 2025-01-10: weekly 75, monthly 25 - ambiguous.
        assert!(matches!(
            cal.try_contract_spec(Symbol::Nifty50, Expiry(d(2025, 1, 10))),
            Err(CalendarError::NotAnExpiry { .. })
        ));
    }
}
