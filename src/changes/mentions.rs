//! Keeping a message's @-mentions inside the session's directory. The CLI expands
//! `@path` in a user message by reading the file — also `@../x`, `@/abs/x` and anything a
//! symlink points to, with no permission prompt — so the server refuses a message with a
//! mention that leads out of the session's directory before it reaches the CLI.
//!
//! A mention, as the CLI reads one: `@` at the start of the text or after whitespace, then
//! either a quoted path (`@"a b/c.txt"`) or everything up to the next whitespace; a
//! `#L…` line range after it is not part of the path.

use std::path::{Component, Path, PathBuf};

/// The mentions in `text`, as written (without `@`, quotes and `#L…`).
pub fn mentions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || chars[i - 1].is_whitespace());
        if !starts {
            i += 1;
            continue;
        }
        i += 1;
        let mut path = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                path.push(chars[i]);
                i += 1;
            }
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                path.push(chars[i]);
                i += 1;
            }
        }
        if let Some(at) = path.find("#L") {
            path.truncate(at);
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// `path` with `.` and `..` resolved without touching the disk; `None` when `..` climbs
/// above where it started.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

/// True when the mention `m` can only reach files inside `dir`: not `~…`, and its path
/// (relative to `dir`, or absolute) stays inside `dir` — written, and, when it exists, once
/// symlinks are followed.
pub fn stays_inside(m: &str, dir: &Path) -> bool {
    if m.starts_with('~') {
        return false;
    }
    let Ok(root) = dir.canonicalize() else {
        return false;
    };
    let p = Path::new(m);
    let (written, within) = if p.is_absolute() {
        match normalize(p) {
            Some(n) => {
                let inside = n.starts_with(dir) || n.starts_with(&root);
                (n, inside)
            }
            None => return false,
        }
    } else {
        match normalize(p) {
            Some(n) => (root.join(n), true),
            None => return false,
        }
    };
    if !within {
        return false;
    }
    match written.canonicalize() {
        Ok(real) => real.starts_with(&root),
        // Not there: the CLI leaves a missing file's mention as text.
        Err(_) => true,
    }
}

/// The first mention in `text` that leads out of `dir`, if any.
pub fn first_escape(text: &str, dir: &Path) -> Option<String> {
    if !text.contains('@') {
        return None;
    }
    mentions(text).into_iter().find(|m| !stays_inside(m, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_read_as_the_cli_reads_them() {
        assert_eq!(
            mentions("look at @src/main.rs#L2-3 and @\"a b/c.txt\" not me@x.com (@y)"),
            vec!["src/main.rs", "a b/c.txt"]
        );
        assert_eq!(mentions("@README.md"), vec!["README.md"]);
        assert!(mentions("an @ alone").is_empty());
    }

    #[test]
    fn escapes_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join("src")).unwrap();
        std::fs::write(ws.join("src/a.rs"), "").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), ws.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(dir.path(), ws.join("up")).unwrap();
        let inside_abs = ws.join("src/a.rs").to_string_lossy().into_owned();
        let outside_abs = dir.path().join("secret.txt").to_string_lossy().into_owned();
        for ok in [
            "src/a.rs",
            "./src/a.rs",
            "src/../src/a.rs",
            "missing.txt",
            &inside_abs,
        ] {
            assert!(stays_inside(ok, &ws), "{ok}");
        }
        for bad in [
            "../secret.txt",
            "src/../../secret.txt",
            "link.txt",
            "up/secret.txt",
            "~/x",
            "/etc/passwd",
            &outside_abs,
        ] {
            assert!(!stays_inside(bad, &ws), "{bad}");
        }
        assert_eq!(
            first_escape("see @src/a.rs and @../secret.txt", &ws).as_deref(),
            Some("../secret.txt")
        );
        assert_eq!(first_escape("mail me@../secret.txt", &ws), None);
    }
}
