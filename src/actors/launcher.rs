//! The one way a session's process is started, for the supervisor (create, resume, wake)
//! and for a session (restart): a new conversation from the pool (else a cold spawn), or the
//! session's own conversation with `--resume` — falling back to a fresh conversation under
//! the same id when the CLI cannot restore the transcript.

use std::path::{Path, PathBuf};

use actix::Addr;
use slog::{info, warn};

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
    /// The "Allow for this session" rules it was started with (`--allowedTools`).
    pub rules: Vec<String>,
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
    /// a cold spawn (the pool's worktree processes are taken earlier, `placing.rs`).
    pub id: Option<SessionId>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Launcher {
    factory: CliFactory,
    pool: Addr<Pool>,
    budget: super::budget::Budget,
    /// Where a fork's origin is looked up (None: no forks, in tests without a store).
    db: Option<crate::db::Db>,
    /// Replica mode: transcripts are restored from the store before a `--resume`.
    cluster: crate::cluster::Cluster,
}

impl Launcher {
    pub fn new(factory: CliFactory, pool: Addr<Pool>, budget: super::budget::Budget) -> Launcher {
        Launcher {
            factory,
            pool,
            budget,
            db: None,
            cluster: crate::cluster::Cluster::single(),
        }
    }

    /// Looks forks' origins up in `db` (see [`Launcher::resume`]).
    pub fn with_db(mut self, db: crate::db::Db) -> Launcher {
        self.db = Some(db);
        self
    }

    /// In replica mode (see [`crate::cluster`]).
    pub fn with_cluster(mut self, cluster: crate::cluster::Cluster) -> Launcher {
        self.cluster = cluster;
        self
    }

    /// This replica in the cluster, or the single machine.
    pub fn cluster(&self) -> &crate::cluster::Cluster {
        &self.cluster
    }

    /// Replica mode, before a `--resume` of `id` in `dir`: its transcript (and, for a fork
    /// not made yet, its origin's) is written from the store where this host's copy is
    /// missing or shorter — it may have run on another replica.
    async fn restore_transcripts(&self, id: &SessionId, dir: &Path) {
        let Some(db) = self.cluster.db() else {
            return;
        };
        let mut wanted = Vec::new();
        wanted.extend(
            self.factory
                .transcript_path_in(dir, id.as_str())
                .map(|p| (id.as_str().to_string(), p)),
        );
        if let Ok(Some(origin)) = db.fork_origin(id.as_str()).await {
            if let Ok(Some(row)) = db.get(&origin.from).await {
                let origin_dir = crate::workspace::session_workspace(self.settings(), &row).dir;
                wanted.extend(
                    self.factory
                        .transcript_path_in(&origin_dir, &origin.from)
                        .map(|p| (origin.from.clone(), p)),
                );
            }
        }
        for (session, path) in wanted {
            match crate::cluster::transcript::restore(db, &session, &path).await {
                Ok(true) => info!(self.factory.log(), "transcript restored from the store";
                    "session_id" => &session),
                Ok(false) => {}
                Err(e) => warn!(self.factory.log(), "cannot restore a transcript from the store";
                    "session_id" => &session, "error" => %e),
            }
        }
    }

    /// A fork whose CLI conversation is not made yet (no transcript of its own): how to make
    /// it (src/actors/fork.rs).
    async fn pending_fork(&self, id: &SessionId) -> Option<SessionStart> {
        let db = self.db.as_ref()?;
        let origin = db.fork_origin(id.as_str()).await.ok()??;
        let dir = self.factory.config_dir()?;
        let (d, own) = (dir.clone(), id.as_str().to_string());
        let started =
            tokio::task::spawn_blocking(move || !super::fork::transcripts(&d, &own).is_empty())
                .await
                .unwrap_or(true);
        if started {
            return None;
        }
        let from = super::fork::transcript_owner(db, &dir, &origin.from).await;
        Some(SessionStart::Fork {
            id: id.as_str().to_string(),
            from,
            at: origin.point,
        })
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
            (LaunchKind::Resume, Some(id)) => self.resume(id, chosen, Vec::new(), &place.dir).await,
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
                return self.adopt(started, chosen).await;
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
            rules: Vec::new(),
        })
    }

    /// A process taken from the pool, switched to the controls `chosen` with control
    /// requests (so it stays pre-warmed); stopped if it refuses them.
    pub async fn adopt(
        &self,
        started: Started,
        chosen: &SessionOptions,
    ) -> Result<Launch, ClaudeError> {
        let pooled = SessionOptions::defaults(self.settings());
        if let Err(e) = switch(&started.process, &pooled, chosen).await {
            started.process.stop().await;
            return Err(e);
        }
        Ok(Launch {
            started,
            source: Source::PreWarmed,
            lost: false,
            rules: Vec::new(),
        })
    }

    /// `--resume` of `id` — or, for a fork not started yet, the fork of its origin
    /// ([`SessionStart::Fork`]) — allowed the session's `rules` ("Allow for this session").
    /// When the CLI cannot restore the transcript ("No conversation found": missing, empty
    /// or corrupted), the file (if any) is kept aside and a fresh conversation starts under
    /// the same id, with `lost` set.
    pub async fn resume(
        &self,
        id: &SessionId,
        chosen: &SessionOptions,
        rules: Vec<String>,
        dir: &Path,
    ) -> Result<Launch, ClaudeError> {
        self.budget.note_spawn();
        self.restore_transcripts(id, dir).await;
        if let Some(fork) = self.pending_fork(id).await {
            let mut forked = self.factory.options_in(dir, fork, chosen);
            forked.allowed_tools.clone_from(&rules);
            match ClaudeProcess::start(forked).await {
                Ok(started) => {
                    return Ok(Launch {
                        started,
                        source: Source::Resumed,
                        lost: false,
                        rules,
                    })
                }
                // The origin's transcript is gone: the fork starts a fresh conversation.
                Err(ClaudeError::Exited { message }) => {
                    warn!(self.factory.log(), "fork cannot be made; starting fresh";
                        "session_id" => id, "reason" => message);
                    let mut fresh = self.factory.options_in(
                        dir,
                        SessionStart::New(id.as_str().to_string()),
                        chosen,
                    );
                    fresh.allowed_tools.clone_from(&rules);
                    return Ok(Launch {
                        started: ClaudeProcess::start(fresh).await?,
                        source: Source::Resumed,
                        lost: true,
                        rules,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        let mut resume =
            self.factory
                .options_in(dir, SessionStart::Resume(id.as_str().to_string()), chosen);
        resume.allowed_tools.clone_from(&rules);
        let err = match ClaudeProcess::start(resume).await {
            Ok(started) => {
                return Ok(Launch {
                    started,
                    source: Source::Resumed,
                    lost: false,
                    rules,
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
        let mut fresh =
            self.factory
                .options_in(dir, SessionStart::New(id.as_str().to_string()), chosen);
        fresh.allowed_tools.clone_from(&rules);
        Ok(Launch {
            started: ClaudeProcess::start(fresh).await?,
            source: Source::Resumed,
            lost,
            rules,
        })
    }
}
