//! Where a new session works (issue 17): its project's directory, or a git worktree of its
//! own. The worktree is named after the session, so its id is fixed before its process
//! starts: either the pool's ready worktree process is taken (its worktree made ahead for
//! the id it carries, `pool_projects.rs`), or the worktree is made here and the process is
//! a cold spawn. See [`crate::workspace`].

use std::path::PathBuf;

use actix::Addr;
use slog::{warn, Logger};

use super::pool_projects::PooledWorktree;

use super::pool::{Pool, TakeWorktree};
use super::EngineError;
use crate::claude::Started;
use crate::config::Settings;
use crate::session_id::SessionId;
use crate::workspace::{self, worktree, Isolation, Project};

/// The project a session is created in (already resolved) and its isolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub project: Project,
    pub isolation: Isolation,
}

/// A placement carried out: the directory the process starts in.
pub struct Placed {
    pub project: Project,
    pub dir: PathBuf,
    /// The session's worktree (with its id, fixed before the start).
    pub worktree: Option<(SessionId, worktree::Made)>,
    /// The pool's ready process already running in that worktree (taken, not yet used).
    pub pooled: Option<Started>,
    /// The worktree was the pool's: discarded with its branch if the session never starts.
    from_pool: bool,
}

impl Placed {
    /// The launcher's view of it.
    pub fn launch_place(&self) -> super::launcher::Place {
        super::launcher::Place {
            dir: self.dir.clone(),
            id: self.worktree.as_ref().map(|(id, _)| id.clone()),
        }
    }

    /// Records the placement in the session's row.
    pub fn record(&self, row: &mut crate::db::Session) {
        row.project = Some(self.project.name.clone());
        row.workdir = Some(self.dir.display().to_string());
        match &self.worktree {
            Some((_, made)) => {
                row.isolation = Some(Isolation::Worktree.as_str().to_string());
                row.branch = Some(made.branch.clone());
                row.base_commit = made.base_commit.clone();
            }
            None => row.isolation = Some(Isolation::None.as_str().to_string()),
        }
    }
}

/// Gives the session its worktree when it asks for one — the pool's ready one when its
/// project's `HEAD` has not moved since it was made, else a new one (a project that is not
/// the top of a git repository is refused with [`EngineError::NotGitRepository`]).
pub async fn prepare(
    settings: &Settings,
    placement: Placement,
    pool: &Addr<Pool>,
    log: &Logger,
) -> Result<Placed, EngineError> {
    let Placement { project, isolation } = placement;
    if isolation == Isolation::None {
        return Ok(Placed {
            dir: project.dir.clone(),
            project,
            worktree: None,
            pooled: None,
            from_pool: false,
        });
    }
    let repo = project.dir.clone();
    let (is_repo, head) = tokio::task::spawn_blocking(move || {
        let top = workspace::git::is_repo_top(&repo);
        (
            top,
            top.then(|| workspace::git::head_commit(&repo)).flatten(),
        )
    })
    .await
    .map_err(|_| EngineError::StartFailed)?;
    if !is_repo {
        return Err(EngineError::NotGitRepository);
    }
    let take = TakeWorktree {
        project: project.dir.clone(),
    };
    if let Some(ready) = pool.send(take).await.ok().flatten() {
        match ready.worktree {
            Some(wt) if wt.made.base_commit == head => {
                return Ok(Placed {
                    dir: wt.made.dir.clone(),
                    project,
                    worktree: Some((wt.id, wt.made)),
                    pooled: Some(ready.started),
                    from_pool: true,
                })
            }
            // Made from an older `HEAD`: a session must start from the current one.
            _ => {
                actix::spawn(ready.discard(log.clone()));
            }
        }
    }
    let id = SessionId::random();
    let (repo, root, name) = (
        project.dir.clone(),
        workspace::worktrees_dir(settings),
        id.as_str().to_string(),
    );
    let made = tokio::task::spawn_blocking(move || worktree::create(&repo, &root, &name))
        .await
        .map_err(|_| EngineError::StartFailed)?;
    match made {
        Ok(made) => Ok(Placed {
            dir: made.dir.clone(),
            project,
            worktree: Some((id, made)),
            pooled: None,
            from_pool: false,
        }),
        Err(e) => {
            warn!(log, "could not make the session's worktree";
                "project" => &project.name, "error" => %e);
            Err(EngineError::StartFailed)
        }
    }
}

/// The session could not start: the pool's process it took (if any) is stopped, and its
/// worktree (if made, and still clean) goes — with its branch when the pool made it.
pub fn discard(placed: &mut Placed, log: &Logger) {
    if let Some(started) = placed.pooled.take() {
        actix::spawn(async move { started.process.stop().await });
    }
    if let Some((id, made)) = &placed.worktree {
        if placed.from_pool {
            let wt = PooledWorktree {
                project: placed.project.dir.clone(),
                id: id.clone(),
                made: made.clone(),
            };
            actix::spawn(super::pool_projects::discard_worktree(wt, log.clone()));
            return;
        }
        let (repo, dir, log) = (placed.project.dir.clone(), made.dir.clone(), log.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = worktree::finish(&repo, &dir) {
                warn!(log, "could not remove an unused worktree"; "error" => %e);
            }
        });
    }
}

/// Before a stored session's process starts again (resume, wake): its directory, with the
/// MCP configuration of its extensions read afresh, and its worktree made again on its
/// branch if it was removed meanwhile.
pub async fn reopen(
    factory: &super::cli_factory::CliFactory,
    row: &crate::db::Session,
    log: &Logger,
) -> PathBuf {
    let settings = factory.settings().clone();
    let ws = workspace::session_workspace(&settings, row);
    if let (Isolation::Worktree, Some(branch)) = (ws.isolation, ws.branch.clone()) {
        let project = settings.projects.resolve(Some(&ws.project)).ok();
        let dir = ws.dir.clone();
        let log = log.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(project) = project.filter(|_| !dir.exists()) {
                if let Err(e) = worktree::restore(&project.dir, &dir, &branch) {
                    warn!(log, "could not restore the session's worktree"; "error" => %e);
                }
            }
        })
        .await;
    }
    if let Some(ext) = super::supervisor::read_extensions(ws.dir.clone()).await {
        factory.set_mcp_config_for(&ws.dir, ext.mcp_config);
    }
    ws.dir
}

/// After session `id` ended (destroyed): its worktree is removed when nothing in it is
/// uncommitted (its branch stays), else kept — and then listed by `GET /api/v1/projects`.
pub async fn ended(db: &crate::db::Db, settings: &Settings, id: &SessionId, log: &Logger) {
    let Ok(Some(row)) = db.get(id.as_str()).await else {
        return;
    };
    let ws = workspace::session_workspace(settings, &row);
    if ws.isolation != Isolation::Worktree {
        return;
    }
    let Ok(project) = settings.projects.resolve(Some(&ws.project)) else {
        return;
    };
    let log = log.clone();
    let _ = tokio::task::spawn_blocking(move || match worktree::finish(&project.dir, &ws.dir) {
        Ok(worktree::Ended::Kept) => slog::info!(log,
            "the session's worktree has uncommitted changes; kept";
            "branch" => ws.branch.unwrap_or_default()),
        Ok(_) => {}
        Err(e) => warn!(log, "could not remove the session's worktree"; "error" => %e),
    })
    .await;
}
