//! The files of a session's directory for @-mentions (`GET /api/v1/sessions/{id}/files`):
//! walked with ripgrep's `ignore` crate (so `.gitignore`, `.ignore` and `.git/info/exclude`
//! are respected, `.git` itself skipped), cached per directory for a few seconds (and
//! dropped after a turn that edited files), and ranked by a fuzzy subsequence score that
//! favours matches in the file name and at the start of path segments.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a walked list is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(15);
/// Most files listed from one directory (a bigger tree lists the first ones walked).
pub const MAX_FILES: usize = 200_000;
/// Directories whose lists are kept at once.
const CACHE_DIRS: usize = 32;
/// Results per query: default and most.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// A walked directory: its files, relative and `/`-separated, sorted.
#[derive(Debug)]
pub struct Listing {
    pub files: Vec<String>,
    /// The walk stopped at [`MAX_FILES`].
    pub capped: bool,
}

struct Cached {
    at: Instant,
    listing: Arc<Listing>,
}

fn cache() -> &'static Mutex<HashMap<PathBuf, Cached>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Cached>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Walks `dir` (blocking: call it on a blocking thread).
pub fn walk(dir: &Path) -> Listing {
    let mut files = Vec::new();
    let mut capped = false;
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker.flatten() {
        if !entry
            .file_type()
            .is_some_and(|t| t.is_file() || t.is_symlink())
        {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.is_empty() {
            continue;
        }
        if files.len() >= MAX_FILES {
            capped = true;
            break;
        }
        files.push(rel);
    }
    files.sort();
    Listing { files, capped }
}

/// The listing of `dir`, from the cache when fresh (blocking on a miss).
pub fn listing(dir: &Path) -> Arc<Listing> {
    if let Ok(c) = cache().lock() {
        if let Some(hit) = c.get(dir).filter(|c| c.at.elapsed() < CACHE_TTL) {
            return hit.listing.clone();
        }
    }
    let listing = Arc::new(walk(dir));
    if let Ok(mut c) = cache().lock() {
        if c.len() >= CACHE_DIRS {
            if let Some(oldest) = c.iter().min_by_key(|(_, v)| v.at).map(|(k, _)| k.clone()) {
                c.remove(&oldest);
            }
        }
        c.insert(
            dir.to_path_buf(),
            Cached {
                at: Instant::now(),
                listing: listing.clone(),
            },
        );
    }
    listing
}

/// Forgets `dir`'s listing (its files may have changed).
pub fn invalidate(dir: &Path) {
    if let Ok(mut c) = cache().lock() {
        c.remove(dir);
    }
}

fn is_separator(c: u8) -> bool {
    matches!(c, b'/' | b'_' | b'-' | b'.' | b' ')
}

/// The score of `query` (lower-case bytes) as a subsequence of `text` starting its search
/// at `from`; `None` when it is not one. Each matched character scores, more at the start
/// of a segment and right after the previous match.
fn subsequence(text: &[u8], query: &[u8]) -> Option<i64> {
    let mut score = 0i64;
    let mut qi = 0;
    let mut last: Option<usize> = None;
    for (i, &c) in text.iter().enumerate() {
        if qi == query.len() {
            break;
        }
        if c.to_ascii_lowercase() != query[qi] {
            continue;
        }
        score += 1;
        if i == 0 || is_separator(text[i - 1]) {
            score += 8;
        } else if text[i].is_ascii_uppercase() && text[i - 1].is_ascii_lowercase() {
            score += 6;
        }
        match last {
            Some(l) if l + 1 == i => score += 5,
            Some(l) => score -= ((i - l - 1) as i64).min(3),
            None => {}
        }
        last = Some(i);
        qi += 1;
    }
    (qi == query.len()).then_some(score)
}

/// How well `path` matches `query` (lower-case); `None`: not at all. A match within the
/// file name outranks one across directories; shorter paths win ties.
pub fn score(path: &str, query: &str) -> Option<i64> {
    let q = query.as_bytes();
    let p = path.as_bytes();
    let name_at = path.rfind('/').map_or(0, |i| i + 1);
    let name = &p[name_at..];
    let length_penalty = (p.len() as i64) / 8;
    if let Some(s) = subsequence(name, q) {
        let exact = path[name_at..].to_ascii_lowercase().starts_with(query) as i64 * 20;
        return Some(100 + s + exact - length_penalty);
    }
    subsequence(p, q).map(|s| s - length_penalty)
}

/// The best `limit` files of `files` for `query` (case-insensitive; spaces ignored). An
/// empty query lists the shallowest files first.
pub fn rank<'a>(files: &'a [String], query: &str, limit: usize) -> Vec<&'a str> {
    let query: String = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let limit = limit.clamp(1, MAX_LIMIT);
    if query.is_empty() {
        // The `limit` shallowest, without sorting the whole list.
        let mut all: Vec<(usize, &str)> = files
            .iter()
            .map(|p| (p.bytes().filter(|b| *b == b'/').count(), p.as_str()))
            .collect();
        if all.len() > limit {
            all.select_nth_unstable(limit);
            all.truncate(limit);
        }
        all.sort_unstable();
        return all.into_iter().map(|(_, p)| p).collect();
    }
    let mut scored: Vec<(i64, &str)> = files
        .iter()
        .filter_map(|p| score(p, &query).map(|s| (s, p.as_str())))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.truncate(limit);
    scored.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_match_in_the_file_name_ranks_first() {
        let f = files(&[
            "src/domain/model.rs",
            "src/main.rs",
            "docs/maintenance.md",
            "web/src/main.tsx",
        ]);
        let r = rank(&f, "main", 10);
        assert_eq!(r[0], "src/main.rs");
        assert!(r.contains(&"web/src/main.tsx"));
        // "do-main" matches too, below the file names.
        assert_eq!(r.last(), Some(&"src/domain/model.rs"));
        assert_eq!(rank(&f, "srmain", 10)[0], "src/main.rs");
        assert!(rank(&f, "zzz", 10).is_empty());
    }

    #[test]
    fn segment_starts_beat_scattered_letters() {
        let f = files(&["a/session_dir.rs", "a/sxexsxsxixoxn_dxixr.rs"]);
        assert_eq!(rank(&f, "sd", 10)[0], "a/session_dir.rs");
        let f = files(&["deep/er/path/x.rs", "x.rs"]);
        assert_eq!(rank(&f, "", 1), vec!["x.rs"]);
    }

    #[test]
    fn the_walk_respects_gitignore_and_skips_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join(".git/config"), "").unwrap();
        std::fs::create_dir_all(d.join("src")).unwrap();
        std::fs::create_dir_all(d.join("target/debug")).unwrap();
        std::fs::write(d.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::write(d.join("src/lib.rs"), "").unwrap();
        std::fs::write(d.join("x.log"), "").unwrap();
        std::fs::write(d.join("target/debug/app"), "").unwrap();
        std::fs::write(d.join(".env.example"), "").unwrap();
        let l = walk(d);
        assert_eq!(l.files, vec![".env.example", ".gitignore", "src/lib.rs"]);
        assert!(!l.capped);
    }
}
