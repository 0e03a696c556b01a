//! A rolling restart — SIGTERM to each replica in turn, waiting for it to drain and exit,
//! then starting it again — while three conversations go on through the balancer. A
//! client does what the web UI does: a message the server did not acknowledge
//! (`message_received`) is sent again, after a reconnect if the connection closed. Every
//! acknowledged message must be in its session's history and have reached the model.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::chat::{create, requests_for, said, user_message};
use crate::harness::{client, Cluster, Options, CLUSTER_WAIT};
use crate::helpers::{call, TEST_KEY};
use crate::ws_client::{try_connect, Next, Ws};

/// Pause before trying again after a refusal or a failed connect (what a person, or the
/// UI's retry, would do; there is no event to wait for on another replica).
const RETRY: Duration = Duration::from_millis(200);

/// One conversation through the balancer that survives its replica going away.
struct Talker {
    lb: SocketAddr,
    id: String,
    ws: Ws,
    /// Frames and reconnects, for the failure message.
    trail: Vec<String>,
}

impl Talker {
    /// Reconnects through the balancer and opens the session again (bounded).
    async fn reopen(&mut self) {
        let deadline = Instant::now() + CLUSTER_WAIT;
        loop {
            assert!(
                Instant::now() < deadline,
                "{}: no replica took the session back within {CLUSTER_WAIT:?}: {:?}",
                self.id,
                self.trail
            );
            let mut ws = match try_connect(self.lb).await {
                Ok(ws) => ws,
                Err(e) => {
                    self.trail.push(format!("connect: {e}"));
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let open = json!({"type": "switch_session", "session_id": self.id, "after_seq": 0});
            if !ws.try_send(open).await {
                continue;
            }
            loop {
                match ws.next().await {
                    Next::Frame(f) if f["type"] == "session_history" => {
                        self.trail.push("reopened".into());
                        self.ws = ws;
                        return;
                    }
                    Next::Frame(f) if f["type"] == "error" => {
                        self.trail.push(format!("open refused: {f}"));
                        tokio::time::sleep(RETRY).await;
                        break;
                    }
                    Next::Frame(_) => {}
                    Next::Closed(code) => {
                        self.trail.push(format!("closed while opening: {code:?}"));
                        break;
                    }
                }
            }
        }
    }

    /// Sends `text` until the server acknowledges it, then reads to the end of its turn (or
    /// of the connection). True once acknowledged; panics if it never is (bounded).
    async fn deliver(&mut self, text: &str, seq: u64) {
        let deadline = Instant::now() + CLUSTER_WAIT;
        'attempt: loop {
            assert!(
                Instant::now() < deadline,
                "{}: {text:?} not accepted within {CLUSTER_WAIT:?}: {:?}",
                self.id,
                self.trail
            );
            if !self.ws.try_send(user_message(&self.id, text, seq)).await {
                self.trail.push("send failed".into());
                self.reopen().await;
                continue;
            }
            // Until the acknowledgement or a refusal.
            loop {
                match self.ws.next().await {
                    Next::Frame(f) if f["type"] == "message_received" && f["seq"] == seq => break,
                    Next::Frame(f) if f["type"] == "error" => {
                        if f["code"] != "session_opened_elsewhere" {
                            self.trail.push(format!("{seq} refused: {}", f["code"]));
                            tokio::time::sleep(RETRY).await;
                            continue 'attempt;
                        }
                    }
                    Next::Frame(f) => self.note(&f),
                    Next::Closed(code) => {
                        self.trail
                            .push(format!("closed before the ack of {seq}: {code:?}"));
                        self.reopen().await;
                        continue 'attempt;
                    }
                }
            }
            // Acknowledged: read to the end of the turn.
            loop {
                match self.ws.next().await {
                    Next::Frame(f) if is_turn_end(&f) => {
                        self.trail.push(format!("{seq}: {}", f["type"]));
                        return;
                    }
                    Next::Frame(f) => self.note(&f),
                    Next::Closed(code) => {
                        self.trail
                            .push(format!("closed in the turn of {seq}: {code:?}"));
                        self.reopen().await;
                        return;
                    }
                }
            }
        }
    }

    fn note(&mut self, f: &Value) {
        let kind = f["type"].as_str().unwrap_or_default();
        if !matches!(kind, "stream_delta" | "session_list") {
            self.trail.push(kind.to_string());
        }
    }
}

fn is_turn_end(f: &Value) -> bool {
    matches!(
        f["type"].as_str(),
        Some("response_complete" | "stream_error" | "stream_interrupted")
    )
}

/// Talks until `stop`: creates a session through the balancer, then sends message after
/// message; `progress` counts the acknowledged ones. Returns the session and their texts.
async fn converse(
    lb: SocketAddr,
    k: usize,
    stop: Rc<Cell<bool>>,
    progress: watch::Sender<usize>,
) -> (String, Vec<String>) {
    let mut ws = try_connect(lb).await.unwrap();
    let id = create(&mut ws).await;
    let mut talker = Talker {
        lb,
        id: id.clone(),
        ws,
        trail: Vec::new(),
    };
    let mut acked = Vec::new();
    let mut seq = 0;
    while !stop.get() {
        seq += 1;
        let text = format!("conversation {k}, message {seq}");
        talker.deliver(&text, seq).await;
        acked.push(text);
        progress.send_replace(acked.len());
    }
    (id, acked)
}

#[actix_web::test]
async fn a_rolling_restart_under_steady_conversations_loses_no_acknowledged_message() {
    let opts = Options::default();
    let Some(mut c) = Cluster::start(opts).await else {
        return;
    };
    let grace = Duration::from_secs(opts.grace_seconds.into());
    let stop = Rc::new(Cell::new(false));
    let mut talkers = Vec::new();
    let mut progress = Vec::new();
    for k in 1..=3 {
        let (tx, rx) = watch::channel(0);
        progress.push(rx);
        talkers.push(actix_web::rt::spawn(converse(
            c.lb.addr,
            k,
            stop.clone(),
            tx,
        )));
    }
    // Each conversation makes `more` acknowledged steps (bounded).
    async fn advance(progress: &mut [watch::Receiver<usize>], more: usize, what: &str) {
        for (k, rx) in progress.iter_mut().enumerate() {
            let target = *rx.borrow() + more;
            let reached = tokio::time::timeout(CLUSTER_WAIT, rx.wait_for(|n| *n >= target)).await;
            assert!(
                matches!(reached, Ok(Ok(_))),
                "conversation {} stalled {what} (or ended: see its panic above)",
                k + 1
            );
        }
    }
    advance(&mut progress, 2, "before the restarts").await;
    for i in 0..c.nodes.len() {
        let status = c.stop(i, grace).await;
        assert!(status.success(), "{} exited with {status}", c.nodes[i].id);
        advance(
            &mut progress,
            1,
            &format!("while {} is down", c.nodes[i].id),
        )
        .await;
        c.restart(i).await;
        advance(
            &mut progress,
            1,
            &format!("after {} restarted", c.nodes[i].id),
        )
        .await;
    }
    stop.set(true);
    let mut conversations = Vec::new();
    for t in talkers {
        conversations.push(t.await.expect("a conversation failed (its panic is above)"));
    }

    for (id, acked) in &conversations {
        let (status, body) = call(
            client()
                .get(format!(
                    "http://{}/api/v1/sessions/{id}/messages",
                    c.lb.addr
                ))
                .insert_header(("X-API-Key", TEST_KEY)),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let users: Vec<String> = said(&body["messages"])
            .into_iter()
            .filter(|(kind, _)| kind == "user")
            .map(|(_, text)| text)
            .collect();
        for text in acked {
            let stored = users.iter().filter(|u| *u == text).count();
            assert!(
                stored >= 1,
                "{id}: acknowledged {text:?} is not in the history {users:?}"
            );
            assert!(
                !requests_for(&c.stub, text).is_empty(),
                "{id}: acknowledged {text:?} never reached the model"
            );
            if stored > 1 {
                eprintln!("{id}: {text:?} is stored {stored} times (sent again after a lost ack)");
            }
        }
        eprintln!("{id}: {} messages acknowledged, all kept", acked.len());
    }
}
