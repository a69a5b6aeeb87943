//! NSE's daily reports: participant-wise open interest (one row per date and client type, the
//! report's 14 columns) and FII/DII cash-market activity (one row per date and category).
//!
//! The rows mirror the validated reports of `aegis_sources::nse_reports` (this crate does not
//! depend on the sources): the 14 contract counts are in the report's column order,
//! [`PARTICIPANT_OI_COLUMNS`]. Upserts are idempotent and atomic: a row equal to the stored one is
//! counted `unchanged`, a different one replaces it (`updated` — NSE's revision wins), and any
//! invalid row rejects the whole batch.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::Store;
use crate::codec::{date_text, parse_date_text};
use crate::error::{SqlContext, StoreError};

/// The client types of the participant-OI report, in NSE's spelling and order.
pub const PARTICIPANT_CLIENT_TYPES: [&str; 5] = ["Client", "DII", "FII", "Pro", "TOTAL"];

/// The 14 count columns of the participant-OI table, in the report's order.
pub const PARTICIPANT_OI_COLUMNS: [&str; 14] = [
    "future_index_long",
    "future_index_short",
    "future_stock_long",
    "future_stock_short",
    "option_index_call_long",
    "option_index_put_long",
    "option_index_call_short",
    "option_index_put_short",
    "option_stock_call_long",
    "option_stock_put_long",
    "option_stock_call_short",
    "option_stock_put_short",
    "total_long",
    "total_short",
];

/// The FII/DII categories: `FII` (FII/FPI) and `DII`.
pub const FII_DII_CATEGORIES: [&str; 2] = ["FII", "DII"];

/// `|net − (buy − sell)|` accepted, ₹ crore: three amounts each rounded to 0.01.
const NET_TOLERANCE_CRORE: f64 = 0.015;

/// One participant's open interest on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantOiRow {
    /// The session date.
    pub date: NaiveDate,
    /// One of [`PARTICIPANT_CLIENT_TYPES`].
    pub client_type: String,
    /// Contracts, in the order of [`PARTICIPANT_OI_COLUMNS`]; finite and ≥ 0.
    pub contracts: [f64; 14],
}

/// One category's cash-market activity on one date, in ₹ crore.
#[derive(Debug, Clone, PartialEq)]
pub struct FiiDiiRow {
    /// The session date.
    pub date: NaiveDate,
    /// One of [`FII_DII_CATEGORIES`].
    pub category: String,
    /// Gross purchases (≥ 0).
    pub buy_crore: f64,
    /// Gross sales (≥ 0).
    pub sell_crore: f64,
    /// Net purchases, `buy − sell` within rounding.
    pub net_crore: f64,
}

/// What a report upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportUpsert {
    /// Rows at keys the store did not have.
    pub inserted: usize,
    /// Stored rows replaced by different values.
    pub updated: usize,
    /// Rows identical to the stored ones.
    pub unchanged: usize,
}

fn invalid(what: String, reason: String, fix: &str) -> StoreError {
    StoreError::InvalidInput {
        what,
        reason,
        fix: fix.to_string(),
    }
}

/// `-0.0` becomes `0.0`: SQLite keeps integral reals as integers and cannot return a negative zero.
fn positive_zero(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

fn check_range(what: &str, from: NaiveDate, to: NaiveDate) -> Result<(String, String), StoreError> {
    if from > to {
        return Err(invalid(
            format!("a read of {what} from {from} to {to}"),
            "the range starts after it ends".to_string(),
            "pass from ≤ to",
        ));
    }
    Ok((date_text(what, from)?, date_text(what, to)?))
}

/// Counts a row as inserted, updated or unchanged against the stored values (bit for bit);
/// returns whether it must be written.
fn tally(summary: &mut ReportUpsert, stored: Option<Vec<f64>>, incoming: &[f64]) -> bool {
    match stored {
        None => summary.inserted += 1,
        Some(s)
            if s.iter()
                .zip(incoming)
                .all(|(a, b)| a.to_bits() == b.to_bits()) =>
        {
            summary.unchanged += 1;
            return false;
        }
        Some(_) => summary.updated += 1,
    }
    true
}

fn bad_date(path: &Path, table: &'static str, text: &str) -> StoreError {
    StoreError::BadStoredValue {
        path: path.to_path_buf(),
        table,
        detail: format!("date `{text}` is not YYYY-MM-DD"),
    }
}

impl Store {
    /// Inserts or replaces participant-OI rows, keyed by (date, client type), in one transaction.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] for an unknown client type, a count that is negative or not
    /// finite, a year outside 1000..=9999, or a key given twice; nothing is written then.
    pub fn upsert_participant_oi(
        &mut self,
        rows: &[ParticipantOiRow],
    ) -> Result<ReportUpsert, StoreError> {
        let mut keys = HashSet::new();
        let mut prepared = Vec::with_capacity(rows.len());
        for row in rows {
            let what = format!("participant OI of {} on {}", row.client_type, row.date);
            if !PARTICIPANT_CLIENT_TYPES.contains(&row.client_type.as_str()) {
                return Err(invalid(
                    what,
                    "the client type is not one of Client, DII, FII, Pro, TOTAL".to_string(),
                    "use NSE's spelling of the report's rows",
                ));
            }
            if let Some((k, v)) = row
                .contracts
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(invalid(
                    what,
                    format!(
                        "{} = {v} is not a count of contracts (finite, ≥ 0)",
                        PARTICIPANT_OI_COLUMNS[k]
                    ),
                    "store only reports validated by the NSE reports parser",
                ));
            }
            if !keys.insert((row.date, row.client_type.clone())) {
                return Err(invalid(
                    what,
                    "the row appears twice in one upsert".to_string(),
                    "pass each (date, client type) once",
                ));
            }
            let date = date_text("participant OI date", row.date)?;
            prepared.push((
                date,
                row.client_type.as_str(),
                row.contracts.map(positive_zero),
            ));
        }
        let columns = PARTICIPANT_OI_COLUMNS.join(", ");
        let placeholders: String = (3..=16).map(|i| format!(", ?{i}")).collect();
        let updates: String = PARTICIPANT_OI_COLUMNS
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let select =
            format!("SELECT {columns} FROM participant_oi WHERE date = ?1 AND client_type = ?2");
        let upsert = format!(
            "INSERT INTO participant_oi (date, client_type, {columns}, inserted_at) \
             VALUES (?1, ?2{placeholders}, ?17) \
             ON CONFLICT (date, client_type) DO UPDATE SET {updates}, inserted_at = excluded.inserted_at"
        );
        self.write("storing participant open interest", |conn, path, now| {
            let context = "storing participant open interest";
            let mut summary = ReportUpsert::default();
            let mut read = conn.prepare_cached(&select).ctx(path, context)?;
            let mut write = conn.prepare_cached(&upsert).ctx(path, context)?;
            for (date, client, values) in &prepared {
                let stored = read
                    .query_row(params![date, client], |r| {
                        (0..14)
                            .map(|i| r.get::<_, f64>(i))
                            .collect::<rusqlite::Result<Vec<f64>>>()
                    })
                    .optional()
                    .ctx(path, context)?;
                if tally(&mut summary, stored, values) {
                    let mut args: Vec<rusqlite::types::Value> =
                        vec![date.clone().into(), client.to_string().into()];
                    args.extend(values.iter().map(|v| rusqlite::types::Value::Real(*v)));
                    args.push(now.to_string().into());
                    write.execute(params_from_iter(args)).ctx(path, context)?;
                }
            }
            Ok(summary)
        })
    }

    /// Participant-OI rows with `from ≤ date ≤ to`, by date and then in NSE's row order.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] if `from > to`; [`StoreError::BadStoredValue`] for a row
    /// that cannot be decoded.
    pub fn participant_oi(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ParticipantOiRow>, StoreError> {
        let (from, to) = check_range("participant open interest", from, to)?;
        let sql = format!(
            "SELECT date, client_type, {} FROM participant_oi WHERE date BETWEEN ?1 AND ?2 \
             ORDER BY date, CASE client_type WHEN 'Client' THEN 0 WHEN 'DII' THEN 1 \
             WHEN 'FII' THEN 2 WHEN 'Pro' THEN 3 ELSE 4 END",
            PARTICIPANT_OI_COLUMNS.join(", ")
        );
        self.read("reading participant open interest", |conn, path| {
            let context = "reading participant open interest";
            let mut stmt = conn.prepare_cached(&sql).ctx(path, context)?;
            let raw = stmt
                .query_map(params![from, to], |r| {
                    let mut contracts = [0.0; 14];
                    for (i, c) in contracts.iter_mut().enumerate() {
                        *c = r.get(i + 2)?;
                    }
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, contracts))
                })
                .ctx(path, context)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx(path, context)?;
            raw.into_iter()
                .map(|(date, client_type, contracts)| {
                    Ok(ParticipantOiRow {
                        date: parse_date_text(&date)
                            .ok_or_else(|| bad_date(path, "participant_oi", &date))?,
                        client_type,
                        contracts,
                    })
                })
                .collect()
        })
    }

    /// Inserts or replaces FII/DII rows, keyed by (date, category), in one transaction.
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] for an unknown category, a negative or non-finite amount, a
    /// net that is not buy − sell within ₹0.015 crore, a year outside 1000..=9999, or a key given
    /// twice; nothing is written then.
    pub fn upsert_fii_dii(&mut self, rows: &[FiiDiiRow]) -> Result<ReportUpsert, StoreError> {
        let mut keys = HashSet::new();
        let mut prepared = Vec::with_capacity(rows.len());
        for row in rows {
            let what = format!("FII/DII activity of {} on {}", row.category, row.date);
            let fix = "store only reports validated by the NSE reports parser";
            if !FII_DII_CATEGORIES.contains(&row.category.as_str()) {
                return Err(invalid(
                    what,
                    "the category is not FII or DII".to_string(),
                    "use `FII` for FII/FPI and `DII`",
                ));
            }
            for (name, v, min) in [
                ("buy", row.buy_crore, 0.0),
                ("sell", row.sell_crore, 0.0),
                ("net", row.net_crore, f64::NEG_INFINITY),
            ] {
                if !(v.is_finite() && v >= min) {
                    return Err(invalid(
                        what,
                        format!(
                            "{name} = {v} is not a valid amount (finite, and ≥ 0 for buy and sell)"
                        ),
                        fix,
                    ));
                }
            }
            let gap = row.net_crore - (row.buy_crore - row.sell_crore);
            if gap.abs() > NET_TOLERANCE_CRORE + 1e-9 * row.buy_crore.max(row.sell_crore) {
                return Err(invalid(
                    what,
                    format!(
                        "net {} is not buy − sell = {} (more than ₹{NET_TOLERANCE_CRORE} crore of rounding)",
                        row.net_crore,
                        row.buy_crore - row.sell_crore
                    ),
                    fix,
                ));
            }
            if !keys.insert((row.date, row.category.clone())) {
                return Err(invalid(
                    what,
                    "the row appears twice in one upsert".to_string(),
                    "pass each (date, category) once",
                ));
            }
            let date = date_text("FII/DII date", row.date)?;
            let values = [row.buy_crore, row.sell_crore, row.net_crore].map(positive_zero);
            prepared.push((date, row.category.as_str(), values));
        }
        self.write("storing FII/DII activity", |conn, path, now| {
            let context = "storing FII/DII activity";
            let mut summary = ReportUpsert::default();
            let mut read = conn
                .prepare_cached(
                    "SELECT buy_crore, sell_crore, net_crore FROM fii_dii_activity \
                     WHERE date = ?1 AND category = ?2",
                )
                .ctx(path, context)?;
            let mut write = conn
                .prepare_cached(
                    "INSERT INTO fii_dii_activity \
                     (date, category, buy_crore, sell_crore, net_crore, inserted_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (date, category) DO UPDATE SET buy_crore = excluded.buy_crore, \
                     sell_crore = excluded.sell_crore, net_crore = excluded.net_crore, \
                     inserted_at = excluded.inserted_at",
                )
                .ctx(path, context)?;
            for (date, category, [buy, sell, net]) in &prepared {
                let stored = read
                    .query_row(params![date, category], |r| {
                        Ok(vec![r.get::<_, f64>(0)?, r.get(1)?, r.get(2)?])
                    })
                    .optional()
                    .ctx(path, context)?;
                let incoming = [*buy, *sell, *net];
                if tally(&mut summary, stored, &incoming) {
                    write
                        .execute(params![date, category, buy, sell, net, now])
                        .ctx(path, context)?;
                }
            }
            Ok(summary)
        })
    }

    /// FII/DII rows with `from ≤ date ≤ to`, by date and then category (`DII`, `FII`).
    ///
    /// # Errors
    /// [`StoreError::InvalidInput`] if `from > to`; [`StoreError::BadStoredValue`] for a row
    /// that cannot be decoded.
    pub fn fii_dii(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<FiiDiiRow>, StoreError> {
        let (from, to) = check_range("FII/DII activity", from, to)?;
        self.read("reading FII/DII activity", |conn, path| {
            let context = "reading FII/DII activity";
            let mut stmt = conn
                .prepare_cached(
                    "SELECT date, category, buy_crore, sell_crore, net_crore FROM fii_dii_activity \
                     WHERE date BETWEEN ?1 AND ?2 ORDER BY date, category",
                )
                .ctx(path, context)?;
            let raw = stmt
                .query_map(params![from, to], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, f64>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, f64>(4)?,
                    ))
                })
                .ctx(path, context)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx(path, context)?;
            raw.into_iter()
                .map(|(date, category, buy_crore, sell_crore, net_crore)| {
                    Ok(FiiDiiRow {
                        date: parse_date_text(&date)
                            .ok_or_else(|| bad_date(path, "fii_dii_activity", &date))?,
                        category,
                        buy_crore,
                        sell_crore,
                        net_crore,
                    })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
    use crate::test_support::{dump, yahoo_daily};
    use aegis_model::Symbol;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    /// One day of the report (the four participants and the total), in NSE's order.
    fn oi_day(date: NaiveDate, scale: f64) -> Vec<ParticipantOiRow> {
        let rows: [[f64; 12]; 4] = [
            [
                241_095.0,
                56_811.0,
                3_288_064.0,
                219_858.0,
                2_253_778.0,
                2_020_356.0,
                2_354_391.0,
                2_717_115.0,
                1_714_580.0,
                748_617.0,
                1_182_093.0,
                993_784.0,
            ],
            [
                64_168.0,
                19_541.0,
                306_670.0,
                4_264_212.0,
                5_300.0,
                48_594.0,
                186.0,
                87.0,
                1_134.0,
                36_835.0,
                294_895.0,
                15_228.0,
            ],
            [
                23_286.0,
                246_677.0,
                3_626_490.0,
                2_881_926.0,
                467_568.0,
                911_150.0,
                717_611.0,
                368_425.0,
                155_279.0,
                255_566.0,
                304_919.0,
                158_672.0,
            ],
            [
                35_866.0, 41_386.0, 795_953.0, 651_181.0, 588_685.0, 570_059.0, 243_143.0,
                464_532.0, 407_334.0, 556_518.0, 496_420.0, 429_852.0,
            ],
        ];
        let with_totals = |r: [f64; 12]| -> [f64; 14] {
            let mut v = [0.0; 14];
            for (i, x) in r.iter().enumerate() {
                v[i] = (x * scale).round();
            }
            v[12] = [0, 2, 4, 5, 8, 9].iter().map(|&i| v[i]).sum();
            v[13] = [1, 3, 6, 7, 10, 11].iter().map(|&i| v[i]).sum();
            v
        };
        let mut out: Vec<ParticipantOiRow> = rows
            .iter()
            .zip(PARTICIPANT_CLIENT_TYPES)
            .map(|(r, c)| ParticipantOiRow {
                date,
                client_type: c.to_string(),
                contracts: with_totals(*r),
            })
            .collect();
        let mut total = [0.0; 14];
        for r in &out {
            for (t, x) in total.iter_mut().zip(r.contracts) {
                *t += x;
            }
        }
        out.push(ParticipantOiRow {
            date,
            client_type: "TOTAL".to_string(),
            contracts: total,
        });
        out
    }

    fn flows(date: NaiveDate) -> Vec<FiiDiiRow> {
        vec![
            FiiDiiRow {
                date,
                category: "DII".to_string(),
                buy_crore: 17_412.58,
                sell_crore: 13_986.09,
                net_crore: 3_426.49,
            },
            FiiDiiRow {
                date,
                category: "FII".to_string(),
                buy_crore: 12_087.33,
                sell_crore: 14_361.75,
                net_crore: -2_274.42,
            },
        ]
    }

    #[test]
    fn participant_oi_upserts_are_idempotent_and_read_by_range() {
        let mut store = Store::open_in_memory().unwrap();
        let mut rows = oi_day(d(24), 0.98);
        rows.extend(oi_day(d(25), 1.0));
        let s = store.upsert_participant_oi(&rows).unwrap();
        assert_eq!((s.inserted, s.updated, s.unchanged), (10, 0, 0));
        let before = dump(&store, "participant_oi");
        let s = store.upsert_participant_oi(&rows).unwrap();
        assert_eq!((s.inserted, s.updated, s.unchanged), (0, 0, 10));
        assert_eq!(dump(&store, "participant_oi"), before, "nothing rewritten");

        // NSE revises one row: only that row changes.
        let mut revised = oi_day(d(25), 1.0);
        revised[2].contracts[0] += 1.0;
        let s = store.upsert_participant_oi(&revised).unwrap();
        assert_eq!((s.inserted, s.updated, s.unchanged), (0, 1, 4));

        let day = store.participant_oi(d(25), d(25)).unwrap();
        assert_eq!(day, revised);
        let both = store.participant_oi(d(1), d(30)).unwrap();
        assert_eq!(both.len(), 10);
        assert_eq!(both[..5], oi_day(d(24), 0.98)[..]);
        let order: Vec<&str> = both[..5].iter().map(|r| r.client_type.as_str()).collect();
        assert_eq!(order, PARTICIPANT_CLIENT_TYPES);
        assert!(store.participant_oi(d(26), d(30)).unwrap().is_empty());
        let e = store.participant_oi(d(26), d(25)).unwrap_err();
        assert!(
            matches!(e, StoreError::InvalidInput { .. })
                && e.to_string().contains("starts after it ends")
        );
        store.integrity_check().unwrap();
    }

    /// An edit that breaks one rule.
    type Edit = Box<dyn Fn(&mut Vec<ParticipantOiRow>)>;

    #[test]
    fn invalid_participant_rows_reject_the_whole_batch() {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_participant_oi(&oi_day(d(24), 1.0)).unwrap();
        let before = dump(&store, "participant_oi");
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|r| r[4].client_type = "Algo".into()),
                "not one of Client",
            ),
            (
                Box::new(|r| r[1].contracts[3] = -1.0),
                "future_stock_short = -1",
            ),
            (
                Box::new(|r| r[0].contracts[13] = f64::NAN),
                "total_short = NaN",
            ),
            (
                Box::new(|r| r[3].client_type = "FII".into()),
                "appears twice",
            ),
            (
                Box::new(|r| r[0].date = NaiveDate::from_ymd_opt(99_999, 1, 1).unwrap()),
                "1000..=9999",
            ),
        ];
        for (edit, needle) in cases {
            let mut rows = oi_day(d(25), 1.0);
            edit(&mut rows);
            let e = store.upsert_participant_oi(&rows).unwrap_err();
            assert!(matches!(e, StoreError::InvalidInput { .. }), "{e:?}");
            assert!(e.to_string().contains(needle), "{e}");
            assert_eq!(
                dump(&store, "participant_oi"),
                before,
                "{needle}: nothing written"
            );
        }
    }

    #[test]
    fn fii_dii_upserts_are_idempotent_and_checked() {
        let mut store = Store::open_in_memory().unwrap();
        let mut rows = flows(d(24));
        rows.extend(flows(d(25)));
        let s = store.upsert_fii_dii(&rows).unwrap();
        assert_eq!((s.inserted, s.updated, s.unchanged), (4, 0, 0));
        let s = store.upsert_fii_dii(&rows).unwrap();
        assert_eq!((s.inserted, s.updated, s.unchanged), (0, 0, 4));
        let mut revised = flows(d(25));
        revised[1].sell_crore = 14_361.76;
        revised[1].net_crore = -2_274.43;
        let s = store.upsert_fii_dii(&revised).unwrap();
        assert_eq!((s.inserted, s.updated, s.unchanged), (0, 1, 1));
        assert_eq!(store.fii_dii(d(25), d(25)).unwrap(), revised);
        let all = store.fii_dii(d(24), d(25)).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(
            (all[0].category.as_str(), all[1].category.as_str()),
            ("DII", "FII")
        );

        // A negative zero net is stored and read back as +0.
        let flat = FiiDiiRow {
            date: d(26),
            category: "FII".into(),
            buy_crore: 100.0,
            sell_crore: 100.0,
            net_crore: -0.0,
        };
        store.upsert_fii_dii(std::slice::from_ref(&flat)).unwrap();
        let back = store.fii_dii(d(26), d(26)).unwrap();
        assert_eq!(back[0].net_crore.to_bits(), 0.0f64.to_bits());
        assert_eq!(store.upsert_fii_dii(&[flat]).unwrap().unchanged, 1);

        let before = dump(&store, "fii_dii_activity");
        let bad = [
            (
                FiiDiiRow {
                    category: "FPI".into(),
                    ..flows(d(27))[1].clone()
                },
                "not FII or DII",
            ),
            (
                FiiDiiRow {
                    net_crore: 3_426.6,
                    ..flows(d(27))[0].clone()
                },
                "is not buy − sell",
            ),
            (
                FiiDiiRow {
                    buy_crore: -1.0,
                    net_crore: -13_987.09,
                    ..flows(d(27))[0].clone()
                },
                "buy = -1",
            ),
            (
                FiiDiiRow {
                    sell_crore: f64::INFINITY,
                    ..flows(d(27))[0].clone()
                },
                "sell = inf",
            ),
        ];
        for (row, needle) in bad {
            let e = store
                .upsert_fii_dii(&[flows(d(27))[0].clone(), row])
                .unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
        let twice = [flows(d(27))[0].clone(), flows(d(27))[0].clone()];
        assert!(
            store
                .upsert_fii_dii(&twice)
                .unwrap_err()
                .to_string()
                .contains("appears twice")
        );
        assert_eq!(dump(&store, "fii_dii_activity"), before);
        assert!(store.fii_dii(d(27), d(20)).is_err());
    }

    fn schema_of(conn: &rusqlite::Connection) -> Vec<(String, String)> {
        conn.prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// A store written at schema version 1 is migrated to the current version on open, its
    /// data intact (its runs were NIFTY 50 runs).
    #[test]
    fn a_version_1_store_migrates_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        let nifty = yahoo_daily("nifty50_daily_yahoo.csv", Symbol::Nifty50);
        // Write real data, then take the file back to exactly the version-1 schema.
        let mut store = Store::open(&path).unwrap();
        store.upsert_daily(&nifty).unwrap();
        drop(store);
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP TABLE participant_oi; DROP TABLE fii_dii_activity; \
             DROP INDEX runs_symbol; ALTER TABLE runs DROP COLUMN symbol; PRAGMA user_version = 1; \
             INSERT INTO runs (started_at, status) VALUES ('2025-11-28T10:00:00.000000000Z', 'ok');",
        )
        .unwrap();
        let reference = rusqlite::Connection::open_in_memory().unwrap();
        reference.execute_batch(MIGRATIONS[0]).unwrap();
        assert_eq!(
            schema_of(&raw),
            schema_of(&reference),
            "the file is a version-1 store"
        );
        let bars_v1: i64 = raw
            .query_row("SELECT count(*) FROM daily_bars", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bars_v1, 1236);
        drop(raw);

        // A read-only open cannot migrate.
        let e = Store::open_read_only(&path).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NeedsMigration {
                    found: 1,
                    required: SCHEMA_VERSION,
                    ..
                }
            ),
            "{e:?}"
        );

        let mut store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let app: i64 = store
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!((version, app), (i64::from(SCHEMA_VERSION), APPLICATION_ID));
        assert_eq!(store.daily(Symbol::Nifty50).unwrap(), nifty, "data intact");
        let old_run = store.run(1).unwrap().expect("the version-1 run is kept");
        assert_eq!(old_run.symbol, Symbol::Nifty50);
        assert_eq!(
            store
                .upsert_participant_oi(&oi_day(d(25), 1.0))
                .unwrap()
                .inserted,
            5
        );
        assert_eq!(store.upsert_fii_dii(&flows(d(25))).unwrap().inserted, 2);
        store.integrity_check().unwrap();
        drop(store);
        // Reopening does not migrate again, and the new data stays.
        let store = Store::open_read_only(&path).unwrap();
        assert_eq!(
            store.participant_oi(d(25), d(25)).unwrap(),
            oi_day(d(25), 1.0)
        );
        assert_eq!(store.fii_dii(d(25), d(25)).unwrap(), flows(d(25)));
    }
}
