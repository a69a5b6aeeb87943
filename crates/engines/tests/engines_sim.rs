//! The engines on a seeded simulated market, without trained models: what is computed from data
//! alone is there, what needs a model says which file is missing and `aegis train`, rules on
//! missing inputs say which input; staleness, missing chains, simulated data and the as-of cut.

use std::path::Path;
use std::sync::OnceLock;

use aegis_calendar::NseCalendar;
use aegis_engines::blocks::{SpotSource, StressLabel};
use aegis_engines::{Blocks, EngineInputs, EngineSettings, MarketData};
use aegis_features::FeatureSet;
use aegis_ml::predictor::ModelSet;
use aegis_model::time::ist;
use aegis_model::{
    DailySeries, DataOrigin, IntradaySeries, OptionChain, Provenance, Series, Status,
};
use aegis_sim::{SimConfig, SimMarket, simulate};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// Wednesday 26 Nov 2025, 11:02 IST: inside a session.
fn sim_end() -> DateTime<Utc> {
    ist()
        .with_ymd_and_hms(2025, 11, 26, 11, 2, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn market() -> &'static SimMarket {
    static M: OnceLock<SimMarket> = OnceLock::new();
    M.get_or_init(|| {
        let cfg = SimConfig {
            end: sim_end(),
            years: 3,
            intraday_sessions: 25,
            chain_days: 3,
            ..SimConfig::default()
        };
        simulate(&cfg, &NseCalendar::new()).expect("the simulation runs")
    })
}

/// The simulated data relabelled as imported market data (so that staleness shows: simulated
/// data is `simulated` everywhere, which outranks `stale`).
fn as_market(m: &SimMarket) -> MarketData {
    let daily = |s: &DailySeries| {
        Series::new(
            s.symbol(),
            s.interval(),
            DataOrigin::CsvImport,
            s.bars().to_vec(),
        )
        .unwrap()
    };
    let intra = |s: &IntradaySeries| {
        Series::new(
            s.symbol(),
            s.interval(),
            DataOrigin::CsvImport,
            s.bars().to_vec(),
        )
        .unwrap()
    };
    let chain = m.chains.last().map(|c| OptionChain {
        origin: DataOrigin::CsvImport,
        ..c.clone()
    });
    MarketData {
        nifty: daily(&m.nifty_daily),
        vix: daily(&m.vix_daily),
        intraday: intra(&m.nifty_5m),
        chain,
    }
}

fn no_models(dir: &Path) -> ModelSet {
    ModelSet::load(dir, &FeatureSet::standard())
}

fn run(data: MarketData, as_of: DateTime<Utc>, models: &ModelSet) -> Blocks {
    let cal = NseCalendar::new();
    let inputs = EngineInputs::prepare(data, as_of, &cal, models, EngineSettings::default())
        .expect("inputs prepare");
    aegis_engines::run(&inputs)
}

fn status(p: &Provenance) -> Status {
    p.status
}

#[test]
fn without_models_data_metrics_are_computed_and_model_metrics_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let models = no_models(tmp.path());
    let b = run(as_market(market()), sim_end(), &models);

    // Computed from data alone.
    let spot = b.market.spot.value.as_ref().expect("spot");
    assert_eq!(spot.source, SpotSource::IntradayBar);
    assert_eq!(status(&b.market.spot.provenance), Status::Ok);
    assert!(!spot.intraday.is_empty());
    assert_eq!(
        spot.value,
        market().nifty_5m.last().unwrap().close,
        "spot is the newest complete bar"
    );
    assert_eq!(status(&b.market.vix.provenance), Status::Ok);
    assert_eq!(status(&b.buyer.gamma_windows.provenance), Status::Ok);
    assert_eq!(status(&b.buyer.levels.provenance), Status::Ok);
    assert_eq!(status(&b.buyer.regime.provenance), Status::Ok);
    assert_eq!(status(&b.seller.realized_skew.provenance), Status::Ok);
    let e0 = &b.seller.expiries[0];
    assert_eq!(
        status(&e0.max_pain.provenance),
        Status::Ok,
        "{:?}",
        e0.max_pain.provenance
    );
    assert_eq!(
        status(&e0.skew.provenance),
        Status::Ok,
        "{:?}",
        e0.skew.provenance
    );
    // The safe range of a fresh chain uses its ATM IV: no model needed.
    let sr = e0
        .safe_range
        .value
        .as_ref()
        .expect("safe range from the chain");
    assert_eq!(sr.sigma_source, "chain_atm_iv");
    assert!(sr.lower < sr.spot && sr.spot < sr.upper);
    assert_eq!(b.seller.expiries.len(), 3);
    assert!(e0.trap.is_some() && e0.stress.is_some());
    assert!(b.seller.expiries[1].trap.is_none() && b.seller.expiries[2].stress.is_none());

    // Model metrics: unavailable with the loader's error naming the file, and the fix.
    for (m, file) in [
        (&b.direction.horizons[0].provenance, "direction_h1.json"),
        (&b.direction.horizons[5].provenance, "direction_h40.json"),
        (&b.buyer.breakout_today.provenance, "breakout_d0.json"),
        (&b.buyer.gap_risk.provenance, "gap_risk.json"),
        (&b.market.regime.provenance, "regime_hmm.json"),
        (&e0.trap.as_ref().unwrap().provenance, "vol_trap.json"),
        (&e0.hit_rate.provenance, "vol_forecast.json"),
    ] {
        assert_eq!(m.status, Status::Unavailable);
        let reason = m.reason.as_deref().unwrap();
        assert!(
            reason.contains(file) && reason.contains("does not exist"),
            "{reason}"
        );
        assert_eq!(m.fix.as_deref(), Some("run `aegis train`"));
    }
    assert_eq!(
        b.direction.horizons[0].provenance.model.as_deref(),
        Some("direction_h1@1")
    );
    assert!(b.direction.horizons[0].value.is_none());
    // Rules on missing inputs say which input.
    let flag = &b.seller.flag.provenance;
    assert_eq!(flag.status, Status::Unavailable);
    assert!(
        flag.reason.as_deref().unwrap().starts_with("needs "),
        "{flag:?}"
    );
    let env = &b.buyer.environment.provenance;
    assert!(
        env.reason
            .as_deref()
            .unwrap()
            .contains("needs theta vs edge"),
        "{env:?}"
    );
}

#[test]
fn simulated_data_marks_every_available_metric_simulated() {
    let tmp = tempfile::tempdir().unwrap();
    let models = no_models(tmp.path());
    let m = market();
    let data = MarketData {
        nifty: m.nifty_daily.clone(),
        vix: m.vix_daily.clone(),
        intraday: m.nifty_5m.clone(),
        chain: m.chains.last().cloned(),
    };
    let b = run(data, sim_end(), &models);
    for p in [
        &b.market.spot.provenance,
        &b.market.vix.provenance,
        &b.buyer.gamma_windows.provenance,
        &b.seller.expiries[0].max_pain.provenance,
        &b.seller.expiries[0].safe_range.provenance,
    ] {
        assert_eq!(p.status, Status::Simulated, "{p:?}");
    }
    // Unavailable still wins over simulated.
    assert_eq!(
        b.direction.horizons[0].provenance.status,
        Status::Unavailable
    );
}

#[test]
fn staleness_follows_the_as_of_time() {
    let tmp = tempfile::tempdir().unwrap();
    let models = no_models(tmp.path());
    // 50 minutes after the last bar, still in the session: intraday and chain data are stale.
    let later = sim_end() + Duration::minutes(50);
    let b = run(as_market(market()), later, &models);
    let spot = &b.market.spot.provenance;
    assert_eq!(spot.status, Status::Stale);
    assert!(
        spot.reason.as_deref().unwrap().contains("limit 30 minutes"),
        "{spot:?}"
    );
    let mp = &b.seller.expiries[0].max_pain.provenance;
    assert_eq!(mp.status, Status::Stale);
    let reason = mp.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("option chain from 2025-11-26 "),
        "{reason}"
    );
    // A stale chain is not used for σ: the safe range needs the volatility model instead.
    assert_eq!(
        b.seller.expiries[0].safe_range.provenance.status,
        Status::Unavailable
    );
    // Daily data is current (yesterday's close is the last completed session).
    assert_eq!(b.market.vix.provenance.status, Status::Ok);

    // Three sessions later, after the close: the daily bars stop three sessions short.
    let after = ist()
        .with_ymd_and_hms(2025, 12, 1, 16, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let b = run(as_market(market()), after, &models);
    let vix = &b.market.vix.provenance;
    assert_eq!(vix.status, Status::Stale);
    assert!(
        vix.reason
            .as_deref()
            .unwrap()
            .contains("2025-12-01 has closed"),
        "{vix:?}"
    );
    let skew = &b.seller.realized_skew.provenance;
    assert_eq!(skew.status, Status::Stale);
    assert!(
        skew.reason
            .as_deref()
            .unwrap()
            .contains("newest complete NIFTY 50 daily bar is 2025-11-25"),
        "{skew:?}"
    );
    let gw = &b.buyer.gamma_windows.provenance;
    assert_eq!(gw.status, Status::Stale, "{gw:?}");
}

#[test]
fn without_a_chain_the_chain_tiles_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let models = no_models(tmp.path());
    let mut data = as_market(market());
    data.chain = None;
    let b = run(data, sim_end(), &models);
    for e in &b.seller.expiries {
        for p in [&e.max_pain.provenance, &e.skew.provenance] {
            assert_eq!(p.status, Status::Unavailable);
            assert_eq!(p.reason.as_deref(), Some("no option chain is stored"));
            assert_eq!(
                p.fix.as_deref(),
                Some("aegis fetch --chain (or aegis import a saved chain JSON)")
            );
        }
        assert!(e.max_pain.value.is_none());
    }
    // Nothing is estimated in its place: the levels carry no walls.
    let lv = b.buyer.levels.value.as_ref().unwrap();
    assert_eq!((lv.call_wall, lv.put_wall), (None, None));
    // The expiries come from the calendar.
    assert_eq!(
        b.seller.expiries[0].expiry.date(),
        chrono::NaiveDate::from_ymd_opt(2025, 12, 2).unwrap()
    );
}

#[test]
fn a_replay_sees_nothing_after_its_as_of_time() {
    // Cutting the inputs by hand at the as-of time gives exactly the same blocks as letting the
    // engines cut the full data: no metric reads later data.
    let tmp = tempfile::tempdir().unwrap();
    let models = no_models(tmp.path());
    let full = as_market(market());
    let as_of = sim_end() - Duration::minutes(90);
    let cut_daily = |s: &DailySeries| s.until(aegis_model::time::ist_date(as_of));
    let chain = market()
        .chains
        .iter()
        .rev()
        .find(|c| c.timestamp.with_timezone(&Utc) <= as_of)
        .map(|c| OptionChain {
            origin: DataOrigin::CsvImport,
            ..c.clone()
        });
    let by_hand = MarketData {
        nifty: cut_daily(&full.nifty),
        vix: cut_daily(&full.vix),
        intraday: full.intraday.until(as_of - Duration::minutes(5)),
        chain: chain.clone(),
    };
    let whole = MarketData { chain, ..full };
    assert_eq!(run(whole, as_of, &models), run(by_hand, as_of, &models));
}

#[test]
fn stress_label_follows_the_level() {
    assert_eq!(
        aegis_engines::stress_label(aegis_engines::level_against_base(0.6, 0.4)),
        StressLabel::Hostile
    );
}
