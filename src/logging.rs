//! JSON logs: one object a line with `ts`, `level`, `msg` and the bound context
//! (`session_id`, `request_id`, …), through an asynchronous drain, with every secret redacted.
//!
//! Redaction happens on the finished line, just before it is written: whatever a field, a
//! message or a formatted error contains, the server key, `ANTHROPIC_API_KEY`, anything
//! shaped like an Anthropic key (`sk-ant-…`) and any user key (`csp_…`, but not its
//! 12-character display prefix) are replaced with `[REDACTED]`. Doing it on the
//! serialized line rather than per field means no call site can forget it.
//!
//! Overflow: the async channel holds [`CHANNEL_SIZE`] records. When the writer falls behind
//! (stdout piped into something slow) records are **dropped, not waited for**, and the drain
//! later logs how many were lost (`slog-async` "DropAndReport"). Logging must never block an
//! actor or HTTP worker thread; a lost debug line is cheaper than a stalled stream.

use std::borrow::Cow;
use std::io::{self, Write};

use slog::{o, Drain, Logger};

use crate::config::LogLevel;
use crate::secret::{Secret, REDACTED};

/// Records the async drain can hold before it starts dropping.
pub const CHANNEL_SIZE: usize = 8192;

/// The prefix of Anthropic API keys, redacted even when not configured here.
const ANTHROPIC_KEY_PREFIX: &str = "sk-ant-";
/// The prefix of users' API keys (`csp_` and 64 hex digits), redacted wherever they appear.
const USER_KEY_PREFIX: &str = crate::users::keys::KEY_PREFIX;
/// A user key's display prefix (`csp_` and 8 hex digits) is not secret and stays.
const USER_KEY_MIN_TAIL: usize = 16;

/// Replaces known secrets and anything that looks like an Anthropic key.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Each secret as written raw and as it appears inside a JSON string.
    needles: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: &[Secret]) -> Redactor {
        let mut needles = Vec::new();
        for secret in secrets {
            let raw = secret.expose();
            // Very short values would redact ordinary words; the server key is ≥ 16 chars.
            if raw.len() < 8 {
                continue;
            }
            needles.push(raw.to_string());
            if let Ok(quoted) = serde_json::to_string(raw) {
                let escaped = &quoted[1..quoted.len() - 1];
                if escaped != raw {
                    needles.push(escaped.to_string());
                }
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Redactor { needles }
    }

    /// The text with every secret replaced; borrowed when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), REDACTED));
            }
        }
        if out.contains(ANTHROPIC_KEY_PREFIX) {
            out = Cow::Owned(redact_key_shapes(&out, ANTHROPIC_KEY_PREFIX, 0));
        }
        if out.contains(USER_KEY_PREFIX) {
            out = Cow::Owned(redact_key_shapes(&out, USER_KEY_PREFIX, USER_KEY_MIN_TAIL));
        }
        out
    }
}

/// Replaces `prefix` and the key characters after it, when at least `min_tail` follow
/// (fewer is the display prefix of one of our keys, which is not secret).
fn redact_key_shapes(text: &str, prefix: &str, min_tail: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(prefix) {
        let tail = &rest[start + prefix.len()..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(tail.len());
        out.push_str(&rest[..start]);
        if end >= min_tail {
            out.push_str(REDACTED);
        } else {
            out.push_str(&rest[start..start + prefix.len() + end]);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A writer that redacts each complete line before passing it on.
pub struct RedactingWriter<W: Write> {
    inner: W,
    redactor: Redactor,
    pending: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(inner: W, redactor: Redactor) -> Self {
        RedactingWriter {
            inner,
            redactor,
            pending: Vec::with_capacity(1024),
        }
    }

    fn emit(&mut self, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let clean = self.redactor.redact(&text);
        self.inner.write_all(clean.as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=pos).collect();
            self.emit(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

/// Keeps the async drain alive; dropping it flushes every queued record. Hold it in `main`
/// until the process is about to exit.
pub type LogGuard = slog_async::AsyncGuard;

/// Builds the root logger writing JSON lines to `sink`.
pub fn build<W>(level: LogLevel, secrets: &[Secret], sink: W) -> (Logger, LogGuard)
where
    W: Write + Send + 'static,
{
    let writer = RedactingWriter::new(sink, Redactor::new(secrets));
    let json = slog_json::Json::new(writer)
        .set_newlines(true)
        .set_flush(true)
        .add_default_keys()
        .build()
        .ignore_res();
    let (async_drain, guard) = slog_async::Async::new(json)
        .chan_size(CHANNEL_SIZE)
        .overflow_strategy(slog_async::OverflowStrategy::DropAndReport)
        .thread_name("log-writer".to_string())
        .build_with_guard();
    let drain = slog::LevelFilter::new(async_drain, level.to_slog()).ignore_res();
    let logger = Logger::root(drain, o!("service" => env!("CARGO_PKG_NAME")));
    (logger, guard)
}

/// Builds the root logger writing to stdout.
pub fn stdout(level: LogLevel, secrets: &[Secret]) -> (Logger, LogGuard) {
    build(level, secrets, io::stdout())
}

/// A logger that discards everything (library code that was given none).
pub fn discard() -> Logger {
    Logger::root(slog::Discard, o!())
}

#[cfg(test)]
mod tests {
    use super::*;
    use slog::{error, info, warn};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    const SERVER_KEY: &str = "srv-key-ABCDEFGHIJKLMNOP";
    const ANTHROPIC_KEY: &str = "sk-ant-api03-QWERTYUIOPasdfghjkl_zxcv-123";

    #[derive(Debug, thiserror::Error)]
    #[error("upstream rejected key {0}")]
    struct KeyError(String);

    #[test]
    fn every_line_is_json_with_ts_level_msg_and_context() {
        let buf = Buf::default();
        let (log, guard) = build(LogLevel::Debug, &[], buf.clone());
        let child = log.new(o!("session_id" => "abc", "request_id" => "r-1"));
        info!(child, "hello"; "n" => 3);
        slog::debug!(log, "detail");
        drop(child);
        drop(log);
        drop(guard);
        let text = buf.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in &lines {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["ts"].is_string(), "{line}");
            assert!(v["level"].is_string(), "{line}");
            assert!(v["msg"].is_string(), "{line}");
        }
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first["msg"], "hello");
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["session_id"], "abc");
        assert_eq!(first["request_id"], "r-1");
        assert_eq!(first["n"], 3);
    }

    #[test]
    fn level_filter_applies() {
        let buf = Buf::default();
        let (log, guard) = build(LogLevel::Warning, &[], buf.clone());
        info!(log, "quiet");
        warn!(log, "loud");
        drop(log);
        drop(guard);
        let text = buf.text();
        assert!(!text.contains("quiet"));
        assert!(text.contains("loud"));
    }

    #[test]
    fn secrets_never_reach_output() {
        let buf = Buf::default();
        let secrets = [Secret::new(SERVER_KEY), Secret::new(ANTHROPIC_KEY)];
        let (log, guard) = build(LogLevel::Trace, &secrets, buf.clone());
        // In the message, in a field, in a bound context value, in an error, in Debug output.
        info!(log, "key is {} and {}", SERVER_KEY, ANTHROPIC_KEY);
        warn!(log, "field"; "header" => SERVER_KEY, "env" => format!("ANTHROPIC_API_KEY={ANTHROPIC_KEY}"));
        let bound = log.new(o!("api_key" => SERVER_KEY.to_string()));
        info!(bound, "bound context");
        let e = KeyError(ANTHROPIC_KEY.to_string());
        error!(log, "request failed"; "error" => %e, "debug" => ?e);
        // A key we were never told about, shaped like an Anthropic key.
        error!(log, "other key sk-ant-unknown_KEY-999 leaked");
        drop(bound);
        drop(log);
        drop(guard);
        let text = buf.text();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(!text.contains(SERVER_KEY), "{text}");
        assert!(!text.contains(ANTHROPIC_KEY), "{text}");
        assert!(!text.contains("QWERTYUIOP"), "{text}");
        assert!(!text.contains("unknown_KEY"), "{text}");
        assert!(text.contains(REDACTED));
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }

    #[test]
    fn secrets_with_json_special_characters_are_redacted_escaped() {
        let secret = r#"key"with\quotes-0123456789"#;
        let redactor = Redactor::new(&[Secret::new(secret)]);
        let line = serde_json::json!({ "msg": secret }).to_string();
        let clean = redactor.redact(&line);
        assert!(!clean.contains("with\\\\quotes"), "{clean}");
        assert!(clean.contains(REDACTED));
    }

    #[test]
    fn key_shapes_are_cut_at_the_key_end() {
        let r = Redactor::default();
        assert_eq!(
            r.redact("a sk-ant-abc_DEF-1 b sk-ant-x\"").as_ref(),
            "a [REDACTED] b [REDACTED]\""
        );
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn user_keys_are_redacted_but_their_display_prefix_stays() {
        let r = Redactor::default();
        let key = format!("csp_{}", "0123456789abcdef".repeat(4));
        assert_eq!(
            r.redact(&format!("{{\"k\":\"{key}\",\"prefix\":\"csp_01234567\"}}"))
                .as_ref(),
            "{\"k\":\"[REDACTED]\",\"prefix\":\"csp_01234567\"}"
        );
    }
}
