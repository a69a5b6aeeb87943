//! Provenance: where a published number came from, how old its data is, and whether to trust it.

use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a metric was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A trained model (its `name@version` is in [`Provenance::model`]).
    Model,
    /// A closed-form formula applied to data.
    Formula,
    /// Read or computed from an option chain.
    Chain,
    /// A documented rule combining other metrics.
    Rule,
}

/// Whether a metric can be trusted now.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Computed from current market data.
    Ok,
    /// Computed from market data older than the configured limit.
    Stale,
    /// Computed from the simulator's data (demo mode), not from a market.
    Simulated,
    /// Could not be computed; `reason` says why and `fix` what to do.
    Unavailable,
}

/// Where a metric came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Provenance {
    /// How it was computed.
    pub method: Method,
    /// `name@version` of the model, for [`Method::Model`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Time of the newest data the metric used (IST), if any data was used.
    pub as_of: Option<DateTime<FixedOffset>>,
    /// Whether the number can be trusted now.
    pub status: Status,
    /// Why the status is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What to do about it (e.g. "run `aegis train`").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Provenance {
    fn new(method: Method, model: Option<String>, as_of: Option<DateTime<FixedOffset>>) -> Self {
        Provenance {
            method,
            model,
            as_of,
            status: Status::Ok,
            reason: None,
            fix: None,
        }
    }

    /// A formula on data as of `as_of`.
    pub fn formula(as_of: Option<DateTime<FixedOffset>>) -> Self {
        Self::new(Method::Formula, None, as_of)
    }

    /// A model `name` at `version`, on data as of `as_of`.
    pub fn model(name: &str, version: u32, as_of: Option<DateTime<FixedOffset>>) -> Self {
        Self::new(Method::Model, Some(format!("{name}@{version}")), as_of)
    }

    /// Read from an option chain stamped `as_of`.
    pub fn chain(as_of: Option<DateTime<FixedOffset>>) -> Self {
        Self::new(Method::Chain, None, as_of)
    }

    /// A documented rule on other metrics as of `as_of`.
    pub fn rule(as_of: Option<DateTime<FixedOffset>>) -> Self {
        Self::new(Method::Rule, None, as_of)
    }

    /// Marks the metric stale, with the reason (e.g. the data's age).
    pub fn stale(mut self, reason: impl Into<String>) -> Self {
        if self.status < Status::Stale {
            self.status = Status::Stale;
            self.reason = Some(reason.into());
        }
        self
    }

    /// Marks the metric as computed from simulated data.
    pub fn simulated(mut self) -> Self {
        if self.status < Status::Simulated {
            self.status = Status::Simulated;
            self.reason = Some("computed from the simulated demo market, not real data".into());
        }
        self
    }

    /// Marks the metric unavailable, with why and what to do.
    pub fn unavailable(mut self, reason: impl Into<String>, fix: impl Into<String>) -> Self {
        self.status = Status::Unavailable;
        self.reason = Some(reason.into());
        self.fix = Some(fix.into());
        self
    }

    /// Whether the metric has a value to show.
    pub fn is_available(&self) -> bool {
        self.status != Status::Unavailable
    }
}

/// A metric's value together with its provenance. The value's fields are flattened into the
/// same JSON object as `provenance`; an unavailable metric has no value fields at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Metric<T> {
    /// The value, absent when the metric is unavailable.
    #[serde(flatten)]
    pub value: Option<T>,
    /// Where it came from.
    pub provenance: Provenance,
}

impl<T> Metric<T> {
    /// An available metric.
    pub fn ok(value: T, provenance: Provenance) -> Self {
        Metric {
            value: Some(value),
            provenance,
        }
    }

    /// An unavailable metric: `provenance` must say why.
    pub fn unavailable(provenance: Provenance) -> Self {
        debug_assert_eq!(provenance.status, Status::Unavailable);
        Metric {
            value: None,
            provenance,
        }
    }

    /// Applies `f` to the provenance (e.g. to mark the metric stale or simulated).
    pub fn map_provenance(mut self, f: impl FnOnce(Provenance) -> Provenance) -> Self {
        self.provenance = f(self.provenance);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    struct Trap {
        score: f64,
        label: String,
    }

    #[test]
    fn metric_flattens_value_beside_provenance() {
        let as_of = DateTime::parse_from_rfc3339("2025-11-28T15:30:00+05:30").unwrap();
        let m = Metric::ok(
            Trap {
                score: 0.31,
                label: "MEDIUM".into(),
            },
            Provenance::model("seller_trap", 3, Some(as_of)),
        );
        let j = serde_json::to_value(&m).unwrap();
        assert_eq!(j["score"], 0.31);
        assert_eq!(j["provenance"]["model"], "seller_trap@3");
        assert_eq!(j["provenance"]["method"], "model");
        assert_eq!(j["provenance"]["status"], "ok");
        let back: Metric<Trap> = serde_json::from_value(j).unwrap();
        assert_eq!(back, m);

        let u: Metric<Trap> = Metric::unavailable(
            Provenance::model("seller_trap", 3, None)
                .unavailable("models/seller_trap.json is missing", "run `aegis train`"),
        );
        let j = serde_json::to_value(&u).unwrap();
        assert!(j.get("score").is_none());
        assert_eq!(j["provenance"]["status"], "unavailable");
        assert_eq!(j["provenance"]["fix"], "run `aegis train`");
    }

    #[test]
    fn worse_status_wins() {
        let p = Provenance::formula(None).simulated().stale("old");
        assert_eq!(p.status, Status::Simulated);
        let p = Provenance::formula(None).stale("old").simulated();
        assert_eq!(p.status, Status::Simulated);
        let p = Provenance::formula(None).simulated().unavailable("x", "y");
        assert_eq!(p.status, Status::Unavailable);
    }
}
