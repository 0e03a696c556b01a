//! The one way a session's process is started, for the supervisor (create, resume, wake)
//! and for a session (restart): a new conversation from the pool (else a cold spawn), or the
//! session's own conversation with `--resume` — falling back to a fresh conversation under
//! the same id when the CLI cannot restore the transcript.

use std::path::{Path, PathBuf};

use actix::Addr;
use slog::warn;

use super::cli_factory::CliFactory;
use super::lifecycle::LaunchKind;
use super::pool::{Pool, Take};
use super::session_options::switch;
use crate::claude::{ClaudeError, ClaudeProcess, SessionStart, Started};
use crate::config::Settings;
use crate::protocol::{SessionOptions, Source};
use crate::session_id::SessionId;

/// A started process, where it came from, and whether an earlier conversation was lost.
pub struct Launch {
    pub started: Started,
    pub source: Source,
    /// The transcript could not be restored: this is a fresh conversation.
    pub lost: bool,
}

impl Launch {
    pub fn session_id(&self) -> SessionId {
        SessionId::from_stored(self.started.process.session_id())
    }
}

/// Where a new conversation's process works.
#[derive(Debug, Clone)]
pub struct Place {
    /// The project's directory, or the session's worktree.
    pub dir: PathBuf,
    /// The session's id when it is fixed before the start (a worktree is named after it):
    /// always a cold spawn.
    pub id: Option<SessionId>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Launcher {
    factory: CliFactory,
    pool: Addr<Pool>,
    budget: super::budget::Budget,
}

impl Launcher {
    pub fn new(factory: CliFactory, pool: Addr<Pool>, budget: super::budget::Budget) -> Launcher {
        Launcher {
            factory,
            pool,
            budget,
        }
    }

    /// The memory budget's account.
    pub fn budget(&self) -> &super::budget::Budget {
        &self.budget
    }

    pub fn settings(&self) -> &Settings {
        self.factory.settings()
    }

    pub fn factory(&self) -> &CliFactory {
        &self.factory
    }

    /// Starts a process of `kind` with the controls `chosen` in `place`: `New` takes from
    /// the pool when `use_pool`, else spawns; `Resume` continues `id`.
    pub async fn launch(
        &self,
        kind: LaunchKind,
        id: Option<&SessionId>,
        use_pool: bool,
        chosen: &SessionOptions,
        place: &Place,
    ) -> Result<Launch, ClaudeError> {
        match (kind, id) {
            (LaunchKind::Resume, Some(id)) => self.resume(id, chosen, &place.dir).await,
            _ => self.new_session(use_pool, chosen, place).await,
        }
    }

    /// A new conversation with the controls `chosen`: a ready process from the pool
    /// (switched to them with control requests, so it stays pre-warmed), else a cold spawn.
    pub async fn new_session(
        &self,
        use_pool: bool,
        chosen: &SessionOptions,
        place: &Place,
    ) -> Result<Launch, ClaudeError> {
        if use_pool && place.id.is_none() {
            let take = Take {
                dir: Some(place.dir.clone()),
            };
            if let Some(started) = self.pool.send(take).await.ok().flatten() {
                let pooled = SessionOptions::defaults(self.settings());
                if let Err(e) = switch(&started.process, &pooled, chosen).await {
                    started.process.stop().await;
                    return Err(e);
                }
                return Ok(Launch {
                    started,
                    source: Source::PreWarmed,
                    lost: false,
                });
            }
        }
        let id = place.id.clone().unwrap_or_else(SessionId::random);
        self.budget.note_spawn();
        let options = self.factory.options_in(
            &place.dir,
            SessionStart::New(id.as_str().to_string()),
            chosen,
        );
        Ok(Launch {
            started: ClaudeProcess::start(options).await?,
            source: Source::Cold,
            lost: false,
        })
    }

    /// `--resume` of `id`. When the CLI cannot restore the transcript ("No conversation
    /// found": missing, empty or corrupted), the file (if any) is kept aside and a fresh
    /// conversation starts under the same id, with `lost` set.
    pub async fn resume(
        &self,
        id: &SessionId,
        chosen: &SessionOptions,
        dir: &Path,
    ) -> Result<Launch, ClaudeError> {
        self.budget.note_spawn();
        let resume =
            self.factory
                .options_in(dir, SessionStart::Resume(id.as_str().to_string()), chosen);
        let err = match ClaudeProcess::start(resume).await {
            Ok(started) => {
                return Ok(Launch {
                    started,
                    source: Source::Resumed,
                    lost: false,
                })
            }
            Err(ClaudeError::Exited { message }) if message.contains("No conversation found") => {
                message
            }
            Err(e) => return Err(e),
        };
        let mut lost = false;
        if let Some(path) = self.factory.transcript_path_in(dir, id.as_str()) {
            if tokio::fs::metadata(&path).await.is_ok() {
                let aside = path.with_extension(format!(
                    "jsonl.unrestorable-{}",
                    chrono::Utc::now().timestamp()
                ));
                warn!(self.factory.log(), "transcript cannot be restored; kept aside";
                    "session_id" => id, "path" => aside.display().to_string(), "reason" => err);
                let _ = tokio::fs::rename(&path, &aside).await;
                lost = true;
            }
        }
        let fresh =
            self.factory
                .options_in(dir, SessionStart::New(id.as_str().to_string()), chosen);
        Ok(Launch {
            started: ClaudeProcess::start(fresh).await?,
            source: Source::Resumed,
            lost,
        })
    }
}
