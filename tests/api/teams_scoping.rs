//! Every session belongs to the user who created it. Member B acting on member A's session
//! gets exactly the answer it gets for a session id that does not exist — over REST (every
//! route with a session id) and over the WebSocket (every client frame, taken from the
//! protocol's generated fixture so a new frame is covered without editing this test) — and
//! A's session is left as it was. Admins see every session with its owner and can end it.

use claude_sdk_pattern::db::{Session, SessionStatus};
use claude_sdk_pattern::http::{API_PREFIX, ROUTES};
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::SessionId;
use serde_json::{json, Value};

use crate::engine_harness::{harness, harness_logged};
use crate::helpers::TEST_KEY;
use crate::ws::with_session;
use crate::ws_client::{connect_with, Ws};

const CLIENT_FRAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/src/types/fixtures/client-frames.generated.jsonl"
));
const FIXTURE_ID: &str = "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f";

fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `frames` with every occurrence of `id` replaced, so answers about two ids compare.
fn without_id(frames: &[Value], id: &str) -> String {
    serde_json::to_string(frames).unwrap().replace(id, "<id>")
}

/// What the server answers `frame`: frames up to its `error` (and, for a destroy, the
/// session list that follows).
async fn answer(ws: &mut Ws, frame: Value) -> Vec<Value> {
    let kind = frame["type"].as_str().unwrap().to_string();
    ws.send(frame).await;
    let mut frames = ws.until("error").await;
    if kind == "destroy_session" {
        frames.extend(ws.until("session_list").await);
    }
    frames
}

#[actix_web::test]
async fn another_users_session_answers_exactly_as_one_that_does_not_exist() {
    let h = harness_logged(&[]).await;
    let alice = h.add_user("alice", "member").await;
    let bob = h.add_user("bob", "member").await;

    // Alice: a live session waiting for a permission answer, and a suspended one.
    let mut wa = connect_with(h.addr, Some(&alice.key), None, None)
        .await
        .unwrap();
    let live = with_session(&mut wa).await;
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo scoped > scoped.txt", "description": "Write a file"}),
        "Done.",
    ));
    wa.send(json!({"type": "user_message", "session_id": live, "text": "write", "seq": 1}))
        .await;
    let asked = wa.until("permission_request").await;
    let request_id = asked.last().unwrap()["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = random_id();
    let mut row = Session::new(stored.as_str(), alice.user_id.as_str());
    row.status = SessionStatus::Suspended;
    h.db.save(&row).await.unwrap();
    let history_before = h.db.messages(&live, 0).await.unwrap().len();

    // REST: every route with a session id, as Bob.
    let mut compared = 0;
    for route in ROUTES.iter().filter(|r| r.path.contains("{id}")) {
        // Each route as a client would call it: a valid body, and every query variant
        // (`DELETE …?purge=true`, both export formats).
        let (queries, body): (&[&str], _) = match (route.method, route.path) {
            ("DELETE", _) => (&["", "?purge=true"], None),
            ("PATCH", _) => (&[""], Some(json!({"title": "Bob's now", "archived": true}))),
            (_, p) if p.ends_with("/export") => (&["?format=md", "?format=json"], None),
            _ => (&[""], None),
        };
        for query in queries {
            for target in [&live, &stored] {
                let path =
                    |id: &str| format!("{API_PREFIX}{}{query}", route.path.replace("{id}", id));
                let theirs = h
                    .call_as(&bob.key, route.method, &path(target), body.clone())
                    .await;
                let missing = h
                    .call_as(&bob.key, route.method, &path(&random_id()), body.clone())
                    .await;
                assert_eq!(
                    theirs, missing,
                    "{} {}{query} on alice's session",
                    route.method, route.path
                );
                assert!(theirs.0 >= 400, "{route:?}{query}: {theirs:?}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 14, "{compared}");
    assert!(h.listed_as(&bob.key).await.is_empty());
    // Search never returns another member's messages; the owner and admins find them.
    for (key, finds) in [
        (bob.key.as_str(), false),
        (alice.key.as_str(), true),
        (TEST_KEY, true),
    ] {
        let (status, body) = h.call_as(key, "GET", "/api/v1/search?q=write", None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            !body["hits"].as_array().unwrap().is_empty(),
            finds,
            "{body}"
        );
    }

    // WebSocket: every client frame that names a session, as Bob.
    let mut wb = connect_with(h.addr, Some(&bob.key), None, None)
        .await
        .unwrap();
    assert_eq!(wb.frame().await["sessions"], json!([]));
    let mut kinds = Vec::new();
    for line in CLIENT_FRAMES.lines().filter(|l| l.contains(FIXTURE_ID)) {
        let line = line.replace("req_1", &request_id);
        for target in [&live, &stored] {
            let other = random_id();
            let theirs = answer(
                &mut wb,
                serde_json::from_str(&line.replace(FIXTURE_ID, target)).unwrap(),
            )
            .await;
            let missing = answer(
                &mut wb,
                serde_json::from_str(&line.replace(FIXTURE_ID, &other)).unwrap(),
            )
            .await;
            assert_eq!(
                without_id(&theirs, target),
                without_id(&missing, &other),
                "{line}"
            );
            assert_eq!(theirs[0]["session_id"], target.as_str(), "{line}");
        }
        kinds.push(serde_json::from_str::<Value>(&line).unwrap()["type"].clone());
    }
    for kind in [
        "switch_session",
        "user_message",
        "interrupt",
        "destroy_session",
        "resume_session",
        "permission_response",
        "revoke_permission",
        "set_session_options",
        "rename_session",
    ] {
        assert!(kinds.contains(&json!(kind)), "{kind} not covered");
    }

    // Bob's connection was never told of Alice's sessions' live states (session_state goes
    // to the owner's connections only), nor of her permission request.
    assert!(
        !wb.seen.iter().any(|f| f["type"] != "error"
            && (f["session_id"] == live.as_str() || f["session_id"] == stored.as_str())),
        "{:?}",
        wb.seen
    );

    // Alice's sessions are as they were: nothing was stored, woken, ended or answered.
    assert_eq!(h.db.messages(&live, 0).await.unwrap().len(), history_before);
    let stored_row = h.db.get(&stored).await.unwrap().unwrap();
    assert_eq!(stored_row.status, SessionStatus::Suspended);
    // …nor renamed, archived or purged.
    let (_, alices) = h.call_as(&alice.key, "GET", "/api/v1/sessions", None).await;
    let listed = alices["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{alices}");
    assert!(
        listed
            .iter()
            .all(|s| s["title"] != "Bob's now" && s["archived"] == false),
        "{alices}"
    );
    wa.send(json!({"type": "permission_response", "session_id": live,
        "request_id": request_id, "allow": true}))
        .await;
    let rest = wa.turn().await;
    assert_eq!(
        rest.last().unwrap()["type"],
        "response_complete",
        "{rest:?}"
    );
    assert!(
        !wa.seen
            .iter()
            .any(|f| f["type"] == "error" || f["type"] == "session_opened_elsewhere"),
        "{:?}",
        wa.seen
    );

    h.stop().await;
    // Lifecycle and permission log lines name the session's owner.
    let logs = h.logs();
    let line_of = |msg: &str| {
        logs.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["msg"] == msg && l["session_id"] == live.as_str())
            .unwrap_or_else(|| panic!("no {msg:?} line for the session"))
    };
    assert_eq!(
        line_of("session created")["user_id"],
        alice.user_id.as_str()
    );
    let answered = line_of("permission answered");
    assert_eq!(answered["user_id"], alice.user_id.as_str());
    assert_eq!(answered["allow"], true);
}

#[actix_web::test]
async fn admins_see_every_session_with_its_owner_and_can_end_it() {
    let h = harness(&[]).await;
    let alice = h.add_user("alice", "member").await;
    let bob = h.add_user("bob", "member").await;
    let a = h.create_as(&alice.key).await;
    let b = h.create_as(&bob.key).await;

    assert_eq!(h.listed_as(&alice.key).await, vec![a.clone()]);
    assert_eq!(h.listed_as(&bob.key).await, vec![b.clone()]);

    let (status, all) = h.call_as(TEST_KEY, "GET", "/api/v1/sessions", None).await;
    assert_eq!(status, 200);
    let owner_of = |id: &str| {
        all["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == id)
            .map(|s| (s["user_id"].clone(), s["user_name"].clone()))
    };
    assert_eq!(owner_of(&a), Some((json!(alice.user_id), json!("alice"))));
    assert_eq!(owner_of(&b), Some((json!(bob.user_id), json!("bob"))));
    // Members are told the owner's id (their own), not a name.
    let (_, mine) = h.call_as(&alice.key, "GET", "/api/v1/sessions", None).await;
    assert_eq!(mine["sessions"][0]["user_id"], alice.user_id.as_str());
    assert!(mine["sessions"][0].get("user_name").is_none());
    // `owner` filters an admin's list by user; a member gets their own regardless.
    let ids = |page: &Value| -> Vec<String> {
        page["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap().to_string())
            .collect()
    };
    let by_owner = |user: &str| format!("/api/v1/sessions?owner={user}");
    let (status, page) = h
        .call_as(TEST_KEY, "GET", &by_owner(&bob.user_id), None)
        .await;
    assert_eq!((status, ids(&page)), (200, vec![b.clone()]), "{page}");
    assert_eq!(page["sessions"][0]["user_name"], "bob");
    let (_, page) = h.call_as(TEST_KEY, "GET", &by_owner("nobody"), None).await;
    assert!(ids(&page).is_empty(), "{page}");
    let (status, page) = h
        .call_as(&alice.key, "GET", &by_owner(&bob.user_id), None)
        .await;
    assert_eq!((status, ids(&page)), (200, vec![a.clone()]), "{page}");

    // Admins read any conversation and end any session…
    let (status, _) = h
        .call_as(
            TEST_KEY,
            "GET",
            &format!("/api/v1/sessions/{a}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // …but do not open it (that would take it from its owner's window).
    let mut admin_ws = crate::ws_client::connect(h.addr).await;
    let list = admin_ws.frame().await;
    assert_eq!(list["sessions"].as_array().unwrap().len(), 2);
    admin_ws
        .send(json!({"type": "switch_session", "session_id": a, "after_seq": 0}))
        .await;
    let refused = admin_ws.until("error").await;
    assert_eq!(refused.last().unwrap()["code"], "session_not_found");
    let (status, ended) = h
        .call_as(TEST_KEY, "DELETE", &format!("/api/v1/sessions/{a}"), None)
        .await;
    assert_eq!(
        (status, ended["status"].as_str()),
        (200, Some("terminated"))
    );
    let row = h.db.get(&a).await.unwrap().unwrap();
    assert_eq!(row.status, SessionStatus::Terminated);
    assert!(h
        .engine
        .live_session(&SessionId::from_stored(&a))
        .await
        .is_err());
    // A member ending it would have been told it does not exist.
    let (status, body) = h
        .call_as(&alice.key, "DELETE", &format!("/api/v1/sessions/{b}"), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found"))
    );
    h.stop().await;
}
