//! Invariants shared by the fuzz targets: what a parser's `Ok` must satisfy beyond "no panic".
//!
//! Each check panics with a message naming the broken invariant, which libFuzzer reports as a
//! crash and saves the input under `fuzz/artifacts/<target>/`.

use std::sync::OnceLock;

use aegis_model::{BarKey, OptionChain, OptionQuote, Series};

/// With `AEGIS_FUZZ_VERBOSE=1` in the environment, prints what each input gave (`ok` or the
/// error) to stderr: for checking that seeds reach the `Ok` path (`cargo fuzz run T corpus/T --
/// -runs=0` runs every corpus input once).
pub fn report(outcome: std::fmt::Arguments<'_>) {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    if *VERBOSE.get_or_init(|| std::env::var_os("AEGIS_FUZZ_VERBOSE").is_some()) {
        eprintln!("aegis-fuzz: {outcome}");
    }
}

/// A tiny cursor over the fuzz input, for targets that take a few option bytes before the payload.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps the raw fuzz input.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte, or 0 when the input is exhausted.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// The next 8 bytes as a little-endian `i64` (zero-padded).
    pub fn i64(&mut self) -> i64 {
        let mut buf = [0u8; 8];
        for b in &mut buf {
            *b = self.byte();
        }
        i64::from_le_bytes(buf)
    }

    /// What is left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// A series returned by a parser is exactly what `Series::new` accepts (sorted, unique keys,
/// finite positive consistent OHLC, finite non-negative volume, only the last bar partial), and
/// its bars are finite.
pub fn check_series<K: BarKey>(series: &Series<K>) {
    let rebuilt = Series::new(
        series.symbol(),
        series.interval(),
        series.origin(),
        series.bars().to_vec(),
    );
    assert!(
        rebuilt.is_ok(),
        "a parser returned a series that Series::new refuses: {rebuilt:?}"
    );
    for (i, b) in series.bars().iter().enumerate() {
        for v in [b.open, b.high, b.low, b.close] {
            assert!(v.is_finite() && v > 0.0, "bar {i}: price {v}");
        }
        assert!(b.volume.is_none_or(|v| v.is_finite() && v >= 0.0));
        assert!(!b.partial || i + 1 == series.len(), "bar {i} partial");
    }
}

fn check_quote(q: &OptionQuote, at: &str) {
    for (name, v) in [("open_interest", q.open_interest), ("volume", q.volume)] {
        assert!(v.is_finite() && v >= 0.0, "{at}: {name} = {v}");
    }
    assert!(q.change_in_oi.is_finite(), "{at}: change_in_oi");
    for (name, v) in [
        ("iv_percent", q.iv_percent),
        ("last_price", q.last_price),
        ("bid", q.bid),
        ("ask", q.ask),
    ] {
        if let Some(v) = v {
            // Zero is NSE's placeholder for "not reported": it must have become `None`.
            assert!(v.is_finite() && v > 0.0, "{at}: {name} = {v}");
        }
    }
}

/// A chain returned by a parser: rows non-empty, sorted by (expiry, strike) without repeats,
/// every row's expiry listed, expiries sorted and unique, positive finite underlying and strikes,
/// finite legs with zero placeholders turned into `None`, stamped in IST; and `OptionChain::new`
/// accepts it again unchanged.
pub fn check_chain(chain: &OptionChain) {
    assert!(!chain.rows.is_empty(), "empty chain accepted");
    assert!(chain.underlying.is_finite() && chain.underlying > 0.0);
    assert_eq!(
        chain.timestamp.offset().local_minus_utc(),
        aegis_model::time::IST_OFFSET_SECS,
        "chain timestamp not in IST"
    );
    assert!(
        chain.expiries.windows(2).all(|w| w[0] < w[1]),
        "expiries not sorted and unique: {:?}",
        chain.expiries
    );
    for w in chain.rows.windows(2) {
        let ordered =
            w[0].expiry < w[1].expiry || (w[0].expiry == w[1].expiry && w[0].strike < w[1].strike);
        assert!(
            ordered,
            "rows not sorted/unique at {:?}/{}",
            w[1].expiry, w[1].strike
        );
    }
    for r in &chain.rows {
        assert!(
            r.strike.is_finite() && r.strike > 0.0,
            "strike {}",
            r.strike
        );
        assert!(
            chain.expiries.contains(&r.expiry),
            "expiry {} not listed",
            r.expiry
        );
        let at = format!("{} {}", r.expiry, r.strike);
        for q in [r.call.as_ref(), r.put.as_ref()].into_iter().flatten() {
            check_quote(q, &at);
        }
    }
    let again = OptionChain::new(
        chain.symbol,
        chain.timestamp,
        chain.underlying,
        chain.expiries.clone(),
        chain.rows.clone(),
        chain.origin,
    )
    .expect("OptionChain::new refuses a chain a parser returned");
    assert_eq!(&again, chain, "OptionChain::new changed a parsed chain");
}

/// An error's message is not empty and mentions `what` (the file or response it is about).
pub fn check_error_names(message: &str, what: &str) {
    assert!(!message.trim().is_empty(), "empty error message");
    assert!(
        message.contains(what),
        "error does not name `{what}`: {message}"
    );
}
