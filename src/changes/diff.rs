//! The diff of a session's directory against a base commit (docs/protocol.md, "What
//! changed"): per file its status, line counts, binary flag and hunks; untracked files
//! (not ignored) count as added. Large diffs come in pages: files by `cursor`/`limit`, and
//! one file's hunks from `hunk` on, each within a byte budget, with `truncated` and
//! `next_hunk` saying what is left.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use utoipa::ToSchema;

use super::git::{self, GitError};

/// Most bytes of hunk lines sent for one file in one response.
pub const FILE_MAX_BYTES: usize = 256 * 1024;
/// Most bytes of hunk lines in one page of files (files past it come without hunks).
pub const PAGE_MAX_BYTES: usize = 1024 * 1024;
/// Files per page: default and most.
pub const DEFAULT_FILES: usize = 20;
pub const MAX_FILES: usize = 100;
/// Most changed files listed (a bigger change lists its first ones, by path).
pub const MAX_CHANGED: usize = 20_000;
/// Untracked files whose lines are counted (the rest are listed with 0 lines).
const MAX_UNTRACKED_COUNTED: usize = 2_000;
/// Most bytes of one file's patch read from git.
const PATCH_READ_MAX: usize = 16 * 1024 * 1024;
/// Most bytes of git's file lists read.
const LIST_READ_MAX: usize = 16 * 1024 * 1024;

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
}

/// One hunk of a file's unified diff.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Hunk {
    /// The `@@ -a,b +c,d @@ …` line.
    pub header: String,
    pub old_start: u64,
    pub old_lines: u64,
    pub new_start: u64,
    pub new_lines: u64,
    /// The lines, each starting with ` `, `+`, `-` or `\` (`\ No newline at end of file`).
    pub lines: Vec<String>,
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FileDiff {
    /// Relative to the session's directory, `/`-separated.
    pub path: String,
    /// The path before a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub additions: u64,
    pub deletions: u64,
    /// A binary file: named, its content is not shown (no hunks).
    pub binary: bool,
    /// Not tracked by git (and not ignored): counted as added.
    pub untracked: bool,
    pub hunks: Vec<Hunk>,
    /// Some hunks are not in this response (over the size budget).
    pub truncated: bool,
    /// With `truncated`: ask `?file=<path>&hunk=<next_hunk>` for the rest.
    pub next_hunk: Option<u64>,
}

/// `GET /api/v1/sessions/{id}/diff`: the totals over every changed file, and one page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DiffPage {
    /// The commit compared against (the empty tree's id before the first commit).
    pub base: String,
    pub files_changed: u64,
    pub additions: u64,
    pub deletions: u64,
    /// By path; with `file`, only that file (empty when it has no changes).
    pub files: Vec<FileDiff>,
    /// Pass as `cursor` for the next page of files; null on the last.
    pub next_cursor: Option<String>,
}

/// The totals of a diff (the `changes_updated` frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub files: u64,
    pub additions: u64,
    pub deletions: u64,
}

/// What to return.
#[derive(Debug, Clone, Default)]
pub struct DiffRequest {
    /// Index of the first file.
    pub cursor: usize,
    /// Files per page (1–[`MAX_FILES`]).
    pub limit: usize,
    /// Only this file, its hunks from `hunk` on.
    pub file: Option<String>,
    pub hunk: usize,
}

/// A changed file as listed (before its hunks are read).
#[derive(Debug, Clone, PartialEq)]
struct Changed {
    path: String,
    old_path: Option<String>,
    status: FileStatus,
    additions: u64,
    deletions: u64,
    binary: bool,
    untracked: bool,
}

/// The common options of every `git diff` here: no colour, no external programs, paths
/// relative to (and limited to) the directory, renames detected.
const DIFF: &[&str] = &[
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--relative",
    "-M",
];

fn split_z(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|t| !t.is_empty())
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect()
}

/// Parses `--name-status -z`: status letter(s), then one path (two for R/C).
fn parse_name_status(tokens: &[String]) -> Vec<(FileStatus, String, Option<String>)> {
    let mut out = Vec::new();
    let mut it = tokens.iter();
    while let Some(st) = it.next() {
        let two = st.starts_with('R') || st.starts_with('C');
        let Some(first) = it.next() else { break };
        if two {
            let Some(second) = it.next() else { break };
            let status = if st.starts_with('R') {
                FileStatus::Renamed
            } else {
                FileStatus::Added
            };
            out.push((status, second.clone(), Some(first.clone())));
        } else {
            let status = match st.chars().next() {
                Some('A') => FileStatus::Added,
                Some('D') => FileStatus::Deleted,
                _ => FileStatus::Modified,
            };
            out.push((status, first.clone(), None));
        }
    }
    out
}

/// Parses `--numstat -z`: `adds\tdels\tpath` (a rename: `adds\tdels\t`, old, new);
/// `-` counts mean binary. Keyed by the (new) path.
fn parse_numstat(tokens: &[String]) -> Vec<(String, Option<(u64, u64)>)> {
    let mut out = Vec::new();
    let mut it = tokens.iter();
    while let Some(t) = it.next() {
        let mut parts = t.splitn(3, '\t');
        let (Some(a), Some(d), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let path = if rest.is_empty() {
            let _old = it.next();
            match it.next() {
                Some(new) => new.clone(),
                None => break,
            }
        } else {
            rest.to_string()
        };
        let counts = match (a.parse(), d.parse()) {
            (Ok(a), Ok(d)) => Some((a, d)),
            _ => None,
        };
        out.push((path, counts));
    }
    out
}

/// Reads an untracked file's line count and whether it is binary (a NUL in its first
/// 8000 bytes, as git decides).
fn count_untracked(path: &Path) -> (u64, bool) {
    let Ok(file) = std::fs::File::open(path) else {
        return (0, false);
    };
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
    let mut lines = 0u64;
    let mut seen = 0usize;
    let mut last = b'\n';
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) if !b.is_empty() => b,
            _ => break,
        };
        if seen < 8000 && buf[..buf.len().min(8000 - seen)].contains(&0) {
            return (0, true);
        }
        seen += buf.len();
        lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
        last = buf[buf.len() - 1];
        let n = buf.len();
        reader.consume(n);
    }
    if last != b'\n' {
        lines += 1;
    }
    (lines, false)
}

/// Every changed file (tracked changes against `base`, then untracked files), by path.
async fn changed_files(dir: &Path, base: &str) -> Result<Vec<Changed>, GitError> {
    let mut args: Vec<&str> = DIFF.to_vec();
    args.extend(["--name-status", "-z", base, "--"]);
    let names = git::run(dir, &args, LIST_READ_MAX).await?;
    let mut args: Vec<&str> = DIFF.to_vec();
    args.extend(["--numstat", "-z", base, "--"]);
    let stats = git::run(dir, &args, LIST_READ_MAX).await?;
    let untracked = git::run(
        dir,
        &["ls-files", "--others", "--exclude-standard", "-z"],
        LIST_READ_MAX,
    )
    .await?;
    let counts: std::collections::HashMap<String, Option<(u64, u64)>> =
        parse_numstat(&split_z(&stats.stdout)).into_iter().collect();
    let mut files: Vec<Changed> = parse_name_status(&split_z(&names.stdout))
        .into_iter()
        .map(|(status, path, old_path)| {
            let c = counts.get(&path).copied().flatten();
            Changed {
                binary: counts.contains_key(&path) && c.is_none(),
                additions: c.map_or(0, |c| c.0),
                deletions: c.map_or(0, |c| c.1),
                path,
                old_path,
                status,
                untracked: false,
            }
        })
        .collect();
    let new: Vec<String> = split_z(&untracked.stdout);
    let root = dir.to_path_buf();
    let counted = tokio::task::spawn_blocking(move || {
        new.into_iter()
            .enumerate()
            .map(|(i, p)| {
                let (lines, binary) = if i < MAX_UNTRACKED_COUNTED {
                    count_untracked(&root.join(&p))
                } else {
                    (0, false)
                };
                (p, lines, binary)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| GitError::Failed(format!("counting untracked files: {e}")))?;
    files.extend(counted.into_iter().map(|(path, lines, binary)| Changed {
        path,
        old_path: None,
        status: FileStatus::Added,
        additions: lines,
        deletions: 0,
        binary,
        untracked: true,
    }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.truncate(MAX_CHANGED);
    Ok(files)
}

fn totals(files: &[Changed]) -> Totals {
    Totals {
        files: files.len() as u64,
        additions: files.iter().map(|f| f.additions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
    }
}

/// The totals of the directory's diff against `base` (`None`: `HEAD`).
pub async fn summary(dir: &Path, base: Option<&str>) -> Result<Totals, GitError> {
    let base = git::resolve_base(dir, base).await?;
    Ok(totals(&changed_files(dir, &base).await?))
}

/// Parses `@@ -a,b +c,d @@`.
fn parse_header(line: &str) -> Option<(u64, u64, u64, u64)> {
    let inner = line.strip_prefix("@@ ")?;
    let end = inner.find(" @@")?;
    let mut parts = inner[..end].split(' ');
    let range = |s: &str| -> Option<(u64, u64)> {
        let mut it = s.splitn(2, ',');
        let start = it.next()?.parse().ok()?;
        let len = match it.next() {
            Some(n) => n.parse().ok()?,
            None => 1,
        };
        Some((start, len))
    };
    let (os, ol) = range(parts.next()?.strip_prefix('-')?)?;
    let (ns, nl) = range(parts.next()?.strip_prefix('+')?)?;
    Some((os, ol, ns, nl))
}

/// The hunks of one file's patch (`git diff` output for that file).
pub fn parse_hunks(patch: &str) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    for line in patch.lines() {
        if line.starts_with("@@ ") {
            if let Some((old_start, old_lines, new_start, new_lines)) = parse_header(line) {
                hunks.push(Hunk {
                    header: line.to_string(),
                    old_start,
                    old_lines,
                    new_start,
                    new_lines,
                    lines: Vec::new(),
                });
                continue;
            }
        }
        if let Some(h) = hunks.last_mut() {
            if matches!(line.as_bytes().first(), Some(b' ' | b'+' | b'-' | b'\\')) {
                h.lines.push(line.to_string());
            }
        }
    }
    hunks
}

/// An untracked text file as one hunk of additions.
fn untracked_hunks(path: &Path) -> (Vec<Hunk>, bool) {
    let mut bytes = Vec::new();
    let cut = match std::fs::File::open(path) {
        Ok(f) => {
            let _ = f.take(PATCH_READ_MAX as u64 + 1).read_to_end(&mut bytes);
            bytes.len() > PATCH_READ_MAX
        }
        Err(_) => false,
    };
    bytes.truncate(PATCH_READ_MAX);
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<String> = text.lines().map(|l| format!("+{l}")).collect();
    if lines.is_empty() {
        return (Vec::new(), cut);
    }
    let n = lines.len() as u64;
    let mut lines = lines;
    if !text.ends_with('\n') {
        lines.push("\\ No newline at end of file".into());
    }
    let hunk = Hunk {
        header: format!("@@ -0,0 +1,{n} @@"),
        old_start: 0,
        old_lines: 0,
        new_start: 1,
        new_lines: n,
        lines,
    };
    (vec![hunk], cut)
}

/// Every hunk of one changed file, and whether git's output was cut.
async fn file_hunks(dir: &Path, base: &str, f: &Changed) -> Result<(Vec<Hunk>, bool), GitError> {
    if f.untracked {
        let path: PathBuf = dir.join(&f.path);
        return tokio::task::spawn_blocking(move || untracked_hunks(&path))
            .await
            .map_err(|e| GitError::Failed(format!("reading an untracked file: {e}")));
    }
    let mut args: Vec<&str> = DIFF.to_vec();
    args.extend([base, "--", f.path.as_str()]);
    if let Some(old) = &f.old_path {
        args.push(old.as_str());
    }
    let out = git::run(dir, &args, PATCH_READ_MAX).await?;
    Ok((parse_hunks(&String::from_utf8_lossy(&out.stdout)), out.cut))
}

/// Hunks from `from` on within `budget` bytes: what fits, whether some were left out, and
/// the index to continue from. A first hunk larger than the budget is cut to it.
fn within(
    hunks: Vec<Hunk>,
    from: usize,
    budget: usize,
    cut: bool,
) -> (Vec<Hunk>, bool, Option<u64>) {
    let total = hunks.len();
    let mut used = 0usize;
    let mut out = Vec::new();
    for (i, mut h) in hunks.into_iter().enumerate().skip(from) {
        let size: usize = h.lines.iter().map(|l| l.len() + 1).sum::<usize>() + h.header.len();
        if used + size > budget {
            if out.is_empty() {
                // One hunk over the whole budget: its first lines, then on to the next.
                let mut kept = h.header.len();
                let n = h
                    .lines
                    .iter()
                    .take_while(|l| {
                        kept += l.len() + 1;
                        kept <= budget
                    })
                    .count();
                h.lines.truncate(n);
                out.push(h);
                let next = (i + 1 < total).then_some(i as u64 + 1);
                return (out, true, next);
            }
            return (out, true, Some(i as u64));
        }
        used += size;
        out.push(h);
    }
    (out, cut, None)
}

/// The directory's diff against `base` (`None`: `HEAD`, or the empty tree before the
/// first commit), as asked by `req`.
pub async fn diff(dir: &Path, base: Option<&str>, req: &DiffRequest) -> Result<DiffPage, GitError> {
    let base = git::resolve_base(dir, base).await?;
    let files = changed_files(dir, &base).await?;
    let t = totals(&files);
    let mut page = DiffPage {
        base: base.clone(),
        files_changed: t.files,
        additions: t.additions,
        deletions: t.deletions,
        files: Vec::new(),
        next_cursor: None,
    };
    let (chosen, next_cursor): (Vec<&Changed>, Option<usize>) = match &req.file {
        Some(path) => (files.iter().filter(|f| &f.path == path).collect(), None),
        None => {
            let limit = req.limit.clamp(1, MAX_FILES);
            let end = (req.cursor + limit).min(files.len());
            let slice = files.get(req.cursor..end).unwrap_or(&[]);
            (slice.iter().collect(), (end < files.len()).then_some(end))
        }
    };
    page.next_cursor = next_cursor.map(|n| n.to_string());
    let mut left = PAGE_MAX_BYTES;
    for f in chosen {
        let mut out = FileDiff {
            path: f.path.clone(),
            old_path: f.old_path.clone(),
            status: f.status,
            additions: f.additions,
            deletions: f.deletions,
            binary: f.binary,
            untracked: f.untracked,
            hunks: Vec::new(),
            truncated: false,
            next_hunk: None,
        };
        if !f.binary {
            let from = if req.file.is_some() { req.hunk } else { 0 };
            if left < 4096 {
                out.truncated = true;
                out.next_hunk = Some(from as u64);
            } else {
                let (hunks, cut) = file_hunks(dir, &base, f).await?;
                let (hunks, truncated, next) = within(hunks, from, FILE_MAX_BYTES.min(left), cut);
                left -= hunks
                    .iter()
                    .map(|h| h.header.len() + h.lines.iter().map(|l| l.len() + 1).sum::<usize>())
                    .sum::<usize>()
                    .min(left);
                out.hunks = hunks;
                out.truncated = truncated;
                out.next_hunk = next;
            }
        }
        page.files.push(out);
    }
    Ok(page)
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
