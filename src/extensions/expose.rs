//! Makes the top-level `skills/` and `commands/` visible to the CLI.
//!
//! The CLI reads project skills and commands only from `<cwd>/.claude/skills/<name>/` and
//! `<cwd>/.claude/commands/**.md` (and only with the `project` setting source: under
//! `--setting-sources=` it lists none). Rather than copying files, which would go stale, or
//! asking users to use `.claude/` directly, each top-level entry gets a relative symlink
//! `.claude/<kind>/<entry>` → `../../<kind>/<entry>`: edits show up at once, the workspace
//! can be moved, and the user's own `.claude/` entries are never touched.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// Whether an entry (name, path) of a top-level directory is linked.
type Wanted = fn(&str, &Path) -> bool;

/// `(directory, which entries are linked)`: skill directories; command files and
/// namespace directories.
const KINDS: [(&str, Wanted); 2] = [
    ("skills", |_, path| path.is_dir()),
    ("commands", |name, path| {
        path.is_dir() || name.ends_with(".md")
    }),
];

/// Links every top-level skill and command into `.claude/` where no entry of that name
/// exists, and removes links this function made whose target is gone. Idempotent.
/// Returns what it did or declined to do, as human-readable lines (for the log); `Err` only
/// when a `.claude/` directory cannot be made or read.
pub fn expose_to_cli(workspace: &Path) -> io::Result<Vec<String>> {
    let mut report = Vec::new();
    for (kind, wanted) in KINDS {
        let source_dir = workspace.join(kind);
        let link_dir = workspace.join(".claude").join(kind);
        remove_dangling_links(kind, &link_dir, &mut report)?;
        let Ok(read) = fs::read_dir(&source_dir) else {
            continue;
        };
        let mut entries: Vec<(String, PathBuf)> = read
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .filter(|(name, path)| !name.starts_with('.') && wanted(name, path))
            .collect();
        entries.sort();
        for (name, _) in entries {
            let link = link_dir.join(&name);
            let target = link_target(kind, &name);
            match fs::symlink_metadata(&link) {
                Ok(_) if fs::read_link(&link).ok().as_deref() == Some(target.as_path()) => {}
                Ok(_) => report.push(format!(
                    "kept the existing .claude/{kind}/{name}; {kind}/{name} is not linked"
                )),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir_all(&link_dir)?;
                    match symlink(&target, &link) {
                        Ok(()) => report.push(format!(
                            "linked .claude/{kind}/{name} -> {}",
                            target.display()
                        )),
                        Err(e) => report.push(format!(
                            "cannot link .claude/{kind}/{name} ({e}); {kind}/{name} is not visible to the CLI"
                        )),
                    }
                }
                Err(e) => report.push(format!(
                    "cannot check .claude/{kind}/{name} ({e}); {kind}/{name} is not linked"
                )),
            }
        }
    }
    Ok(report)
}

/// `../../<kind>/<name>`: relative to `.claude/<kind>/`.
fn link_target(kind: &str, name: &str) -> PathBuf {
    Path::new("../..").join(kind).join(name)
}

/// Removes links of the exact form this module makes whose target no longer exists, so a
/// deleted skill or command does not leave a broken entry behind.
fn remove_dangling_links(kind: &str, link_dir: &Path, report: &mut Vec<String>) -> io::Result<()> {
    let read = match fs::read_dir(link_dir) {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in read.filter_map(Result::ok) {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = entry.path();
        let ours = fs::read_link(&path).ok() == Some(link_target(kind, &name));
        if ours && !path.exists() {
            match fs::remove_file(&path) {
                Ok(()) => report.push(format!(
                    "removed .claude/{kind}/{name}: {kind}/{name} no longer exists"
                )),
                Err(e) => report.push(format!(
                    "cannot remove the broken link .claude/{kind}/{name} ({e})"
                )),
            }
        }
    }
    Ok(())
}
