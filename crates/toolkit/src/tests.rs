//! Tests of the document on real and hand-built chains.

use aegis_model::{
    AnnualVol, ChainRow, DataOrigin, Expiry, OptionChain, OptionQuote, OptionSide, Symbol,
};
use aegis_quant::{Black76, Forward, Strike, Years};
use chrono::{DateTime, Duration, FixedOffset};

use super::*;

fn real_chain() -> OptionChain {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/option_chain/nifty_2025-07-16_eod.json"
    );
    aegis_sources::nse::import_chain_path(path).expect("the saved chain imports")
}

fn ts() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-07-16T15:30:00+05:30").unwrap()
}

fn last_only(price: f64, oi: f64) -> OptionQuote {
    OptionQuote {
        open_interest: oi,
        last_price: Some(price),
        ..OptionQuote::default()
    }
}

#[test]
fn explorer_greeks_are_black76_on_the_parity_forward_at_our_iv() {
    let chain = real_chain();
    let expiry = chain.expiries[0];
    let ctx = ExpiryContext::new(&chain, expiry).unwrap();
    let f = ctx.forward().unwrap();
    let e = explorer::explore(&chain, &ctx, 8, Some(75));
    assert_eq!(e.rows.len(), 17);
    assert_eq!(e.rows.iter().filter(|r| r.atm).count(), 1);
    let atm = e.rows.iter().find(|r| r.atm).unwrap();
    assert!(
        chain
            .expiry_rows(expiry)
            .iter()
            .all(|r| (r.strike - f).abs() >= (atm.strike - f).abs())
    );
    assert_eq!(e.rows[8].strike, atm.strike, "ATM in the middle");
    let mut checked = 0;
    for row in &e.rows {
        for (kind, leg) in [(OptionSide::Call, &row.call), (OptionSide::Put, &row.put)] {
            let Some(leg) = leg else { continue };
            let Some(iv) = leg.iv_pct else {
                assert!(leg.note.is_some(), "a missing IV says why");
                continue;
            };
            let o = Black76::undiscounted(
                Forward(f),
                Strike(row.strike),
                ctx.years,
                AnnualVol(iv / 100.0),
            )
            .unwrap();
            let g = o.greeks(kind);
            // The IV is stored in percent, so it round-trips to within a few ulps.
            let close =
                |a: Option<f64>, b: f64| (a.unwrap() - b).abs() <= 1e-12 * b.abs().max(1e-12);
            assert!(close(leg.delta, g.delta), "{:?} vs {}", leg.delta, g.delta);
            assert!(close(leg.gamma, g.gamma));
            assert!(close(leg.theta_per_day, g.theta_per_day));
            assert!(close(leg.vega_per_point, g.vega_per_point));
            // Our IV reprices the premium used.
            assert!((g.price - leg.premium.unwrap()).abs() < 1e-6 * leg.premium.unwrap().max(1.0));
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} legs had an IV");
    // The max-pain strike is flagged when it is in the window.
    if let Some(mp) = e.max_pain {
        for r in &e.rows {
            assert_eq!(r.max_pain, r.strike == mp);
        }
    }
    assert!(!e.smile.is_empty());
}

/// A hand-checkable chain: two strikes priced by Black-76 at 15 % on a forward of 25 000,
/// seven calendar days out.
fn two_strike_chain() -> (OptionChain, Expiry) {
    let expiry: Expiry = "2025-07-23".parse().unwrap();
    let t = Years::from_calendar_days(7.0);
    let price = |k: f64, side| {
        Black76::undiscounted(Forward(25_000.0), Strike(k), t, AnnualVol(0.15))
            .unwrap()
            .price(side)
    };
    let row = |k: f64, call_oi: f64, put_oi: f64| ChainRow {
        expiry,
        strike: k,
        call: Some(last_only(price(k, OptionSide::Call), call_oi)),
        put: Some(last_only(price(k, OptionSide::Put), put_oi)),
    };
    let chain = OptionChain::new(
        Symbol::Nifty50,
        ts(),
        24_990.0,
        vec![],
        vec![
            row(24_900.0, 1_000.0, 3_000.0),
            row(25_100.0, 2_000.0, 500.0),
        ],
        DataOrigin::Nse,
    )
    .unwrap();
    (chain, expiry)
}

#[test]
fn gex_sign_and_total_on_a_two_strike_chain() {
    let (chain, expiry) = two_strike_chain();
    let ctx = ExpiryContext::new(&chain, expiry).unwrap();
    let g = gex::gamma_exposure(&chain, &ctx, 75).unwrap();
    // By hand: Γ = φ(d1) / (F σ √T), d1 = (ln(F/K) + σ²T/2) / (σ√T).
    let (f, sigma, t, s) = (25_000.0_f64, 0.15_f64, 7.0 / 365.0_f64, 24_990.0_f64);
    let gamma = |k: f64| {
        let sd = sigma * t.sqrt();
        let d1 = ((f / k).ln() + 0.5 * sd * sd) / sd;
        (-0.5 * d1 * d1).exp() / (2.0 * std::f64::consts::PI).sqrt() / (f * sd)
    };
    let scale = 75.0 * s * s * 0.01;
    let low = gamma(24_900.0) * (1_000.0 - 3_000.0) * scale;
    let high = gamma(25_100.0) * (2_000.0 - 500.0) * scale;
    assert_eq!(g.strikes.len(), 2);
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    assert!(
        rel(g.strikes[0].net_gex, low) < 1e-6,
        "{} vs {low}",
        g.strikes[0].net_gex
    );
    assert!(rel(g.strikes[1].net_gex, high) < 1e-6);
    assert!(g.strikes[0].net_gex < 0.0 && g.strikes[1].net_gex > 0.0);
    assert!(
        g.strikes
            .iter()
            .all(|x| x.call_gex >= 0.0 && x.put_gex <= 0.0)
    );
    assert!(rel(g.total, low + high) < 1e-6);
    assert!(rel(g.total, g.total_call + g.total_put) < 1e-12);
    assert!((g.forward - 25_000.0).abs() < 1e-6);
    assert_eq!(g.strikes_without_iv, 0);
}

#[test]
fn intraday_series_from_three_chains() {
    let base = real_chain();
    let expiry = base.expiries[0];
    let at = |hours: i64, put_scale: f64| {
        let mut c = base.clone();
        c.timestamp = base.timestamp - Duration::hours(hours);
        for r in &mut c.rows {
            if let Some(p) = r.put.as_mut() {
                p.open_interest *= put_scale;
            }
        }
        c
    };
    // Given out of order; the series comes back in time order.
    let chains = vec![at(0, 1.2), at(4, 1.0), at(2, 1.1)];
    let s = intraday_series(&chains, base.timestamp.date_naive(), expiry);
    assert_eq!(s.points.len(), 3);
    assert_eq!(s.skipped, 0);
    let times: Vec<_> = s.points.iter().map(|p| p.t).collect();
    assert_eq!(
        times,
        vec![at(4, 1.0).timestamp, at(2, 1.0).timestamp, base.timestamp]
    );
    let calls: f64 = base
        .expiry_rows(expiry)
        .iter()
        .filter_map(|r| r.call.map(|q| q.open_interest))
        .sum();
    let puts: f64 = base
        .expiry_rows(expiry)
        .iter()
        .filter_map(|r| r.put.map(|q| q.open_interest))
        .sum();
    for (p, scale) in s.points.iter().zip([1.0, 1.1, 1.2]) {
        assert_eq!(p.call_oi, calls);
        assert!((p.put_oi - puts * scale).abs() < 1e-6 * puts);
        assert!((p.pcr_oi.unwrap() - puts * scale / calls).abs() < 1e-9);
        assert!(p.straddle.unwrap() > 0.0);
    }
    // Same premiums, less time left later in the day: the ATM IV rises as time shrinks.
    let ivs: Vec<f64> = s.points.iter().map(|p| p.atm_iv_pct.unwrap()).collect();
    assert!(ivs[0] < ivs[1] && ivs[1] < ivs[2], "{ivs:?}");
    // A chain without the expiry is skipped, not invented.
    let mut other = at(1, 1.0);
    other.rows.retain(|r| r.expiry != expiry);
    other.expiries.retain(|e| *e != expiry);
    let s = intraday_series(&[other], base.timestamp.date_naive(), expiry);
    assert_eq!((s.points.len(), s.skipped), (0, 1));
}

#[test]
fn the_document_has_an_intraday_series_for_every_live_expiry() {
    let mut store = Store::open_in_memory().unwrap();
    let base = real_chain();
    let mut session = Vec::new();
    for hours in [4, 2, 0] {
        let mut c = base.clone();
        c.timestamp = base.timestamp - Duration::hours(hours);
        store.insert_chain(&c).unwrap();
        session.push(c);
    }
    let as_of = base.timestamp.to_utc();
    let inputs = read_inputs(&store, Symbol::Nifty50, as_of, None).unwrap();
    assert_eq!(inputs.session.len(), 3);
    let doc = build(
        &inputs,
        Symbol::Nifty50,
        &NseCalendar::new(),
        &ToolkitConfig::default(),
        as_of,
    );
    let expiries: Vec<_> = doc.explorer.iter().map(|e| e.expiry).collect();
    assert!(expiries.len() > 2);
    assert_eq!(
        doc.intraday.iter().map(|e| e.expiry).collect::<Vec<_>>(),
        expiries
    );
    // Each entry is that expiry's series over the session, computed on its own here.
    let mut ok = 0;
    for entry in &doc.intraday {
        let want = intraday_series(&session, base.timestamp.date_naive(), entry.expiry);
        match &entry.series.value {
            Some(got) => {
                assert_eq!(got, &want, "{}", entry.expiry);
                assert_eq!(got.points.len(), 3);
                ok += 1;
            }
            None => assert!(want.points.len() < 2, "{}", entry.expiry),
        }
    }
    assert!(ok >= 2, "the nearest expiries have series: {ok}");
    assert!(doc.intraday[0].series.value.is_some());
    assert!(doc.intraday[1].series.value.is_some());
}

#[test]
fn the_document_from_a_store_with_one_real_chain() {
    let mut store = Store::open_in_memory().unwrap();
    let chain = real_chain();
    store.insert_chain(&chain).unwrap();
    let as_of = chain.timestamp.to_utc();
    let inputs = read_inputs(&store, Symbol::Nifty50, as_of, None).unwrap();
    assert_eq!(inputs.session.len(), 1);
    assert_eq!(inputs.daily.len(), 1);
    let cal = NseCalendar::new();
    let doc = build(
        &inputs,
        Symbol::Nifty50,
        &cal,
        &ToolkitConfig::default(),
        as_of,
    );
    assert!(doc.chain.provenance.is_available());
    assert!(!doc.explorer.is_empty());
    assert!(doc.explorer[0].table.value.is_some());
    assert_eq!(doc.gex.len(), doc.explorer.len());
    assert!(
        doc.gex[0].gex.value.is_some(),
        "{:?}",
        doc.gex[0].gex.provenance
    );
    let total = doc
        .gex_total
        .value
        .as_ref()
        .expect("the total over the expiries");
    let summed: f64 = doc
        .gex
        .iter()
        .filter_map(|e| e.gex.value.as_ref())
        .map(|g| g.total)
        .sum();
    assert!((total.total - summed).abs() <= 1e-9 * summed.abs());
    assert_eq!(total.included.len() + total.left_out.len(), doc.gex.len());
    // One snapshot is not a series (for any expiry); one chain day is not a year.
    assert_eq!(
        doc.intraday.iter().map(|e| e.expiry).collect::<Vec<_>>(),
        doc.explorer.iter().map(|e| e.expiry).collect::<Vec<_>>()
    );
    for e in &doc.intraday {
        let why = e.series.provenance.reason.as_deref().unwrap_or_default();
        assert!(
            e.series.value.is_none() && why.starts_with("1 chain snapshot(s) stored on"),
            "{}: {why}",
            e.expiry
        );
    }
    let vh = doc.vol_history.value.as_ref().unwrap();
    assert!(vh.atm_iv_rank.value.is_none());
    assert!(
        vh.atm_iv_rank
            .provenance
            .reason
            .as_ref()
            .unwrap()
            .contains("only 1 observation")
    );
    // Without a payload there is no safe range: the sellers' presets say so, the others are priced.
    for p in &doc.strategies {
        match p.preset {
            Preset::ShortStrangle | Preset::IronCondor => {
                assert!(
                    p.analysis
                        .provenance
                        .reason
                        .as_ref()
                        .unwrap()
                        .contains("safe range")
                );
            }
            Preset::LongStraddle | Preset::BullCallSpread => {
                let v = p.analysis.value.as_ref().expect("priced from the chain");
                assert!(v.net_premium_points < 0.0, "a debit");
                assert!(v.probability_of_profit > 0.0 && v.probability_of_profit < 1.0);
            }
        }
    }
    // Read a day later, the same chain is stale and says why.
    let later = read_inputs(&store, Symbol::Nifty50, as_of + Duration::days(1), None).unwrap();
    let stale = build(
        &later,
        Symbol::Nifty50,
        &cal,
        &ToolkitConfig::default(),
        as_of,
    );
    assert_eq!(stale.chain.provenance.status, aegis_model::Status::Stale);
    assert!(
        stale
            .chain
            .provenance
            .reason
            .as_ref()
            .unwrap()
            .contains("before the as-of date")
    );
    assert_eq!(doc.chain.provenance.status, aegis_model::Status::Ok);
    let json = serde_json::to_string(&doc).unwrap();
    let back: Toolkit = serde_json::from_str(&json).unwrap();
    assert_eq!(back, doc);
    assert!(schema()["title"] == "AegisMatrix toolkit");
}

#[test]
fn an_empty_store_gives_an_unavailable_document_not_an_error() {
    let store = Store::open_in_memory().unwrap();
    let now = ts().to_utc();
    let inputs = read_inputs(&store, Symbol::Nifty50, now, None).unwrap();
    let doc = build(
        &inputs,
        Symbol::Nifty50,
        &NseCalendar::new(),
        &ToolkitConfig::default(),
        now,
    );
    assert!(doc.chain.value.is_none());
    assert!(
        doc.chain
            .provenance
            .fix
            .as_ref()
            .unwrap()
            .contains("aegis fetch --chain")
    );
    assert!(doc.strategies.iter().all(|p| p.analysis.value.is_none()));
    assert!(doc.vol_history.value.is_none());
}

#[test]
fn an_edited_strategy_moves_its_breakevens() {
    let chain = real_chain();
    let cal = NseCalendar::new();
    let desk = StrategyDesk::new(&chain, &cal, VolInputs::default());
    let legs = desk.preset(Preset::BullCallSpread, None).unwrap();
    let a = desk.analyze("spread", &legs, VolChoice::AtmIv).unwrap();
    // A bull call spread breaks even at the lower strike plus the net debit.
    assert_eq!(a.breakevens.len(), 1);
    let lower = legs[0].strike.min(legs[1].strike);
    assert!((a.breakevens[0].level - (lower - a.net_premium_points)).abs() < 1e-9);
    let mut edited = legs.clone();
    edited[1].strike += 100.0;
    let b = desk.analyze("spread", &edited, VolChoice::AtmIv).unwrap();
    assert!((b.breakevens[0].level - (lower - b.net_premium_points)).abs() < 1e-9);
    assert!(b.breakevens[0].level > a.breakevens[0].level);
    assert!(b.max_profit.points.unwrap() > a.max_profit.points.unwrap());
    // VIX was not given: choosing it fails with the reason.
    let e = desk
        .analyze("spread", &legs, VolChoice::Vix)
        .unwrap_err()
        .to_string();
    assert!(e.contains("India VIX"), "{e}");
}

/// Rows of `expiry` priced by Black-76 at `vol` on `forward`, `days` calendar days out, with the
/// given `(strike, call OI, put OI)`.
fn priced_rows(
    expiry: Expiry,
    forward: f64,
    vol: f64,
    days: f64,
    strikes: &[(f64, f64, f64)],
) -> Vec<ChainRow> {
    let t = Years::from_calendar_days(days);
    let price = |k: f64, side| {
        Black76::undiscounted(Forward(forward), Strike(k), t, AnnualVol(vol))
            .unwrap()
            .price(side)
    };
    strikes
        .iter()
        .map(|&(k, call_oi, put_oi)| ChainRow {
            expiry,
            strike: k,
            call: Some(last_only(price(k, OptionSide::Call), call_oi)),
            put: Some(last_only(price(k, OptionSide::Put), put_oi)),
        })
        .collect()
}

/// Black-76 gamma per point by hand: `φ(d1) / (F σ √T)`, `d1 = (ln(F/K) + σ²T/2) / (σ√T)`.
fn gamma_by_hand(f: f64, k: f64, sigma: f64, days: f64) -> f64 {
    let sd = sigma * (days / 365.0).sqrt();
    let d1 = ((f / k).ln() + 0.5 * sd * sd) / sd;
    (-0.5 * d1 * d1).exp() / (2.0 * std::f64::consts::PI).sqrt() / (f * sd)
}

#[test]
fn gex_total_is_the_sum_of_the_expiries_and_names_the_one_left_out() {
    let near: Expiry = "2025-07-17".parse().unwrap();
    let mid: Expiry = "2025-07-24".parse().unwrap();
    let far: Expiry = "2025-07-31".parse().unwrap();
    let mid_strikes = [(24_900.0, 1_000.0, 3_000.0), (25_100.0, 2_000.0, 500.0)];
    let far_strikes = [
        (24_900.0, 400.0, 2_500.0),
        (25_100.0, 1_500.0, 700.0),
        (25_300.0, 3_000.0, 100.0),
    ];
    let mut rows = priced_rows(mid, 25_000.0, 0.15, 8.0, &mid_strikes);
    rows.extend(priced_rows(far, 25_060.0, 0.18, 15.0, &far_strikes));
    // The nearest expiry has open interest but no price at all: no IV, so no GEX.
    rows.extend([24_900.0, 25_100.0].map(|k| ChainRow {
        expiry: near,
        strike: k,
        call: Some(OptionQuote {
            open_interest: 5_000.0,
            ..OptionQuote::default()
        }),
        put: Some(OptionQuote {
            open_interest: 5_000.0,
            ..OptionQuote::default()
        }),
    }));
    let s = 24_990.0;
    let chain = OptionChain::new(Symbol::Nifty50, ts(), s, vec![], rows, DataOrigin::Nse).unwrap();
    let cal = NseCalendar::new();
    let inputs = ToolkitInputs {
        latest: Some(chain),
        ..ToolkitInputs::default()
    };
    let doc = build(
        &inputs,
        Symbol::Nifty50,
        &cal,
        &ToolkitConfig::default(),
        ts().to_utc(),
    );

    // Aligned with the explorer: same expiries, same order, one entry each.
    let explorer: Vec<Expiry> = doc.explorer.iter().map(|e| e.expiry).collect();
    let gex: Vec<Expiry> = doc.gex.iter().map(|e| e.expiry).collect();
    assert_eq!(explorer, vec![near, mid, far]);
    assert_eq!(gex, explorer);
    for entry in &doc.gex {
        if let Some(g) = &entry.gex.value {
            assert_eq!(g.expiry, entry.expiry);
        }
    }

    // Each expiry's net GEX by hand, with its own forward, vol, days and lot.
    let by_hand = |e: Expiry, f: f64, sigma: f64, days: f64, strikes: &[(f64, f64, f64)]| {
        let lot = f64::from(cal.try_contract_spec(Symbol::Nifty50, e).unwrap().lot_size);
        let scale = lot * s * s * 0.01;
        strikes
            .iter()
            .map(|&(k, c, p)| (k, gamma_by_hand(f, k, sigma, days) * (c - p) * scale))
            .collect::<Vec<_>>()
    };
    let mid_hand = by_hand(mid, 25_000.0, 0.15, 8.0, &mid_strikes);
    let far_hand = by_hand(far, 25_060.0, 0.18, 15.0, &far_strikes);
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    for (entry, hand) in doc.gex[1..].iter().zip([&mid_hand, &far_hand]) {
        let g = entry
            .gex
            .value
            .as_ref()
            .expect("priced expiries have a GEX");
        let want: f64 = hand.iter().map(|(_, x)| x).sum();
        assert!(rel(g.total, want) < 1e-6, "{} vs {want}", g.total);
    }

    // The nearest expiry is unavailable with its reason, and listed as left out with it.
    let near_gex = &doc.gex[0].gex;
    assert!(near_gex.value.is_none());
    let why = near_gex.provenance.reason.clone().expect("a reason");
    let total = doc
        .gex_total
        .value
        .as_ref()
        .expect("two expiries have a GEX");
    assert_eq!(total.included, vec![mid, far]);
    assert_eq!(total.left_out.len(), 1);
    assert_eq!(total.left_out[0].expiry, near);
    assert_eq!(total.left_out[0].reason, why);
    assert_eq!(total.units, gex::GEX_UNITS);
    assert_eq!(total.convention, gex::GEX_CONVENTION);

    // The total is the by-hand sum over the two priced expiries only, strike by strike too.
    let want_total: f64 = mid_hand.iter().chain(&far_hand).map(|(_, x)| x).sum();
    assert!(
        rel(total.total, want_total) < 1e-6,
        "{} vs {want_total}",
        total.total
    );
    assert!(rel(total.total, total.total_call + total.total_put) < 1e-12);
    let strikes: Vec<(f64, usize)> = total
        .strikes
        .iter()
        .map(|t| (t.strike, t.expiries))
        .collect();
    assert_eq!(strikes, vec![(24_900.0, 2), (25_100.0, 2), (25_300.0, 1)]);
    for t in &total.strikes {
        let want: f64 = mid_hand
            .iter()
            .chain(&far_hand)
            .filter(|(k, _)| *k == t.strike)
            .map(|(_, x)| x)
            .sum();
        assert!(
            rel(t.net_gex, want) < 1e-6,
            "{}: {} vs {want}",
            t.strike,
            t.net_gex
        );
        assert!(t.call_gex >= 0.0 && t.put_gex <= 0.0);
    }
    // The near expiry's 10 000 contracts per strike are in no figure.
    assert_eq!(total.strikes_without_iv, 0);
}

fn exposure(expiry: &str, underlying: f64, strikes: &[(f64, f64, f64)]) -> GammaExposure {
    let strikes: Vec<gex::GexStrike> = strikes
        .iter()
        .map(|&(strike, call_gex, put_gex)| gex::GexStrike {
            strike,
            call_oi: 1.0,
            put_oi: 1.0,
            iv_pct: 15.0,
            gamma: 1e-4,
            call_gex,
            put_gex,
            net_gex: call_gex + put_gex,
        })
        .collect();
    let total_call = strikes.iter().map(|g| g.call_gex).sum();
    let total_put = strikes.iter().map(|g| g.put_gex).sum();
    GammaExposure {
        expiry: expiry.parse().unwrap(),
        underlying,
        forward: underlying,
        lot_size: 75,
        convention: gex::GEX_CONVENTION.into(),
        units: gex::GEX_UNITS.into(),
        strikes,
        total_call,
        total_put,
        total: total_call + total_put,
        strikes_without_iv: 1,
        oi_without_iv: 10.0,
    }
}

fn entry(g: Result<GammaExposure, &str>) -> GexEntry {
    let prov = Provenance::chain(Some(ts()));
    match g {
        Ok(g) => GexEntry {
            expiry: g.expiry,
            gex: Metric::ok(g, prov),
        },
        Err(why) => GexEntry {
            expiry: "2025-07-17".parse().unwrap(),
            gex: Metric::unavailable(prov.unavailable(why, "fix")),
        },
    }
}

#[test]
fn gex_total_without_any_expiry_says_why_for_each() {
    let err = gex::total_gamma_exposure(&[entry(Err("no quotes"))])
        .unwrap_err()
        .to_string();
    assert!(err.contains("2025-07-17: no quotes"), "{err}");
    let err = gex::total_gamma_exposure(&[]).unwrap_err().to_string();
    assert!(err.contains("no live expiry"), "{err}");
    // Entries from two snapshots cannot be added.
    let err = gex::total_gamma_exposure(&[
        entry(Ok(exposure(
            "2025-07-24",
            25_000.0,
            &[(25_000.0, 1.0, -1.0)],
        ))),
        entry(Ok(exposure(
            "2025-07-31",
            25_010.0,
            &[(25_000.0, 1.0, -1.0)],
        ))),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("one snapshot"), "{err}");
}

proptest::proptest! {
    /// Additivity: the total and every strike of it are the sums over the included expiries,
    /// the strikes ascend without repeats, and the left-out counts and OI add up.
    #[test]
    fn gex_total_adds_the_expiries(
        expiries in proptest::collection::vec(
            proptest::option::of(proptest::collection::btree_map(
                0_u8..12,
                (0.0_f64..1e9, -1e9_f64..0.0),
                1..8,
            )),
            1..5,
        )
    ) {
        let days = ["2025-07-24", "2025-07-31", "2025-08-07", "2025-08-14", "2025-08-21"];
        let entries: Vec<GexEntry> = expiries
            .iter()
            .zip(days)
            .map(|(strikes, day)| match strikes {
                Some(m) => {
                    let rows: Vec<(f64, f64, f64)> = m
                        .iter()
                        .map(|(k, (c, p))| (24_000.0 + 100.0 * f64::from(*k), *c, *p))
                        .collect();
                    entry(Ok(exposure(day, 25_000.0, &rows)))
                }
                None => entry(Err("no quotes")),
            })
            .collect();
        let included: Vec<&GammaExposure> =
            entries.iter().filter_map(|e| e.gex.value.as_ref()).collect();
        match gex::total_gamma_exposure(&entries) {
            Err(_) => proptest::prop_assert!(included.is_empty()),
            Ok(t) => {
                proptest::prop_assert_eq!(t.included.len(), included.len());
                proptest::prop_assert_eq!(t.left_out.len(), entries.len() - included.len());
                let want: f64 = included.iter().map(|g| g.total).sum();
                proptest::prop_assert!((t.total - want).abs() <= 1e-6 * want.abs().max(1.0));
                let by_strikes: f64 = t.strikes.iter().map(|s| s.net_gex).sum();
                proptest::prop_assert!((by_strikes - t.total).abs() <= 1e-6 * t.total.abs().max(1.0));
                proptest::prop_assert!(t.strikes.windows(2).all(|w| w[0].strike < w[1].strike));
                for s in &t.strikes {
                    let here: Vec<&gex::GexStrike> = included
                        .iter()
                        .flat_map(|g| &g.strikes)
                        .filter(|x| x.strike == s.strike)
                        .collect();
                    proptest::prop_assert_eq!(s.expiries, here.len());
                    let call: f64 = here.iter().map(|x| x.call_gex).sum();
                    proptest::prop_assert!((s.call_gex - call).abs() <= 1e-6 * call.abs().max(1.0));
                }
                proptest::prop_assert_eq!(t.strikes_without_iv, included.len());
            }
        }
    }
}
