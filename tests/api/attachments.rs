//! Image attachments (issue 15) against the real server, the real CLI and the model stub:
//! a small PNG reaches the model byte-identical as an image block, history keeps it, and a
//! wrong type, broken base64, a too-big image or too many images are `validation_error`s
//! with nothing stored and nothing sent to the model.

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
            vec![image("image/png", "!!!notbase64@@")],
            "not valid base64",
        ),
        (vec![image("image/jpeg", PNG)], "not image/jpeg"),
        (vec![image("image/png", &big)], "larger than 5 MB"),
        (vec![image("image/png", PNG); 6], "limit is 5 per message"),
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
    assert_eq!(history(&h, &id).await.len(), n_stored);
    assert_eq!(turns(&h).len(), n_sent);
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
