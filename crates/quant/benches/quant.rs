//! Benchmarks: implied-vol solves per second, GARCH(1,1) fit on 1250 daily returns, the
//! analytics of a 200-strike chain, and the full analysis of a 4-leg strategy.
//! Run with `cargo bench -p aegis-quant`.

use aegis_model::{
    AnnualVol, ChainRow, DataOrigin, Expiry, OptionChain, OptionQuote, OptionSide, Symbol,
};
use aegis_quant::chain::{ChainConfig, analyze_expiry};
use aegis_quant::{
    Black76, DiscountFactor, Forward, Garch11, GarchOptions, Strike, Years, implied_vol,
};
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

/// 4096 out- and in-the-money problems: σ 5 %–150 %, ln(K/F) in ±0.5, 2 hours to a year.
fn iv_cases() -> Vec<(OptionSide, f64, f64, f64, f64)> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let f = 25_000.0;
    let mut cases = Vec::with_capacity(4096);
    while cases.len() < 4096 {
        let vol = 0.05 + 1.45 * uniform();
        let k = f * (-0.5 + uniform()).exp();
        let t = (2.0 / 24.0 / 365.0) * (365.0 * 12.0f64).powf(uniform());
        let side = if uniform() < 0.5 {
            OptionSide::Call
        } else {
            OptionSide::Put
        };
        let o = Black76::undiscounted(Forward(f), Strike(k), Years(t), AnnualVol(vol)).unwrap();
        let price = o.price(side);
        let intrinsic = match side {
            OptionSide::Call => (f - k).max(0.0),
            OptionSide::Put => (k - f).max(0.0),
        };
        if price > intrinsic {
            cases.push((side, price, f, k, t));
        }
    }
    cases
}

#[divan::bench]
fn implied_vol_mixed(bencher: Bencher) {
    let cases = iv_cases();
    bencher
        .counter(ItemsCount::new(cases.len()))
        .bench_local(|| {
            let mut solved = 0.0;
            for &(side, price, f, k, t) in &cases {
                if let Ok(v) = implied_vol(
                    side,
                    black_box(price),
                    Forward(f),
                    Strike(k),
                    Years(t),
                    DiscountFactor::ONE,
                ) {
                    solved += v.0;
                }
            }
            solved
        });
}

#[divan::bench]
fn black76_greeks(bencher: Bencher) {
    let cases = iv_cases();
    let options: Vec<(OptionSide, Black76)> = cases
        .iter()
        .map(|&(side, _, f, k, t)| {
            (
                side,
                Black76::undiscounted(Forward(f), Strike(k), Years(t), AnnualVol(0.2)).unwrap(),
            )
        })
        .collect();
    bencher
        .counter(ItemsCount::new(options.len()))
        .bench_local(|| {
            options
                .iter()
                .map(|(side, o)| black_box(o).greeks(*side).theta_per_day)
                .sum::<f64>()
        });
}

/// The last 1250 daily log returns of NIFTY 50 (NSE closes, to 2022-12-30): about five years.
fn nifty_returns() -> Vec<f64> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/nifty50_daily_nse_2000_2022.csv"
    );
    let text = std::fs::read_to_string(path).expect("shared NIFTY data");
    let closes: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    let returns: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    returns[returns.len() - 1250..].to_vec()
}

#[divan::bench]
fn garch_fit_1250_returns(bencher: Bencher) {
    let returns = nifty_returns();
    bencher.bench_local(|| Garch11::fit(black_box(&returns), GarchOptions::default()).unwrap());
}

/// 200 strikes every 50 points around a forward of 25 040, priced off a skewed smile, 7 days out.
fn synthetic_chain() -> (OptionChain, Expiry) {
    let expiry: Expiry = "2025-07-24".parse().unwrap();
    let (f, t) = (25_040.0, Years::from_calendar_days(7.0));
    let rows = (0..200)
        .map(|i| {
            let k = 20_000.0 + 50.0 * f64::from(i);
            let x = (k / f).ln();
            let vol = AnnualVol(0.13 - 0.25 * x + 1.5 * x * x);
            let o = Black76::undiscounted(Forward(f), Strike(k), t, vol).unwrap();
            let leg = |side: OptionSide, oi: f64| {
                let p = o.price(side);
                OptionQuote {
                    open_interest: oi,
                    change_in_oi: oi * 0.1 - 50.0,
                    volume: oi * 3.0,
                    iv_percent: Some(vol.0 * 100.0),
                    last_price: Some(p.max(0.05)),
                    bid: (p > 0.1).then_some(p - 0.05),
                    ask: (p > 0.1).then_some(p + 0.05),
                }
            };
            let hump = (-(x / 0.03).powi(2)).exp() * 100_000.0;
            ChainRow {
                expiry,
                strike: k,
                call: Some(leg(OptionSide::Call, hump * (1.0 + x))),
                put: Some(leg(OptionSide::Put, hump * (1.0 - x))),
            }
        })
        .collect();
    let timestamp = chrono::DateTime::parse_from_rfc3339("2025-07-17T15:30:00+05:30").unwrap();
    let chain = OptionChain::new(
        Symbol::Nifty50,
        timestamp,
        25_000.0,
        vec![],
        rows,
        DataOrigin::Simulated,
    )
    .unwrap();
    (chain, expiry)
}

#[divan::bench]
fn chain_analytics_200_strikes(bencher: Bencher) {
    let (chain, expiry) = synthetic_chain();
    let config = ChainConfig::default();
    let years = Years::from_calendar_days(7.0);
    let check = analyze_expiry(&chain, expiry, years, &config).unwrap();
    assert!(
        check.skew.is_ok() && check.max_pain.is_ok(),
        "bench chain must exercise every metric"
    );
    bencher.bench_local(|| analyze_expiry(black_box(&chain), expiry, years, &config).unwrap());
}

/// An iron condor priced off a skewed smile, 7 days out, analysed on a 401-point grid: payoff
/// and today's curves, breakevens, extremes, net greeks, probability of profit and touches.
#[divan::bench]
fn strategy_iron_condor_full_analysis(bencher: Bencher) {
    use aegis_quant::strategy::{
        LegQuote, Market, PresetSize, PriceGrid, ProbabilityVol, VolSource, analyze, iron_condor,
    };
    let expiry: Expiry = "2025-07-24".parse().unwrap();
    let (f, t) = (25_040.0, Years::from_calendar_days(7.0));
    let pricer = |kind: OptionSide, k: f64, _: Expiry| -> Result<LegQuote, String> {
        let x = (k / f).ln();
        let vol = AnnualVol(0.13 - 0.25 * x + 1.5 * x * x);
        let o = Black76::undiscounted(Forward(f), Strike(k), t, vol).map_err(|e| e.to_string())?;
        Ok(LegQuote {
            premium: o.price(kind),
            iv: Some(vol),
        })
    };
    let size = PresetSize {
        expiry,
        lots: 2,
        lot_size: 75,
    };
    let condor = iron_condor(24_600.0, 24_300.0, 25_500.0, 25_800.0, &size, &pricer).unwrap();
    let market = Market::single(expiry, f, t);
    let grid = PriceGrid::new(23_000.0, 27_000.0, 401).unwrap();
    let vol = ProbabilityVol {
        source: VolSource::AtmIv,
        vol: AnnualVol(0.13),
        years: t,
    };
    let check = analyze(&condor, &market, &grid, &vol).unwrap();
    assert_eq!(
        check.breakevens.len(),
        2,
        "bench strategy must have two breakevens"
    );
    bencher.bench_local(|| analyze(black_box(&condor), &market, &grid, &vol).unwrap());
}
