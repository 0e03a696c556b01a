//! The few git commands the server runs (blocking; call from a blocking thread): a
//! project's state, and worktrees. `git` is taken from `PATH`; its output is parsed in the
//! plumbing formats only (`--porcelain`, `rev-parse`).

use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `git -C dir args…` with no prompt and no pager.
pub fn run(dir: &Path, args: &[&str]) -> io::Result<Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .output()
}

/// Runs `git -C dir args…` with `input` on its stdin.
pub fn run_with_input(dir: &Path, args: &[&str], input: &[u8]) -> io::Result<Output> {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| io::Error::other("no stdin"))?;
    // Written from a thread: git may answer (stdout, stderr) before it has read it all.
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output()?;
    // A write cut short (git stopped reading) shows in git's own status and message.
    let _ = writer.join();
    Ok(out)
}

/// `git … ` succeeded: its trimmed stdout.
fn ok(dir: &Path, args: &[&str]) -> Option<String> {
    let out = run(dir, args).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// An error from a failed git command, with git's own message.
pub fn check(out: io::Result<Output>, what: &str) -> io::Result<()> {
    let out = out?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(io::Error::other(format!("{what}: {}", stderr.trim())))
}

/// Whether `dir` is the top of a git working tree (a sub-directory of a repository is not a
/// project of its own for worktrees).
pub fn is_repo_top(dir: &Path) -> bool {
    ok(dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .zip(std::fs::canonicalize(dir).ok())
        .is_some_and(|(top, dir)| top == dir)
}

/// The commit `HEAD` points at; None in a repository without commits.
pub fn head_commit(dir: &Path) -> Option<String> {
    ok(dir, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).filter(|s| !s.is_empty())
}

/// A project's git state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The checked-out branch (None: detached).
    pub branch: Option<String>,
    pub dirty: bool,
}

/// The git state of `dir`, None when it is not in a git repository.
pub fn state(dir: &Path) -> Option<State> {
    ok(dir, &["rev-parse", "--is-inside-work-tree"]).filter(|s| s == "true")?;
    let branch = ok(dir, &["symbolic-ref", "--quiet", "--short", "HEAD"]).filter(|b| !b.is_empty());
    Some(State {
        branch,
        dirty: !changes(dir).unwrap_or_default().is_empty(),
    })
}

/// The paths with uncommitted changes in `dir` (staged, unstaged or untracked, ignored
/// files excepted), as `git status --porcelain` names them.
pub fn changes(dir: &Path) -> io::Result<Vec<String>> {
    let out = run(
        dir,
        &["status", "--porcelain=v1", "-z", "--untracked-files=all"],
    )?;
    if !out.status.success() {
        return Err(io::Error::other("git status failed"));
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| e.len() > 3)
        .map(|e| String::from_utf8_lossy(&e[3..]).into_owned())
        .collect())
}
