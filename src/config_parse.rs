//! The helpers every variable is read with: blank means unset ([`present`]), whole numbers
//! within bounds ([`number`]), and the rejection naming its variable ([`err`]).

use std::fmt;

use super::ConfigError;

pub(super) fn err(var: &'static str, expected: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        expected: expected.into(),
    }
}

/// Treats an empty or all-blank value as unset (what `FOO= cmd` means to most people).
pub(super) fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(super) fn number<T: std::str::FromStr + PartialOrd + fmt::Display + Copy>(
    var: &'static str,
    value: &Option<String>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let Some(text) = present(value) else {
        return Ok(default);
    };
    let expected = || format!("expected a whole number from {min} to {max}, got {text:?}");
    let parsed: T = text.parse().map_err(|_| err(var, expected()))?;
    if parsed < min || parsed > max {
        return Err(err(var, expected()));
    }
    Ok(parsed)
}
