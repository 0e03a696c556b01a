//! A session's writes to the store, applied in order by one task (concurrent blocking
//! writes could land out of order), never blocking the session actor.

use serde_json::Value;
use slog::{warn, Logger};
use tokio::sync::mpsc;

use super::lifecycle::NOT_RESTORED_NOTICE;
use crate::db::{models::now, Db, MessageKind, SessionStatus, TerminationReason};
use crate::protocol::SessionOptions;

enum Op {
    /// A message; the last field is the CLI's uuid of a user message (for forks).
    Message(MessageKind, Value, chrono::NaiveDateTime, Option<String>),
    /// A turn ended: the session's cumulative cost, and this turn's (added to its user's
    /// spend of the day).
    TurnEnded {
        total_cost_usd: f64,
        turn_cost_usd: f64,
    },
    Status(SessionStatus, Option<i32>),
    Terminated(TerminationReason),
    Options(SessionOptions),
    /// The rules "Allow for this session" granted, as they are now.
    Rules(Vec<String>),
    Flush(tokio::sync::oneshot::Sender<()>),
    /// Replica mode: the CLI's transcript file's new bytes go to the store.
    Transcript(std::path::PathBuf),
}

/// The write queue of one session.
#[derive(Clone)]
pub struct SessionStore {
    tx: mpsc::UnboundedSender<Op>,
}

impl SessionStore {
    pub fn new(db: Db, session_id: String, user_id: String, log: Logger) -> SessionStore {
        let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
        tokio::spawn(async move {
            let mut transcript = crate::cluster::transcript::TranscriptSync::default();
            while let Some(op) = rx.recv().await {
                let result = match op {
                    Op::Message(kind, payload, at, cli_uuid) => db
                        .append_message_with(&session_id, kind, &payload, at, cli_uuid)
                        .await
                        .map(|_| ()),
                    Op::TurnEnded {
                        total_cost_usd,
                        turn_cost_usd,
                    } => db
                        .record_turn(&session_id, &user_id, now(), total_cost_usd, turn_cost_usd)
                        .await
                        .map(|_| ()),
                    Op::Status(status, pid) => {
                        db.set_status(&session_id, status, pid).await.map(|_| ())
                    }
                    Op::Terminated(reason) => {
                        db.mark_terminated(&session_id, reason).await.map(|_| ())
                    }
                    Op::Options(o) => db.set_options(&session_id, &o).await.map(|_| ()),
                    Op::Rules(rules) => db.set_session_rules(&session_id, rules).await.map(|_| ()),
                    Op::Transcript(path) => {
                        transcript.save(&db, &session_id, &path).await.map(|_| ())
                    }
                    Op::Flush(done) => {
                        let _ = done.send(());
                        Ok(())
                    }
                };
                if let Err(e) = result {
                    warn!(log, "could not persist a session change"; "error" => %e);
                }
            }
        });
        SessionStore { tx }
    }

    /// Queues a message, stamped now (the order of stamps is the order of events).
    pub fn message(&self, kind: MessageKind, payload: Value) {
        let _ = self.tx.send(Op::Message(kind, payload, now(), None));
    }

    /// Queues a user message sent to the CLI as `cli_uuid` (a fork from it resumes the
    /// CLI's transcript before that entry).
    pub fn user_message(&self, payload: Value, cli_uuid: String) {
        let _ = self.tx.send(Op::Message(
            MessageKind::User,
            payload,
            now(),
            Some(cli_uuid),
        ));
    }

    /// Records that the earlier conversation could not be restored (a fresh one started).
    pub fn not_restored(&self) {
        self.message(
            MessageKind::Notice,
            serde_json::json!({"text": NOT_RESTORED_NOTICE, "kind": "not_restored"}),
        );
    }

    /// A turn ended, having cost `turn_cost_usd` (the session's total is now `total_cost_usd`).
    pub fn turn_ended(&self, total_cost_usd: f64, turn_cost_usd: f64) {
        let _ = self.tx.send(Op::TurnEnded {
            total_cost_usd,
            turn_cost_usd,
        });
    }

    /// Replica mode: stores what the transcript file at `path` has beyond the stored part.
    pub fn transcript(&self, path: std::path::PathBuf) {
        let _ = self.tx.send(Op::Transcript(path));
    }

    pub fn status(&self, status: SessionStatus, pid: Option<i32>) {
        let _ = self.tx.send(Op::Status(status, pid));
    }

    pub fn terminated(&self, reason: TerminationReason) {
        let _ = self.tx.send(Op::Terminated(reason));
    }

    /// Records the session's conversation controls.
    pub fn options(&self, options: SessionOptions) {
        let _ = self.tx.send(Op::Options(options));
    }

    /// Records the permission rules the session has granted (after a grant or a revoke).
    pub fn rules(&self, rules: Vec<String>) {
        let _ = self.tx.send(Op::Rules(rules));
    }

    /// Resolves once every write queued before it is applied.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.tx.send(Op::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}
