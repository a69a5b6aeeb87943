//! Small CSV fixtures of this crate: the NSE index-history layouts and malformed files.

mod common;

use std::path::PathBuf;

use aegis_model::{BarRule, Interval, Symbol};
use aegis_sources::csv::{
    CellProblem, CsvError, CsvFormat, ImportOptions, import_bytes, import_path,
};
use chrono::NaiveDate;
use common::shared;
use rstest::rstest;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

/// The 2020-12-01..04 rows of the normalised NSE file in the shared data.
fn normalised_nse_rows() -> Vec<aegis_model::DailyBar> {
    let nse = import_path(shared("nifty50_daily_nse_2000_2022.csv"), None)
        .unwrap()
        .series
        .into_daily()
        .unwrap();
    let from = NaiveDate::from_ymd_opt(2020, 12, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2020, 12, 4).unwrap();
    nse.bars()
        .iter()
        .filter(|b| b.key >= from && b.key <= to)
        .copied()
        .collect()
}

#[rstest]
#[case("nifty50_nse_dash_dates.csv", false)]
#[case("nifty50_nse_space_dates_newest_first.csv", true)]
fn nse_export_layouts_match_the_normalised_file(#[case] name: &str, #[case] reversed: bool) {
    let got = import_path(fixture(name), None).unwrap();
    assert_eq!(got.summary.format, CsvFormat::NseHistory);
    assert_eq!(got.summary.symbol, Symbol::Nifty50);
    assert_eq!(got.summary.interval, Interval::Daily);
    assert_eq!(got.summary.reversed, reversed);
    let bars = got.series.into_daily().unwrap().into_bars();
    assert_eq!(bars, normalised_nse_rows());
}

#[test]
fn nse_mixed_case_month_dates() {
    let text = "Date,Open,High,Low,Close,Shares Traded,Turnover (₹ Cr)\n\
        01-Dec-2020,13062.20,13128.40,12962.80,13109.05,583633902,32917.26\n\
        02-Dec-2020,13121.40,13128.50,12983.55,13113.75,717711761,34008.74\n";
    let got = import_bytes("nifty50.csv", text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(
        got.series.into_daily().unwrap().into_bars(),
        normalised_nse_rows()[..2]
    );
}

fn error_of(name: &str) -> (String, CsvError) {
    let path = fixture(&format!("bad/{name}"));
    let e = import_path(&path, None).unwrap_err();
    (path.display().to_string(), e)
}

#[test]
fn high_below_low_names_file_line_and_rule() {
    let (file, e) = error_of("nifty50_high_below_low.csv");
    assert!(
        matches!(
            e,
            CsvError::Rule {
                line: 4,
                rule: BarRule::HighBelowLow,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!("{file} line 4 (2020-12-03): High must not be below Low")
    );
}

#[test]
fn duplicate_date_names_both_lines() {
    let (file, e) = error_of("nifty50_duplicate_date.csv");
    assert_eq!(
        e.to_string(),
        format!(
            "{file} line 4 (2020-12-02): each date/timestamp may appear only once (the row before is line 3)"
        )
    );
}

#[test]
fn unsorted_rows_are_refused() {
    let (file, e) = error_of("nifty50_unsorted.csv");
    assert_eq!(
        e.to_string(),
        format!(
            "{file} line 4 (2020-12-02): bars must be sorted by time (the row before is line 3)"
        )
    );
}

#[test]
fn non_number_names_the_column_and_text() {
    let (file, e) = error_of("nifty50_not_a_number.csv");
    assert!(
        matches!(&e, CsvError::Cell { line: 4, column: "Close", problem: CellProblem::NotANumber, text, .. } if text == "131O3.9"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!("{file} line 4: column `Close` is `131O3.9`, not a number")
    );
}

#[test]
fn nan_and_empty_cells_are_refused() {
    let (file, e) = error_of("nifty50_nan.csv");
    assert_eq!(
        e.to_string(),
        format!("{file} line 3: column `High` is `NaN`, not a finite number")
    );
    let (file, e) = error_of("nifty50_empty_cell.csv");
    assert_eq!(
        e.to_string(),
        format!("{file} line 3: column `Low` is empty; every price must be present")
    );
}

#[test]
fn missing_column_names_it_and_the_header() {
    let (file, e) = error_of("nifty50_missing_column.csv");
    assert!(
        matches!(e, CsvError::MissingColumn { column: "Low", .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with(&format!(
            "{file} line 1: missing column `Low` (header is `Date,Open,High,Close,Volume`); expected"
        )),
        "{e}"
    );
}

#[test]
fn wrong_field_count_names_the_line() {
    let (file, e) = error_of("nifty50_wrong_field_count.csv");
    assert_eq!(
        e.to_string(),
        format!("{file} line 3: has 5 fields but the header has 6")
    );
}

#[test]
fn empty_file_says_what_was_expected() {
    let (file, e) = error_of("nifty50_empty.csv");
    assert!(matches!(e, CsvError::Empty { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("`{file}` is empty: expected a header line")),
        "{e}"
    );
}

#[test]
fn unknown_symbol_asks_for_one() {
    let (file, e) = error_of("prices.csv");
    assert!(matches!(e, CsvError::UnknownSymbol { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("cannot tell which index `{file}` holds")),
        "{e}"
    );
    let ok = import_path(fixture("bad/prices.csv"), Some(Symbol::Nifty50)).unwrap();
    assert_eq!(ok.series.len(), 1);
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let e = import_path("/nonexistent/nifty50.csv", None).unwrap_err();
    assert!(matches!(e, CsvError::Io { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("cannot read `/nonexistent/nifty50.csv`"),
        "{e}"
    );
}

#[test]
fn a_file_written_to_disk_imports_like_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("banknifty_daily.csv");
    std::fs::write(
        &path,
        "Date,Open,High,Low,Close\n2024-01-02,100,110,95,105\n2024-01-03,105,106,101,102\n",
    )
    .unwrap();
    let got = import_path(&path, None).unwrap();
    assert_eq!(got.summary.symbol, Symbol::NiftyBank);
    assert_eq!(got.series.len(), 2);
}
