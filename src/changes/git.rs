//! Running `git` on a session's directory: as a subprocess, isolated from whoever runs the
//! server (no `GIT_*` variable from our environment, no system or global config, no pager,
//! no external diff or textconv program, no fsmonitor, no optional index lock), with its
//! output and its time bounded. A repository's own config is still read; nothing it can set
//! runs a program on the commands used here.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

/// How long one git command may take.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a git command gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The directory is not inside a git working tree (or does not exist).
    #[error("not a git repository")]
    NotARepository,
    /// git could not be started, failed, or took too long (the detail is for the log).
    #[error("git failed: {0}")]
    Failed(String),
}

/// What a command printed: at most `cap` bytes, and whether there was more.
#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub cut: bool,
}

/// `git -C dir <args>`, reading at most `cap` bytes of its output (the process is ended
/// when there is more, or after [`GIT_TIMEOUT`]).
pub async fn run(dir: &Path, args: &[&str], cap: usize) -> Result<Output, GitError> {
    let mut cmd = tokio::process::Command::new("git");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_PAGER", "cat")
        .env("PAGER", "cat")
        .env("LC_ALL", "C")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.quotepath=off",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.untrackedCache=false",
            "-c",
            "diff.noprefix=false",
            "-c",
            "diff.mnemonicPrefix=false",
            "-c",
            "color.ui=false",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| GitError::Failed(format!("could not start git: {e}")))?;
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(GitError::Failed("no pipes".into()));
    };
    // stderr is drained on its own (a chatty git must not block on it), keeping 16 KiB.
    let errors = tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if kept.len() < 16 * 1024 {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        kept
    });
    let work = async {
        let mut out = Vec::new();
        stdout
            .take(cap as u64 + 1)
            .read_to_end(&mut out)
            .await
            .map_err(|e| GitError::Failed(format!("reading git's output: {e}")))?;
        let cut = out.len() > cap;
        if cut {
            out.truncate(cap);
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Ok(Output { stdout: out, cut });
        }
        let status = child
            .wait()
            .await
            .map_err(|e| GitError::Failed(format!("waiting for git: {e}")))?;
        if status.success() {
            return Ok(Output { stdout: out, cut });
        }
        let err = errors.await.unwrap_or_default();
        let err = String::from_utf8_lossy(&err);
        if err.contains("not a git repository") || err.contains("cannot change to") {
            return Err(GitError::NotARepository);
        }
        Err(GitError::Failed(format!(
            "git {} exited with {status}: {}",
            args.first().copied().unwrap_or(""),
            err.trim()
        )))
    };
    match tokio::time::timeout(GIT_TIMEOUT, work).await {
        Ok(r) => r,
        Err(_) => Err(GitError::Failed(format!(
            "git {} took longer than {} s",
            args.first().copied().unwrap_or(""),
            GIT_TIMEOUT.as_secs()
        ))),
    }
}

/// The commit to compare against: `base`, else `HEAD`, else (no commit yet) the empty
/// tree. Refuses a directory outside any git working tree.
pub async fn resolve_base(dir: &Path, base: Option<&str>) -> Result<String, GitError> {
    if !dir.is_dir() {
        return Err(GitError::NotARepository);
    }
    let inside = run(dir, &["rev-parse", "--is-inside-work-tree"], 64).await?;
    if !String::from_utf8_lossy(&inside.stdout).starts_with("true") {
        return Err(GitError::NotARepository);
    }
    if let Some(b) = base {
        return Ok(b.to_string());
    }
    match run(dir, &["rev-parse", "--verify", "-q", "HEAD^{commit}"], 256).await {
        Ok(out) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_string()),
        Err(GitError::Failed(_)) => Ok(super::EMPTY_TREE.to_string()),
        Err(e) => Err(e),
    }
}
