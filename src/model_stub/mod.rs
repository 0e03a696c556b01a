//! A scripted model server speaking the Anthropic Messages API, for tests, benchmarks and
//! the offline demo model (docs/operations.md, "The model and the demo model").
//!
//! Point the Claude Code CLI at it with `ANTHROPIC_BASE_URL=<ModelStub::url()>`.
//!
//! # Endpoints
//!
//! - `POST /v1/messages` (any query; the CLI adds `?beta=true`): `"stream": true` gets SSE
//!   (`message_start`, `ping`, `content_block_start`/`_delta`/`_stop`, `message_delta`,
//!   `message_stop`, each with its `event:` line), sent as it is produced so token delays
//!   are real; otherwise the complete Message JSON. Errors use the Anthropic error body.
//! - `POST /v1/messages/count_tokens` → `{"input_tokens": N}` (bytes / 4).
//! - `GET`/`HEAD` on any path → 200; anything else → 404.
//!
//! Every request is recorded ([`ModelStub::requests`]) but `count_tokens`, which is only
//! counted ([`ModelStub::count_tokens_calls`]).
//!
//! # Choosing an answer
//!
//! For a conversation request: a pending tool follow-up (the last user message carries the
//! `tool_result` of a [`Reply::ToolUse`]) wins, then the [`ModelStub::responder`] if one is
//! set and answers, then the first [`ModelStub::rule`] whose text
//! occurs in the last user text, then the queue front ([`ModelStub::push`]), then the mode's
//! default: `"OK"` ([`StubMode::Scripted`]) or the demo model ([`StubMode::Demo`]). After a
//! [`Reply::StreamError`] the next request of the same conversation (the CLI's retry; told
//! apart by `metadata.user_id`) gets its recovery before anything else.
//!
//! # What the CLI sends (observed with Claude Code 2.1.331, stream-json, `--setting-sources=`)
//!
//! - **One `/v1/messages` request per model round trip, nothing else**: a text turn is one
//!   request, a tool turn two (the second carries the `tool_result`). No title, summary,
//!   quota or Bash-prefix side requests were seen, with or without a permission prompt, and
//!   turns never call `count_tokens` (only `get_context_usage` does: the pool's warm-up).
//! - Every turn request streams and offers the tools (13 with default settings, `Bash`
//!   among them), `max_tokens` 128000, `thinking: adaptive`, `metadata.user_id` (JSON text
//!   with the session id), model `claude-opus-5-5` unless `--model` is given.
//! - After a broken stream (SSE `error` event) the CLI retries the same request
//!   **non-streaming**, still with the tools.
//! - Without `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` the CLI also sends
//!   `HEAD /api/hello` (a reachability probe) before the first turn; it gets a 200.
//! - The first user message is a list of text blocks: a `<system-reminder>` block (commit
//!   attribution) and then the user's text. [`RecordedRequest::last_user_text`] leaves such
//!   reminder blocks out.
//! - `messages` ends with a `"role": "system"` entry (the environment section), after the
//!   last user message; "last user message" therefore means the last one with role `user`.
//!
//! Side requests are still handled defensively: a `/v1/messages` request that neither offers
//! tools nor streams is marked [`RecordedRequest::side`], answered `"OK"`, and never
//! consumes the queue, the rules or a tool follow-up.

mod demo;
mod demo_agents;
mod script;
mod server;
mod sse;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use tokio::sync::oneshot;

pub use demo::BANNER as DEMO_BANNER;
pub use script::{tokenize, RecordedRequest, Reply, Responder};

use server::Shared;

/// What the stub answers when no scripted reply applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StubMode {
    /// A short default text, `"OK"`.
    Scripted,
    /// The clearly labelled demo model (echo with markdown; ``run `cmd` `` calls Bash;
    /// "long reply" gets a 12,000-character one; "which model" names the model and effort
    /// the request carried).
    Demo,
}

/// A running stub model server on 127.0.0.1.
pub struct ModelStub {
    addr: SocketAddr,
    handle: ServerHandle,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ModelStub {
    /// Binds 127.0.0.1:`port` (0 = any free port) and serves in the background, on a
    /// thread of its own with its own actix `System`, so it works from any runtime.
    pub async fn start(port: u16, mode: StubMode) -> std::io::Result<ModelStub> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(mode));
        let data = web::Data::from(shared.clone());
        let (tx, rx) = oneshot::channel::<std::io::Result<ServerHandle>>();
        let thread = std::thread::Builder::new()
            .name(format!("model-stub-{}", addr.port()))
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .configure(server::configure)
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener);
                    match server {
                        Ok(server) => {
                            let server = server.run();
                            let _ = tx.send(Ok(server.handle()));
                            let _ = server.await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                })
            })?;
        let handle = rx
            .await
            .map_err(|_| std::io::Error::other("model stub thread ended before serving"))??;
        Ok(ModelStub {
            addr,
            handle,
            shared,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the value for `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Appends a reply to the FIFO queue of conversation replies.
    pub fn push(&self, reply: Reply) {
        self.shared.script().queue.push_back(reply);
    }

    /// When the last user text contains `contains`, answer `reply` (rules are checked
    /// before the queue, in the order added, and stay until [`ModelStub::clear`]).
    pub fn rule(&self, contains: &str, reply: Reply) {
        self.shared
            .script()
            .rules
            .push((contains.to_string(), reply));
    }

    /// Lets `f` choose the reply to each conversation request, after a pending recovery or
    /// tool follow-up and before the rules and the queue; `None` from it falls through.
    /// For many conversations at once (the soak), where one FIFO queue cannot say whose
    /// turn a reply is for.
    pub fn responder(&self, f: impl Fn(&RecordedRequest) -> Option<Reply> + Send + Sync + 'static) {
        self.shared.script().responder = Some(script::Responder(std::sync::Arc::new(f)));
    }

    /// Drops the queue, the rules, the responder and any pending tool follow-ups.
    pub fn clear(&self) {
        self.shared.script().clear();
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorded().clone()
    }

    /// `count_tokens` calls so far (not in [`ModelStub::requests`]).
    pub fn count_tokens_calls(&self) -> u64 {
        self.shared
            .count_tokens
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits (at most `timeout`) until at least `n` `/v1/messages` requests arrived, and
    /// returns all recorded requests (fewer if the time ran out).
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let mut seen = self.shared.messages_seen.subscribe();
        let _ = tokio::time::timeout(timeout, seen.wait_for(|count| *count >= n)).await;
        self.requests()
    }

    /// Stops the server (open connections are dropped, hanging requests end).
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        self.shared.stopping.send_replace(true);
        self.handle.stop(false).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for ModelStub {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shared.stopping.send_replace(true);
            // Sends the stop command at once; the server thread finishes on its own.
            drop(self.handle.stop(false));
        }
    }
}
