//! Quotas: live sessions per user (`MAX_SESSIONS_PER_USER`) and spend per UTC day
//! (`DAILY_SPEND_LIMIT_USD`), with admins' per-user overrides. A refusal is `quota_exceeded`
//! (REST 429) with a message naming the limit and when it frees up, and nothing of the
//! refused request happens.

use claude_sdk_pattern::model_stub::Reply;
use serde_json::{json, Value};

use crate::engine_harness::harness;
use crate::helpers::TEST_KEY;
use crate::ws::with_session;
use crate::ws_client::connect_with;

#[actix_web::test]
async fn the_live_session_quota_refuses_creation_until_one_ends() {
    let h = harness(&[("MAX_SESSIONS_PER_USER", "1")]).await;
    let alice = h.add_user("alice", "member").await;
    let bob = h.add_user("bob", "member").await;
    let first = h.create_as(&alice.key).await;

    let (status, refused) = h
        .call_as(&alice.key, "POST", "/api/v1/sessions", None)
        .await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"], "quota_exceeded");
    assert_eq!(
        refused["message"],
        "You already have 1 live sessions, the most one user may have. The limit frees up as \
         soon as one of them ends or is suspended: end one you no longer need, then try again."
    );
    let mut ws = connect_with(h.addr, Some(&alice.key), None, None)
        .await
        .unwrap();
    assert_eq!(ws.frame().await["sessions"].as_array().unwrap().len(), 1);
    ws.send(json!({"type": "create_session"})).await;
    let frames = ws.until("error").await;
    assert_eq!(frames[0]["type"], "session_creating");
    let error = frames.last().unwrap();
    assert_eq!(
        (&error["code"], &error["message"]),
        (&refused["error"], &refused["message"])
    );
    assert_eq!(
        h.listed_as(&alice.key).await,
        vec![first.clone()],
        "nothing was created"
    );

    // The quota is each user's own.
    h.create_as(&bob.key).await;

    // An admin's override lifts it for one user…
    let path = format!("/api/v1/users/{}", alice.user_id);
    let (status, _) = h
        .call_as(TEST_KEY, "PATCH", &path, Some(json!({"max_sessions": 2})))
        .await;
    assert_eq!(status, 200);
    let second = h.create_as(&alice.key).await;
    let (status, _) = h
        .call_as(&alice.key, "POST", "/api/v1/sessions", None)
        .await;
    assert_eq!(status, 429);
    // …and ending a session frees a place.
    let (status, _) = h
        .call_as(
            &alice.key,
            "DELETE",
            &format!("/api/v1/sessions/{second}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    h.create_as(&alice.key).await;
    let (_, users) = h.call_as(TEST_KEY, "GET", "/api/v1/users", None).await;
    let alice_entry = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "alice")
        .unwrap()
        .clone();
    assert_eq!(alice_entry["live_sessions"], 2);
    assert_eq!(alice_entry["max_sessions"], 2);
    h.stop().await;
}

#[actix_web::test]
async fn the_daily_spend_limit_refuses_the_next_message_and_loses_nothing() {
    let h = harness(&[("DAILY_SPEND_LIMIT_USD", "0.000001")]).await;
    let alice = h.add_user("alice", "member").await;
    let mut ws = connect_with(h.addr, Some(&alice.key), None, None)
        .await
        .unwrap();
    let id = with_session(&mut ws).await;

    // Below the limit a turn runs; its cost is today's spend.
    h.stub.push(Reply::text("The first answer."));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "first", "seq": 1}))
        .await;
    let turn = ws.turn().await;
    let cost = turn.last().unwrap()["cost_usd"].as_f64().unwrap();
    assert!(cost > 0.000001, "the stub's turn costs something: {turn:?}");
    let stored = h.db.messages(&id, 0).await.unwrap().len();
    let spent = |users: &Value| {
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "alice")
            .unwrap()["spend_today_usd"]
            .as_f64()
            .unwrap()
    };
    // The store write follows the event: wait for it, bounded.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, users) = h.call_as(TEST_KEY, "GET", "/api/v1/users", None).await;
        if (spent(&users) - cost).abs() < 1e-12 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "spend {users}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // The next message is refused before anything of it happens.
    ws.send(json!({"type": "user_message", "session_id": id, "text": "second", "seq": 2}))
        .await;
    let error = ws.frame().await;
    assert_eq!(error["type"], "error", "no message_received: {error}");
    assert_eq!(error["code"], "quota_exceeded");
    assert_eq!(error["session_id"], id.as_str());
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "You have reached your daily spending limit of $0.000001. It resets at midnight UTC ("
        ) && message.ends_with("T00:00:00Z)."),
        "{message}"
    );
    assert_eq!(
        h.db.messages(&id, 0).await.unwrap().len(),
        stored,
        "nothing stored"
    );
    let (status, refused) = h
        .call_as(&alice.key, "POST", "/api/v1/sessions", None)
        .await;
    assert_eq!((status, refused["message"].as_str()), (429, Some(message)));

    // Other users are not limited by alice's spend.
    let (status, _) = h.call_as(TEST_KEY, "POST", "/api/v1/sessions", None).await;
    assert_eq!(status, 201);

    // An admin raises alice's limit: the same message now goes through, once.
    let path = format!("/api/v1/users/{}", alice.user_id);
    h.call_as(
        TEST_KEY,
        "PATCH",
        &path,
        Some(json!({"daily_spend_limit_usd": 100})),
    )
    .await;
    h.stub.push(Reply::text("The second answer."));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "second", "seq": 3}))
        .await;
    let turn = ws.turn().await;
    assert_eq!(turn[0]["type"], "message_received");
    assert_eq!(turn.last().unwrap()["type"], "response_complete");
    // Back to the server's setting: refused again.
    h.call_as(
        TEST_KEY,
        "PATCH",
        &path,
        Some(json!({"daily_spend_limit_usd": null})),
    )
    .await;
    ws.send(json!({"type": "user_message", "session_id": id, "text": "third", "seq": 4}))
        .await;
    assert_eq!(ws.frame().await["code"], "quota_exceeded");
    h.stop().await;
}
