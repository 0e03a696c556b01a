//! Slash commands (issue 15) against the real CLI and the model stub: `session_ready`
//! carries the commands the session's CLI offers — the workspace's own among them, with
//! descriptions — and `/compact` works, its effect shown as a line with the tokens before
//! and after.

use claude_sdk_pattern::db::MessageKind;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::EventBody;

use crate::engine_harness::{admin, ends_turn, harness_with_sources};

#[actix_web::test]
async fn session_ready_lists_the_workspace_commands_and_compact_works() {
    let h = harness_with_sources(&[], &[], "project").await;
    let commands = h.dir.path().join("workspace/commands");
    std::fs::create_dir_all(&commands).unwrap();
    std::fs::write(
        commands.join("mycmd.md"),
        "---\ndescription: My workspace command\nargument-hint: <thing>\n---\nPlease do MYCMD with: $ARGUMENTS\n",
    )
    .unwrap();
    let (id, mut ev) = h.open().await;
    let ready = ev.next().await;
    let EventBody::SessionReady { commands, .. } = ready.body else {
        panic!("first event: {ready:?}")
    };
    let mine = commands
        .iter()
        .find(|c| c.name == "mycmd")
        .unwrap_or_else(|| panic!("{commands:#?}"));
    assert_eq!(mine.description, "My workspace command (project)");
    assert_eq!(mine.argument_hint, "<thing>");
    assert!(commands.iter().any(|c| c.name == "compact"));
    assert!(!commands
        .iter()
        .any(|c| c.name == "clear" || c.name.starts_with("__")));

    // The workspace command is expanded by the CLI.
    h.stub.push(Reply::text("did it"));
    h.engine
        .query(&admin(), &id, "/mycmd the parser", 1)
        .await
        .unwrap();
    ev.until(ends_turn).await;
    let sent = h.stub.requests().last().unwrap().messages.to_string();
    assert!(sent.contains("Please do MYCMD with: the parser"), "{sent}");

    // /compact: the CLI summarizes with one model call; the client sees the tokens.
    h.stub.rule(
        "CRITICAL: Respond with TEXT ONLY",
        Reply::text("<analysis>a</analysis>\n<summary>SUMMARY-OF-CONVERSATION</summary>"),
    );
    h.engine.query(&admin(), &id, "/compact", 2).await.unwrap();
    let events = ev.until(ends_turn).await;
    let (pre, post) = events
        .iter()
        .find_map(|e| match e.body {
            EventBody::ContextCompacted {
                pre_tokens,
                post_tokens,
            } => Some((pre_tokens, post_tokens)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no context_compacted: {events:#?}"));
    assert!(pre > 0 && post > 0, "{pre} → {post}");
    assert!(
        matches!(
            events.last().unwrap().body,
            EventBody::ResponseComplete { .. }
        ),
        "{events:#?}"
    );
    // The notice is stored through the session's write queue, after the turn's events: poll
    // the store (bounded) rather than read it once.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let stored = h.db.messages(id.as_str(), 0).await.unwrap();
        if stored.iter().any(|m| {
            m.kind == MessageKind::Notice
                && m.payload["kind"] == "compacted"
                && m.payload["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("Conversation compacted")
        }) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no compacted notice stored: {stored:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    h.stop().await;
}
