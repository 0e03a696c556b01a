//! One long-lived CLI process: a writer queue for stdin, a reader of stdout that matches
//! control responses and emits [`CliEvent`]s, a stderr drain, a waiter that reaps it, and
//! the stop sequence (docs/claude-cli-protocol.md §12; the ladder is
//! [`crate::process::ProcessTree`]'s).
//!
//! [`ClaudeProcess`] is a cheap handle (clone it into futures). When the last handle is
//! dropped without [`ClaudeProcess::stop`], the whole process group is killed.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{json, Value};
use slog::{debug, o, warn, Logger};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::{mpsc, oneshot, watch};

use super::events::{permission_request, CliEvent, ExitInfo, Translator};
use super::frames::{parse_line, Frame, FrameError};
use super::lines::{Line, LineReader};
use super::spawn::{self, SpawnOptions};
use crate::process as os;

/// Events buffered between the reader and its consumer. When full, the reader waits (and
/// the CLI with it): nothing is ever dropped.
const EVENT_QUEUE: usize = 1024;
/// stdin lines queued for the writer.
const WRITE_QUEUE: usize = 256;
/// stderr lines kept for error reports.
const STDERR_LINES: usize = 40;
const STDERR_LINE_MAX: usize = 2000;

pub const INITIALIZE_TIMEOUT: Duration = Duration::from_secs(60);
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(15);
/// After the process exited, how long stdout may stay silent before the reader stops
/// (orphaned tool processes can hold the pipe open).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// What can go wrong talking to a CLI process. The messages are for logs; clients get a
/// translated error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaudeError {
    #[error("cannot start the Claude CLI ({path}): {message}")]
    Spawn { path: String, message: String },
    /// The process ended; `message` is the CLI's own reason where it gave one.
    #[error("the Claude CLI exited: {message}")]
    Exited { message: String },
    #[error("the Claude CLI did not answer {what} within {after:?}")]
    Timeout { what: String, after: Duration },
    /// The CLI answered a control request with an error.
    #[error("the Claude CLI refused {what}: {message}")]
    Rejected { what: String, message: String },
    #[error("no pending permission request {request_id}")]
    NotPending { request_id: String },
    #[error("the Claude CLI's input is closed (the process is stopping)")]
    Closed,
}

/// How a process came to an end, as observed by the waiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatusInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// What `initialize` returned.
#[derive(Debug, Clone)]
pub struct InitInfo {
    /// The CLI's own pid, as it reports it.
    pub cli_pid: Option<u64>,
    pub version: Option<String>,
    /// Slash commands and skills the CLI offers.
    pub commands: Vec<String>,
    /// From spawn to the initialize answer.
    pub ready_in: Duration,
    pub raw: Value,
}

/// The answer to a `can_use_tool` request.
#[derive(Debug, Clone, PartialEq)]
pub enum PermissionDecision {
    Allow,
    Deny { message: String },
}

pub use crate::process::StopMethod;

#[derive(Debug, Clone)]
pub struct StopReport {
    pub method: StopMethod,
    pub exit: Option<ExitStatusInfo>,
    pub elapsed: Duration,
    /// Descendant processes (tool children) that were signalled.
    pub descendants_killed: usize,
}

enum WriterMsg {
    Line(String),
    Close,
}

/// Control requests in flight, and whether the process can still answer any.
#[derive(Default)]
struct Pending {
    requests: HashMap<String, oneshot::Sender<Result<Value, ClaudeError>>>,
    /// Set once stdout ended: the reason every later request fails with.
    closed: Option<String>,
}

/// State shared by the handle and the background tasks.
struct Shared {
    pending: Mutex<Pending>,
    /// Open `can_use_tool` requests → the tool input (an allow must send it back).
    permissions: Mutex<HashMap<String, Value>>,
    stderr: Mutex<VecDeque<String>>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn stderr_tail(&self) -> Vec<String> {
        lock(&self.stderr).iter().cloned().collect()
    }
}

struct Handle {
    pid: i32,
    session_id: String,
    spawned_at: Instant,
    writer: mpsc::Sender<WriterMsg>,
    shared: Arc<Shared>,
    exit: watch::Receiver<Option<ExitStatusInfo>>,
    next_id: AtomicU64,
    log: Logger,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.exit.borrow().is_none() {
            warn!(
                self.log,
                "CLI handle dropped while the process runs; killing its group"
            );
            os::signal_group(self.pid, Signal::SIGKILL);
        }
    }
}

/// A running Claude Code CLI process.
#[derive(Clone)]
pub struct ClaudeProcess {
    inner: Arc<Handle>,
}

/// A process that answered `initialize`, with its event stream.
pub struct Started {
    pub process: ClaudeProcess,
    pub events: mpsc::Receiver<CliEvent>,
    pub init: InitInfo,
}

impl ClaudeProcess {
    /// Spawns the CLI (not yet initialized) and starts its reader, writer, stderr drain and
    /// waiter. The receiver yields every event until [`CliEvent::Exited`].
    pub async fn spawn(
        opts: SpawnOptions,
    ) -> Result<(ClaudeProcess, mpsc::Receiver<CliEvent>), ClaudeError> {
        let cli_path = opts.cli_path.display().to_string();
        let spawn_error = |e: std::io::Error| ClaudeError::Spawn {
            path: cli_path.clone(),
            message: e.to_string(),
        };
        let mut child = spawn::spawn(opts.command()).await.map_err(spawn_error)?;
        let pid = child
            .id()
            .map(|p| p as i32)
            .ok_or_else(|| spawn_error(std::io::Error::other("no pid")))?;
        let missing = || spawn_error(std::io::Error::other("stdio pipe missing"));
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stderr = child.stderr.take().ok_or_else(missing)?;

        let session_id = opts.session.session_id().to_string();
        let log = opts
            .log
            .new(o!("session_id" => session_id.clone(), "cli_pid" => pid));
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            permissions: Mutex::new(HashMap::new()),
            stderr: Mutex::new(VecDeque::with_capacity(STDERR_LINES)),
        });
        let (exit_tx, exit_rx) = watch::channel(None);
        let (write_tx, write_rx) = mpsc::channel(WRITE_QUEUE);
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);

        tokio::spawn(async move {
            let status = child.wait().await.ok();
            os::forget_cli(pid);
            let info = status.map(|s| {
                use std::os::unix::process::ExitStatusExt;
                ExitStatusInfo {
                    code: s.code(),
                    signal: s.signal(),
                }
            });
            let _ = exit_tx.send(Some(info.unwrap_or(ExitStatusInfo {
                code: None,
                signal: None,
            })));
        });
        tokio::spawn(write_stdin(stdin, write_rx, log.clone()));
        let stderr_task = tokio::spawn(drain_stderr(stderr, shared.clone(), log.clone()));
        tokio::spawn(
            Reader {
                shared: shared.clone(),
                writer: write_tx.clone(),
                events: event_tx,
                exit: exit_rx.clone(),
                translator: Translator::new(),
                last_error: None,
                log: log.clone(),
            }
            .run(stdout, opts.max_line_bytes, stderr_task),
        );
        debug!(log, "CLI spawned"; "args" => ?opts.args());

        let process = ClaudeProcess {
            inner: Arc::new(Handle {
                pid,
                session_id,
                spawned_at: Instant::now(),
                writer: write_tx,
                shared,
                exit: exit_rx,
                next_id: AtomicU64::new(1),
                log,
            }),
        };
        Ok((process, event_rx))
    }

    /// Spawns and initializes; returns only once the CLI answered `initialize`. On failure
    /// the process is stopped and the error carries the CLI's own reason.
    pub async fn start(opts: SpawnOptions) -> Result<Started, ClaudeError> {
        let (process, events) = ClaudeProcess::spawn(opts).await?;
        match process.initialize().await {
            Ok(init) => {
                slog::info!(process.inner.log, "CLI ready";
                    "ready_ms" => init.ready_in.as_millis() as u64,
                    "version" => init.version.clone());
                Ok(Started {
                    process,
                    events,
                    init,
                })
            }
            Err(e) => {
                process.stop().await;
                Err(e)
            }
        }
    }

    /// Sends `initialize` and waits for the answer.
    pub async fn initialize(&self) -> Result<InitInfo, ClaudeError> {
        let raw = self
            .request(
                "initialize",
                json!({"subtype": "initialize", "hooks": null}),
                INITIALIZE_TIMEOUT,
            )
            .await?;
        Ok(InitInfo {
            cli_pid: raw.get("pid").and_then(Value::as_u64),
            version: raw
                .get("claude_code_version")
                .and_then(Value::as_str)
                .map(str::to_string),
            commands: raw
                .get("commands")
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .filter_map(|x| x.get("name").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            ready_in: self.inner.spawned_at.elapsed(),
            raw,
        })
    }

    pub fn pid(&self) -> i32 {
        self.inner.pid
    }

    pub fn session_id(&self) -> &str {
        &self.inner.session_id
    }

    /// How the process ended, once it has.
    pub fn exit_status(&self) -> Option<ExitStatusInfo> {
        *self.inner.exit.borrow()
    }

    /// The last lines the CLI wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.inner.shared.stderr_tail()
    }

    /// Sends a user message; the turn's events follow on the event stream. Returns the
    /// message uuid (results carry it as `user_message_uuid`).
    pub async fn send_user_message(&self, text: &str) -> Result<String, ClaudeError> {
        let uuid = uuid::Uuid::new_v4().to_string();
        self.write(json!({
            "type": "user",
            "message": {"role": "user", "content": text},
            "parent_tool_use_id": null,
            "session_id": "default",
            "uuid": uuid,
        }))
        .await?;
        Ok(uuid)
    }

    /// Interrupts the running turn (while streaming, during a tool, or while a permission
    /// is pending). The turn then ends with an aborted result; the process stays usable.
    pub async fn interrupt(&self) -> Result<(), ClaudeError> {
        self.request(
            "interrupt",
            json!({"subtype": "interrupt"}),
            CONTROL_TIMEOUT,
        )
        .await
        .map(|_| ())
    }

    pub async fn set_permission_mode(&self, mode: &str) -> Result<(), ClaudeError> {
        self.request(
            "set_permission_mode",
            json!({"subtype": "set_permission_mode", "mode": mode}),
            CONTROL_TIMEOUT,
        )
        .await
        .map(|_| ())
    }

    /// Answers a pending `can_use_tool` request. Fails with `NotPending` when the request is
    /// unknown, already answered, or withdrawn by the CLI (it must not be answered then).
    pub async fn answer_permission(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<(), ClaudeError> {
        let input = lock(&self.inner.shared.permissions)
            .remove(request_id)
            .ok_or_else(|| ClaudeError::NotPending {
                request_id: request_id.to_string(),
            })?;
        let response = match decision {
            PermissionDecision::Allow => json!({"behavior": "allow", "updatedInput": input}),
            PermissionDecision::Deny { message } => {
                json!({"behavior": "deny", "message": message})
            }
        };
        self.write(json!({
            "type": "control_response",
            "response": {"subtype": "success", "request_id": request_id, "response": response},
        }))
        .await
    }

    async fn write(&self, value: Value) -> Result<(), ClaudeError> {
        // serde_json escapes every newline inside strings: one value is one line.
        let line = value.to_string();
        self.inner
            .writer
            .send(WriterMsg::Line(line))
            .await
            .map_err(|_| ClaudeError::Closed)
    }

    async fn request(
        &self,
        what: &str,
        body: Value,
        timeout: Duration,
    ) -> Result<Value, ClaudeError> {
        let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!(
            "req_{n}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = lock(&self.inner.shared.pending);
            if let Some(reason) = &pending.closed {
                return Err(ClaudeError::Exited {
                    message: reason.clone(),
                });
            }
            pending.requests.insert(id.clone(), tx);
        }
        let sent = self
            .write(json!({"type": "control_request", "request_id": id, "request": body}))
            .await;
        if let Err(e) = sent {
            lock(&self.inner.shared.pending).requests.remove(&id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(ClaudeError::Rejected { message, .. }))) => Err(ClaudeError::Rejected {
                what: what.to_string(),
                message,
            }),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(ClaudeError::Exited {
                message: lock(&self.inner.shared.pending)
                    .closed
                    .clone()
                    .unwrap_or_else(|| "the process ended".to_string()),
            }),
            Err(_) => {
                lock(&self.inner.shared.pending).requests.remove(&id);
                Err(ClaudeError::Timeout {
                    what: what.to_string(),
                    after: timeout,
                })
            }
        }
    }

    /// Stops the process and everything it started with [`os::Ladder::CLI`]: close stdin →
    /// 2 s → SIGTERM+SIGCONT to the group → 5 s → SIGKILL to the group and to the groups of
    /// every descendant seen on the way → reap. No process of the tree survives.
    pub async fn stop(&self) -> StopReport {
        let writer = self.inner.writer.clone();
        let close = async move {
            let _ = writer.send(WriterMsg::Close).await;
        };
        let mut tree = os::ProcessTree::group_leader(self.inner.pid);
        let stopped = tree
            .stop(
                os::Ladder::CLI,
                &mut os::Exit::Watched(self.inner.exit.clone()),
                Some(close),
            )
            .await;
        match stopped.method {
            StopMethod::Killed => {
                warn!(self.inner.log, "CLI ignored SIGTERM; killed its process tree";
                "descendants" => stopped.descendants_killed)
            }
            method => debug!(self.inner.log, "CLI stopped"; "method" => ?method),
        }
        StopReport {
            method: stopped.method,
            exit: self.exit_status(),
            elapsed: stopped.elapsed,
            descendants_killed: stopped.descendants_killed,
        }
    }
}

async fn write_stdin(mut stdin: ChildStdin, mut rx: mpsc::Receiver<WriterMsg>, log: Logger) {
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

async fn drain_stderr(stderr: ChildStderr, shared: Arc<Shared>, log: Logger) {
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

struct Reader {
    shared: Arc<Shared>,
    writer: mpsc::Sender<WriterMsg>,
    events: mpsc::Sender<CliEvent>,
    exit: watch::Receiver<Option<ExitStatusInfo>>,
    translator: Translator,
    /// The error text of the last failed `result` (e.g. a bad `--resume`).
    last_error: Option<String>,
    log: Logger,
}

impl Reader {
    async fn run(
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
                Ok(frame) => self.handle(frame, &mut batch),
                Err(FrameError::NotJson) => {
                    debug!(self.log, "skipped a non-JSON stdout line");
                    continue;
                }
                Err(e) => {
                    warn!(self.log, "skipped a bad stdout line"; "error" => %e);
                    continue;
                }
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
