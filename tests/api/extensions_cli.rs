//! The real CLI sees what `extensions` exposes, and only with the `project` setting source.

use std::fs;

use claude_sdk_pattern::claude::{ClaudeProcess, SessionStart};
use claude_sdk_pattern::extensions::{expose_to_cli, Extensions};

use crate::cli::{new_id, CliSandbox};

const NO_MODEL: &str = "http://127.0.0.1:9";

/// The non-builtin command names the CLI reports in its initialize answer.
async fn project_commands(sb: &CliSandbox, ext: &Extensions, sources: &str) -> Vec<String> {
    let mut o = sb.options(SessionStart::New(new_id()), NO_MODEL);
    o.extra_args = vec![format!("--setting-sources={sources}")];
    o.mcp_config = ext.mcp_config.clone();
    let started = ClaudeProcess::start(o).await.unwrap();
    let mut names: Vec<String> = started.init.raw["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("builtin").is_none())
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    started.process.stop().await;
    names
}

#[tokio::test]
async fn exposed_skills_and_commands_reach_the_cli() {
    let sb = CliSandbox::new();
    let ws = sb.workspace();
    let write = |rel: &str, text: &str| {
        let p = ws.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    };
    write(
        "skills/pdf/SKILL.md",
        "---\nname: pdf-tools\ndescription: Fill PDF forms\n---\nUse it.\n",
    );
    write(
        "commands/review.md",
        "---\ndescription: Review\n---\nReview\n",
    );
    write("commands/frontend/component.md", "Make a component\n");
    // A valid server next to one the CLI would reject: only the valid one is passed.
    write(
        "mcp.json",
        r#"{"mcpServers": {"ok": {"command": "true"}, "bad": {"url": "http://127.0.0.1:9/"}}}"#,
    );

    let before = Extensions::discover(&ws);
    assert_eq!(before.warnings.len(), 1, "{:?}", before.warnings);
    assert!(project_commands(&sb, &before, "project").await.is_empty());

    expose_to_cli(&ws).unwrap();
    let ext = Extensions::discover(&ws);
    assert_ne!(ext.config_hash, before.config_hash);
    let mut ours: Vec<String> = ext.commands.iter().map(|c| c.name.clone()).collect();
    ours.extend(ext.skills.iter().map(|s| s.name.clone()));
    ours.sort();
    // Skills are listed among the CLI's commands, under their front matter name.
    assert_eq!(project_commands(&sb, &ext, "project").await, ours);
    // With no setting sources the CLI reads no project skills or commands at all.
    assert!(project_commands(&sb, &ext, "").await.is_empty());
}
