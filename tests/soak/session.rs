//! One simulated user: a WebSocket, a session, a conversation with faults, and a record
//! of what it sent and saw, for the checks at the end.

use std::rc::Rc;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::model::{message_text, Fault};
use crate::rng::Rng;
use crate::ws::{Conn, In};
use crate::{Ctx, ServerInfo};

/// Longest a turn may take before the session counts as stuck (a hang or stall ends after
/// `TURN_STALL_SECONDS`, a drain after `SHUTDOWN_GRACE_SECONDS`, a start after its spawn).
const TURN_BOUND: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `response_complete`, with the reply as this client assembled it.
    Complete(String),
    /// `stream_error` / `stream_interrupted` (the code).
    Failed(String),
    /// Refused before it started (`error` frame: the code).
    Refused(String),
    /// The connection went with the server before the turn's end arrived.
    Lost,
    /// No end within [`TURN_BOUND`].
    Stuck,
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub text: String,
    pub fault: Fault,
    /// `message_received` with our `seq` arrived.
    pub acked: bool,
    pub outcome: Outcome,
}

#[derive(Debug, Default)]
pub struct SessionLog {
    pub index: usize,
    pub id: Option<String>,
    pub sent: Vec<Sent>,
    /// The final message was answered.
    pub final_answered: bool,
    pub problems: Vec<String>,
}

struct Client {
    ctx: Rc<Ctx>,
    conn: Option<Conn>,
    /// The server generation `conn` belongs to.
    gen: u64,
    id: String,
    last_seq: u64,
}

impl Client {
    async fn server(&self, newer_than: u64) -> Option<ServerInfo> {
        let mut rx = self.ctx.server.clone();
        let wait = rx.wait_for(|s| s.as_ref().is_some_and(|s| s.gen > newer_than));
        let found = match tokio::time::timeout(Duration::from_secs(120), wait).await {
            Ok(Ok(s)) => s.clone(),
            _ => None,
        };
        found
    }

    /// A connection to the current server (a new one if the last went away).
    async fn ensure(&mut self) -> bool {
        if self.conn.is_some() {
            return true;
        }
        let Some(info) = self.server(0).await else {
            return false;
        };
        if info.gen != self.gen {
            // A restarted server counts `event_seq` from 1 again.
            self.last_seq = 0;
        }
        match Conn::connect(info.addr).await {
            Ok(c) => {
                self.conn = Some(c);
                self.gen = info.gen;
                true
            }
            Err(_) => {
                // The server of this generation is going; wait for the next one.
                let _ = self.server(info.gen).await;
                false
            }
        }
    }

    async fn send(&mut self, v: Value) -> bool {
        match &mut self.conn {
            Some(c) => c.send(&v).await,
            None => false,
        }
    }

    async fn recv(&mut self, within: Duration) -> In {
        match &mut self.conn {
            Some(c) => c.recv(within).await,
            None => In::Closed,
        }
    }

    /// Creates the session (retrying refusals), bounded.
    async fn create(&mut self, log: &mut SessionLog) -> bool {
        let deadline = Instant::now() + Duration::from_secs(240);
        while Instant::now() < deadline {
            if !self.ensure().await {
                continue;
            }
            self.send(json!({"type": "create_session"})).await;
            loop {
                match self.recv(TURN_BOUND).await {
                    In::Frame(f) if f["type"] == "session_ready" => {
                        if let Some(id) = f["session"]["session_id"].as_str() {
                            self.id = id.to_string();
                            self.last_seq = f["event_seq"].as_u64().unwrap_or(0);
                            log.id = Some(self.id.clone());
                            return true;
                        }
                    }
                    In::Frame(f) if f["type"] == "error" => {
                        self.ctx
                            .count("refused: create", f["code"].as_str().unwrap_or("?"));
                        pause(1500).await;
                        break;
                    }
                    In::Frame(_) => {}
                    In::Closed | In::Silent => {
                        self.conn = None;
                        break;
                    }
                }
            }
        }
        log.problems.push("could not create a session".into());
        false
    }

    /// Reconnects to the same server and asks for the events after `last_seq`.
    async fn rejoin(&mut self) -> bool {
        self.conn = None;
        let gen = self.gen;
        if !self.ensure().await || self.gen != gen {
            return false;
        }
        let after = self.last_seq;
        self.send(json!({"type": "switch_session", "session_id": self.id, "after_seq": after}))
            .await
    }

    /// One message and its turn.
    async fn turn(&mut self, n: u64, fault: Fault, log: &mut SessionLog) -> Sent {
        let text = message_text(log.index, n, fault);
        let mut sent = Sent {
            text: text.clone(),
            fault,
            acked: false,
            outcome: Outcome::Lost,
        };
        if !self.ensure().await {
            return sent;
        }
        let msg = json!({"type": "user_message", "session_id": self.id, "text": text, "seq": n});
        if !self.send(msg).await {
            self.conn = None;
            return sent;
        }
        let started = Instant::now();
        let mut reply = String::new();
        let (mut deltas, mut killed, mut dropped) = (0, false, false);
        loop {
            let left = TURN_BOUND.saturating_sub(started.elapsed());
            let f = match self.recv(left).await {
                In::Frame(f) => f,
                In::Silent => {
                    sent.outcome = Outcome::Stuck;
                    log.problems
                        .push(format!("{text:?}: no end of turn within {TURN_BOUND:?}"));
                    self.conn = None;
                    return sent;
                }
                In::Closed => {
                    // Still the same server (a connection the server closed, e.g. too slow
                    // a reader): rejoin the turn; else the turn went with the server.
                    let gen = self.gen;
                    self.conn = None;
                    if self.server(0).await.is_some_and(|s| s.gen == gen) && self.rejoin().await {
                        self.ctx.count("event", "reconnected after a close");
                        continue;
                    }
                    return sent;
                }
            };
            let ty = f["type"].as_str().unwrap_or_default().to_string();
            if self.ctx.trace {
                println!("s{} m{n} <- {}", log.index, trace_line(&f));
            }
            if f["session_id"] == self.id.as_str() {
                if let Some(seq) = f["event_seq"].as_u64() {
                    if ty != "session_history" {
                        if seq <= self.last_seq && ty != "session_ready" {
                            log.problems.push(format!(
                                "{text:?}: event_seq {seq} after {} ({ty})",
                                self.last_seq
                            ));
                        }
                        self.last_seq = seq;
                    }
                }
            } else if f.get("event_seq").is_some() {
                continue; // another session's event (none expected)
            }
            match ty.as_str() {
                "message_received" if f["seq"] == n => sent.acked = true,
                "stream_delta" => {
                    reply.push_str(f["text"].as_str().unwrap_or_default());
                    deltas += 1;
                    if fault == Fault::Kill && !killed {
                        killed = true;
                        self.kill_cli().await;
                    }
                    if fault == Fault::Drop && deltas == 3 && !dropped {
                        dropped = true;
                        self.ctx.count("fault", Fault::Drop.name());
                        if !self.rejoin().await {
                            return sent;
                        }
                    }
                }
                "stream_retracted" => {
                    let gone = f["text"].as_str().unwrap_or_default();
                    if reply.ends_with(gone) {
                        reply.truncate(reply.len() - gone.len());
                    } else {
                        log.problems.push(format!(
                            "{text:?}: retracted {gone:?} not at the end of {reply:?}"
                        ));
                    }
                    self.ctx.count("event", "stream_retracted");
                }
                "stream_retrying" => self.ctx.count("event", "stream_retrying"),
                "permission_request" => {
                    self.ctx.count("event", "permission approved");
                    let id = f["request_id"].clone();
                    self.send(json!({"type": "permission_response", "session_id": self.id,
                        "request_id": id, "allow": true}))
                        .await;
                }
                "session_history" => {
                    let last = f["last_event_seq"].as_u64().unwrap_or(0);
                    if last < self.last_seq {
                        // The sequence restarted: take the whole turn again.
                        reply.clear();
                        self.last_seq = 0;
                        self.send(json!({"type": "switch_session", "session_id": self.id,
                            "after_seq": 0}))
                            .await;
                    }
                }
                "session_restarting" => {
                    let reason = f["reason"].as_str().unwrap_or("?");
                    self.ctx
                        .count("restart", &format!("{reason} (in a {} turn)", fault.name()));
                }
                "session_terminated" => {
                    self.ctx
                        .count("terminated", f["reason"].as_str().unwrap_or("?"));
                    self.last_seq = 0;
                }
                "server_shutting_down" => {}
                "response_complete" => {
                    sent.outcome = Outcome::Complete(reply);
                    return sent;
                }
                "stream_error" | "stream_interrupted" => {
                    let code = f["code"].as_str().unwrap_or(&ty).to_string();
                    self.ctx.count("turn failed", &code);
                    sent.outcome = Outcome::Failed(code);
                    return sent;
                }
                "error" if !sent.acked => {
                    let code = f["code"].as_str().unwrap_or("?").to_string();
                    self.ctx.count("refused: message", &code);
                    sent.outcome = Outcome::Refused(code.clone());
                    if code == "server_shutting_down" {
                        // Wait for the next server rather than knocking on this one.
                        self.conn = None;
                        let _ = self.server(self.gen).await;
                    } else if code == "query_in_progress" {
                        // The session is restarting: wait until it is idle again.
                        self.until_idle().await;
                    } else if code == "not_resumable" {
                        // The session failed (its process kept crashing, or a restart
                        // could not start one): a message does not wake it; its user
                        // resumes it by hand, as the UI offers.
                        self.resume().await;
                    }
                    return sent;
                }
                _ => {}
            }
        }
    }

    /// `resume_session` for a failed session, then reads (bounded) until its history (the
    /// resumed session's subscription, whose `event_seq` starts again) or a refusal.
    async fn resume(&mut self) {
        let msg = json!({"type": "resume_session", "session_id": self.id});
        if !self.send(msg).await {
            self.conn = None;
            return;
        }
        let deadline = Instant::now() + TURN_BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left).await {
                In::Frame(f) if f["session_id"] == self.id.as_str() => {
                    match f["type"].as_str().unwrap_or_default() {
                        "session_history" => {
                            self.last_seq = f["last_event_seq"].as_u64().unwrap_or(0);
                            self.ctx.count("event", "failed session resumed by hand");
                            return;
                        }
                        "error" => {
                            let code = f["code"].as_str().unwrap_or("?");
                            self.ctx.count("refused: resume", code);
                            return;
                        }
                        _ => {}
                    }
                }
                In::Frame(_) => {}
                In::Closed | In::Silent => {
                    self.conn = None;
                    return;
                }
            }
        }
    }

    /// Reads (bounded) until this session's `session_state` says `idle` or it is ready.
    async fn until_idle(&mut self) {
        let deadline = Instant::now() + TURN_BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left).await {
                In::Frame(f) if f["session_id"] == self.id.as_str() => {
                    let idle = f["type"] == "session_state" && f["state"] == "idle";
                    if f["type"] == "session_terminated" {
                        self.last_seq = 0;
                    } else if let Some(seq) = f["event_seq"].as_u64() {
                        self.last_seq = seq;
                    }
                    if idle || f["type"] == "session_ready" {
                        return;
                    }
                }
                In::Frame(_) => {}
                In::Closed | In::Silent => {
                    self.conn = None;
                    return;
                }
            }
        }
    }

    /// SIGKILL to this session's CLI, found in the server's process tree.
    async fn kill_cli(&mut self) {
        let Some(info) = self.server(0).await else {
            return;
        };
        match crate::procs::cli_of(info.pid, &self.id) {
            Some(pid) => {
                claude_sdk_pattern::process::signal_pid(pid, Signal::SIGKILL);
                self.ctx.count("fault", Fault::Kill.name());
            }
            None => self.ctx.count("event", "sigkill: no CLI found"),
        }
    }
}

/// A frame, shortened for `SOAK_TRACE=1`.
fn trace_line(f: &Value) -> String {
    let mut s = f.to_string();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// A pause between a person's actions (pacing, not a wait for an event).
async fn pause(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// A user's whole run: create, talk with faults until the end time, then one final
/// message that must be answered.
pub async fn run(ctx: Rc<Ctx>, index: usize, mut rng: Rng) -> SessionLog {
    let mut log = SessionLog {
        index,
        ..SessionLog::default()
    };
    let mut c = Client {
        ctx: ctx.clone(),
        conn: None,
        gen: 0,
        id: String::new(),
        last_seq: 0,
    };
    // Users arrive over the first seconds rather than all in one instant.
    pause(index as u64 * 300).await;
    if !c.create(&mut log).await {
        ctx.created();
        return log;
    }
    ctx.created();
    let weights: Vec<u64> = Fault::ALL.iter().map(|f| f.weight()).collect();
    let mut n = 0;
    while Instant::now() < ctx.end {
        n += 1;
        let mut fault = if ctx.only.is_empty() {
            Fault::ALL[rng.weighted(&weights)]
        } else {
            ctx.only[rng.range(0, ctx.only.len() as u64 - 1) as usize]
        };
        // Memory hogs one at a time (each holds hundreds of MB of a shared machine).
        if fault == Fault::MemoryHog && !ctx.take_hog() {
            fault = Fault::None;
        }
        let sent = c.turn(n, fault, &mut log).await;
        // A fault counts once its message was accepted (the model then met it); the kill
        // and the drop count where they are done.
        match fault {
            Fault::None | Fault::Kill | Fault::Drop => {}
            f if sent.acked => ctx.count("fault", f.name()),
            _ => {}
        }
        if fault == Fault::MemoryHog {
            ctx.hog_done();
        }
        let refused = matches!(sent.outcome, Outcome::Refused(_));
        log.sent.push(sent);
        pause(if refused { 1500 } else { rng.range(300, 2500) }).await;
    }
    // The final message: every session must answer it.
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline {
        n += 1;
        let sent = c.turn(n, Fault::None, &mut log).await;
        let done = matches!(sent.outcome, Outcome::Complete(_));
        log.sent.push(sent);
        if done {
            log.final_answered = true;
            break;
        }
        pause(1000).await;
    }
    if !log.final_answered {
        log.problems
            .push("the final message was not answered".into());
    }
    log
}
