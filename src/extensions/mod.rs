//! Extensions read from the workspace (`WORKSPACE_DIR`) on every session creation:
//! `mcp.json` (passed to the CLI with `--mcp-config`), skills and slash commands.
//!
//! Skills and commands are looked for in two places: the top-level `skills/<name>/SKILL.md`
//! and `commands/**/*.md` the server documents, and `.claude/skills/` and `.claude/commands/`,
//! the only places the CLI itself reads them from (with the `project` setting source). The
//! top-level ones reach the CLI through symlinks made by [`expose_to_cli`]; an entry found
//! in both places (a link) is listed once, with `exposed: true`.
//!
//! [`Extensions::config_hash`] changes whenever anything that a CLI process reads at start
//! changes, so the pool can drop processes started with an older configuration.

mod expose;
mod front_matter;
mod hash;
mod mcp;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use expose::expose_to_cli;
pub use mcp::McpServerInfo;

use front_matter::Document;
use hash::Fnv64;

/// The MCP configuration file, relative to the workspace.
pub const MCP_FILE: &str = "mcp.json";
/// Files larger than this are skipped with a warning.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// At most this many skills, and this many commands, are read.
pub const MAX_ENTRIES: usize = 500;
/// How deep command namespaces (`commands/a/b/c.md` → `a:b:c`) are followed.
const MAX_COMMAND_DEPTH: usize = 8;

/// Where skills and commands are read from: `(directory, read by the CLI itself)`.
const SKILL_ROOTS: [(&str, bool); 2] = [(".claude/skills", true), ("skills", false)];
const COMMAND_ROOTS: [(&str, bool); 2] = [(".claude/commands", true), ("commands", false)];

/// A skill: `<dir>/SKILL.md` with `name` and `description` in its front matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillInfo {
    /// The front matter `name`, else the directory name (as the CLI does).
    pub name: String,
    pub description: Option<String>,
    /// The SKILL.md file, relative to the workspace (where it really is, links resolved).
    pub path: String,
    /// Whether the CLI sees it (it is under `.claude/skills/`, directly or by a link).
    pub exposed: bool,
}

/// A custom slash command: a Markdown file whose body is the prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandInfo {
    /// The file stem; sub-directories become `dir:name`, as the CLI names them.
    pub name: String,
    /// The front matter `description`, else the first non-empty line.
    pub description: Option<String>,
    /// The front matter `argument-hint`, as written.
    pub argument_hint: Option<String>,
    /// The file, relative to the workspace (links resolved).
    pub path: String,
    /// Whether the CLI sees it (under `.claude/commands/`, directly or by a link).
    pub exposed: bool,
}

/// Everything discovered in the workspace, as one snapshot.
#[derive(Clone, PartialEq, Eq)]
pub struct Extensions {
    /// The `--mcp-config` JSON text to pass to the CLI (`{"mcpServers":{...}}`, only the
    /// valid servers), `None` when there is no valid server. Contains env and header
    /// values: never log or return it.
    pub mcp_config: Option<String>,
    pub mcp_servers: Vec<McpServerInfo>,
    pub skills: Vec<SkillInfo>,
    pub commands: Vec<CommandInfo>,
    /// Problems found, for the log and the API; they never contain env or header values.
    pub warnings: Vec<String>,
    /// 16 hex digits (FNV-1a 64, the same in every build) over the `mcp.json` bytes (or its
    /// absence) and the path, visibility and bytes of every skill and command file. Not
    /// mtimes: touching a file changes nothing.
    pub config_hash: String,
}

/// A Markdown file found under one of the roots, before parsing.
struct Found {
    /// Relative to the workspace, links resolved where they stay inside it.
    path: String,
    exposed: bool,
    /// For skills the directory name, for commands the `a:b:c` name.
    key: String,
}

impl Extensions {
    /// Reads the workspace. Blocking file I/O: callers run it on a blocking thread. Never
    /// fails: problems become warnings.
    pub fn discover(workspace: &Path) -> Extensions {
        let mut warnings = Vec::new();
        let mut hasher = Fnv64::new();
        let root = fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());

        let (mcp_config, mcp_servers) = match read_limited(&root.join(MCP_FILE), MCP_FILE) {
            Ok(None) => {
                hasher.field(b"mcp:none");
                (None, Vec::new())
            }
            Ok(Some(bytes)) => {
                hasher.field(b"mcp:file");
                hasher.field(&bytes);
                let parsed = mcp::parse(MCP_FILE, &String::from_utf8_lossy(&bytes));
                warnings.extend(parsed.warnings);
                (parsed.cli_json, parsed.servers)
            }
            Err(w) => {
                hasher.field(b"mcp:unreadable");
                warnings.push(w);
                (None, Vec::new())
            }
        };

        let mut skills = Vec::new();
        for found in find_skills(&root, &mut warnings) {
            let Some(text) = read_entry(&root, &found, &mut hasher, b"skill", &mut warnings) else {
                continue;
            };
            skills.push(skill_info(found, &text, &mut warnings));
        }
        skills.sort_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)));

        let mut commands = Vec::new();
        for found in find_commands(&root, &mut warnings) {
            let Some(text) = read_entry(&root, &found, &mut hasher, b"command", &mut warnings)
            else {
                continue;
            };
            let doc = Document::parse(&text);
            commands.push(CommandInfo {
                description: doc
                    .field("description")
                    .or_else(|| doc.first_line())
                    .map(str::to_string),
                argument_hint: doc.field("argument-hint").map(str::to_string),
                name: found.key,
                path: found.path,
                exposed: found.exposed,
            });
        }
        commands.sort_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)));

        Extensions {
            mcp_config,
            mcp_servers,
            skills,
            commands,
            warnings,
            config_hash: hasher.hex(),
        }
    }

    /// What `GET /api/v1/extensions` returns: MCP servers (names, transport, command, args,
    /// URL, and only the *names* of env variables and headers), skills, commands, warnings
    /// and the configuration hash. Never env or header values.
    pub fn public_view(&self) -> serde_json::Value {
        serde_json::json!({
            "mcp_servers": self.mcp_servers,
            "skills": self.skills,
            "commands": self.commands,
            "warnings": self.warnings,
            "config_hash": self.config_hash,
        })
    }
}

/// Leaves `mcp_config` out: it holds env and header values.
impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field(
                "mcp_config",
                &self.mcp_config.as_ref().map(|_| crate::secret::REDACTED),
            )
            .field("mcp_servers", &self.mcp_servers)
            .field("skills", &self.skills)
            .field("commands", &self.commands)
            .field("warnings", &self.warnings)
            .field("config_hash", &self.config_hash)
            .finish()
    }
}

fn skill_info(found: Found, text: &str, warnings: &mut Vec<String>) -> SkillInfo {
    let doc = Document::parse(text);
    let name = doc.field("name").map(str::to_string);
    let description = doc.field("description").map(str::to_string);
    if !doc.has_front_matter() {
        warnings.push(format!(
            "{} has no front matter (--- name/description ---); named after its directory",
            found.path
        ));
    } else {
        if name.is_none() {
            warnings.push(format!(
                "{} has no \"name:\"; named after its directory",
                found.path
            ));
        }
        if description.is_none() {
            warnings.push(format!(
                "{} has no \"description:\" (Claude uses it to decide when to use the skill)",
                found.path
            ));
        }
    }
    SkillInfo {
        name: name.unwrap_or(found.key),
        description: description.or_else(|| doc.first_line().map(str::to_string)),
        path: found.path,
        exposed: found.exposed,
    }
}

/// Reads a found file into the hash and returns its text; `None` (with a warning) when it
/// is too large or unreadable.
fn read_entry(
    root: &Path,
    found: &Found,
    hasher: &mut Fnv64,
    kind: &[u8],
    warnings: &mut Vec<String>,
) -> Option<String> {
    match read_limited(&root.join(&found.path), &found.path) {
        Ok(Some(bytes)) => {
            hasher.field(kind);
            hasher.field(found.path.as_bytes());
            hasher.field(if found.exposed { b"exposed" } else { b"hidden" });
            hasher.field(&bytes);
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Ok(None) => None,
        Err(w) => {
            warnings.push(w);
            None
        }
    }
}

/// The bytes of `path`; `Ok(None)` when it does not exist, `Err(warning)` when it is too
/// large or cannot be read.
fn read_limited(path: &Path, shown: &str) -> Result<Option<Vec<u8>>, String> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{shown} cannot be read ({e}); skipped")),
    };
    if !meta.is_file() {
        return Err(format!("{shown} is not a file; skipped"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{shown} is larger than {} KiB; skipped",
            MAX_FILE_BYTES / 1024
        ));
    }
    fs::read(path)
        .map(Some)
        .map_err(|e| format!("{shown} cannot be read ({e}); skipped"))
}

/// The sorted entries of a directory (nothing when it is missing), with at most
/// `MAX_ENTRIES` read.
fn sorted_entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut entries: Vec<(String, PathBuf)> = read
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    entries.sort();
    entries
}

/// Where `path` really is, relative to the workspace root (links resolved), or `rel` when
/// it resolves outside the workspace; plus the resolved path to dedupe on.
fn locate(root: &Path, rel: &str) -> (String, PathBuf) {
    let joined = root.join(rel);
    let real = fs::canonicalize(&joined).unwrap_or(joined);
    let shown = real
        .strip_prefix(root)
        .ok()
        .and_then(|p| p.to_str())
        .map_or_else(|| rel.to_string(), str::to_string);
    (shown, real)
}

/// Adds a file found under a root, merging it with the same file found through a link.
fn add_found(
    found: &mut BTreeMap<PathBuf, Found>,
    root: &Path,
    rel: String,
    exposed: bool,
    key: String,
) {
    let (path, real) = locate(root, &rel);
    found
        .entry(real)
        .and_modify(|f| f.exposed |= exposed)
        .or_insert(Found { path, exposed, key });
}

fn too_many(kind: &str, warnings: &mut Vec<String>) {
    warnings.push(format!(
        "more than {MAX_ENTRIES} {kind}; only the first {MAX_ENTRIES} are read"
    ));
}

fn find_skills(root: &Path, warnings: &mut Vec<String>) -> Vec<Found> {
    let mut found = BTreeMap::new();
    let mut seen = 0;
    'roots: for (dir, exposed) in SKILL_ROOTS {
        for (name, path) in sorted_entries(&root.join(dir)) {
            if !path.is_dir() {
                continue;
            }
            let rel = format!("{dir}/{name}/SKILL.md");
            if !root.join(&rel).exists() {
                warnings.push(format!("{dir}/{name} has no SKILL.md; skipped"));
                continue;
            }
            if seen == MAX_ENTRIES {
                too_many("skills", warnings);
                break 'roots;
            }
            seen += 1;
            add_found(&mut found, root, rel, exposed, name);
        }
    }
    found.into_values().collect()
}

fn find_commands(root: &Path, warnings: &mut Vec<String>) -> Vec<Found> {
    let mut found = BTreeMap::new();
    let mut seen = 0;
    for (dir, exposed) in COMMAND_ROOTS {
        let mut walk = CommandWalk {
            root,
            exposed,
            found: &mut found,
            seen: &mut seen,
            warnings,
        };
        if !walk.dir(dir, &[]) {
            break;
        }
    }
    found.into_values().collect()
}

struct CommandWalk<'a> {
    root: &'a Path,
    exposed: bool,
    found: &'a mut BTreeMap<PathBuf, Found>,
    seen: &'a mut usize,
    warnings: &'a mut Vec<String>,
}

impl CommandWalk<'_> {
    /// Walks `rel` (a directory); `false` once the entry limit is reached.
    fn dir(&mut self, rel: &str, namespace: &[&str]) -> bool {
        for (name, path) in sorted_entries(&self.root.join(rel)) {
            let child = format!("{rel}/{name}");
            if path.is_dir() {
                if namespace.len() + 1 >= MAX_COMMAND_DEPTH {
                    self.warnings
                        .push(format!("{child} is nested too deeply; skipped"));
                    continue;
                }
                let mut inner = namespace.to_vec();
                inner.push(&name);
                if !self.dir(&child, &inner) {
                    return false;
                }
                continue;
            }
            let Some(stem) = name.strip_suffix(".md") else {
                continue;
            };
            if *self.seen == MAX_ENTRIES {
                too_many("commands", self.warnings);
                return false;
            }
            *self.seen += 1;
            let mut parts = namespace.to_vec();
            parts.push(stem);
            add_found(self.found, self.root, child, self.exposed, parts.join(":"));
        }
        true
    }
}

#[cfg(test)]
mod tests;
