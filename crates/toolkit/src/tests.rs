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
    assert!(doc.gex.value.is_some(), "{:?}", doc.gex.provenance);
    // One snapshot is not a series; one chain day is not a year.
    assert!(doc.intraday.value.is_none());
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
