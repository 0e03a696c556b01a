//! Attachments (issue 15) against the real server, the real CLI and the model stub: a small
//! PNG reaches the model byte-identical as an image block and a text file as a `document`
//! block titled with its name, history keeps both, and a wrong type, broken base64, a
//! too-big image or text file, or too many files are `validation_error`s naming the limit,
//! with nothing stored and nothing sent to the model. The limits are configurable and
//! `GET /api/v1/info` lists them; `/clear` typed by hand is refused with the reason.

use claude_sdk_pattern::model_stub::{RecordedRequest, Reply};
use serde_json::{json, Value};

use crate::engine_harness::{harness, Harness};
use crate::helpers::{call, TEST_KEY, WAIT};
use crate::ws_client::connect;

/// A 1×1 PNG.
const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn turns(h: &Harness) -> Vec<RecordedRequest> {
    h.stub
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages" && !r.side)
        .collect()
}

async fn history(h: &Harness, id: &str) -> Vec<Value> {
    let req = awc::Client::builder()
        .timeout(WAIT)
        .finish()
        .get(h.url(&format!("/api/v1/sessions/{id}/messages")))
        .insert_header(("X-API-Key", TEST_KEY));
    let (status, body) = call(req, None).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().unwrap().clone()
}

fn image(media_type: &str, data: &str) -> Value {
    json!({"kind": "image", "media_type": media_type, "data_base64": data, "name": "shot.png"})
}

#[actix_web::test]
async fn an_image_reaches_the_model_and_bad_ones_are_refused_with_nothing_stored() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "create_session"})).await;
    let ready = ws.until("session_ready").await.pop().unwrap();
    let id = ready["session_id"].as_str().unwrap().to_string();

    h.stub.push(Reply::text("A single pixel."));
    ws.send(json!({"type": "user_message", "session_id": id, "seq": 1,
        "text": "What is in this image?", "attachments": [image("image/png", PNG)]}))
        .await;
    let turn = ws.turn().await;
    let received = turn
        .iter()
        .find(|f| f["type"] == "message_received")
        .unwrap();
    assert_eq!(received["attachments"][0]["data_base64"], PNG, "{received}");
    assert_eq!(
        turn.last().unwrap()["type"],
        "response_complete",
        "{turn:?}"
    );

    // The model saw the text and the image block, the data byte-identical.
    let request = turns(&h).last().cloned().unwrap();
    let messages = request.body["messages"].as_array().unwrap();
    let user = messages.iter().rev().find(|m| m["role"] == "user").unwrap();
    let content = user["content"].as_array().unwrap().clone();
    assert!(
        content
            .iter()
            .any(|b| b["text"] == "What is in this image?"),
        "{content:?}"
    );
    let img = content.iter().find(|b| b["type"] == "image").unwrap();
    assert_eq!(img["source"]["media_type"], "image/png");
    assert_eq!(img["source"]["data"], PNG);

    // History keeps the image for a reload.
    let stored = history(&h, &id).await;
    assert_eq!(stored[0]["payload"]["attachments"][0]["data_base64"], PNG);
    let (n_stored, n_sent) = (stored.len(), turns(&h).len());

    let mut big = vec![0u8; 5 * 1024 * 1024 + 1];
    big[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    let big = base64_encode(&big);
    let cases = [
        (vec![image("image/svg+xml", "PHN2Zy8+")], "not supported"),
        (
            vec![json!({"kind": "pdf", "name": "a.pdf"})],
            "unknown variant `pdf`",
        ),
        (
            vec![json!({"kind": "text", "name": "big.log", "text": "x".repeat(256 * 1024 + 1)})],
            "Attachment 1 (big.log) is 257 KB; the limit for a text file is 256 KB",
        ),
        (
            vec![json!({"kind": "text", "name": "a.bin", "text": "\u{0}\u{1}binary"})],
            "not a text file",
        ),
        (
            vec![image("image/png", "!!!notbase64@@")],
            "not valid base64",
        ),
        (vec![image("image/jpeg", PNG)], "not image/jpeg"),
        (
            vec![image("image/png", &big)],
            "larger than 5 MB, the limit for an image",
        ),
        (
            vec![image("image/png", PNG); 6],
            "6 files attached; the limit is 5 per message",
        ),
    ];
    for (seq, (attachments, says)) in cases.into_iter().enumerate() {
        ws.send(
            json!({"type": "user_message", "session_id": id, "seq": seq + 2,
            "text": "look", "attachments": attachments}),
        )
        .await;
        let e = ws.until("error").await.pop().unwrap();
        assert_eq!(e["code"], "validation_error", "{e}");
        assert!(e["message"].as_str().unwrap().contains(says), "{says}: {e}");
    }
    // `/clear` typed by hand: refused (the CLI would move the conversation to an id the
    // server does not follow), nothing stored or sent.
    ws.send(json!({"type": "user_message", "session_id": id, "seq": 20, "text": " /clear "}))
        .await;
    let e = ws.until("error").await.pop().unwrap();
    assert_eq!(e["code"], "validation_error", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Start a new session"),
        "{e}"
    );
    assert_eq!(history(&h, &id).await.len(), n_stored);
    // None of the refused messages reached the model. (Counting the conversation's
    // requests is not enough: in one CI run, on PostgreSQL under load, one more reached the
    // stub after the first turn had ended — a request the CLI made on its own.)
    let after: Vec<_> = turns(&h).into_iter().skip(n_sent).collect();
    for r in &after {
        let text = r.last_user_text.clone().unwrap_or_default();
        assert!(
            text != "look" && !text.contains("/clear"),
            "a refused message reached the model: {text:?}"
        );
    }
    h.stop().await;
}

#[actix_web::test]
async fn a_text_file_reaches_the_model_as_a_titled_document_and_history_keeps_it() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "create_session"})).await;
    let ready = ws.until("session_ready").await.pop().unwrap();
    let id = ready["session_id"].as_str().unwrap().to_string();
    let code = "fn main() {\n    println!(\"hi\");\n}\n";
    let file = json!({"kind": "text", "name": "main.rs", "text": code});

    h.stub.push(Reply::text("Read it."));
    ws.send(json!({"type": "user_message", "session_id": id, "seq": 1,
        "text": "review this", "attachments": [file, image("image/png", PNG)]}))
        .await;
    let turn = ws.turn().await;
    let received = turn
        .iter()
        .find(|f| f["type"] == "message_received")
        .unwrap();
    assert_eq!(received["attachments"][0], file, "{received}");
    assert_eq!(turn.last().unwrap()["type"], "response_complete");

    let request = turns(&h).last().cloned().unwrap();
    let messages = request.body["messages"].as_array().unwrap();
    let user = messages.iter().rev().find(|m| m["role"] == "user").unwrap();
    let content = user["content"].as_array().unwrap().clone();
    let doc = content
        .iter()
        .find(|b| b["type"] == "document")
        .unwrap_or_else(|| panic!("a document block: {content:?}"));
    assert_eq!(doc["title"], "main.rs");
    assert_eq!(doc["source"]["type"], "text");
    assert_eq!(doc["source"]["data"], code);
    assert!(content.iter().any(|b| b["type"] == "image"), "{content:?}");

    let stored = history(&h, &id).await;
    assert_eq!(stored[0]["payload"]["attachments"][0], file);
    h.stop().await;
}

#[actix_web::test]
async fn the_limits_are_configurable_and_listed_in_info() {
    let h = harness(&[
        ("ATTACHMENT_MAX_COUNT", "2"),
        ("ATTACHMENT_MAX_TEXT_KB", "1"),
        ("ATTACHMENT_MAX_IMAGE_KB", "64"),
        ("ATTACHMENT_MAX_TOTAL_KB", "100"),
    ])
    .await;
    let req = awc::Client::builder()
        .timeout(WAIT)
        .finish()
        .get(h.url("/api/v1/info"))
        .insert_header(("X-API-Key", TEST_KEY));
    let (status, info) = call(req, None).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        info["attachments"],
        json!({"max_count": 2, "max_image_bytes": 65536, "max_text_bytes": 1024,
               "max_total_bytes": 102400,
               "image_types": ["image/png", "image/jpeg", "image/gif", "image/webp"]})
    );

    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "create_session"})).await;
    let ready = ws.until("session_ready").await.pop().unwrap();
    let id = ready["session_id"].as_str().unwrap().to_string();
    let text = |n: usize| json!({"kind": "text", "name": "a.txt", "text": "y".repeat(n)});
    let n_sent = turns(&h).len();
    for (seq, (attachments, says)) in [
        (
            vec![text(1025)],
            "is 2 KB; the limit for a text file is 1 KB",
        ),
        (
            vec![text(10); 3],
            "3 files attached; the limit is 2 per message",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        ws.send(
            json!({"type": "user_message", "session_id": id, "seq": seq + 1,
            "text": "look", "attachments": attachments}),
        )
        .await;
        let e = ws.until("error").await.pop().unwrap();
        assert_eq!(e["code"], "validation_error", "{e}");
        assert!(e["message"].as_str().unwrap().contains(says), "{says}: {e}");
    }
    assert_eq!(turns(&h).len(), n_sent);
    h.stop().await;
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
