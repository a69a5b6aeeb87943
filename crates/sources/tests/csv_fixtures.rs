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

/// The 2020-12-01..04 lines of the shared NSE file, as its cells: date (YYYY-MM-DD), open, high,
/// low, close, shares traded, turnover (₹ crore).
fn shared_nse_lines() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(shared("nifty50_daily_nse_2000_2022.csv")).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter(|l| ("2020-12-01".."2020-12-05").contains(&&l[..10.min(l.len())]))
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 4, "the shared file has 2020-12-01..04");
    rows
}

/// `digits` (an integer) with Indian grouping: 58,36,33,902.
fn indian_grouping(digits: &str) -> String {
    let (head, last3) = digits.split_at(digits.len().saturating_sub(3));
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (a, b) = rest.split_at(rest.len() - 2);
        groups.insert(0, b);
        rest = a;
    }
    if !rest.is_empty() {
        groups.insert(0, rest);
    }
    groups.push(last3);
    groups.retain(|g| !g.is_empty());
    groups.join(",")
}

/// How an NSE index-history export writes its dates and numbers.
#[derive(Debug, Clone, Copy)]
enum NseLayout {
    /// `"01-DEC-2020"`, every cell quoted, header cells with a trailing space, Indian grouping,
    /// CRLF line ends, and `"-"` for a turnover NSE did not report (the third row's).
    QuotedDashDates,
    /// `01 Dec 2020`, plain numbers, newest row first.
    SpaceDatesNewestFirst,
    /// `01-Dec-2020`, plain numbers.
    MixedCaseDashDates,
}

/// The shared file's rows written in `layout`, as NSE's website exports them.
fn nse_export(layout: NseLayout) -> String {
    let mut rows = shared_nse_lines();
    let cells = |r: &[String]| -> Vec<String> {
        let date = NaiveDate::parse_from_str(&r[0], "%Y-%m-%d").unwrap();
        let price = |x: &str| format!("{:.2}", x.parse::<f64>().unwrap());
        let grouped = |x: String| {
            let (int, frac) = x
                .split_once('.')
                .map_or((x.as_str(), None), |(i, f)| (i, Some(f)));
            let g = indian_grouping(int);
            frac.map_or(g.clone(), |f| format!("{g}.{f}"))
        };
        match layout {
            NseLayout::QuotedDashDates => {
                let mut v = vec![date.format("%d-%b-%Y").to_string().to_uppercase()];
                v.extend(r[1..5].iter().map(|x| grouped(price(x))));
                v.push(grouped(r[5].clone()));
                v.push(if r[0] == "2020-12-03" {
                    "-".to_string()
                } else {
                    grouped(price(&r[6]))
                });
                v.into_iter().map(|c| format!("\"{c}\"")).collect()
            }
            NseLayout::SpaceDatesNewestFirst | NseLayout::MixedCaseDashDates => {
                let fmt = match layout {
                    NseLayout::SpaceDatesNewestFirst => "%d %b %Y",
                    _ => "%d-%b-%Y",
                };
                let mut v = vec![date.format(fmt).to_string()];
                v.extend(r[1..5].iter().map(|x| price(x)));
                v.push(r[5].clone());
                v.push(price(&r[6]));
                v
            }
        }
    };
    let header = match layout {
        NseLayout::QuotedDashDates => {
            "\"Date \",\"Open \",\"High \",\"Low \",\"Close \",\"Shares Traded \",\"Turnover (₹ Cr)\""
        }
        _ => "Date,Open,High,Low,Close,Shares Traded,Turnover (₹ Cr)",
    };
    if matches!(layout, NseLayout::SpaceDatesNewestFirst) {
        rows.reverse();
    }
    let eol = match layout {
        NseLayout::QuotedDashDates => "\r\n",
        _ => "\n",
    };
    let mut out = String::from(header);
    for r in &rows {
        out.push_str(eol);
        out.push_str(&cells(r).join(","));
    }
    out.push_str(eol);
    out
}

#[test]
fn indian_grouping_of_integers() {
    assert_eq!(indian_grouping("583633902"), "58,36,33,902");
    assert_eq!(indian_grouping("13062"), "13,062");
    assert_eq!(indian_grouping("906"), "906");
    assert_eq!(indian_grouping("1000"), "1,000");
}

/// The NSE export layouts, written here from the shared file's rows (the repository ships no
/// market data), import to exactly the bars of the normalised file.
#[rstest]
#[case(NseLayout::QuotedDashDates, false)]
#[case(NseLayout::SpaceDatesNewestFirst, true)]
fn nse_export_layouts_match_the_normalised_file(#[case] layout: NseLayout, #[case] reversed: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nifty50_nse_export.csv");
    let text = nse_export(layout);
    std::fs::write(&path, &text).unwrap();
    let got = import_path(&path, None).unwrap();
    assert_eq!(got.summary.format, CsvFormat::NseHistory);
    assert_eq!(got.summary.symbol, Symbol::Nifty50);
    assert_eq!(got.summary.interval, Interval::Daily);
    assert_eq!(got.summary.reversed, reversed, "{text}");
    let bars = got.series.into_daily().unwrap().into_bars();
    assert_eq!(bars, normalised_nse_rows(), "{text}");
}

#[test]
fn nse_mixed_case_month_dates() {
    let text = nse_export(NseLayout::MixedCaseDashDates);
    assert!(text.contains("\n01-Dec-2020,"), "{text}");
    let got = import_bytes("nifty50.csv", text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(
        got.series.into_daily().unwrap().into_bars(),
        normalised_nse_rows()
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
        matches!(&e, CsvError::Cell { line: 4, column: "Close", problem: CellProblem::NotANumber, text, .. } if text == "1O3.0"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!("{file} line 4: column `Close` is `1O3.0`, not a number")
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
