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
use tokio::sync::{mpsc, oneshot, watch};

use super::events::{CliEvent, Translator};
use super::reader::{drain_stderr, write_stdin, Reader, STDERR_LINES};
use super::spawn::{self, SpawnOptions};
use crate::process as os;

/// Events buffered between the reader and its consumer. When full, the reader waits (and
/// the CLI with it): nothing is ever dropped.
const EVENT_QUEUE: usize = 1024;
/// stdin lines queued for the writer.
const WRITE_QUEUE: usize = 256;

pub const INITIALIZE_TIMEOUT: Duration = Duration::from_secs(60);
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(15);
/// `get_context_usage` with `full` detail makes ~27 `count_tokens` calls.
pub const WARM_UP_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Allow, and continue in permission mode `mode` (the answer to an approved plan,
    /// `ExitPlanMode`: `updatedPermissions: [setMode]`, cli-research §5).
    AllowAndSetMode {
        mode: String,
    },
    /// Allow, and add these permission updates (`updatedPermissions`: rules with
    /// destination `session`, so the CLI does not ask again for the same thing; with a
    /// `setMode` among them when a plan is approved with "Allow for this session").
    AllowRemembering {
        updated_permissions: Vec<Value>,
    },
    Deny {
        message: String,
    },
}

/// The `updatedPermissions` entry that switches the session to permission mode `mode`.
pub fn set_mode(mode: &str) -> Value {
    json!({"type": "setMode", "mode": mode, "destination": "session"})
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

pub(super) enum WriterMsg {
    Line(String),
    Close,
}

/// Control requests in flight, and whether the process can still answer any.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) requests: HashMap<String, oneshot::Sender<Result<Value, ClaudeError>>>,
    /// Set once stdout ended: the reason every later request fails with.
    pub(super) closed: Option<String>,
}

/// State shared by the handle and the background tasks.
pub(super) struct Shared {
    pub(super) pending: Mutex<Pending>,
    /// Open `can_use_tool` requests → the tool input (an allow must send it back).
    pub(super) permissions: Mutex<HashMap<String, Value>>,
    pub(super) stderr: Mutex<VecDeque<String>>,
    /// When the CLI last wrote a frame that shows progress ([`super::frames::Frame::shows_progress`]).
    pub(super) last_progress: Mutex<Instant>,
    /// Set once the model's reply reached the CLI's output for the first time (its first
    /// streamed text or content block, or a turn result): the first turn's CPU-heavy part
    /// is over. [`ClaudeProcess::first_reply`] waits for it.
    pub(super) replied: watch::Sender<bool>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub(super) fn stderr_tail(&self) -> Vec<String> {
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
        let mcp_file = match &opts.mcp_config {
            Some(json) => {
                Some(spawn::McpConfigFile::write(&opts.mcp_dir(), json).map_err(spawn_error)?)
            }
            None => None,
        };
        let mcp_path = mcp_file.as_ref().map(|f| f.path().to_path_buf());
        let mut child = spawn::spawn(opts.command(mcp_path.as_deref()))
            .await
            .map_err(spawn_error)?;
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
            last_progress: Mutex::new(Instant::now()),
            replied: watch::channel(false).0,
        });
        let (exit_tx, exit_rx) = watch::channel(None);
        let (write_tx, write_rx) = mpsc::channel(WRITE_QUEUE);
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);

        tokio::spawn(async move {
            let status = child.wait().await.ok();
            // The MCP configuration's file lives exactly as long as the process.
            drop(mcp_file);
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
        debug!(log, "CLI spawned"; "args" => ?opts.args(mcp_path.as_deref()));

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
        ClaudeProcess::start_unless(opts, std::future::pending()).await
    }

    /// As [`ClaudeProcess::start`], given up if `cancel` resolves before the CLI has
    /// answered `initialize` (which takes seconds on a loaded machine): the process is then
    /// stopped, and the answer is [`ClaudeError::Closed`].
    pub async fn start_unless(
        opts: SpawnOptions,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Started, ClaudeError> {
        let (process, events) = ClaudeProcess::spawn(opts).await?;
        let initialized = tokio::select! {
            answer = process.initialize() => answer,
            () = cancel => {
                process.stop().await;
                return Err(ClaudeError::Closed);
            }
        };
        match initialized {
            Ok(init) => {
                crate::metrics::metrics()
                    .spawn_ready
                    .observe(init.ready_in.as_secs_f64());
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

    /// When the CLI last showed progress: wrote any frame but a keep-alive `ping` or the
    /// answer to one of our control requests.
    pub fn last_progress(&self) -> Instant {
        *lock(&self.inner.shared.last_progress)
    }

    /// Resolves once the first reply of this process's first turn reached its output
    /// (see [`Shared::replied`]), or when the process ended.
    pub async fn first_reply(&self) {
        let mut replied = self.inner.shared.replied.subscribe();
        let mut exit = self.inner.exit.clone();
        tokio::select! {
            _ = replied.wait_for(|r| *r) => {}
            _ = exit.wait_for(Option::is_some) => {}
        }
    }

    /// Runs, while the process waits in the pool, the one-time work its first turn would
    /// otherwise do: `get_context_usage` renders the system prompt and the tool schemas,
    /// fills the caches the first model request reuses and opens the HTTP client
    /// (docs/architecture.md, "Pre-warming"). No frame but its answer, nothing in the
    /// transcript; `full` asks the model API's `count_tokens` (free), `summary` estimates
    /// locally.
    pub async fn warm_up(&self, detail: &str) -> Result<(), ClaudeError> {
        self.request(
            "get_context_usage",
            json!({"subtype": "get_context_usage", "detail": detail}),
            WARM_UP_TIMEOUT,
        )
        .await
        .map(|_| ())
    }

    /// The last lines the CLI wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.inner.shared.stderr_tail()
    }

    /// Sends a user message; the turn's events follow on the event stream. Returns the
    /// message uuid (results carry it as `user_message_uuid`).
    pub async fn send_user_message(&self, text: &str) -> Result<String, ClaudeError> {
        self.send_user_content(text, &[]).await
    }

    /// As [`Self::send_user_message`], with attachments: the content is then an array of a
    /// text block (when there is text), then per attachment in order a base64 `image` block or,
    /// for a text file, a `document` block with a text source titled with the file's name
    /// (the CLI forwards both as given; the title keeps the name apart from the contents).
    pub async fn send_user_content(
        &self,
        text: &str,
        attachments: &[crate::protocol::Attachment],
    ) -> Result<String, ClaudeError> {
        let uuid = uuid::Uuid::new_v4().to_string();
        self.send_user_content_as(text, attachments, &uuid).await?;
        Ok(uuid)
    }

    /// As [`ClaudeProcess::send_user_message`] with the uuid chosen by the caller (the CLI
    /// keeps it as the transcript entry's `uuid`; the server stores it for forks).
    pub async fn send_user_message_as(&self, text: &str, uuid: &str) -> Result<(), ClaudeError> {
        self.send_user_content_as(text, &[], uuid).await
    }

    /// As [`Self::send_user_content`] with the uuid chosen by the caller.
    pub async fn send_user_content_as(
        &self,
        text: &str,
        attachments: &[crate::protocol::Attachment],
        uuid: &str,
    ) -> Result<(), ClaudeError> {
        use crate::protocol::Attachment;
        let content = if attachments.is_empty() {
            json!(text)
        } else {
            let mut blocks = Vec::with_capacity(attachments.len() + 1);
            if !text.is_empty() {
                blocks.push(json!({"type": "text", "text": text}));
            }
            for a in attachments {
                blocks.push(match a {
                    Attachment::Image {
                        media_type,
                        data_base64,
                        ..
                    } => json!({"type": "image", "source": {
                        "type": "base64", "media_type": media_type, "data": data_base64,
                    }}),
                    Attachment::Text { name, text } => json!({"type": "document", "source": {
                        "type": "text", "media_type": "text/plain", "data": text,
                    }, "title": name}),
                });
            }
            serde_json::Value::Array(blocks)
        };
        self.write(json!({
            "type": "user",
            "message": {"role": "user", "content": content},
            "parent_tool_use_id": null,
            "session_id": "default",
            "uuid": uuid,
        }))
        .await
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

    /// Switches the model (`set_model`; an alias is instant, a full id costs the CLI one
    /// probe request). Returns the model the CLI resolved it to.
    pub async fn set_model(&self, model: &str) -> Result<Option<String>, ClaudeError> {
        self.request(
            "set_model",
            json!({"subtype": "set_model", "model": model}),
            CONTROL_TIMEOUT,
        )
        .await
        .map(|v| v.get("model").and_then(Value::as_str).map(str::to_string))
    }

    /// Sets the effort level live (`apply_flag_settings {effortLevel}`; None: the CLI's
    /// default). The CLI ignores an unknown level silently, so callers validate it.
    pub async fn set_effort(&self, effort: Option<&str>) -> Result<(), ClaudeError> {
        self.request(
            "apply_flag_settings",
            json!({"subtype": "apply_flag_settings", "settings": {"effortLevel": effort}}),
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
            PermissionDecision::AllowAndSetMode { mode } => json!({
                "behavior": "allow",
                "updatedInput": input,
                "updatedPermissions": [set_mode(&mode)],
            }),
            PermissionDecision::AllowRemembering {
                updated_permissions,
            } => json!({"behavior": "allow", "updatedInput": input,
                        "updatedPermissions": updated_permissions}),
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

    pub(crate) async fn request(
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
