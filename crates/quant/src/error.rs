//! The input error shared by the numeric functions of this crate.

use serde::Serialize;

/// A numeric input outside its domain, naming the input, the value and the rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, thiserror::Error)]
#[error("{name} = {value} is not valid: it must be {rule}")]
pub struct InputError {
    /// Which input (e.g. `"forward"`).
    pub name: &'static str,
    /// The value received.
    pub value: f64,
    /// What it must be (e.g. `"a finite number > 0"`).
    pub rule: &'static str,
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, InputError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(InputError {
            name,
            value,
            rule: "a finite number > 0",
        })
    }
}
