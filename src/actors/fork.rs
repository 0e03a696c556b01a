//! Forking a session from one of its user messages (`POST /api/v1/sessions/{id}/fork`,
//! WebSocket `fork_session`): a new session whose conversation is everything before that
//! message. The store gets the new row (suspended, so nothing runs until it is opened or
//! sent a message) with copies of the earlier messages; the CLI conversation is made when
//! its first process starts, by [`super::launcher::Launcher::resume`]:
//! `--resume=<from> --fork-session --session-id=<new> --resume-session-at=<point>`.
//!
//! The point (verified against CLI 2.1.331, cli research §3): `--resume-session-at` keeps the
//! transcript up to **and including** the entry named, so "before user message N" is the
//! `parentUuid` of N's transcript entry — whose `uuid` is the one the server sent the
//! message with (`messages.cli_uuid`). A first message has no parent: the fork starts empty.
//! The fork copies the kept entries with their uuids, so a fork of a fork works the same way.
//!
//! A fork of a worktree session gets a worktree of its own at once ([`fork_worktree`]): a
//! branch from the tip of the origin's, with the origin's uncommitted work copied in.

use std::path::{Path, PathBuf};

use actix::prelude::*;

use super::supervisor::Supervisor;
use super::EngineError;
use crate::config::Settings;
use crate::db::{Db, DbError, Listed, MessageKind, Scope, Session, SessionStatus};
use crate::session_id::SessionId;
use crate::workspace::{self, worktree, Isolation};

/// How many forks-of-forks-not-yet-started are followed to find a transcript.
const MAX_FORK_DEPTH: usize = 16;

/// Fork `session_id` (which `scope` sees) for `owner`, before the user message `before_seq`
/// (None: the whole conversation).
#[derive(Message)]
#[rtype(result = "Result<Listed, ForkError>")]
pub struct ForkSession {
    pub session_id: SessionId,
    pub scope: Scope,
    pub owner: String,
    pub before_seq: Option<i64>,
}

/// Why a fork was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForkError {
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// `before_seq` names no user message of the session, or one the CLI cannot go back to
    /// (the text says which; a `validation_error`).
    #[error("{0}")]
    Invalid(String),
}

impl From<DbError> for ForkError {
    fn from(_: DbError) -> ForkError {
        ForkError::Engine(EngineError::StoreFailed)
    }
}

impl Handler<ForkSession> for Supervisor {
    type Result = ResponseFuture<Result<Listed, ForkError>>;

    fn handle(&mut self, msg: ForkSession, _ctx: &mut Context<Self>) -> Self::Result {
        let db = self.db.clone();
        let config_dir = self.launcher.factory().config_dir();
        let settings = self.launcher.settings().clone();
        let log = self.log.clone();
        Box::pin(async move { fork(&db, config_dir, &settings, msg, &log).await })
    }
}

async fn fork(
    db: &Db,
    config_dir: Option<PathBuf>,
    settings: &Settings,
    msg: ForkSession,
    log: &slog::Logger,
) -> Result<Listed, ForkError> {
    let from = msg.session_id.as_str().to_string();
    let source = db
        .listed(&msg.scope, &from)
        .await?
        .ok_or(EngineError::NotFound)?;
    let target = match msg.before_seq {
        Some(seq) => match db.message_cli_uuid(&from, seq).await? {
            Some((MessageKind::User, Some(uuid))) => Target::Before(uuid),
            Some((MessageKind::User, None)) => {
                return Err(ForkError::Invalid(
                    "This message was stored before forking existed; fork from a later one.".into(),
                ))
            }
            _ => {
                return Err(ForkError::Invalid(format!(
                    "before_seq {seq} is not a user message of this session."
                )))
            }
        },
        None if source.session.message_count == 0 => Target::Empty,
        None => Target::All,
    };
    let point = match target {
        Target::Empty => None,
        target => {
            let dir = config_dir.ok_or_else(|| {
                ForkError::Invalid("The CLI's state directory is unknown.".into())
            })?;
            fork_point(db, &dir, &from, target).await?
        }
    };
    let new_id = SessionId::random();
    let mut row = Session::new(new_id.as_str(), msg.owner.as_str());
    row.set_options(&source.session.options());
    row.project.clone_from(&source.session.project);
    row.workdir.clone_from(&source.session.workdir);
    row.isolation.clone_from(&source.session.isolation);
    // A fork of a worktree session works in a worktree of its own (`fork_worktree`); any
    // other runs where its origin ran. (The CLI finds the origin's transcript from any
    // working directory: verified with CLI 2.1.331.)
    let made = fork_worktree(settings, &source.session, &new_id, log).await?;
    if let Some((_, made)) = &made {
        row.workdir = Some(made.dir.display().to_string());
        row.branch = Some(made.branch.clone());
        row.base_commit.clone_from(&source.session.base_commit);
    }
    row.status = SessionStatus::Suspended;
    row.is_resumable = true;
    let title = fork_title(source.details.title.as_deref(), &from);
    let created = db
        .create_fork(&row, Some(title), &from, msg.before_seq, point)
        .await;
    if let (Err(_), Some((project, made))) = (&created, made) {
        let _ = tokio::task::spawn_blocking(move || {
            worktree::discard(&project, &made.dir, &made.branch)
        })
        .await;
    }
    Ok(created?)
}

/// The worktree of the fork `id` of `origin` when the origin works in one: a new branch
/// named after the fork, from the tip of the origin's branch, with the origin's uncommitted
/// work copied in — a fork continues the conversation, so it sees the files as the origin
/// has them (`worktree::fork`). Its diff base stays the origin's (the conversation's
/// changes). Two sessions never share a checkout, and ending one never touches the other's.
/// `(project directory, worktree)`; None for an origin without a worktree.
async fn fork_worktree(
    settings: &Settings,
    origin: &Session,
    id: &SessionId,
    log: &slog::Logger,
) -> Result<Option<(PathBuf, worktree::Made)>, ForkError> {
    let ws = workspace::session_workspace(settings, origin);
    let (Isolation::Worktree, Some(branch)) = (ws.isolation, ws.branch) else {
        return Ok(None);
    };
    let project = settings
        .projects
        .resolve(Some(&ws.project))
        .map_err(|_| EngineError::StartFailed)?;
    let (repo, root, name) = (
        project.dir.clone(),
        workspace::worktrees_dir(settings),
        id.as_str().to_string(),
    );
    let made =
        tokio::task::spawn_blocking(move || worktree::fork(&repo, &root, &name, &ws.dir, &branch))
            .await
            .map_err(|_| EngineError::StartFailed)?;
    match made {
        Ok(made) => Ok(Some((project.dir, made))),
        Err(e) => {
            slog::warn!(log, "could not make the fork's worktree"; "error" => %e);
            Err(EngineError::StartFailed.into())
        }
    }
}

/// Where the fork's conversation ends.
enum Target {
    /// Nothing kept.
    Empty,
    /// Up to the parent of the transcript entry with this uuid.
    Before(String),
    /// Everything so far.
    All,
}

/// The transcript entry a fork continues after (`None`: the fork starts empty). A session
/// that has no transcript of its own yet (a fork not started) is followed to the one it was
/// forked from (the entries keep their uuids in a fork, so the point is the same).
async fn fork_point(
    db: &Db,
    config_dir: &Path,
    from: &str,
    target: Target,
) -> Result<Option<String>, ForkError> {
    let mut source = from.to_string();
    for _ in 0..MAX_FORK_DEPTH {
        let (dir, id) = (config_dir.to_path_buf(), source.clone());
        let files = tokio::task::spawn_blocking(move || transcripts(&dir, &id))
            .await
            .unwrap_or_default();
        if !files.is_empty() {
            let found = match &target {
                Target::Before(uuid) => {
                    let uuid = uuid.clone();
                    tokio::task::spawn_blocking(move || parent_of(&files, &uuid))
                        .await
                        .ok()
                        .flatten()
                }
                _ => tokio::task::spawn_blocking(move || leaf_of(&files))
                    .await
                    .ok()
                    .flatten()
                    .map(Some),
            };
            return found.ok_or_else(|| {
                ForkError::Invalid(
                    "The CLI's transcript does not have this message; it cannot be forked.".into(),
                )
            });
        }
        match db.fork_origin(&source).await? {
            Some(origin) if matches!(target, Target::All) => return Ok(Some(origin.point)),
            Some(origin) => source = origin.from,
            None => break,
        }
    }
    Err(ForkError::Invalid(
        "The CLI's transcript of this session is gone; it cannot be forked.".into(),
    ))
}

/// The title of a fork of a session titled `title`.
pub fn fork_title(title: Option<&str>, from: &str) -> String {
    let named = match title {
        Some(t) => format!("Fork of {t}"),
        None => format!("Fork of session {}", &from[..from.len().min(8)]),
    };
    named
        .chars()
        .take(crate::db::TITLE_MAX_CHARS)
        .collect::<String>()
}

/// The session whose transcript a fork of `from` resumes: `from` itself once it has one,
/// else (a fork not started yet) the session it was forked from, and so on.
pub async fn transcript_owner(db: &Db, config_dir: &Path, from: &str) -> String {
    let mut source = from.to_string();
    for _ in 0..MAX_FORK_DEPTH {
        let (dir, id) = (config_dir.to_path_buf(), source.clone());
        let has = tokio::task::spawn_blocking(move || !transcripts(&dir, &id).is_empty())
            .await
            .unwrap_or(false);
        if has {
            break;
        }
        match db.fork_origin(&source).await {
            Ok(Some(origin)) => source = origin.from,
            _ => break,
        }
    }
    source
}

/// The CLI's transcripts of `session_id` under `config_dir` (`projects/*/<id>.jsonl`: a
/// resumed session may live under another project directory than the workspace's).
pub fn transcripts(config_dir: &Path, session_id: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(projects) = std::fs::read_dir(config_dir.join("projects")) {
        for project in projects.flatten() {
            let file = project.path().join(format!("{session_id}.jsonl"));
            if file.is_file() {
                found.push(file);
            }
        }
    }
    found
}

/// The transcript lines that are JSON objects.
fn entries(files: &[PathBuf]) -> impl Iterator<Item = serde_json::Value> + '_ {
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .collect::<Vec<_>>()
        })
}

/// The `parentUuid` of the entry `uuid` (`Some(None)`: it has none, it is the first);
/// `None`: no such entry.
pub fn parent_of(files: &[PathBuf], uuid: &str) -> Option<Option<String>> {
    entries(files)
        .find(|e| e.get("uuid").and_then(|u| u.as_str()) == Some(uuid))
        .map(|e| {
            e.get("parentUuid")
                .and_then(|p| p.as_str())
                .map(str::to_string)
        })
}

/// The last entry of the conversation chain (entries with a `parentUuid` field), if any.
pub fn leaf_of(files: &[PathBuf]) -> Option<String> {
    entries(files)
        .filter(|e| e.get("parentUuid").is_some())
        .filter_map(|e| e.get("uuid").and_then(|u| u.as_str()).map(str::to_string))
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_point_before_a_message_is_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("projects/-w");
        std::fs::create_dir_all(&project).unwrap();
        let lines = [
            r#"{"type":"queue-operation","operation":"enqueue"}"#,
            r#"{"type":"user","uuid":"u1","parentUuid":null}"#,
            r#"{"type":"assistant","uuid":"a1","parentUuid":"u1"}"#,
            r#"{"type":"attachment","uuid":"p1","parentUuid":"a1"}"#,
            r#"{"type":"user","uuid":"u2","parentUuid":"p1"}"#,
            r#"{"type":"assistant","uuid":"a2","parentUuid":"u2"}"#,
            r#"{"type":"last-prompt","lastPrompt":"x"}"#,
            "not json",
        ];
        std::fs::write(project.join("s.jsonl"), lines.join("\n")).unwrap();
        let files = transcripts(dir.path(), "s");
        assert_eq!(files.len(), 1);
        assert_eq!(parent_of(&files, "u2"), Some(Some("p1".into())));
        assert_eq!(parent_of(&files, "u1"), Some(None));
        assert_eq!(parent_of(&files, "nope"), None);
        assert_eq!(leaf_of(&files).as_deref(), Some("a2"));
        assert!(transcripts(dir.path(), "other").is_empty());
    }

    #[test]
    fn a_fork_is_titled_after_its_origin() {
        assert_eq!(
            fork_title(Some("Fix the bug"), "abc"),
            "Fork of Fix the bug"
        );
        assert_eq!(
            fork_title(None, "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f"),
            "Fork of session 6c1a1f8e"
        );
        let long = "x".repeat(300);
        assert_eq!(fork_title(Some(&long), "a").chars().count(), 200);
    }
}
