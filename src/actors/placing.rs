//! Where a new session works (issue 17): its project's directory, or a git worktree of its
//! own made here before its process starts (the worktree is named after the session, so its
//! id is fixed first and the process is a cold spawn). See [`crate::workspace`].

use std::path::PathBuf;

use slog::{warn, Logger};

use super::EngineError;
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
#[derive(Debug, Clone)]
pub struct Placed {
    pub project: Project,
    pub dir: PathBuf,
    /// The session's worktree (with its id, fixed before the start).
    pub worktree: Option<(SessionId, worktree::Made)>,
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

/// Makes the session's worktree when it asks for one (a project that is not the top of a
/// git repository is refused with [`EngineError::NotGitRepository`]).
pub async fn prepare(
    settings: &Settings,
    placement: Placement,
    log: &Logger,
) -> Result<Placed, EngineError> {
    let Placement { project, isolation } = placement;
    if isolation == Isolation::None {
        return Ok(Placed {
            dir: project.dir.clone(),
            project,
            worktree: None,
        });
    }
    let id = SessionId::random();
    let (repo, root, name) = (
        project.dir.clone(),
        workspace::worktrees_dir(settings),
        id.as_str().to_string(),
    );
    let made = tokio::task::spawn_blocking(move || {
        if !workspace::git::is_repo_top(&repo) {
            return Ok(None);
        }
        worktree::create(&repo, &root, &name).map(Some)
    })
    .await
    .map_err(|_| EngineError::StartFailed)?;
    match made {
        Ok(Some(made)) => Ok(Placed {
            dir: made.dir.clone(),
            project,
            worktree: Some((id, made)),
        }),
        Ok(None) => Err(EngineError::NotGitRepository),
        Err(e) => {
            warn!(log, "could not make the session's worktree";
                "project" => &project.name, "error" => %e);
            Err(EngineError::StartFailed)
        }
    }
}

/// The session could not start: its worktree (if made, and still clean) goes.
pub fn discard(placed: &Placed, log: &Logger) {
    if let Some((_, made)) = &placed.worktree {
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
