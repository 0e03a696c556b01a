//! One frame of every kind, built from the protocol types, written to
//! `web/src/types/fixtures/` where the web's zod schemas and client-frame types are tested
//! against them (`web/src/types/protocol.generated.test.ts`): a field renamed on either side
//! fails a test. The committed files must equal what this writes; regenerate them with
//! `UPDATE_FIXTURES=1 cargo test --lib protocol::fixtures`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveDateTime;
use serde_json::json;

use super::*;
use crate::db::{MessageKind, SessionStatus};
use crate::session_id::SessionId;

/// A 1×1 PNG.
const TINY_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const SERVER_FIXTURE: &str = "web/src/types/fixtures/server-frames.generated.jsonl";
const CLIENT_FIXTURE: &str = "web/src/types/fixtures/client-frames.generated.jsonl";

fn id() -> SessionId {
    SessionId::parse("6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f").unwrap()
}

fn at() -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339("2026-11-24T20:00:00.123456Z")
        .unwrap()
        .naive_utc()
}

fn summary() -> SessionSummary {
    SessionSummary {
        session_id: id(),
        user_id: "2b1c0d9e-7f6a-4b5c-8d3e-1f2a3b4c5d6e".into(),
        user_name: None,
        status: SessionStatus::Active,
        created_at: at(),
        last_active_at: at(),
        message_count: 2,
        total_cost_usd: 0.05,
        is_resumable: true,
        model: "sonnet".into(),
        effort: None,
        permission_mode: "default".into(),
        project: Some("alpha".into()),
        isolation: Some(crate::workspace::Isolation::Worktree),
        branch: Some("claude/6c1a1f8e".into()),
    }
}

/// Every session event, one of each.
fn events() -> Vec<EventBody> {
    vec![
        EventBody::SessionReady {
            session: summary(),
            source: Source::PreWarmed,
            commands: vec![SlashCommand {
                name: "compact".into(),
                description: "Free up context by summarizing the conversation so far".into(),
                argument_hint: "<optional custom summarization instructions>".into(),
            }],
        },
        EventBody::SessionOptions {
            options: SessionOptions {
                model: "haiku".into(),
                effort: Some("high".into()),
                permission_mode: "plan".into(),
            },
        },
        EventBody::MessageReceived {
            seq: 1,
            text: "hello".into(),
            attachments: vec![
                crate::protocol::Attachment::Image {
                    media_type: "image/png".into(),
                    data_base64: TINY_PNG.into(),
                    name: Some("screenshot.png".into()),
                },
                crate::protocol::Attachment::Text {
                    name: "notes.md".into(),
                    text: "# Notes\n".into(),
                },
            ],
        },
        EventBody::StreamDelta { text: "Hi".into() },
        EventBody::StreamRetracted { text: "Hi".into() },
        EventBody::ToolUse {
            tool_use_id: "toolu_1".into(),
            name: "Bash".into(),
            input: json!({"command": "ls"}),
            parent_tool_use_id: None,
        },
        EventBody::ToolUse {
            tool_use_id: "toolu_2".into(),
            name: "Bash".into(),
            input: json!({"command": "ls src"}),
            parent_tool_use_id: Some("toolu_agent".into()),
        },
        EventBody::ToolResult {
            tool_use_id: "toolu_1".into(),
            is_error: false,
            content: "README.md".into(),
            duration_ms: Some(12),
            parent_tool_use_id: None,
            denied: false,
        },
        EventBody::ToolResult {
            tool_use_id: "toolu_2".into(),
            is_error: false,
            content: "main.rs".into(),
            duration_ms: None,
            parent_tool_use_id: Some("toolu_agent".into()),
            denied: false,
        },
        EventBody::AgentText {
            parent_tool_use_id: "toolu_agent".into(),
            text: "Found the parser in src/main.rs.".into(),
        },
        EventBody::PermissionRequest {
            request_id: "req_1".into(),
            tool_name: "Bash".into(),
            input: json!({"command": "npm run build"}),
            reason: "This command requires approval".into(),
            tool_use_id: Some("toolu_1".into()),
            suggestions: vec![json!({"type": "addRules",
                "rules": [{"toolName": "Bash", "ruleContent": "npm run *"}],
                "behavior": "allow", "destination": "localSettings"})],
            session_rules: vec!["Bash(npm run *)".into()],
        },
        EventBody::PermissionAnswered {
            request_id: "req_1".into(),
            allow: true,
            remember: true,
        },
        EventBody::PermissionCancelled {
            request_id: "req_1".into(),
        },
        EventBody::ResponseComplete {
            cost_usd: 0.01,
            total_cost_usd: 0.05,
            usage: json!({"input_tokens": 10, "output_tokens": 2}),
            duration_ms: 900,
            num_turns: 1,
            context: Some(crate::claude::events::ContextUsage {
                used_tokens: 14_361,
                window_tokens: 1_000_000,
            }),
        },
        EventBody::ContextCompacted {
            pre_tokens: 14_576,
            post_tokens: 3_293,
        },
        EventBody::StreamRetrying {
            attempt: 1,
            max_retries: 4,
            delay_ms: 600,
            message: "The AI service is temporarily busy.".into(),
        },
        EventBody::StreamError {
            code: ErrorCode::RateLimited,
            message: "Too many requests.".into(),
            suggested_action: SuggestedAction::Wait,
            partial_preserved: true,
        },
        EventBody::StreamInterrupted {},
        EventBody::SessionWarning {
            kind: "duration".into(),
            remaining_seconds: 60,
        },
        EventBody::SessionRestarting {
            reason: "memory_limit".into(),
            message: "Session restarted for performance. Conversation preserved.".into(),
        },
        EventBody::SessionTerminated {
            reason: "idle".into(),
            resumable: true,
            message: "The session was paused.".into(),
        },
        EventBody::SessionOpenedElsewhere {
            message: "This session was opened in another window or tab.".into(),
        },
        EventBody::ChangesUpdated {
            files: 2,
            additions: 14,
            deletions: 3,
        },
    ]
}

/// Every control frame, one of each (and the optional field both ways).
fn controls() -> Vec<ControlFrame> {
    vec![
        ControlFrame::SessionList {
            sessions: vec![
                ListedSession {
                    summary: summary(),
                    title: Some("Fix the login bug".into()),
                    preview: Some("Done: the cookie was not renewed.".into()),
                    archived: false,
                    forked_from: None,
                },
                ListedSession {
                    summary: summary(),
                    title: None,
                    preview: None,
                    archived: true,
                    forked_from: Some(id()),
                },
                ListedSession {
                    summary: SessionSummary {
                        user_name: Some("alice".into()),
                        ..summary()
                    },
                    title: Some("Alice's session".into()),
                    preview: None,
                    archived: false,
                    forked_from: None,
                },
            ],
            next_cursor: Some("1795636800123456_6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f".into()),
        },
        ControlFrame::SessionCreating,
        ControlFrame::SessionHistory {
            session_id: id(),
            last_event_seq: 7,
            turn_running: false,
            messages: vec![HistoryMessage {
                seq: 1,
                kind: MessageKind::User,
                payload: json!({"text": "hello"}),
                created_at: at(),
            }],
        },
        ControlFrame::Error {
            code: ErrorCode::NotResumable,
            message: "Session not found or not resumable".into(),
            session_id: Some(id()),
        },
        ControlFrame::Error {
            code: ErrorCode::InvalidJson,
            message: "The frame is not valid JSON.".into(),
            session_id: None,
        },
        ControlFrame::Error {
            code: ErrorCode::QuotaExceeded,
            message: crate::actors::EngineError::QuotaExceeded(
                crate::actors::quota::Quota::Sessions { max: 2 },
            )
            .to_string(),
            session_id: None,
        },
        ControlFrame::ServerShuttingDown {
            message: shutting_down_message(25),
            grace_seconds: 25,
        },
        ControlFrame::SessionState(SessionStateUpdate {
            session_id: id(),
            state: LiveState::WaitingForApproval,
            permission: Some(PendingPermission {
                request_id: "req_1".into(),
                tool_name: "Bash".into(),
                reason: "This command requires approval".into(),
            }),
            allowed: vec!["Bash(npm run *)".into()],
        }),
        ControlFrame::SessionState(SessionStateUpdate {
            session_id: id(),
            state: LiveState::Idle,
            permission: None,
            allowed: vec![],
        }),
    ]
}

/// Every client frame, one of each (and the optional field both ways).
fn clients() -> Vec<ClientFrame> {
    vec![
        ClientFrame::CreateSession {
            options: OptionsChange::default(),
            placement: Default::default(),
        },
        ClientFrame::CreateSession {
            options: OptionsChange {
                model: Some("sonnet".into()),
                effort: Some("low".into()),
                permission_mode: Some("plan".into()),
            },
            placement: crate::protocol::PlacementRequest {
                project: Some("alpha".into()),
                isolation: Some(crate::workspace::Isolation::Worktree),
            },
        },
        ClientFrame::SetSessionOptions {
            session_id: id(),
            options: OptionsChange {
                permission_mode: Some("acceptEdits".into()),
                ..OptionsChange::default()
            },
        },
        ClientFrame::SwitchSession {
            session_id: id(),
            after_seq: 7,
        },
        ClientFrame::UserMessage {
            session_id: id(),
            text: "hello".into(),
            seq: 1,
            attachments: vec![
                crate::protocol::Attachment::Image {
                    media_type: "image/png".into(),
                    data_base64: TINY_PNG.into(),
                    name: Some("screenshot.png".into()),
                },
                crate::protocol::Attachment::Text {
                    name: "notes.md".into(),
                    text: "# Notes\n".into(),
                },
            ],
        },
        ClientFrame::Interrupt { session_id: id() },
        ClientFrame::DestroySession { session_id: id() },
        ClientFrame::ResumeSession { session_id: id() },
        ClientFrame::PermissionResponse {
            session_id: id(),
            request_id: "req_1".into(),
            allow: false,
            message: Some("Not that one.".into()),
            remember: false,
            mode: None,
        },
        ClientFrame::PermissionResponse {
            session_id: id(),
            request_id: "req_1".into(),
            allow: true,
            message: None,
            remember: false,
            mode: Some("acceptEdits".into()),
        },
        ClientFrame::PermissionResponse {
            session_id: id(),
            request_id: "req_1".into(),
            allow: true,
            message: None,
            remember: true,
            mode: None,
        },
        ClientFrame::RevokePermission {
            session_id: id(),
            rule: "Bash(npm run *)".into(),
        },
        ClientFrame::RenameSession {
            session_id: id(),
            title: "Auth bugs".into(),
        },
        ClientFrame::ForkSession {
            session_id: id(),
            before_seq: Some(3),
        },
        ClientFrame::ForkSession {
            session_id: id(),
            before_seq: None,
        },
    ]
}

fn server_lines() -> Vec<String> {
    let events = events().into_iter().enumerate().map(|(i, body)| {
        ServerFrame::Event(SessionEvent {
            session_id: id(),
            event_seq: i as u64 + 1,
            body,
        })
    });
    let controls = controls().into_iter().map(ServerFrame::Control);
    events
        .chain(controls)
        .map(|f| serde_json::to_string(&f).unwrap())
        .collect()
}

fn client_lines() -> Vec<String> {
    clients()
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect()
}

/// Compares `lines` with the committed file, or rewrites it with UPDATE_FIXTURES set.
fn check(relative: &str, lines: &[String]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = lines.join("\n") + "\n";
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{relative} is stale: the protocol types changed. Regenerate it with \
         `UPDATE_FIXTURES=1 cargo test --lib protocol::fixtures` and make the web's \
         schemas (web/src/types/protocol.ts) agree."
    );
}

#[test]
fn every_server_frame_kind_is_in_the_fixture() {
    let kinds: BTreeSet<&str> = events()
        .iter()
        .map(EventBody::kind)
        .chain(controls().iter().map(ControlFrame::kind))
        .collect();
    assert_eq!(
        kinds.len(),
        21 + 6,
        "one sample of every variant: {kinds:?}"
    );
    for line in server_lines() {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(kinds.contains(v["type"].as_str().unwrap()), "{line}");
    }
    check(SERVER_FIXTURE, &server_lines());
}

#[test]
fn every_client_frame_kind_is_in_the_fixture_and_parses_back() {
    let kinds: BTreeSet<&str> = clients().iter().map(ClientFrame::kind).collect();
    assert_eq!(kinds.len(), 11, "one sample of every variant: {kinds:?}");
    for (frame, line) in clients().into_iter().zip(client_lines()) {
        assert_eq!(client::parse(&line).unwrap(), frame, "{line}");
    }
    check(CLIENT_FIXTURE, &client_lines());
}
