//! The HTTP side: actix-web handlers and the streaming body.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use tokio::sync::{mpsc, watch};

use super::demo;
use super::script::{RecordedRequest, Reply, Script};
use super::sse::{self, Block, Frame, Message};
use super::StubMode;

/// Largest request body accepted (the CLI resends the whole conversation every turn).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// State shared by the handlers and the [`super::ModelStub`] handle.
pub struct Shared {
    pub mode: StubMode,
    pub script: Mutex<Script>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    /// Number of `/v1/messages` requests received so far.
    pub messages_seen: watch::Sender<usize>,
    /// Becomes true when the stub stops (ends hanging requests).
    pub stopping: watch::Sender<bool>,
    counter: AtomicU64,
    /// `count_tokens` calls, counted but not recorded: the pool's warm-up makes ~27 per
    /// process at any time, which would bury the conversation requests tests look at.
    pub count_tokens: AtomicU64,
}

impl Shared {
    pub fn new(mode: StubMode) -> Shared {
        Shared {
            mode,
            script: Mutex::new(Script::default()),
            requests: Mutex::new(Vec::new()),
            messages_seen: watch::channel(0).0,
            stopping: watch::channel(false).0,
            counter: AtomicU64::new(0),
            count_tokens: AtomicU64::new(0),
        }
    }

    pub fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn recorded(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn record(&self, req: RecordedRequest) {
        let is_message = req.path == "/v1/messages";
        self.recorded().push(req);
        if is_message {
            self.messages_seen.send_modify(|n| *n += 1);
        }
    }
}

/// Registers the stub's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY))
        .route("/v1/messages", web::post().to(messages))
        .route("/v1/messages/count_tokens", web::post().to(count_tokens))
        .route("/", web::get().to(root))
        .route("/", web::head().to(root))
        .default_service(web::to(not_found));
}

async fn root(req: HttpRequest, state: web::Data<Shared>) -> HttpResponse {
    state.record(RecordedRequest::new(req.method().as_str(), req.path(), b""));
    HttpResponse::Ok().finish()
}

/// Any other path: GET/HEAD succeed (the CLI probes `HEAD /api/hello` unless
/// non-essential traffic is disabled), the rest is 404.
async fn not_found(req: HttpRequest, body: Bytes, state: web::Data<Shared>) -> HttpResponse {
    state.record(RecordedRequest::new(
        req.method().as_str(),
        req.path(),
        &body,
    ));
    if req.method() == actix_web::http::Method::GET || req.method() == actix_web::http::Method::HEAD
    {
        return HttpResponse::Ok().finish();
    }
    HttpResponse::NotFound()
        .content_type("application/json")
        .body(sse::error_body(404))
}

async fn count_tokens(body: Bytes, state: web::Data<Shared>) -> HttpResponse {
    state.count_tokens.fetch_add(1, Ordering::Relaxed);
    let n = sse::rough_tokens(&String::from_utf8_lossy(&body));
    HttpResponse::Ok().json(serde_json::json!({ "input_tokens": n }))
}

/// What to do with one `/v1/messages` request.
enum Action {
    Send(Message),
    Break(Message, String),
    Stall(Message, String),
    Error(u16),
    Hang,
}

async fn messages(req: HttpRequest, body: Bytes, state: web::Data<Shared>) -> HttpResponse {
    let rec = RecordedRequest::new("POST", req.path(), &body);
    let stream = rec.stream;
    let action = decide(&state, &rec, body.len());
    state.record(rec);
    let request_id = format!("req_stub_{}", state.next_id());
    match action {
        Action::Error(status) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            HttpResponse::build(code)
                .insert_header(("request-id", request_id))
                .content_type("application/json")
                .body(sse::error_body(status))
        }
        Action::Stall(msg, partial) if stream => {
            let frames = sse::stalled_frames(&msg, &partial);
            stream_response(request_id, frames, Some(state.stopping.subscribe()))
        }
        Action::Hang | Action::Stall(..) => {
            let mut stopping = state.stopping.subscribe();
            // Ends only when the stub stops (or the connection's task is dropped).
            let _ = stopping.wait_for(|s| *s).await;
            HttpResponse::ServiceUnavailable().finish()
        }
        Action::Send(msg) if !stream => {
            // As long as streaming the same tokens would take.
            let pauses: Duration = sse::message_frames(&msg).into_iter().map(|(p, _)| p).sum();
            tokio::time::sleep(pauses).await;
            HttpResponse::Ok()
                .insert_header(("request-id", request_id))
                .json(msg.to_json())
        }
        Action::Send(msg) => sse_response(request_id, sse::message_frames(&msg)),
        Action::Break(msg, partial) => sse_response(request_id, sse::broken_frames(&msg, &partial)),
    }
}

/// Chooses the answer: side requests get "OK"; conversation requests take the script,
/// else the mode's default.
fn decide(state: &Shared, rec: &RecordedRequest, body_len: usize) -> Action {
    let msg = |blocks: Vec<Block>, delay: Duration| Message {
        id: format!("msg_stub_{}", state.next_id()),
        model: rec
            .model
            .clone()
            .unwrap_or_else(|| "claude-stub".to_string()),
        blocks,
        delay,
        input_tokens: (body_len as u64 / 4).max(1),
    };
    let ok = || Action::Send(msg(vec![Block::Text("OK".to_string())], Duration::ZERO));
    if rec.side {
        return ok();
    }
    let mut script = state.script();
    let mut reply = script.next_for(rec);
    loop {
        return match reply {
            None => match state.mode {
                StubMode::Scripted => ok(),
                StubMode::Demo => {
                    let tool_id = format!("toolu_stub_{}", state.next_id());
                    Action::Send(msg(demo::answer(rec, tool_id), demo::DEMO_DELAY))
                }
            },
            Some(Reply::Text { text, delay }) => Action::Send(msg(vec![Block::Text(text)], delay)),
            Some(Reply::ToolUse { name, input, then }) => {
                let id = format!("toolu_stub_{}", state.next_id());
                script.pending.insert(id.clone(), *then);
                Action::Send(msg(
                    vec![Block::ToolUse { id, name, input }],
                    Duration::ZERO,
                ))
            }
            Some(Reply::HttpError { status }) => Action::Error(status),
            Some(Reply::Hang) => Action::Hang,
            Some(Reply::Stall { partial }) => Action::Stall(msg(vec![], Duration::ZERO), partial),
            Some(Reply::StreamError { partial, recovery }) if rec.stream => {
                // Served before rules and queue, so a rule cannot capture the retry.
                script.recovery.insert(rec.conversation(), *recovery);
                Action::Break(msg(vec![], Duration::ZERO), partial)
            }
            // A non-streaming request cannot break mid-stream: answer the recovery at once.
            Some(Reply::StreamError { recovery, .. }) => {
                reply = Some(*recovery);
                continue;
            }
        };
    }
}

fn sse_response(request_id: String, frames: Vec<Frame>) -> HttpResponse {
    stream_response(request_id, frames, None)
}

/// Streams `frames`; with `stall_until`, then an SSE `ping` every second until the stub
/// stops (the stream never ends by itself).
fn stream_response(
    request_id: String,
    frames: Vec<Frame>,
    stall_until: Option<watch::Receiver<bool>>,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel(16);
    actix_web::rt::spawn(async move {
        for (pause, bytes) in frames {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            if tx.send(bytes).await.is_err() {
                return; // the client went away
            }
        }
        let Some(mut stopping) = stall_until else {
            return;
        };
        loop {
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            if tx.send(sse::ping()).await.is_err() {
                return;
            }
        }
    });
    HttpResponse::Ok()
        .insert_header(("request-id", request_id))
        .insert_header(("cache-control", "no-cache"))
        .content_type("text/event-stream")
        .body(ChannelBody { rx })
}

/// A response body fed from a channel, so frames reach the client as they are produced.
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl MessageBody for ChannelBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.rx.poll_recv(cx).map(|b| b.map(Ok))
    }
}
