//! The demo model's agent-progress journeys, for trying the UI and for the browser tests
//! (issue 15): a todo list worked through with `TodoWrite` (pausing on a Bash prompt between
//! updates, so each state can be seen), a foreground sub-agent (`Agent`) whose own tool calls
//! and report nest under its card, and the answer to the CLI's `/compact` summary request.
//! Each answer follows from the request alone (what the turn has done so far).

use serde_json::{json, Value};

use super::script::RecordedRequest;
use super::sse::Block;

/// What a message says to get the todo journey.
pub const TODO_TRIGGER: &str = "track the work";
/// What a message says to get the sub-agent journey.
pub const SUBAGENT_TRIGGER: &str = "delegate";
/// The sub-agent's prompt starts with this (how its own requests are recognised).
pub const SUBAGENT_MARK: &str = "DEMO-SUBAGENT";
/// The last user message of the CLI's compaction request starts with this.
const COMPACT_REQUEST: &str = "CRITICAL: Respond with TEXT ONLY";

/// The demo's answer when `req` belongs to one of these journeys.
pub fn answer(req: &RecordedRequest, tool_id: &str, banner: &str) -> Option<Vec<Block>> {
    let messages = req.messages.as_array()?;
    let start = turn_start(messages)?;
    let asked = user_text(&messages[start]);
    if asked.contains(COMPACT_REQUEST) {
        return Some(vec![Block::Text(
            "<analysis>The demo conversation.</analysis>\n<summary>Demo summary: the user tried \
             the demo model.</summary>"
                .into(),
        )]);
    }
    let done = tool_calls_since(messages, start);
    if asked.contains(SUBAGENT_MARK) {
        return Some(subagent_step(done.len(), tool_id));
    }
    let lower = asked.to_lowercase();
    if lower.contains(TODO_TRIGGER) {
        return Some(todo_step(done.len(), tool_id, banner));
    }
    if lower.contains(SUBAGENT_TRIGGER) {
        return Some(if done.is_empty() {
            vec![
                Block::Text(format!("{banner}\n\nI'll hand this to a sub-agent.\n")),
                Block::ToolUse {
                    id: tool_id.into(),
                    name: "Agent".into(),
                    input: json!({"description": "Look around the workspace",
                        "prompt": format!("{SUBAGENT_MARK}: look around the workspace and report"),
                        "subagent_type": "general-purpose", "run_in_background": false}),
                },
            ]
        } else {
            vec![Block::Text(format!(
                "{banner}\n\nThe sub-agent is done and reported back."
            ))]
        });
    }
    None
}

/// The todo journey: a list, a Bash prompt, an update, a Bash prompt, all done, a summary.
fn todo_step(step: usize, tool_id: &str, banner: &str) -> Vec<Block> {
    let todos = |states: [&str; 3]| {
        let items = [
            ("Read the code", "Reading the code"),
            ("Make the change", "Making the change"),
            ("Run the checks", "Running the checks"),
        ];
        let list: Vec<Value> = items
            .iter()
            .zip(states)
            .map(|((content, active), status)| {
                json!({"content": content, "status": status, "activeForm": active})
            })
            .collect();
        json!({ "todos": list })
    };
    let tool = |name: &str, input: Value| {
        vec![Block::ToolUse {
            id: tool_id.into(),
            name: name.into(),
            input,
        }]
    };
    let bash = |file: &str| {
        tool(
            "Bash",
            json!({"command": format!("touch {file}"), "description": format!("Create {file}")}),
        )
    };
    match step {
        0 => {
            let mut b = vec![Block::Text(format!(
                "{banner}\n\nI'll track this in a todo list.\n"
            ))];
            b.extend(tool(
                "TodoWrite",
                todos(["in_progress", "pending", "pending"]),
            ));
            b
        }
        1 => bash("todo-step-1.txt"),
        2 => tool(
            "TodoWrite",
            todos(["completed", "completed", "in_progress"]),
        ),
        3 => bash("todo-step-2.txt"),
        4 => tool("TodoWrite", todos(["completed", "completed", "completed"])),
        _ => vec![Block::Text(format!(
            "{banner}\n\nAll three todos are done."
        ))],
    }
}

/// The sub-agent's own requests: a Bash call that asks permission, one that does not, then
/// its report (which reaches the client as the sub-agent's text).
fn subagent_step(step: usize, tool_id: &str) -> Vec<Block> {
    let bash = |command: &str, description: &str| {
        vec![Block::ToolUse {
            id: tool_id.into(),
            name: "Bash".into(),
            input: json!({"command": command, "description": description}),
        }]
    };
    match step {
        0 => bash("touch subagent-was-here.txt", "Leave a mark"),
        1 => bash("ls", "List the workspace"),
        _ => vec![Block::Text(
            "Sub-agent report: I left a mark and listed the workspace.".into(),
        )],
    }
}

/// The index of the user message that started this turn: the last one with text of its own
/// (later user messages carry only tool results).
fn turn_start(messages: &[Value]) -> Option<usize> {
    messages
        .iter()
        .rposition(|m| m["role"] == "user" && !user_text(m).is_empty())
}

/// The user's own text in a message (not tool results, not system reminders).
fn user_text(m: &Value) -> String {
    match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .filter(|t| !t.trim_start().starts_with("<system-reminder>"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The names of the tools the assistant called after message `start`.
fn tool_calls_since(messages: &[Value], start: usize) -> Vec<String> {
    messages[start..]
        .iter()
        .filter(|m| m["role"] == "assistant")
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|b| b["type"] == "tool_use")
        .filter_map(|b| b["name"].as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(messages: Value) -> RecordedRequest {
        let raw = serde_json::to_vec(&json!({"messages": messages})).unwrap();
        RecordedRequest::new("POST", "/v1/messages", &raw)
    }

    fn tool_names(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse { name, input, .. } => Some(format!("{name} {input}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_todo_journey_advances_with_each_tool_result() {
        let first = answer(
            &request(json!([{"role":"user","content":"please track the work"}])),
            "t1",
            "B",
        )
        .unwrap();
        assert!(tool_names(&first)[0].contains("TodoWrite"));
        assert!(tool_names(&first)[0].contains("in_progress"));
        let later = answer(
            &request(json!([
                {"role":"user","content":[{"type":"text","text":"<system-reminder>x</system-reminder>"},{"type":"text","text":"track the work"}]},
                {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"TodoWrite","input":{}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]},
                {"role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Bash","input":{}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t2","content":""}]}
            ])),
            "t3",
            "B",
        )
        .unwrap();
        assert!(tool_names(&later)[0].contains("\"completed\""), "{later:?}");
    }

    #[test]
    fn the_sub_agent_and_the_compaction_request_are_recognised() {
        let main = answer(
            &request(json!([{"role":"user","content":"delegate it"}])),
            "t1",
            "B",
        )
        .unwrap();
        assert!(tool_names(&main)[0].starts_with("Agent"));
        let sub = answer(
            &request(json!([{"role":"user","content":"DEMO-SUBAGENT: look around"}])),
            "t2",
            "B",
        )
        .unwrap();
        assert!(tool_names(&sub)[0].contains("touch subagent-was-here.txt"));
        let summary = answer(
            &request(json!([{"role":"user","content":"CRITICAL: Respond with TEXT ONLY…"}])),
            "t",
            "B",
        )
        .unwrap();
        assert!(matches!(&summary[0], Block::Text(t) if t.contains("<summary>")));
        assert!(answer(
            &request(json!([{"role":"user","content":"hello"}])),
            "t",
            "B"
        )
        .is_none());
    }
}
