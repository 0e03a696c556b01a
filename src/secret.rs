//! A string that must never be printed: its `Debug` and `Display` show `[REDACTED]`.

use std::fmt;

/// What a secret is replaced with wherever it would be shown.
pub const REDACTED: &str = "[REDACTED]";

/// A secret value (the server key, `ANTHROPIC_API_KEY`). Read it with [`Secret::expose`]
/// only where it is really used (comparison, the CLI's environment).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with `candidate` in time that depends only on the lengths, so a client
    /// cannot find the key byte by byte from response times.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate)
    }
}

/// `expected == candidate`, in time that depends only on the lengths.
pub fn constant_time_eq(expected: &[u8], candidate: &[u8]) -> bool {
    let mut diff = expected.len() ^ candidate.len();
    for (i, byte) in expected.iter().enumerate() {
        let other = candidate.get(i).copied().unwrap_or(0);
        diff |= usize::from(byte ^ other);
    }
    diff == 0
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let s = Secret::new("super-secret-value-123");
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(s.expose(), "super-secret-value-123");
    }

    #[test]
    fn matches_only_the_exact_value() {
        let s = Secret::new("abcdefghijklmnop");
        assert!(s.matches(b"abcdefghijklmnop"));
        assert!(!s.matches(b"abcdefghijklmnoq"));
        assert!(!s.matches(b"abcdefghijklmno"));
        assert!(!s.matches(b"abcdefghijklmnopq"));
        assert!(!s.matches(b""));
    }
}
