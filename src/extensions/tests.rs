use std::fs;
use std::path::Path;

use super::*;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

const ENV_SECRET: &str = "sk-env-value-that-must-not-leak";
const HEADER_SECRET: &str = "Bearer header-value-that-must-not-leak";

fn mcp_json() -> String {
    serde_json::json!({
        "mcpServers": {
            "files": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-filesystem", "."],
                "env": {"API_TOKEN": ENV_SECRET, "DEBUG": "1"}
            },
            "remote": {
                "type": "http",
                "url": "https://mcp.example.com/mcp",
                "headers": {"Authorization": HEADER_SECRET}
            }
        }
    })
    .to_string()
}

#[test]
fn an_empty_workspace_has_nothing_and_no_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let e = Extensions::discover(dir.path());
    assert_eq!(e.mcp_config, None);
    assert!(e.mcp_servers.is_empty() && e.skills.is_empty() && e.commands.is_empty());
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    assert_eq!(e.config_hash.len(), 16);
    // A missing workspace is not an error either.
    let gone = Extensions::discover(&dir.path().join("missing"));
    assert!(gone.warnings.is_empty());
    assert_eq!(gone.config_hash, e.config_hash);
}

#[test]
fn mcp_servers_are_passed_whole_but_shown_without_values() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), MCP_FILE, &mcp_json());
    let e = Extensions::discover(dir.path());
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);

    let cli: serde_json::Value = serde_json::from_str(e.mcp_config.as_deref().unwrap()).unwrap();
    assert_eq!(cli["mcpServers"]["files"]["env"]["API_TOKEN"], ENV_SECRET);
    assert_eq!(
        cli["mcpServers"]["remote"]["headers"]["Authorization"],
        HEADER_SECRET
    );

    let view = e.public_view();
    assert_eq!(
        view["mcp_servers"],
        serde_json::json!([
            {"name": "files", "transport": "stdio", "command": "npx",
             "args": ["-y", "@modelcontextprotocol/server-filesystem", "."], "url": null,
             "env_keys": ["API_TOKEN", "DEBUG"], "header_keys": []},
            {"name": "remote", "transport": "http", "command": null, "args": [],
             "url": "https://mcp.example.com/mcp", "env_keys": [], "header_keys": ["Authorization"]}
        ])
    );
    let shown = format!("{view} {:?} {e:?}", e.warnings);
    assert!(!shown.contains(ENV_SECRET), "{shown}");
    assert!(
        !shown.contains("header-value-that-must-not-leak"),
        "{shown}"
    );
}

#[test]
fn invalid_mcp_json_is_a_warning_and_no_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        MCP_FILE,
        &format!(
            "{{\"mcpServers\": {{\"a\": {{\"command\": \"x\", \"env\": {{\"K\": \"{ENV_SECRET}\"}}"
        ),
    );
    let e = Extensions::discover(dir.path());
    assert_eq!(e.mcp_config, None);
    assert!(e.mcp_servers.is_empty());
    assert_eq!(e.warnings.len(), 1);
    assert!(
        e.warnings[0].starts_with("mcp.json is not valid JSON"),
        "{:?}",
        e.warnings
    );
    assert!(e.warnings[0].contains("line 1"), "{:?}", e.warnings);
    assert!(!e.warnings[0].contains(ENV_SECRET));
}

#[test]
fn a_bad_server_entry_is_skipped_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        MCP_FILE,
        &format!(
            r#"{{"mcpServers": {{"good": {{"command": "srv"}},
                "bad": {{"env": {{"TOKEN": "{ENV_SECRET}"}}}}}}}}"#
        ),
    );
    let e = Extensions::discover(dir.path());
    assert_eq!(e.mcp_servers.len(), 1);
    assert_eq!(e.mcp_servers[0].name, "good");
    assert_eq!(
        e.mcp_config.as_deref(),
        Some(r#"{"mcpServers":{"good":{"command":"srv"}}}"#)
    );
    assert_eq!(
        e.warnings,
        vec!["mcp.json: MCP server \"bad\" skipped: \"command\" is missing".to_string()]
    );
}

#[test]
fn skills_with_and_without_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write(
        ws,
        "skills/pdf/SKILL.md",
        "---\nname: pdf-tools\ndescription: \"Fill PDF forms\"\n---\n# PDF\n",
    );
    write(ws, "skills/plain/SKILL.md", "Summarise the diff\n\nmore\n");
    write(
        ws,
        ".claude/skills/local/SKILL.md",
        "---\nname: local\n---\nBody line\n",
    );
    write(ws, "skills/empty-dir/README.md", "not a skill");
    let e = Extensions::discover(ws);
    let skills: Vec<_> = e
        .skills
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.description.as_deref(),
                s.path.as_str(),
                s.exposed,
            )
        })
        .collect();
    assert_eq!(
        skills,
        vec![
            (
                "local",
                Some("Body line"),
                ".claude/skills/local/SKILL.md",
                true
            ),
            (
                "pdf-tools",
                Some("Fill PDF forms"),
                "skills/pdf/SKILL.md",
                false
            ),
            (
                "plain",
                Some("Summarise the diff"),
                "skills/plain/SKILL.md",
                false
            ),
        ]
    );
    assert_eq!(e.warnings.len(), 3, "{:?}", e.warnings);
    assert!(e.warnings[0].contains("skills/empty-dir has no SKILL.md"));
    assert!(e.warnings[1].contains(".claude/skills/local/SKILL.md has no \"description:\""));
    assert!(e.warnings[2].contains("skills/plain/SKILL.md has no front matter"));
}

#[test]
fn commands_are_named_like_the_cli_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write(
        ws,
        "commands/review.md",
        "---\ndescription: Review the code\nargument-hint: \"[file] [focus]\"\n---\nReview $ARGUMENTS\n",
    );
    write(
        ws,
        "commands/frontend/component.md",
        "\n# Make a component\n",
    );
    write(ws, "commands/a/b/deep.md", "deep");
    write(ws, "commands/notes.txt", "ignored");
    write(ws, ".claude/commands/own.md", "Own command");
    let e = Extensions::discover(ws);
    let commands: Vec<_> = e
        .commands
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.description.as_deref(),
                c.argument_hint.as_deref(),
                c.exposed,
            )
        })
        .collect();
    assert_eq!(
        commands,
        vec![
            ("a:b:deep", Some("deep"), None, false),
            ("frontend:component", Some("Make a component"), None, false),
            ("own", Some("Own command"), None, true),
            (
                "review",
                Some("Review the code"),
                Some("[file] [focus]"),
                false
            ),
        ]
    );
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
}

#[test]
fn large_files_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(MAX_FILE_BYTES as usize + 1);
    write(dir.path(), "commands/big.md", &big);
    write(dir.path(), MCP_FILE, &big);
    let e = Extensions::discover(dir.path());
    assert!(e.commands.is_empty() && e.mcp_config.is_none());
    assert_eq!(e.warnings.len(), 2, "{:?}", e.warnings);
    assert!(e
        .warnings
        .iter()
        .all(|w| w.contains("larger than 1024 KiB")));
}

#[test]
fn at_most_max_entries_commands_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..=MAX_ENTRIES {
        write(dir.path(), &format!("commands/c{i:04}.md"), "x");
    }
    let e = Extensions::discover(dir.path());
    assert_eq!(e.commands.len(), MAX_ENTRIES);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
}

#[test]
fn the_hash_is_stable_and_follows_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write(ws, MCP_FILE, &mcp_json());
    write(ws, "commands/review.md", "Review");
    write(
        ws,
        "skills/pdf/SKILL.md",
        "---\nname: pdf\ndescription: d\n---\n",
    );
    let first = Extensions::discover(ws).config_hash;
    assert_eq!(Extensions::discover(ws).config_hash, first);

    let mut seen = vec![first];
    let mut changed = |what: &str| {
        let h = Extensions::discover(ws).config_hash;
        assert!(!seen.contains(&h), "{what} did not change the hash");
        seen.push(h);
    };
    write(ws, "commands/review.md", "Review carefully");
    changed("a command's content");
    write(ws, MCP_FILE, &mcp_json().replace("npx", "node"));
    changed("mcp.json");
    write(
        ws,
        "skills/other/SKILL.md",
        "---\nname: other\ndescription: d\n---\n",
    );
    changed("a new skill");
    fs::rename(ws.join("commands/review.md"), ws.join("commands/check.md")).unwrap();
    changed("a renamed command");
    fs::remove_file(ws.join(MCP_FILE)).unwrap();
    changed("removing mcp.json");
    expose_to_cli(ws).unwrap();
    changed("exposing to the CLI");
}

#[test]
fn expose_links_relatively_once_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write(
        ws,
        "skills/pdf/SKILL.md",
        "---\nname: pdf\ndescription: d\n---\n",
    );
    write(ws, "commands/review.md", "Review");
    write(ws, "commands/frontend/component.md", "Component");
    write(ws, "commands/notes.txt", "not a command");
    write(ws, "commands/mine.md", "top-level mine");
    write(ws, ".claude/commands/mine.md", "the user's own");

    let report = expose_to_cli(ws).unwrap();
    assert_eq!(
        report,
        [
            "linked .claude/skills/pdf -> ../../skills/pdf",
            "linked .claude/commands/frontend -> ../../commands/frontend",
            "kept the existing .claude/commands/mine.md; commands/mine.md is not linked",
            "linked .claude/commands/review.md -> ../../commands/review.md",
        ]
    );
    assert_eq!(
        fs::read_link(ws.join(".claude/commands/review.md")).unwrap(),
        Path::new("../../commands/review.md")
    );
    assert_eq!(
        fs::read_to_string(ws.join(".claude/commands/mine.md")).unwrap(),
        "the user's own"
    );
    assert!(!ws.join(".claude/commands/notes.txt").exists());

    // Idempotent: only the refusal is repeated.
    let again = expose_to_cli(ws).unwrap();
    assert_eq!(
        again,
        vec!["kept the existing .claude/commands/mine.md; commands/mine.md is not linked"]
    );

    // Linked entries are listed once, where they really are, as seen by the CLI.
    let e = Extensions::discover(ws);
    let commands: Vec<_> = e
        .commands
        .iter()
        .map(|c| (c.name.as_str(), c.path.as_str(), c.exposed))
        .collect();
    assert_eq!(
        commands,
        vec![
            ("frontend:component", "commands/frontend/component.md", true),
            ("mine", ".claude/commands/mine.md", true),
            ("mine", "commands/mine.md", false),
            ("review", "commands/review.md", true),
        ]
    );
    assert_eq!(e.skills.len(), 1);
    assert!(e.skills[0].exposed);
    assert_eq!(e.skills[0].path, "skills/pdf/SKILL.md");

    // A deleted command's link is removed; the user's file stays.
    fs::remove_file(ws.join("commands/review.md")).unwrap();
    let report = expose_to_cli(ws).unwrap();
    assert!(report.contains(
        &"removed .claude/commands/review.md: commands/review.md no longer exists".to_string()
    ));
    assert!(fs::symlink_metadata(ws.join(".claude/commands/review.md")).is_err());
    assert!(ws.join(".claude/commands/mine.md").exists());
}
