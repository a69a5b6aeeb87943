//! The instruments AegisMatrix tracks.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An index tracked by AegisMatrix.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
/// Serialised as its [`Symbol::code`] (`NIFTY50`, `INDIAVIX`, …).
pub enum Symbol {
    /// NIFTY 50 (Yahoo `^NSEI`, NSE `NIFTY`).
    #[serde(rename = "NIFTY50")]
    Nifty50,
    /// India VIX (Yahoo `^INDIAVIX`): 30-day implied volatility of NIFTY 50, in percent.
    #[serde(rename = "INDIAVIX")]
    IndiaVix,
    /// NIFTY BANK (Yahoo `^NSEBANK`, NSE `BANKNIFTY`).
    #[serde(rename = "NIFTYBANK")]
    NiftyBank,
    /// NIFTY FINANCIAL SERVICES (Yahoo `NIFTY_FIN_SERVICE.NS`, NSE `FINNIFTY`).
    #[serde(rename = "FINNIFTY")]
    FinNifty,
    /// NIFTY MIDCAP SELECT (Yahoo `NIFTY_MID_SELECT.NS`, NSE `MIDCPNIFTY`).
    #[serde(rename = "MIDCAPSELECT")]
    MidcapSelect,
}

/// The error for a symbol name that is not one of [`Symbol::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown symbol `{0}`: use one of NIFTY50 (^NSEI), INDIAVIX (^INDIAVIX), NIFTYBANK (^NSEBANK), FINNIFTY, MIDCAPSELECT"
)]
pub struct UnknownSymbol(pub String);

impl Symbol {
    /// Every symbol, in display order.
    pub const ALL: [Symbol; 5] = [
        Symbol::Nifty50,
        Symbol::IndiaVix,
        Symbol::NiftyBank,
        Symbol::FinNifty,
        Symbol::MidcapSelect,
    ];

    /// The short stable code used in the store and on the command line (`NIFTY50`, `INDIAVIX`, …).
    pub fn code(self) -> &'static str {
        match self {
            Symbol::Nifty50 => "NIFTY50",
            Symbol::IndiaVix => "INDIAVIX",
            Symbol::NiftyBank => "NIFTYBANK",
            Symbol::FinNifty => "FINNIFTY",
            Symbol::MidcapSelect => "MIDCAPSELECT",
        }
    }

    /// The Yahoo Finance ticker.
    pub fn yahoo_ticker(self) -> &'static str {
        match self {
            Symbol::Nifty50 => "^NSEI",
            Symbol::IndiaVix => "^INDIAVIX",
            Symbol::NiftyBank => "^NSEBANK",
            Symbol::FinNifty => "NIFTY_FIN_SERVICE.NS",
            Symbol::MidcapSelect => "NIFTY_MID_SELECT.NS",
        }
    }

    /// The NSE derivatives symbol of the index's options, if it has listed options.
    pub fn nse_option_symbol(self) -> Option<&'static str> {
        match self {
            Symbol::Nifty50 => Some("NIFTY"),
            Symbol::NiftyBank => Some("BANKNIFTY"),
            Symbol::FinNifty => Some("FINNIFTY"),
            Symbol::MidcapSelect => Some("MIDCPNIFTY"),
            Symbol::IndiaVix => None,
        }
    }

    /// A human-readable name.
    pub fn display_name(self) -> &'static str {
        match self {
            Symbol::Nifty50 => "NIFTY 50",
            Symbol::IndiaVix => "India VIX",
            Symbol::NiftyBank => "NIFTY BANK",
            Symbol::FinNifty => "NIFTY FIN SERVICE",
            Symbol::MidcapSelect => "NIFTY MIDCAP SELECT",
        }
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Symbol {
    type Err = UnknownSymbol;

    /// Accepts the code, the Yahoo ticker or the NSE option symbol, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        Symbol::ALL
            .into_iter()
            .find(|sym| {
                let strip = |x: &str| {
                    x.chars()
                        .filter(|c| !matches!(c, ' ' | '_' | '-'))
                        .collect::<String>()
                        .to_ascii_uppercase()
                };
                norm == sym.code()
                    || norm == strip(sym.yahoo_ticker())
                    || sym.nse_option_symbol().is_some_and(|n| norm == n)
                    || norm == strip(sym.display_name())
            })
            .ok_or_else(|| UnknownSymbol(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("^NSEI", Symbol::Nifty50)]
    #[case("nifty50", Symbol::Nifty50)]
    #[case("NIFTY", Symbol::Nifty50)]
    #[case("NIFTY 50", Symbol::Nifty50)]
    #[case("^INDIAVIX", Symbol::IndiaVix)]
    #[case("india vix", Symbol::IndiaVix)]
    #[case("^NSEBANK", Symbol::NiftyBank)]
    #[case("BANKNIFTY", Symbol::NiftyBank)]
    #[case("finnifty", Symbol::FinNifty)]
    #[case("MIDCPNIFTY", Symbol::MidcapSelect)]
    fn parses_every_spelling(#[case] s: &str, #[case] want: Symbol) {
        assert_eq!(s.parse::<Symbol>().unwrap(), want);
    }

    #[test]
    fn serde_uses_the_code() {
        for s in Symbol::ALL {
            let j = serde_json::to_string(&s).unwrap();
            assert_eq!(j, format!("\"{}\"", s.code()));
            assert_eq!(serde_json::from_str::<Symbol>(&j).unwrap(), s);
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in Symbol::ALL {
            assert_eq!(s.code().parse::<Symbol>().unwrap(), s);
            assert_eq!(s.yahoo_ticker().parse::<Symbol>().unwrap(), s);
        }
        assert!("SENSEX".parse::<Symbol>().is_err());
    }
}
