//! Tables of the turn translator: CLI frames in, events and turn ends out.

use super::*;
use crate::claude::PermissionRequest;

fn result(is_error: bool, status: Option<u16>, reason: &str) -> TurnResult {
    TurnResult {
        subtype: "success".into(),
        is_error,
        terminal_reason: Some(reason.into()),
        result: Some("API Error: raw CLI text".into()),
        cost_usd: 0.01,
        total_cost_usd: 0.03,
        usage: json!({}),
        duration_ms: 5,
        num_turns: 1,
        api_error_status: status,
        errors: vec!["raw".into()],
        context: None,
    }
}

#[test]
fn text_is_streamed_and_stored_once() {
    let mut t = Turn::new();
    let a = t.on_event(CliEvent::TextDelta { text: "Hel".into() });
    let b = t.on_event(CliEvent::TextDelta { text: "lo".into() });
    assert_eq!(
        a.events,
        vec![EventBody::StreamDelta { text: "Hel".into() }]
    );
    assert!(a.persist.is_empty() && b.persist.is_empty());
    let streamed_block = t.on_event(CliEvent::Assistant {
        message_id: None,
        block: ContentBlock::Text {
            text: "Hello".into(),
        },
        streamed: true,
        parent_tool_use_id: None,
        api_error: None,
    });
    assert!(streamed_block.events.is_empty(), "not sent twice");
    let end = t.on_event(CliEvent::TurnResult(result(false, None, "completed")));
    assert_eq!(
        end.persist,
        vec![(MessageKind::Assistant, json!({"text": "Hello"}))]
    );
    assert!(matches!(end.events[0], EventBody::ResponseComplete { .. }));
    assert!(end.finished.is_some());
}

#[test]
fn retraction_and_whole_blocks() {
    let mut t = Turn::new();
    t.on_event(CliEvent::TextDelta {
        text: "abandoned".into(),
    });
    let r = t.on_event(CliEvent::TextRetracted {
        text: "abandoned".into(),
    });
    assert_eq!(
        r.events,
        vec![EventBody::StreamRetracted {
            text: "abandoned".into()
        }]
    );
    let whole = t.on_event(CliEvent::Assistant {
        message_id: None,
        block: ContentBlock::Text {
            text: "Recovered.".into(),
        },
        streamed: false,
        parent_tool_use_id: None,
        api_error: None,
    });
    assert_eq!(
        whole.events,
        vec![EventBody::StreamDelta {
            text: "Recovered.".into()
        }]
    );
    let end = t.on_event(CliEvent::TurnResult(result(false, None, "completed")));
    assert_eq!(
        end.persist,
        vec![(MessageKind::Assistant, json!({"text": "Recovered."}))]
    );
}

#[test]
fn tools_flush_text_first_and_are_stored() {
    let mut t = Turn::new();
    t.on_event(CliEvent::TextDelta {
        text: "Let me look.".into(),
    });
    let fx = t.on_event(CliEvent::Assistant {
        message_id: None,
        block: ContentBlock::ToolUse {
            id: "t1".into(),
            name: "Bash".into(),
            input: json!({"command": "ls"}),
        },
        streamed: false,
        parent_tool_use_id: None,
        api_error: None,
    });
    assert_eq!(
        fx.persist[0],
        (MessageKind::Assistant, json!({"text": "Let me look."}))
    );
    assert_eq!(fx.persist[1].0, MessageKind::ToolUse);
    let p = t.on_event(CliEvent::PermissionRequest(PermissionRequest {
        request_id: "r1".into(),
        tool_name: "Bash".into(),
        tool_use_id: Some("t1".into()),
        input: json!({}),
        reason: "needs approval".into(),
        description: None,
        suggestions: Vec::new(),
    }));
    assert_eq!(p.permission_opened.as_deref(), Some("r1"));
    assert!(t.tool_running(), "from its tool_use to its result");
    let big = "x".repeat(TOOL_CONTENT_MAX_CHARS + 10);
    let fx = t.on_event(CliEvent::ToolResult {
        tool_use_id: "t1".into(),
        is_error: false,
        content: big,
        duration_ms: Some(3),
        parent_tool_use_id: None,
    });
    match &fx.events[0] {
        EventBody::ToolResult { content, .. } => {
            assert!(content.ends_with("[output cut: 10 more characters]"))
        }
        other => panic!("{other:?}"),
    }
    assert!(!t.tool_running());
}

#[test]
fn a_cut_turn_keeps_its_partial_reply_and_ends_once_as_the_cut() {
    let interrupted = || {
        let mut r = result(true, None, "aborted_streaming");
        r.subtype = "error_during_execution".into();
        r
    };
    // The CLI answers the interrupt: the partial text comes back whole, then the result.
    let mut t = Turn::new();
    t.on_event(CliEvent::TextDelta {
        text: "Half a".into(),
    });
    t.cut(Cut::Shutdown);
    let aborted = t.on_event(CliEvent::Assistant {
        message_id: None,
        block: ContentBlock::Text {
            text: "Half a".into(),
        },
        streamed: true,
        parent_tool_use_id: None,
        api_error: None,
    });
    assert!(aborted.events.is_empty());
    let end = t.on_event(CliEvent::TurnResult(interrupted()));
    assert_eq!(
        end.persist,
        vec![
            (MessageKind::Assistant, json!({"text": "Half a"})),
            (
                MessageKind::Notice,
                json!({"text": CUT_BY_SHUTDOWN_NOTICE, "kind": "cut_by_restart"})
            ),
        ]
    );
    assert_eq!(
        end.events,
        vec![EventBody::StreamError {
            code: ErrorCode::ServerShuttingDown,
            message: CUT_BY_SHUTDOWN_NOTICE.into(),
            suggested_action: SuggestedAction::Retry,
            partial_preserved: true,
        }]
    );
    assert!(end.finished.is_some());
    // No result ever comes: the same end, from what had streamed.
    let mut t = Turn::new();
    t.on_event(CliEvent::TextDelta {
        text: "Part".into(),
    });
    t.cut(Cut::Shutdown);
    let fx = t.crashed();
    assert_eq!(
        fx.persist[0],
        (MessageKind::Assistant, json!({"text": "Part"}))
    );
    assert_eq!(fx.persist[1].0, MessageKind::Notice);
    assert!(matches!(
        fx.events[..],
        [EventBody::StreamError {
            code: ErrorCode::ServerShuttingDown,
            ..
        }]
    ));
    // A stalled turn ends as a retryable error, its partial text kept.
    let mut t = Turn::new();
    t.on_event(CliEvent::TextDelta {
        text: "Partial".into(),
    });
    t.cut(Cut::Stalled);
    let fx = t.on_event(CliEvent::TurnResult(interrupted()));
    assert_eq!(
        fx.persist[0],
        (MessageKind::Assistant, json!({"text": "Partial"}))
    );
    assert_eq!(fx.persist[1].0, MessageKind::Error);
    assert_eq!(
        fx.events,
        vec![EventBody::StreamError {
            code: ErrorCode::Internal,
            message: STALLED_MESSAGE.into(),
            suggested_action: SuggestedAction::Retry,
            partial_preserved: true,
        }]
    );
    // A turn that completed just as it was cut is complete.
    let mut t = Turn::new();
    t.cut(Cut::Shutdown);
    let fx = t.on_event(CliEvent::TurnResult(result(false, None, "completed")));
    assert!(matches!(fx.events[0], EventBody::ResponseComplete { .. }));
}

#[test]
fn failures_are_translated_never_raw() {
    for (status, reason, code) in [
        (Some(429), "api_error", ErrorCode::RateLimited),
        (Some(529), "api_error", ErrorCode::RateLimited),
        (Some(401), "api_error", ErrorCode::Internal),
        (Some(500), "api_error", ErrorCode::Internal),
        (None, "api_error", ErrorCode::Internal),
    ] {
        let mut t = Turn::new();
        let synthetic = t.on_event(CliEvent::Assistant {
            message_id: None,
            block: ContentBlock::Text {
                text: "API Error: raw".into(),
            },
            streamed: false,
            parent_tool_use_id: None,
            api_error: Some("rate_limit".into()),
        });
        assert!(
            synthetic.events.is_empty(),
            "synthetic error text is not streamed"
        );
        let fx = t.on_event(CliEvent::TurnResult(result(true, status, reason)));
        let text = serde_json::to_string(&fx.events).unwrap();
        assert!(!text.contains("raw"), "{text}");
        match &fx.events[0] {
            EventBody::StreamError {
                code: c,
                partial_preserved,
                ..
            } => {
                assert_eq!(*c, code);
                assert!(!partial_preserved);
            }
            other => panic!("{other:?}"),
        }
    }
    let mut t = Turn::new();
    let fx = t.on_event(CliEvent::TurnResult(result(
        true,
        None,
        "aborted_streaming",
    )));
    assert_eq!(fx.events, vec![EventBody::StreamInterrupted {}]);
    assert_eq!(fx.persist[0].0, MessageKind::Notice);
}
