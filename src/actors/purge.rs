//! Deleting a session for good (`DELETE /api/v1/sessions/{id}?purge=true`): its row, its
//! messages, their search entries and details (one store transaction), then the CLI's own
//! files for that id. Only an ended session (`terminated` or `failed`, and no process
//! starting, running or stopping for it) can be purged; anything else is refused with
//! [`EngineError::StillLive`] so nothing running loses its store under it.
//!
//! The CLI's files for one session id (verified against CLI 2.1.331; it has no per-session
//! purge of its own): `projects/*/<id>.jsonl` (the transcript; searched in every project
//! directory, since a resumed session may live under another), `projects/*/<id>/`
//! (persisted tool outputs, subagent transcripts), `session-env/<id>/`, `tasks/<id>/`,
//! `file-history/<id>/` and `debug/<id>.txt`, all under `CLAUDE_CONFIG_DIR`; and its
//! temporary files (background task and subagent output), `claude-<uid>/*/<id>/` under the
//! CLIs' `CLAUDE_CODE_TMPDIR` (the server's own `<runtime>/tmp` unless the operator set one).

use std::path::{Path, PathBuf};

use actix::prelude::*;
use slog::warn;

use super::supervisor::Supervisor;
use super::EngineError;
use crate::db::{Scope, SessionStatus};
use crate::session_id::SessionId;

/// Purge one ended session that `scope` sees.
#[derive(Message)]
#[rtype(result = "Result<(), EngineError>")]
pub struct PurgeSession {
    pub session_id: SessionId,
    pub scope: Scope,
}

impl Handler<PurgeSession> for Supervisor {
    // Atomic: no create, resume or wake of this id runs between the checks and the delete.
    type Result = AtomicResponse<Self, Result<(), EngineError>>;

    fn handle(&mut self, msg: PurgeSession, _ctx: &mut Context<Self>) -> Self::Result {
        let held = self.slots.contains_key(&msg.session_id);
        let db = self.db.clone();
        let config_dir = self.launcher.factory().config_dir();
        let tmp_dir = self.launcher.factory().tmp_dir();
        let log = self.log.clone();
        AtomicResponse::new(Box::pin(
            async move {
                let id = msg.session_id.as_str().to_string();
                let row = db
                    .listed(&msg.scope, &id)
                    .await
                    .map_err(|_| EngineError::StoreFailed)?
                    .ok_or(EngineError::NotFound)?;
                let ended = matches!(
                    row.session.status,
                    SessionStatus::Terminated | SessionStatus::Failed
                );
                if held || !ended {
                    return Err(EngineError::StillLive);
                }
                if !db
                    .delete_session(&msg.scope, &id)
                    .await
                    .map_err(|_| EngineError::StoreFailed)?
                {
                    return Err(EngineError::NotFound);
                }
                let removed = tokio::task::spawn_blocking(move || {
                    let tmp = remove_tmp_files(&tmp_dir, &id);
                    match config_dir {
                        Some(dir) => remove_cli_files(&dir, &id).and(tmp),
                        None => tmp,
                    }
                })
                .await;
                if let Ok(Err(e)) = removed {
                    warn!(log, "could not remove the CLI's files of a purged session";
                        "error" => %e);
                }
                Ok(())
            }
            .into_actor(self),
        ))
    }
}

/// The CLI's files and directories for `session_id` under `config_dir`, if they exist.
pub fn cli_files(config_dir: &Path, session_id: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(projects) = std::fs::read_dir(config_dir.join("projects")) {
        for project in projects.flatten() {
            found.push(project.path().join(format!("{session_id}.jsonl")));
            found.push(project.path().join(session_id));
        }
    }
    for dir in ["session-env", "tasks", "file-history"] {
        found.push(config_dir.join(dir).join(session_id));
    }
    found.push(config_dir.join("debug").join(format!("{session_id}.txt")));
    found.retain(|p| p.symlink_metadata().is_ok());
    found
}

/// The CLI's temporary directories for `session_id` under `tmp_dir` (its
/// `CLAUDE_CODE_TMPDIR`): `claude-<uid>/<encoded cwd>/<id>/`, in any project directory.
pub fn tmp_files(tmp_dir: &Path, session_id: &str) -> Vec<PathBuf> {
    let root = tmp_dir.join(format!("claude-{}", nix::unistd::getuid().as_raw()));
    let mut found = Vec::new();
    if let Ok(projects) = std::fs::read_dir(root) {
        for project in projects.flatten() {
            let dir = project.path().join(session_id);
            if dir.symlink_metadata().is_ok() {
                found.push(dir);
            }
        }
    }
    found
}

/// Removes [`tmp_files`]; the first failure is returned after trying them all.
pub fn remove_tmp_files(tmp_dir: &Path, session_id: &str) -> std::io::Result<()> {
    remove_all(tmp_files(tmp_dir, session_id))
}

/// Removes [`cli_files`]; the first failure is returned after trying them all.
pub fn remove_cli_files(config_dir: &Path, session_id: &str) -> std::io::Result<()> {
    remove_all(cli_files(config_dir, session_id))
}

fn remove_all(paths: Vec<PathBuf>) -> std::io::Result<()> {
    // A session id is a UUID (parsed at the edge): it cannot climb out of these directories.
    let mut first = Ok(());
    for path in paths {
        let meta = path.symlink_metadata()?;
        let removed = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if let (Err(e), Ok(())) = (removed, &first) {
            first = Err(e);
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_removes_only_that_sessions_files() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path();
        let (id, other) = (
            "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f",
            "7d2b2f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f",
        );
        for p in [
            "projects/-a",
            "projects/-b",
            "session-env",
            "tasks",
            "debug",
        ] {
            std::fs::create_dir_all(cfg.join(p)).unwrap();
        }
        for f in [
            format!("projects/-a/{id}.jsonl"),
            format!("projects/-b/{id}.jsonl"),
            format!("projects/-a/{other}.jsonl"),
            format!("debug/{id}.txt"),
        ] {
            std::fs::write(cfg.join(f), "x").unwrap();
        }
        for d in [
            format!("projects/-a/{id}/tool-results"),
            format!("session-env/{id}"),
            format!("tasks/{other}"),
        ] {
            std::fs::create_dir_all(cfg.join(d)).unwrap();
        }
        assert_eq!(cli_files(cfg, id).len(), 5);
        remove_cli_files(cfg, id).unwrap();
        assert!(cli_files(cfg, id).is_empty());
        assert!(cfg.join(format!("projects/-a/{other}.jsonl")).exists());
        assert!(cfg.join(format!("tasks/{other}")).exists());
        assert!(cfg.join("projects/-a").is_dir());

        let tmp = dir.path().join("tmp");
        let uid = nix::unistd::getuid().as_raw();
        let mine = tmp.join(format!("claude-{uid}/-w/{id}/tasks"));
        let theirs = tmp.join(format!("claude-{uid}/-w/{other}/tasks"));
        for d in [&mine, &theirs] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("t.output"), "x").unwrap();
        }
        assert_eq!(tmp_files(&tmp, id).len(), 1);
        remove_tmp_files(&tmp, id).unwrap();
        assert!(tmp_files(&tmp, id).is_empty());
        assert!(theirs.join("t.output").exists());
    }
}
