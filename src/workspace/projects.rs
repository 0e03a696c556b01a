//! Resolving a project name from a client to a directory inside the configured roots, and
//! listing the projects (`GET /api/v1/projects`).

use std::path::PathBuf;

use serde::Serialize;

use super::{git, ProjectsConfig};
use crate::protocol::ErrorCode;

/// A project resolved from its name: a directory inside the configured roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub name: String,
    /// Canonical (symlinks resolved, checked to be inside its root).
    pub dir: PathBuf,
}

/// Why a project name was refused: `(code, message)`.
pub type Refusal = (ErrorCode, String);

impl ProjectsConfig {
    /// The default project (`WORKSPACE_DIR`).
    pub fn default_project(&self) -> Project {
        Project {
            name: self.default_name.clone(),
            dir: self.default_dir.clone(),
        }
    }

    /// The project named `name` (None: the default). A name is one directory name: `..`,
    /// a path, an absolute path or a hidden name is refused with `invalid_project`, and so
    /// is a sub-directory of `WORKSPACES_ROOT` that is a symlink leading out of it; a name
    /// that is none of the projects is `project_not_found`.
    pub fn resolve(&self, name: Option<&str>) -> Result<Project, Refusal> {
        let Some(name) = name else {
            return Ok(self.default_project());
        };
        if name.is_empty()
            || name.starts_with('.')
            || name.contains(['/', '\\', '\0'])
            || name.len() > 255
        {
            return Err((
                ErrorCode::InvalidProject,
                "A project is named by its directory name alone: no path, no \"..\", no \
                 hidden name. GET /api/v1/projects lists them."
                    .to_string(),
            ));
        }
        if name == self.default_name {
            return Ok(self.default_project());
        }
        if let Some((n, dir)) = self.listed.iter().find(|(n, _)| n == name) {
            return Ok(Project {
                name: n.clone(),
                dir: dir.clone(),
            });
        }
        if let Some(root) = &self.root {
            let candidate = root.join(name);
            if std::fs::symlink_metadata(&candidate).is_ok() {
                let dir = std::fs::canonicalize(&candidate)
                    .ok()
                    .filter(|d| d.is_dir());
                return match dir {
                    Some(dir) if dir != *root && dir.starts_with(root) => {
                        Ok(Project {
                            name: name.to_string(),
                            dir,
                        })
                    }
                    Some(_) => Err((
                        ErrorCode::InvalidProject,
                        format!("The project {name:?} leads out of the projects' root; it is not offered."),
                    )),
                    None => Err(not_found(name)),
                };
            }
        }
        Err(not_found(name))
    }

    /// Every project: the default, the listed ones, then the root's sub-directories (hidden
    /// ones and symlinks leading out of the root left out), each name once.
    pub fn all(&self) -> Vec<(Project, String)> {
        let mut out = vec![(self.default_project(), self.default_name.clone())];
        for (name, dir) in &self.listed {
            if *name != self.default_name {
                out.push((
                    Project {
                        name: name.clone(),
                        dir: dir.clone(),
                    },
                    name.clone(),
                ));
            }
        }
        if let Some(root) = &self.root {
            let mut names: Vec<String> = std::fs::read_dir(root)
                .map(|r| {
                    r.filter_map(Result::ok)
                        .filter_map(|e| e.file_name().into_string().ok())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            for name in names {
                if out.iter().any(|(p, _)| p.name == name) {
                    continue;
                }
                if let Ok(p) = self.resolve(Some(&name)) {
                    out.push((p, name));
                }
            }
        }
        out
    }
}

fn not_found(name: &str) -> Refusal {
    (
        ErrorCode::ProjectNotFound,
        format!("No project named {name:?}. GET /api/v1/projects lists them."),
    )
}

/// One project in `GET /api/v1/projects`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProjectInfo {
    /// What `create_session{project}` takes.
    pub name: String,
    /// Relative to `WORKSPACES_ROOT` (the directory's name for the default and the
    /// `WORKSPACES` projects).
    pub path: String,
    /// Whether this is the default project (`WORKSPACE_DIR`).
    pub default: bool,
    /// Whether it is a git repository (worktree isolation needs one).
    pub git: bool,
    /// Its checked-out branch (null: not git, or a detached HEAD).
    pub branch: Option<String>,
    /// Whether its working tree has uncommitted changes (false when not git).
    pub dirty: bool,
    /// The caller's sessions in it (every session for an admin).
    pub session_count: i64,
    /// Worktrees the server kept because their session ended with uncommitted changes.
    pub kept_worktrees: Vec<KeptWorktree>,
}

/// A worktree kept after its session ended (it had uncommitted changes).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KeptWorktree {
    pub session_id: String,
    pub branch: Option<String>,
}

/// Every project with its git state (blocking: runs git). `counts` and `kept` are per
/// project name.
pub fn list_projects(
    config: &ProjectsConfig,
    counts: &std::collections::HashMap<String, i64>,
    kept: &[(String, String, Option<String>)],
) -> Vec<ProjectInfo> {
    config
        .all()
        .into_iter()
        .map(|(p, path)| {
            let state = git::state(&p.dir);
            ProjectInfo {
                default: p.name == config.default_name,
                session_count: counts.get(&p.name).copied().unwrap_or(0),
                kept_worktrees: kept
                    .iter()
                    .filter(|(project, _, _)| *project == p.name)
                    .map(|(_, id, branch)| KeptWorktree {
                        session_id: id.clone(),
                        branch: branch.clone(),
                    })
                    .collect(),
                name: p.name,
                path,
                git: state.is_some(),
                branch: state.as_ref().and_then(|s| s.branch.clone()),
                dirty: state.is_some_and(|s| s.dirty),
            }
        })
        .collect()
}
