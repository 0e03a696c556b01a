//! The invariants checked at the end, each with how many things it looked at and what it
//! found wrong.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::session::{Outcome, SessionLog};

#[derive(Debug)]
pub struct Invariant {
    pub name: &'static str,
    pub checked: u64,
    pub violations: Vec<String>,
}

impl Invariant {
    pub fn new(name: &'static str) -> Invariant {
        Invariant {
            name,
            checked: 0,
            violations: Vec::new(),
        }
    }

    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.violations.push(what());
        }
    }
}

fn text(m: &Value) -> &str {
    m["payload"]["text"].as_str().unwrap_or_default()
}

/// The assistant text stored after the user message at `at`, up to the next user message.
fn reply_after(messages: &[Value], at: usize) -> String {
    messages[at + 1..]
        .iter()
        .take_while(|m| m["kind"] != "user")
        .filter(|m| m["kind"] == "assistant")
        .map(text)
        .collect()
}

/// Every acknowledged message stored exactly once (and none twice); every completed reply
/// stored whole and equal to what its client assembled.
pub fn histories(
    logs: &[SessionLog],
    stored: &BTreeMap<String, Vec<Value>>,
) -> (Invariant, Invariant) {
    let mut once = Invariant::new("every acknowledged user message is in its history exactly once");
    let mut whole =
        Invariant::new("every completed reply is stored whole and equals what its client saw");
    for log in logs {
        let Some(id) = &log.id else { continue };
        let messages = stored.get(id).map(Vec::as_slice).unwrap_or_default();
        for sent in &log.sent {
            let at: Vec<usize> = messages
                .iter()
                .enumerate()
                .filter(|(_, m)| m["kind"] == "user" && text(m) == sent.text)
                .map(|(i, _)| i)
                .collect();
            if sent.acked {
                once.check(at.len() == 1, || {
                    format!("{id}: {:?} stored {} times", sent.text, at.len())
                });
            } else if at.len() > 1 {
                once.check(false, || {
                    format!(
                        "{id}: unacknowledged {:?} stored {} times",
                        sent.text,
                        at.len()
                    )
                });
            }
            if let (Outcome::Complete(seen), Some(&i)) = (&sent.outcome, at.first()) {
                let kept = reply_after(messages, i);
                whole.check(&kept == seen, || {
                    format!(
                        "{id}: {:?} ({}): client saw {seen:?}, stored {kept:?}",
                        sent.text,
                        sent.fault.name()
                    )
                });
            } else if let Outcome::Complete(_) = sent.outcome {
                whole.check(false, || {
                    format!("{id}: {:?} completed but not stored", sent.text)
                });
            }
        }
    }
    (once, whole)
}

/// `PRAGMA integrity_check` on the database file.
pub fn integrity(db: &std::path::Path) -> Result<String, String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut c = diesel::sqlite::SqliteConnection::establish(&db.to_string_lossy())
        .map_err(|e| e.to_string())?;
    let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut c)
        .map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .map(|r| r.integrity_check)
        .collect::<Vec<_>>()
        .join("; "))
}

/// One sample of the server process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since this server process started.
    pub age: f64,
    pub fds: usize,
    pub rss_mib: f64,
    pub clis: usize,
}

/// File descriptors per live CLI in the server (stdin, stdout and stderr pipes, a pidfd
/// and slack): the fd bound moves with the number of live CLIs, which the budget keeps
/// changing.
pub const FDS_PER_CLI: usize = 5;
/// Slack on top, for sockets that come and go (clients reconnecting, REST calls, the
/// model's keep-alive connections are the CLIs' own).
pub const FD_SLACK: usize = 24;
/// RSS may grow by this share of its warm-up peak plus [`RSS_SLACK_MIB`] by the end.
pub const RSS_GROWTH: f64 = 0.25;
pub const RSS_SLACK_MIB: f64 = 32.0;

/// Flatness of fds and RSS after warm-up: the first third of the server's samples is the
/// warm-up, the middle third the reference, and each sample of the last third is held to
/// the reference's peak.
pub fn flat(samples: &[Sample]) -> (Invariant, Invariant, String) {
    let mut fds = Invariant::new("server file descriptors flat after warm-up");
    let mut rss = Invariant::new("server RSS flat after warm-up");
    if samples.len() < 6 {
        fds.check(false, || format!("only {} samples", samples.len()));
        rss.check(false, || format!("only {} samples", samples.len()));
        return (fds, rss, String::new());
    }
    let third = samples.len() / 3;
    let (warm, last) = (
        &samples[third..2 * third],
        &samples[samples.len() - third..],
    );
    let adj = |s: &Sample| s.fds.saturating_sub(FDS_PER_CLI * s.clis);
    let warm_fd = warm.iter().map(adj).max().unwrap_or(0);
    let warm_rss = warm.iter().map(|s| s.rss_mib).fold(0.0, f64::max);
    for s in last {
        fds.check(adj(s) <= warm_fd + FD_SLACK, || {
            format!(
                "at {:.0} s: {} fds with {} CLIs (warm-up peak {} beyond {} per CLI)",
                s.age, s.fds, s.clis, warm_fd, FDS_PER_CLI
            )
        });
        let bound = warm_rss * (1.0 + RSS_GROWTH) + RSS_SLACK_MIB;
        rss.check(s.rss_mib <= bound, || {
            format!("at {:.0} s: {:.0} MiB > {bound:.0} MiB", s.age, s.rss_mib)
        });
    }
    let peak = |xs: &[Sample]| {
        (
            xs.iter().map(|s| s.fds).max().unwrap_or(0),
            xs.iter().map(|s| s.rss_mib).fold(0.0, f64::max),
        )
    };
    let (wf, wr) = peak(warm);
    let (lf, lr) = peak(last);
    let summary = format!(
        "warm-up window peak {wf} fds / {wr:.0} MiB, last window peak {lf} fds / {lr:.0} MiB"
    );
    (fds, rss, summary)
}
