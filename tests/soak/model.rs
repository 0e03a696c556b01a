//! The model's side of the faults: each user message names its fault (`f=<name>`), and the
//! stub's responder answers the CLI's requests for it — an HTTP error once (the CLI's one
//! retry then succeeds) or twice (the turn fails), a hang, a stall after some text, an SSE
//! error mid-stream (the CLI's retry gets the whole reply), a Bash call that needs more
//! memory than a session may hold, or just the reply.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use claude_sdk_pattern::model_stub::{ModelStub, RecordedRequest, Reply};
use serde_json::json;

/// What a message asks of the model (and of the harness).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    None,
    Http429,
    Http529,
    Http500,
    /// 429 on the request and on the CLI's retry: the turn ends in `stream_error`.
    HttpTwice,
    Hang,
    Stall,
    SseError,
    /// The harness kills the session's CLI with SIGKILL after the first delta.
    Kill,
    /// The harness drops the WebSocket mid-reply and reconnects with `after_seq`.
    Drop,
    /// A Bash call (approved by the client) that holds more than `MAX_SESSION_RSS_MB`.
    MemoryHog,
}

impl Fault {
    pub const ALL: [Fault; 11] = [
        Fault::None,
        Fault::Http429,
        Fault::Http529,
        Fault::Http500,
        Fault::HttpTwice,
        Fault::Hang,
        Fault::Stall,
        Fault::SseError,
        Fault::Kill,
        Fault::Drop,
        Fault::MemoryHog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Http429 => "429",
            Fault::Http529 => "529",
            Fault::Http500 => "500",
            Fault::HttpTwice => "429-twice",
            Fault::Hang => "hang",
            Fault::Stall => "stall",
            Fault::SseError => "sse-error",
            Fault::Kill => "sigkill",
            Fault::Drop => "ws-drop",
            Fault::MemoryHog => "memory-hog",
        }
    }

    fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Relative frequency among a session's messages.
    pub fn weight(self) -> u64 {
        match self {
            Fault::None => 40,
            Fault::Http429 | Fault::Http529 | Fault::Http500 => 5,
            Fault::HttpTwice | Fault::Hang | Fault::Stall => 3,
            Fault::SseError | Fault::Kill | Fault::Drop => 7,
            Fault::MemoryHog => 2,
        }
    }
}

/// The user text of message `n` of session `s` with `fault`.
pub fn message_text(s: usize, n: u64, fault: Fault) -> String {
    format!("soak s{s} m{n} f={}", fault.name())
}

/// The reply the model gives to a message (deterministic, so the harness knows it).
pub fn reply_text(key: &str, long: bool) -> String {
    let words = if long { 150 } else { 12 + key.len() % 20 };
    let body: Vec<String> = (1..=words).map(|i| format!("w{i}")).collect();
    format!("re {key}: {}.", body.join(" "))
}

/// The Bash command of [`Fault::MemoryHog`]: Node (the CLI's own runtime) holding `mb` MB
/// touched, for at most 30 s.
pub fn hog_command(mb: u64) -> String {
    format!("node -e 'const b=Buffer.alloc({mb}*1048576,1);setTimeout(()=>b.length,30000)'")
}

/// Installs the responder on `stub`.
pub fn install(stub: &ModelStub, hog_mb: u64) {
    let attempts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    stub.responder(move |req: &RecordedRequest| {
        let text = req.last_user_text.as_deref()?;
        // The last one: after a turn cut with no reply the CLI sends the unanswered message and
        // the new one together, as one user message.
        let at = text.rfind("soak s")?;
        let mut parts = text[at + 5..].split_whitespace();
        let (s, m, f) = (parts.next()?, parts.next()?, parts.next()?);
        let fault = Fault::parse(f.strip_prefix("f=")?)?;
        let key = format!("{s} {m}");
        let attempt = {
            let mut a = attempts.lock().unwrap_or_else(|e| e.into_inner());
            let n = a.entry(key.clone()).or_insert(0);
            *n += 1;
            *n - 1
        };
        let long = matches!(fault, Fault::Kill | Fault::Drop);
        let reply = Reply::Text {
            text: reply_text(&key, long),
            delay: Duration::from_millis(if long { 25 } else { 8 }),
        };
        Some(match (fault, attempt) {
            (Fault::Http429, 0) => Reply::HttpError { status: 429 },
            (Fault::Http529, 0) => Reply::HttpError { status: 529 },
            (Fault::Http500, 0) => Reply::HttpError { status: 500 },
            (Fault::HttpTwice, 0 | 1) => Reply::HttpError { status: 429 },
            (Fault::Hang, _) => Reply::Hang,
            (Fault::Stall, _) => Reply::Stall {
                partial: format!("re {key}: partial"),
            },
            (Fault::SseError, 0) => Reply::StreamError {
                partial: format!("re {key}: broken"),
                recovery: Box::new(reply),
            },
            (Fault::MemoryHog, 0) => Reply::ToolUse {
                name: "Bash".into(),
                input: json!({"command": hog_command(hog_mb), "description": "hold memory"}),
                then: Box::new(reply),
            },
            _ => reply,
        })
    });
}
