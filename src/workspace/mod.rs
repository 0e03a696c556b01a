//! Where sessions work (issue 17): the projects a server offers (`WORKSPACE_DIR`, the
//! sub-directories of `WORKSPACES_ROOT`, the directories of `WORKSPACES`), how a project name
//! from a client is resolved without leaving them, and each session's working directory —
//! the project itself, or a git worktree of its own (`worktree.rs`).
//!
//! The one answer to "where does this session work, and what is its diff base?" is
//! [`session_workspace`].

pub mod git;
pub mod orphans;
mod projects;
pub mod worktree;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use projects::{list_projects, Project, ProjectInfo};

use crate::config::Settings;
use crate::db::Session;

/// How a session's working directory relates to its project.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// The session runs in the project's directory itself.
    #[default]
    None,
    /// The session runs in a git worktree of its own, on a branch of its own.
    Worktree,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::None => "none",
            Isolation::Worktree => "worktree",
        }
    }

    pub fn parse(value: &str) -> Option<Isolation> {
        match value {
            "none" => Some(Isolation::None),
            "worktree" => Some(Isolation::Worktree),
            _ => None,
        }
    }
}

/// The projects configuration, read once at start.
#[derive(Debug, Clone)]
pub struct ProjectsConfig {
    /// `WORKSPACE_DIR`, canonical: the default project.
    pub default_dir: PathBuf,
    /// Its name (its directory's name; `default` when that is taken by another project).
    pub default_name: String,
    /// `WORKSPACES_ROOT`, canonical: each sub-directory is a project.
    pub root: Option<PathBuf>,
    /// `WORKSPACES`: `(name, canonical directory)`, names unique.
    pub listed: Vec<(String, PathBuf)>,
    /// `DEFAULT_ISOLATION`.
    pub default_isolation: Isolation,
}

impl ProjectsConfig {
    /// From the variables; `Err((variable, what was expected))`.
    pub fn from_vars(
        workspace_dir: &Path,
        root: Option<&str>,
        listed: Option<&str>,
        isolation: Option<&str>,
    ) -> Result<ProjectsConfig, (&'static str, String)> {
        let default_dir = std::fs::canonicalize(workspace_dir)
            .map_err(|e| ("WORKSPACE_DIR", format!("a readable directory ({e})")))?;
        let root = match root {
            None => None,
            Some(r) => Some(canonical_dir(r).ok_or((
                "WORKSPACES_ROOT",
                format!("an existing directory, got {r:?}"),
            ))?),
        };
        let mut named: Vec<(String, PathBuf)> = Vec::new();
        for entry in listed
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let dir = canonical_dir(entry).ok_or((
                "WORKSPACES",
                format!("a comma-separated list of existing directories; {entry:?} is not one"),
            ))?;
            let name = dir_name(&dir);
            if named.iter().any(|(n, _)| *n == name) {
                return Err((
                    "WORKSPACES",
                    format!("directories with distinct names; {name:?} appears twice"),
                ));
            }
            named.push((name, dir));
        }
        let default_isolation = match isolation {
            None => Isolation::None,
            Some(v) => Isolation::parse(v)
                .ok_or(("DEFAULT_ISOLATION", format!("none or worktree, got {v:?}")))?,
        };
        let default_name = match named.iter().find(|(_, d)| *d == default_dir) {
            Some((n, _)) => n.clone(),
            None => {
                let name = dir_name(&default_dir);
                let in_root = root.as_ref().is_some_and(|r| {
                    default_dir.parent() != Some(r.as_path()) && r.join(&name).is_dir()
                });
                if named.iter().any(|(n, _)| *n == name) || in_root || name.is_empty() {
                    "default".to_string()
                } else {
                    name
                }
            }
        };
        Ok(ProjectsConfig {
            default_dir,
            default_name,
            root,
            listed: named,
            default_isolation,
        })
    }
}

fn canonical_dir(path: &str) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(path).ok()?;
    dir.is_dir().then_some(dir)
}

/// The last component of `dir` (lossy).
fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a session's diff is taken against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffBase {
    /// The working tree against its own `HEAD` (a session in the project's directory).
    Head,
    /// The commit a worktree branched from.
    Commit(String),
    /// A worktree of a repository that had no commit: everything in it is new.
    EmptyTree,
}

/// Where a session works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWorkspace {
    /// The absolute directory its CLI runs in.
    pub dir: PathBuf,
    pub base: DiffBase,
    /// The project's name.
    pub project: String,
    pub isolation: Isolation,
    /// The worktree's branch (worktree sessions only).
    pub branch: Option<String>,
}

/// Where the session of `row` works (no I/O). Rows from before projects ran in
/// `WORKSPACE_DIR`, the default project.
pub fn session_workspace(settings: &Settings, row: &Session) -> SessionWorkspace {
    let projects = &settings.projects;
    let isolation = row
        .isolation
        .as_deref()
        .and_then(Isolation::parse)
        .unwrap_or_default();
    let base = match (isolation, &row.base_commit) {
        (Isolation::None, _) => DiffBase::Head,
        (Isolation::Worktree, Some(c)) => DiffBase::Commit(c.clone()),
        (Isolation::Worktree, None) => DiffBase::EmptyTree,
    };
    SessionWorkspace {
        dir: row
            .workdir
            .as_ref()
            .map(PathBuf::from)
            .unwrap_or_else(|| projects.default_dir.clone()),
        base,
        project: row
            .project
            .clone()
            .unwrap_or_else(|| projects.default_name.clone()),
        isolation,
        branch: row.branch.clone(),
    }
}

/// The folder of the shared workspace (`WORKSPACE_DIR`) that holds the replicas' worktrees
/// in replica mode, one sub-folder per `NODE_ID`.
pub const SHARED_WORKTREES_DIR: &str = ".csp-worktrees";

/// Where this server makes its sessions' worktrees (no I/O). On a single machine:
/// `worktrees/` in the data directory. In replica mode (`NODE_ID` set) the data directory is
/// the replica's own, so a session resumed on another replica would not find its files
/// there: they go on the shared workspace instead, `<WORKSPACE_DIR>/.csp-worktrees/<NODE_ID>`
/// (every replica sees it at the same path, and the row's `workdir` names it). The node's
/// folder keeps each replica's start-up sweep ([`orphans::sweep`]) to what its own pool made.
pub fn worktrees_dir(settings: &Settings) -> PathBuf {
    match &settings.cluster {
        Some(cluster) => shared_worktrees_root(settings).join(&cluster.node_id),
        None => own_worktrees_dir(settings),
    }
}

/// `<WORKSPACE_DIR>/.csp-worktrees` (canonical `WORKSPACE_DIR`, as worktree paths are).
fn shared_worktrees_root(settings: &Settings) -> PathBuf {
    settings.projects.default_dir.join(SHARED_WORKTREES_DIR)
}

/// `worktrees/` in the data directory, absolute.
fn own_worktrees_dir(settings: &Settings) -> PathBuf {
    let dir = settings.data_dir().join("worktrees");
    std::path::absolute(&dir).unwrap_or(dir)
}

/// Whether `dir` is where a server of this deployment made the worktree of session `id`
/// (no I/O): `<id>` in this server's [`worktrees_dir`], or in replica mode in any replica's
/// folder of the shared workspace (a session keeps the directory it was made in wherever
/// it resumes) or in the data directory's `worktrees/` (rows from before replica mode).
pub fn is_session_worktree(settings: &Settings, dir: &Path, id: &str) -> bool {
    if dir.file_name().and_then(|n| n.to_str()) != Some(id) {
        return false;
    }
    let Some(parent) = dir.parent() else {
        return false;
    };
    if parent == worktrees_dir(settings) || parent == own_worktrees_dir(settings) {
        return true;
    }
    settings.cluster.is_some()
        && parent.parent() == Some(shared_worktrees_root(settings).as_path())
        && parent
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(crate::config::valid_node_id)
}

/// Makes this replica's worktrees folder (replica mode; nothing on a single machine) and a
/// `.gitignore` of `/*` in the shared one, so that when `WORKSPACE_DIR` is itself a git
/// checkout the replicas' worktrees are not its untracked files (a session's changes, its
/// file list, a `git add -A` there). `/*` and not `*`: it must ignore the node folders only,
/// not every file below them, since the file list of a session in one of the worktrees
/// (`crate::changes::files`, which reads the `.gitignore` files above its directory too)
/// would otherwise be empty. Blocking.
pub fn prepare_shared_worktrees(settings: &Settings) -> std::io::Result<()> {
    if settings.cluster.is_none() {
        return Ok(());
    }
    std::fs::create_dir_all(worktrees_dir(settings))?;
    let ignore = shared_worktrees_root(settings).join(".gitignore");
    if !ignore.exists() {
        std::fs::write(ignore, "/*\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
