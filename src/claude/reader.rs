//! The background tasks of a CLI process: the stdin writer, the stderr drain, and the
//! stdout reader that answers control responses and emits [`CliEvent`]s.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use slog::{debug, warn, Logger};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::{mpsc, watch};

use super::events::{permission_request, CliEvent, ExitInfo, Translator};
use super::frames::{parse_line, Frame, FrameError};
use super::lines::{Line, LineReader};
use super::process::{lock, ClaudeError, ExitStatusInfo, Shared, WriterMsg};

/// stderr lines kept for error reports.
pub(super) const STDERR_LINES: usize = 40;
const STDERR_LINE_MAX: usize = 2000;
/// After the process exited, how long stdout may stay silent before the reader stops
/// (orphaned tool processes can hold the pipe open).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

pub(super) async fn write_stdin(
    mut stdin: ChildStdin,
    mut rx: mpsc::Receiver<WriterMsg>,
    log: Logger,
) {
    while let Some(msg) = rx.recv().await {
        match msg {
            WriterMsg::Line(mut line) => {
                line.push('\n');
                if let Err(e) = stdin.write_all(line.as_bytes()).await {
                    debug!(log, "CLI stdin closed"; "error" => %e);
                    break;
                }
                if stdin.flush().await.is_err() {
                    break;
                }
            }
            WriterMsg::Close => break,
        }
    }
    // Dropping stdin closes it: the CLI finishes its turn and exits.
    drop(stdin);
    rx.close();
}

pub(super) async fn drain_stderr(stderr: ChildStderr, shared: Arc<Shared>, log: Logger) {
    let mut lines = LineReader::new(BufReader::new(stderr), 64 * 1024);
    while let Ok(Some(line)) = lines.next_line().await {
        let Line::Complete(bytes) = line else {
            continue;
        };
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if text.trim().is_empty() {
            continue;
        }
        if text.len() > STDERR_LINE_MAX {
            let mut cut = STDERR_LINE_MAX;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        debug!(log, "CLI stderr"; "line" => &text);
        let mut ring = lock(&shared.stderr);
        if ring.len() == STDERR_LINES {
            ring.pop_front();
        }
        ring.push_back(text);
    }
}

pub(super) struct Reader {
    pub(super) shared: Arc<Shared>,
    pub(super) writer: mpsc::Sender<WriterMsg>,
    pub(super) events: mpsc::Sender<CliEvent>,
    pub(super) exit: watch::Receiver<Option<ExitStatusInfo>>,
    pub(super) translator: Translator,
    /// The error text of the last failed `result` (e.g. a bad `--resume`).
    pub(super) last_error: Option<String>,
    pub(super) log: Logger,
}

impl Reader {
    pub(super) async fn run(
        mut self,
        stdout: ChildStdout,
        max_line: usize,
        stderr_task: tokio::task::JoinHandle<()>,
    ) {
        let mut lines = LineReader::new(BufReader::new(stdout), max_line);
        let mut exited = false;
        let mut batch = Vec::new();
        loop {
            let next = if exited {
                match tokio::time::timeout(DRAIN_AFTER_EXIT, lines.next_line()).await {
                    Ok(r) => r,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    biased;
                    r = lines.next_line() => r,
                    _ = self.exit.wait_for(Option::is_some) => {
                        exited = true;
                        continue;
                    }
                }
            };
            let line = match next {
                Ok(Some(Line::Complete(bytes))) => bytes,
                Ok(Some(Line::Oversized(n))) => {
                    warn!(self.log, "skipped an oversized stdout line"; "bytes" => n);
                    continue;
                }
                Ok(None) => break,
                Err(e) => {
                    warn!(self.log, "reading CLI stdout failed"; "error" => %e);
                    break;
                }
            };
            match parse_line(&line) {
                Ok(frame) => {
                    if frame.shows_progress() {
                        *lock(&self.shared.last_progress) = std::time::Instant::now();
                    }
                    self.handle(frame, &mut batch)
                }
                Err(FrameError::NotJson) => {
                    debug!(self.log, "skipped a non-JSON stdout line");
                    continue;
                }
                Err(e) => {
                    warn!(self.log, "skipped a bad stdout line"; "error" => %e);
                    continue;
                }
            }
            if batch.iter().any(CliEvent::is_reply) {
                self.shared
                    .replied
                    .send_if_modified(|r| !std::mem::replace(r, true));
            }
            for event in batch.drain(..) {
                // A consumer that went away must not block the CLI: keep reading.
                let _ = self.events.send(event).await;
            }
        }
        self.finish(stderr_task).await;
    }

    fn handle(&mut self, frame: Frame, out: &mut Vec<CliEvent>) {
        match frame {
            Frame::ControlResponse {
                request_id,
                outcome,
            } => {
                let waiter = lock(&self.shared.pending).requests.remove(&request_id);
                if let Some(waiter) = waiter {
                    let _ = waiter.send(outcome.map_err(|message| ClaudeError::Rejected {
                        what: String::new(),
                        message,
                    }));
                }
            }
            Frame::ControlRequest {
                request_id,
                subtype,
                request,
            } => {
                if subtype == "can_use_tool" {
                    let req = permission_request(&request_id, &request);
                    lock(&self.shared.permissions).insert(request_id, req.input.clone());
                    out.push(CliEvent::PermissionRequest(req));
                } else {
                    // Hooks and in-process MCP servers are not registered by this host.
                    let reply = json!({
                        "type": "control_response",
                        "response": {
                            "subtype": "error",
                            "request_id": request_id,
                            "error": format!("Unsupported control request subtype: {subtype}"),
                        },
                    });
                    let _ = self.writer.try_send(WriterMsg::Line(reply.to_string()));
                }
            }
            Frame::ControlCancel { request_id } => {
                if lock(&self.shared.permissions).remove(&request_id).is_some() {
                    out.push(CliEvent::PermissionCancelled { request_id });
                }
            }
            Frame::Result(raw) => {
                if raw.get("is_error").and_then(Value::as_bool) == Some(true) {
                    let errors: Vec<&str> = raw
                        .get("errors")
                        .and_then(Value::as_array)
                        .map(|e| e.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    self.last_error = if errors.is_empty() {
                        raw.get("result")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    } else {
                        Some(errors.join("; "))
                    };
                } else {
                    self.last_error = None;
                }
                self.translator.translate(Frame::Result(raw), out);
            }
            other => self.translator.translate(other, out),
        }
    }

    /// stdout ended: fail what is pending with the CLI's reason, wait for the exit status,
    /// and emit `Exited` last.
    async fn finish(mut self, stderr_task: tokio::task::JoinHandle<()>) {
        let exit = match self.exit.wait_for(Option::is_some).await {
            Ok(v) => v.unwrap_or(ExitStatusInfo {
                code: None,
                signal: None,
            }),
            Err(_) => ExitStatusInfo {
                code: None,
                signal: None,
            },
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), stderr_task).await;
        let stderr_tail = self.shared.stderr_tail();
        let reason = self
            .last_error
            .clone()
            .or_else(|| {
                stderr_tail
                    .iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .cloned()
            })
            .unwrap_or_else(|| match (exit.code, exit.signal) {
                (_, Some(sig)) => format!("killed by signal {sig}"),
                (Some(code), _) => format!("exit code {code}"),
                _ => "exited".to_string(),
            });
        let waiters: Vec<_> = {
            let mut pending = lock(&self.shared.pending);
            pending.closed = Some(reason.clone());
            pending.requests.drain().map(|(_, w)| w).collect()
        };
        for w in waiters {
            let _ = w.send(Err(ClaudeError::Exited {
                message: reason.clone(),
            }));
        }
        lock(&self.shared.permissions).clear();
        debug!(self.log, "CLI exited"; "code" => exit.code, "signal" => exit.signal);
        let _ = self
            .events
            .send(CliEvent::Exited(ExitInfo {
                code: exit.code,
                signal: exit.signal,
                stderr_tail,
            }))
            .await;
    }
}
