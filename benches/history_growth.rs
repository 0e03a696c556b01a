//! `make bench` — how the cost of a conversation grows with its length: for conversations
//! of 10, 100, 1,000 and 5,000 messages, `session_history` (the WebSocket frame a client
//! gets when it opens a session: every stored message) and resuming it (`resume_session`:
//! the CLI restores the transcript with `--resume`), then the next message's first text
//! (the model request carries the whole conversation).
//!
//! The conversations are written as a long session would leave them: the rows in the
//! store and the CLI's transcript (its entries copied from a real turn of the pinned CLI,
//! re-chained with fresh ids). Writes `target/bench/history_growth.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use claude_sdk_pattern::db::{Db, MessageKind, Session, SessionStatus, BOOTSTRAP_USER_ID};
use claude_sdk_pattern::model_stub::{ModelStub, Reply, StubMode};
use claude_sdk_pattern::protocol::{EventBody, SessionEvent};
use claude_sdk_pattern::users::Caller;
use claude_sdk_pattern::SessionId;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const KEY: &str = "bench-key-0123456789abcdef";
const SIZES: [usize; 4] = [10, 100, 1_000, 5_000];
/// `session_history` requests per size (the median is reported).
const HISTORY_RUNS: usize = 5;

type Ws = Framed<BoxedSocket, Codec>;

struct Collector(mpsc::UnboundedSender<SessionEvent>);

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<SessionEvent> for Collector {
    type Result = ();
    fn handle(&mut self, msg: SessionEvent, _ctx: &mut Context<Self>) {
        let _ = self.0.send(msg);
    }
}

async fn frame(ws: &mut Ws) -> (Value, usize) {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("frame within 60 s")
            .expect("open")
            .expect("frame");
        match item {
            Frame::Text(b) => return (serde_json::from_slice(&b).unwrap(), b.len()),
            Frame::Ping(p) => ws.send(Message::Pong(p)).await.unwrap(),
            _ => {}
        }
    }
}

/// `switch_session` → the `session_history` frame: median time, its size in bytes.
async fn history(addr: std::net::SocketAddr, id: &str, n: usize) -> (Duration, usize) {
    let (_, mut ws) = awc::Client::builder()
        .max_http_version(awc::http::Version::HTTP_11)
        .finish()
        .ws(format!("ws://{addr}/ws/v1/chat"))
        .header("X-API-Key", KEY)
        .max_frame_size(256 << 20)
        .connect()
        .await
        .unwrap();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..HISTORY_RUNS {
        let t = Instant::now();
        ws.send(Message::Text(
            json!({"type": "switch_session", "session_id": id, "after_seq": 0})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
        loop {
            let (f, len) = frame(&mut ws).await;
            assert_ne!(f["type"], "error", "{f}");
            if f["type"] == "session_history" {
                times.push(t.elapsed());
                assert_eq!(f["messages"].as_array().unwrap().len(), n);
                size = len;
                break;
            }
        }
    }
    times.sort();
    (times[times.len() / 2], size)
}

/// A real turn's `user` and `assistant` transcript entries, as templates.
fn templates(transcript: &Path) -> (Value, Value) {
    let text = std::fs::read_to_string(transcript).unwrap();
    let entries: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let user = entries
        .iter()
        .find(|e| e["type"] == "user" && e["message"]["role"] == "user")
        .expect("a user entry")
        .clone();
    let assistant = entries
        .iter()
        .find(|e| e["type"] == "assistant")
        .expect("an assistant entry")
        .clone();
    (user, assistant)
}

/// Writes a transcript of `n` messages (user and assistant alternating) for `id`.
fn write_transcript(path: &Path, id: &str, n: usize, (user, assistant): &(Value, Value)) {
    let mut out = String::new();
    let mut parent = Value::Null;
    for k in 0..n {
        let mut e = if k % 2 == 0 {
            user.clone()
        } else {
            assistant.clone()
        };
        let uuid = uuid::Uuid::new_v4().to_string();
        e["uuid"] = json!(uuid);
        e["parentUuid"] = parent;
        e["sessionId"] = json!(id);
        e.as_object_mut().unwrap().remove("promptId");
        if k % 2 == 0 {
            e["message"]["content"] =
                json!(format!("Question {k}: how is service {} doing?", k % 97));
        } else {
            e["message"]["id"] = json!(format!("msg_bench_{k}"));
            e["message"]["content"] = json!([{"type": "text", "text": format!("Answer {k}: service {} is healthy.", k % 97)}]);
        }
        out.push_str(&e.to_string());
        out.push('\n');
        parent = json!(uuid);
    }
    std::fs::write(path, out).unwrap();
}

async fn store(db: &Db, id: &str, n: usize) {
    let mut s = Session::new(id.to_string(), BOOTSTRAP_USER_ID);
    s.status = SessionStatus::Terminated;
    db.save(&s).await.unwrap();
    for k in 0..n {
        let (kind, body) = if k % 2 == 0 {
            (
                MessageKind::User,
                json!({"text": format!("Question {k}: how is service {} doing?", k % 97)}),
            )
        } else {
            (
                MessageKind::Assistant,
                json!({"text": format!("Answer {k}: service {} is healthy.", k % 97)}),
            )
        };
        db.append_message(id, kind, &body).await.unwrap();
    }
}

fn transcript_of(config_dir: &Path, id: &str) -> PathBuf {
    for project in std::fs::read_dir(config_dir.join("projects")).unwrap() {
        let p = project.unwrap().path().join(format!("{id}.jsonl"));
        if p.exists() {
            return p;
        }
    }
    panic!("no transcript for {id}");
}

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let settings = [
        ("PREWARM_POOL_SIZE", "1".to_string()),
        ("PREWARM_POOL_MAX", "1".to_string()),
    ];
    let (engine, addr) = common::engine_at(dir.path(), &stub, &settings).await;
    let caller = Caller::bootstrap();
    let load_before = common::load_average();

    // One real turn: its transcript entries are the templates.
    let created = engine.create_session(&caller).await.unwrap();
    let first = created.session.session_id;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let collector = Collector(tx).start();
    engine
        .subscribe(&caller, &first, collector.clone().recipient(), 0)
        .await
        .unwrap();
    stub.push(Reply::text("A reply."));
    engine.query(&caller, &first, "hello", 1).await.unwrap();
    while !tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .unwrap()
        .unwrap()
        .body
        .ends_turn()
    {}
    engine.destroy_session(&caller, &first).await.unwrap();
    let config_dir = dir.path().join("cli");
    let template_path = transcript_of(&config_dir, first.as_str());
    let template = templates(&template_path);
    let project = template_path.parent().unwrap().to_path_buf();

    let db = Db::open(&dir.path().join("bench.db")).await.unwrap();
    let mut rows = String::new();
    for n in SIZES {
        let id = uuid::Uuid::new_v4().to_string();
        store(&db, &id, n).await;
        write_transcript(&project.join(format!("{id}.jsonl")), &id, n, &template);
        let sid = SessionId::from_stored(&id);
        let t = Instant::now();
        engine.resume_session(&caller, &sid).await.unwrap();
        let resume_t = t.elapsed();
        // An ended session is not opened over the WebSocket: its history is sent once live.
        let (history_t, history_bytes) = history(addr, &id, n).await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let collector = Collector(tx).start();
        engine
            .subscribe(&caller, &sid, collector.recipient(), 0)
            .await
            .unwrap();
        stub.push(Reply::text("Measured reply."));
        let t = Instant::now();
        engine.query(&caller, &sid, "and now?", 1).await.unwrap();
        let mut first_text = None;
        loop {
            let e = tokio::time::timeout(Duration::from_secs(120), rx.recv())
                .await
                .unwrap()
                .unwrap();
            if first_text.is_none() && matches!(e.body, EventBody::StreamDelta { .. }) {
                first_text = Some(t.elapsed());
            }
            if e.body.ends_turn() {
                break;
            }
        }
        let sent = stub.requests().last().unwrap().messages.clone();
        let carried = sent.as_array().map_or(0, Vec::len);
        assert!(
            carried > n,
            "the model saw the whole conversation: {carried} of {n}"
        );
        engine.destroy_session(&caller, &sid).await.unwrap();
        rows.push_str(&format!(
            "| {n} | {:.1} ms ({:.0} KB) | {:.0} ms | {:.0} ms ({carried} messages) |\n",
            history_t.as_secs_f64() * 1000.0,
            history_bytes as f64 / 1000.0,
            resume_t.as_secs_f64() * 1000.0,
            first_text.unwrap().as_secs_f64() * 1000.0,
        ));
    }
    let load_after = common::load_average();
    engine.shutdown().await;
    stub.stop().await;
    format!(
        "## How cost grows with a conversation's length\n\n\
         | messages | `session_history` (median of {HISTORY_RUNS}, frame size) | resume → ready | next message → first text (model request carries) |\n\
         |---|---|---|---|\n{rows}\n\
         Each conversation is stored (one row per message, as a session writes them) and its \
         CLI transcript written beside it (entries copied from a real turn of the pinned CLI, \
         re-chained); resume is `Engine::resume_session` (a `--resume` \
         spawn reading the transcript, then `initialize`); `session_history` is then timed \
         from the client's `switch_session` to the frame, over a WebSocket on loopback; the \
         next message runs against the \
         scripted model, its request holding the whole conversation. Load average (1 min) \
         {load_before:.1} before, {load_after:.1} after.\n"
    )
}

fn main() {
    claude_sdk_pattern::process::become_subreaper().unwrap();
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("history_growth.md"), report).unwrap();
}
