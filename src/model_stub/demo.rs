//! The offline demo model: clearly labelled, helpful canned answers.

use std::time::Duration;

use serde_json::json;

use super::script::RecordedRequest;
use super::sse::Block;

/// Pace of demo replies.
pub const DEMO_DELAY: Duration = Duration::from_millis(20);

/// First line of every demo reply.
pub const BANNER: &str =
    "*Demo model — no Anthropic API key is configured. Set `ANTHROPIC_API_KEY` \
and restart to talk to Claude.*";

/// How many lines of tool output the demo quotes.
const QUOTED_LINES: usize = 12;

/// What a message says to get the long reply (the UI benchmark streams it).
pub const LONG_REPLY_TRIGGER: &str = "long reply";
/// The long reply is at least this many characters.
pub const LONG_REPLY_CHARS: usize = 12_000;

/// What a message says to hear which model the request named (the model picker's check).
pub const WHICH_MODEL_TRIGGER: &str = "which model";

/// What a message says to hear which user messages came before it in the request (a fork's
/// check: the model received exactly the earlier turns).
pub const EARLIER_TRIGGER: &str = "what did i say before";

/// The user texts of a request's messages before its last one (text a person typed: the
/// CLI's own `<system-reminder>`-style blocks left out).
fn earlier_user_texts(messages: &serde_json::Value) -> Vec<String> {
    let all: Vec<String> = messages
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| match &m["content"] {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(blocks) => blocks
                .iter()
                .filter_map(|b| b["text"].as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .map(|texts| {
            texts
                .into_iter()
                .filter(|t| !t.trim_start().starts_with('<') && !t.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|t| !t.is_empty())
        .collect();
    let n = all.len().saturating_sub(1);
    all.into_iter().take(n).collect()
}

/// The demo's answer to a conversation request; `tool_id` names a tool call if one is made.
pub fn answer(req: &RecordedRequest, tool_id: String) -> Vec<Block> {
    if let Some(blocks) = super::demo_agents::answer(req, &tool_id, BANNER) {
        return blocks;
    }
    let results = req.tool_result_texts();
    if !results.is_empty() {
        return vec![Block::Text(after_tool(&results.join("\n")))];
    }
    let text = req.last_user_text.clone().unwrap_or_default();
    if let Some(command) = run_command(&text) {
        return vec![
            Block::Text(format!(
                "{BANNER}\n\nI'll run `{command}` with the Bash tool for you.\n"
            )),
            Block::ToolUse {
                id: tool_id,
                name: "Bash".to_string(),
                input: json!({"command": command, "description": format!("Run {command}")}),
            },
        ];
    }
    if in_plan_mode(req) {
        let topic: String = text.chars().take(80).collect();
        return vec![
            Block::Text(format!(
                "{BANNER}\n\nI'm in plan mode, so here is my plan first.\n"
            )),
            Block::ToolUse {
                id: tool_id,
                name: "ExitPlanMode".to_string(),
                input: json!({"plan": format!(
                    "# Plan: {topic}\n\n1. Read the files involved\n2. Make the change\n3. Run the tests"
                )}),
            },
        ];
    }
    if let Some(seen) = images_seen(req) {
        return vec![Block::Text(format!("{BANNER}\n\n{seen}"))];
    }
    if text.to_lowercase().contains(WHICH_MODEL_TRIGGER) {
        let model = req.model.as_deref().unwrap_or("(none)");
        let effort = req.body["output_config"]["effort"]
            .as_str()
            .unwrap_or("(none)");
        return vec![Block::Text(format!(
            "{BANNER}\n\nThis request named the model `{model}`, effort `{effort}`."
        ))];
    }
    if text.to_lowercase().contains(EARLIER_TRIGGER) {
        let earlier = earlier_user_texts(&req.messages);
        let said = match earlier.is_empty() {
            true => "Nothing: this is the first message I received.".to_string(),
            false => earlier
                .iter()
                .map(|t| format!("- {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        return vec![Block::Text(format!(
            "{BANNER}\n\nBefore this, you said:\n\n{said}"
        ))];
    }
    if text.to_lowercase().contains(LONG_REPLY_TRIGGER) {
        return vec![Block::Text(long_reply())];
    }
    vec![Block::Text(echo(&text))]
}

/// The images and text files the last user message carried, described so a browser test can check what the
/// model received: type, base64 length and, for a small image, the whole base64 data.
fn images_seen(req: &RecordedRequest) -> Option<String> {
    let content = super::script::last_user_message(req.body.get("messages")?)?.get("content")?;
    let files: Vec<String> = content
        .as_array()?
        .iter()
        .filter(|b| b["type"] == "document" && b["source"]["type"] == "text")
        .map(|b| {
            let data = b["source"]["data"].as_str().unwrap_or("");
            format!(
                "- the text file `{}`, {} characters, first line: `{}`",
                b["title"].as_str().unwrap_or("(untitled)"),
                data.chars().count(),
                data.lines().next().unwrap_or("")
            )
        })
        .collect();
    let images: Vec<String> = content
        .as_array()?
        .iter()
        .filter(|b| b["type"] == "image")
        .map(|b| {
            let media_type = b["source"]["media_type"].as_str().unwrap_or("?");
            let data = b["source"]["data"].as_str().unwrap_or("");
            if data.len() <= 200 {
                format!(
                    "- `{media_type}`, {} base64 characters: `{data}`",
                    data.len()
                )
            } else {
                format!("- `{media_type}`, {} base64 characters", data.len())
            }
        })
        .collect();
    let mut parts = Vec::new();
    if !images.is_empty() {
        parts.push(format!(
            "I received {} image(s):\n\n{}",
            images.len(),
            images.join("\n")
        ));
    }
    if !files.is_empty() {
        parts.push(format!(
            "I received {} text file(s):\n\n{}",
            files.len(),
            files.join("\n")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// A long answer shaped like a real one (headings, paragraphs, lists, code, a table), for
/// seeing and measuring how the UI renders a reply of [`LONG_REPLY_CHARS`] characters.
pub fn long_reply() -> String {
    let mut out = format!("{BANNER}\n\nHere is a long reply, section by section.\n");
    let mut part = 0;
    while out.chars().count() < LONG_REPLY_CHARS {
        part += 1;
        out.push_str(&format!(
            "\n## Part {part}: what happens in step {part}\n\n\
             Step {part} reads the **input**, checks it with `validate_{part}()` and writes the \
             result. It keeps *what was already done*, so running it twice changes nothing; \
             see [the notes](https://example.com/notes/{part}) for why.\n\n\
             - the input is read once\n\
             - errors name the line they come from,\n  \
             and the step stops there\n\
             - the output is written last\n\n\
             1. open the file\n\
             2. check every record\n\
             3. write the summary\n\n\
             ```rust\n\
             fn step_{part}(input: &str) -> Result<usize, String> {{\n    \
             let records: Vec<&str> = input.lines().collect();\n    \
             Ok(records.len() * {part})\n\
             }}\n\
             ```\n\n\
             | record | state |\n\
             |---|---|\n\
             | {part}a | checked |\n\
             | {part}b | written |\n\n\
             > Step {part} is done when its summary is written.\n"
        ));
    }
    out
}

/// The CLI told the model it is in plan mode (its plan-mode note came after any "Exited
/// Plan Mode" note): the demo then presents a plan with `ExitPlanMode`.
fn in_plan_mode(req: &RecordedRequest) -> bool {
    let history = req.messages.to_string();
    match (
        history.rfind("Plan mode is active"),
        history.rfind("Exited Plan Mode"),
    ) {
        (Some(active), Some(exited)) => active > exited,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The command in ``run `cmd` `` (backticks), if the text asks for one.
pub fn run_command(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let start = lower.find("run `")? + "run `".len();
    let rest = text.get(start..)?;
    let end = rest.find('`')?;
    let command = rest[..end].trim();
    (!command.is_empty()).then(|| command.to_string())
}

fn echo(text: &str) -> String {
    let quoted = if text.trim().is_empty() {
        "> (an empty message)".to_string()
    } else {
        text.lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "{BANNER}\n\n## You said\n\n{quoted}\n\n\
         **What this demo can do:**\n\n\
         - echo your message back, like this, streamed token by token\n\
         - run a shell command: write ``run `ls -la` `` and approve the Bash tool\n\
         - write a long answer: ask for a long reply\n\
         - show how code renders:\n\n\
         ```rust\nfn main() {{\n    println!(\"{} characters received\");\n}}\n```\n",
        text.chars().count()
    )
}

fn after_tool(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let shown = lines
        .iter()
        .take(QUOTED_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let more = if lines.len() > QUOTED_LINES {
        format!("\n\n…and {} more lines.", lines.len() - QUOTED_LINES)
    } else {
        String::new()
    };
    let body = if shown.trim().is_empty() {
        "The command finished without output.".to_string()
    } else {
        format!(
            "The command finished. The first lines of its output:\n\n```text\n{shown}\n```{more}"
        )
    };
    format!("{BANNER}\n\n{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn request(messages: Value) -> RecordedRequest {
        let raw = serde_json::to_vec(&json!({"messages": messages, "tools": [{"name": "Bash"}]}))
            .unwrap();
        RecordedRequest::new("POST", "/v1/messages", &raw)
    }

    #[test]
    fn images_are_described_with_small_ones_quoted_whole() {
        let img = |data: &str| json!({"type":"image","source":{"type":"base64","media_type":"image/png","data":data}});
        let blocks = answer(
            &request(json!([{"role":"user","content":[
                {"type":"text","text":"look"}, img("AAAA"), img(&"B".repeat(300))]}])),
            "t".into(),
        );
        let [Block::Text(text)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert!(text.contains("I received 2 image(s)"), "{text}");
        assert!(
            text.contains("`image/png`, 4 base64 characters: `AAAA`"),
            "{text}"
        );
        assert!(
            text.contains("`image/png`, 300 base64 characters\n")
                || text.ends_with("300 base64 characters"),
            "{text}"
        );
    }

    #[test]
    fn it_says_which_user_messages_came_before() {
        let text = |messages: Value| match &answer(&request(messages), "t".into())[0] {
            Block::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        let said = text(json!([
            {"role":"user","content":[{"type":"text","text":"<system-reminder>x</system-reminder>"},{"type":"text","text":"About kestrels"}]},
            {"role":"assistant","content":[{"type":"text","text":"Echo"}]},
            {"role":"user","content":"What did I say before this?"}
        ]));
        assert!(said.ends_with("you said:\n\n- About kestrels"), "{said}");
        let first = text(json!([{"role":"user","content":"what did I say before?"}]));
        assert!(
            first.contains("Nothing: this is the first message"),
            "{first}"
        );
    }

    #[test]
    fn echo_has_banner_markdown_and_the_text() {
        let blocks = answer(
            &request(json!([{"role":"user","content":"hello"}])),
            "t".into(),
        );
        let [Block::Text(text)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert!(text.starts_with("*Demo model — no Anthropic API key is configured."));
        assert!(text.contains("> hello"));
        assert!(text.contains("## ") && text.contains("**") && text.contains("\n- "));
        assert!(text.contains("```rust"));
    }

    #[test]
    fn run_backticks_calls_bash() {
        assert_eq!(
            run_command("please run `ls -la` now").as_deref(),
            Some("ls -la")
        );
        assert_eq!(run_command("run ls"), None);
        assert_eq!(run_command("Run `` x"), None);
        let blocks = answer(
            &request(json!([{"role":"user","content":"Run `echo hi`"}])),
            "toolu_stub_3".into(),
        );
        assert!(matches!(&blocks[0], Block::Text(t) if t.starts_with(BANNER)));
        assert_eq!(
            blocks[1],
            Block::ToolUse {
                id: "toolu_stub_3".into(),
                name: "Bash".into(),
                input: json!({"command": "echo hi", "description": "Run echo hi"}),
            }
        );
    }

    #[test]
    fn a_long_reply_is_long_markdown() {
        let blocks = answer(
            &request(json!([{"role":"user","content":"Write a long reply, please"}])),
            "t".into(),
        );
        let [Block::Text(text)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert!(text.starts_with(BANNER));
        let chars = text.chars().count();
        assert!(
            (LONG_REPLY_CHARS..LONG_REPLY_CHARS + 1_000).contains(&chars),
            "{chars}"
        );
        assert_eq!(
            text.matches("```rust").count(),
            text.matches("## Part").count()
        );
    }

    #[test]
    fn tool_result_is_quoted() {
        let req = request(json!([{"role":"user","content":[
            {"type":"tool_result","tool_use_id":"toolu_stub_3","content":"hi\nthere"}]}]));
        let blocks = answer(&req, "unused".into());
        let [Block::Text(text)] = blocks.as_slice() else {
            panic!("{blocks:?}")
        };
        assert!(text.starts_with(BANNER));
        assert!(text.contains("```text\nhi\nthere\n```"));
    }
}
