//! Agent progress (issue 15) against the real CLI and the model stub: a `TodoWrite` call
//! works (the server turns the todo tools on) and reaches the client with its todos; a
//! sub-agent's tool calls and results reach the client nested under its `Agent` call
//! (`parent_tool_use_id`), and so does its text (its report), all stored that way, instead
//! of being dropped.

use claude_sdk_pattern::db::MessageKind;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::EventBody;
use serde_json::json;

use crate::engine_harness::{admin, ends_turn, harness, text_of};

#[actix_web::test]
async fn todo_write_updates_reach_the_client() {
    let h = harness(&[]).await;
    let (id, mut ev) = h.open().await;
    let todos = json!([
        {"content": "Read the parser", "status": "completed", "activeForm": "Reading the parser"},
        {"content": "Add tests", "status": "in_progress", "activeForm": "Adding tests"},
        {"content": "Update docs", "status": "pending", "activeForm": "Updating docs"}
    ]);
    h.stub.push(Reply::tool(
        "TodoWrite",
        json!({"todos": todos}),
        "Tracking it.",
    ));
    h.engine
        .query(&admin(), &id, "track the work", 1)
        .await
        .unwrap();
    let events = ev.until(ends_turn).await;
    let input = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::ToolUse { name, input, .. } if name == "TodoWrite" => Some(input.clone()),
            _ => None,
        })
        .expect("a TodoWrite tool_use");
    assert_eq!(input["todos"], todos);
    let result = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::ToolResult {
                is_error, content, ..
            } => Some((*is_error, content.clone())),
            _ => None,
        })
        .unwrap();
    assert!(!result.0, "TodoWrite is available: {}", result.1);
    assert_eq!(text_of(&events), "Tracking it.");
    h.stop().await;
}

#[actix_web::test]
async fn a_sub_agents_tool_calls_arrive_nested_under_its_agent_call() {
    let h = harness(&[]).await;
    let (id, mut ev) = h.open().await;
    // The sub-agent's own requests: its prompt is its first user message.
    h.stub.rule(
        "SUBAGENT-PROMPT",
        Reply::tool(
            "Bash",
            json!({"command": "echo sub-ok", "description": "Say ok"}),
            "SUB REPORT",
        ),
    );
    h.stub.push(Reply::tool(
        "Agent",
        json!({"description": "Do sub work", "prompt": "SUBAGENT-PROMPT: say ok",
               "subagent_type": "general-purpose", "run_in_background": false}),
        "main done",
    ));
    h.engine
        .query(&admin(), &id, "delegate it", 1)
        .await
        .unwrap();
    let events = ev.until(ends_turn).await;
    let agent_id = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::ToolUse {
                tool_use_id,
                name,
                parent_tool_use_id: None,
                ..
            } if name == "Agent" => Some(tool_use_id.clone()),
            _ => None,
        })
        .expect("the Agent call");
    let inner = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::ToolUse {
                tool_use_id,
                name,
                parent_tool_use_id: Some(p),
                ..
            } if name == "Bash" && *p == agent_id => Some(tool_use_id.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the sub-agent's Bash call, nested: {events:#?}"));
    assert!(events.iter().any(|e| matches!(&e.body,
        EventBody::ToolResult { tool_use_id, parent_tool_use_id: Some(p), content, .. }
            if *tool_use_id == inner && *p == agent_id && content.contains("sub-ok"))));
    assert!(events.iter().any(|e| matches!(&e.body,
        EventBody::ToolResult { tool_use_id, parent_tool_use_id: None, .. } if *tool_use_id == agent_id)));
    assert_eq!(text_of(&events), "main done");
    // The sub-agent's own text (its report) reaches the client under the Agent call too
    // (the CLI forwards it with `--forward-subagent-text`).
    assert!(
        events.iter().any(|e| matches!(&e.body,
            EventBody::AgentText { parent_tool_use_id, text }
                if *parent_tool_use_id == agent_id && text.contains("SUB REPORT"))),
        "the sub-agent's report: {events:#?}"
    );

    // Stored nested too, so a reload shows the same.
    let stored = h.db.messages(id.as_str(), 0).await.unwrap();
    assert!(stored.iter().any(|m| m.kind == MessageKind::ToolUse
        && m.payload["parent_tool_use_id"] == agent_id.as_str()
        && m.payload["name"] == "Bash"));
    assert!(stored.iter().any(|m| m.kind == MessageKind::Assistant
        && m.payload["parent_tool_use_id"] == agent_id.as_str()
        && m.payload["text"] == "SUB REPORT"));
    h.stop().await;
}
