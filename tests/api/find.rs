//! Finding sessions through the real server with the real CLI and the model stub: titles
//! and previews, rename (REST and WebSocket), archive, purge, the paged list, full-text
//! search — and that they survive a restart.

use std::collections::HashSet;
use std::time::Duration;

use claude_sdk_pattern::db::{Session, BOOTSTRAP_USER_ID};
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::SessionId;
use serde_json::{json, Value};

use crate::engine_harness::{admin, ends_turn, harness, Harness};
use crate::helpers::{call, open_test_db, spawn_app, TEST_KEY, WAIT};
use crate::ws_client::connect;

fn keyed(method: &str, url: &str) -> awc::ClientRequest {
    awc::Client::builder()
        .timeout(WAIT)
        .finish()
        .request(method.parse().unwrap(), url)
        .insert_header(("X-API-Key", TEST_KEY))
}

async fn api(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let req = keyed(method, &format!("{base}{path}"));
    match body {
        Some(b) => {
            let req = req.insert_header(("Content-Type", "application/json"));
            call(req, Some(&b.to_string())).await
        }
        None => call(req, None).await,
    }
}

/// Percent-encodes a query value.
fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls (bounded) until the stored history of `id` has a message of `kind`.
async fn stored(h: &Harness, id: &SessionId, kind: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, history) = api(
            &h.url(""),
            "GET",
            &format!("/api/v1/sessions/{id}/messages"),
            None,
        )
        .await;
        if history["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["kind"] == kind))
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} stored: {history}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn listed<'a>(list: &'a Value, id: &SessionId) -> Option<&'a Value> {
    list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id.as_str())
}

#[actix_web::test]
async fn a_conversation_is_titled_searchable_renamable_archivable_and_purgeable() {
    let h = harness(&[]).await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo pelican-feather", "description": "Print a word"}),
        "The heron setting lives in conf/app.toml.",
    ));
    h.engine
        .query(
            &admin(),
            &id,
            "Where is the kestrel config? Look around.\nSecond line.",
            1,
        )
        .await
        .unwrap();
    // `echo` is read-only: the CLI runs it without asking.
    ev.until(ends_turn).await;
    stored(&h, &id, "assistant").await;
    let base = h.url("");

    // The first line of the first message is the title; the reply is the preview.
    let (status, list) = api(&base, "GET", "/api/v1/sessions", None).await;
    assert_eq!(status, 200, "{list}");
    let item = listed(&list, &id).unwrap();
    assert_eq!(item["title"], "Where is the kestrel config? Look around.");
    assert_eq!(item["preview"], "The heron setting lives in conf/app.toml.");
    assert_eq!(item["archived"], false);
    assert_eq!(list["next_cursor"], Value::Null);

    // Search finds the user's words, the tool's output and the reply, marked.
    for (word, role) in [
        ("kestrel", "user"),
        ("pelican", "tool_result"),
        ("heron", "assistant"),
    ] {
        let (status, found) = api(&base, "GET", &format!("/api/v1/search?q={word}"), None).await;
        assert_eq!(status, 200, "{found}");
        let hit = found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["role"] == role)
            .unwrap_or_else(|| panic!("{word}: {found}"));
        assert_eq!(hit["session_id"], id.as_str());
        assert!(hit["seq"].as_i64().unwrap() >= 1);
        assert!(
            hit["snippet"]
                .as_str()
                .unwrap()
                .contains(&format!("<mark>{word}</mark>")),
            "{hit}"
        );
        assert!(hit["created_at"].as_str().unwrap().ends_with('Z'));
    }
    // Odd input is searched as text: never a 500, never query syntax.
    for odd in [
        "\"",
        "*",
        "NEAR(kestrel",
        "kestrel\"",
        "AND OR NOT",
        "🎉 ünïcödé",
        "col:x",
        "a'b;--",
    ] {
        let (status, found) = api(
            &base,
            "GET",
            &format!("/api/v1/search?q={}", enc(odd)),
            None,
        )
        .await;
        assert_eq!(status, 200, "{odd}: {found}");
    }
    for bad in ["q=", "q=%20%20", "q=x&limit=0", "q=x&limit=101", "limit=3"] {
        let (status, body) = api(&base, "GET", &format!("/api/v1/search?{bad}"), None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("validation_error")),
            "{bad}: {body}"
        );
    }
    let long = "a".repeat(501);
    let (status, _) = api(&base, "GET", &format!("/api/v1/search?q={long}"), None).await;
    assert_eq!(status, 400);

    // Rename: 1–200 characters.
    let path = format!("/api/v1/sessions/{id}");
    for bad in [
        json!({"title": ""}),
        json!({"title": "   "}),
        json!({"title": "x".repeat(201)}),
        json!({"title": "a\nb"}),
    ] {
        let (status, body) = api(&base, "PATCH", &path, Some(bad.clone())).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("validation_error")),
            "{bad}"
        );
    }
    let (status, body) = api(&base, "PATCH", &path, Some(json!({"nope": 1}))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_json"))
    );
    let (status, renamed) = api(
        &base,
        "PATCH",
        &path,
        Some(json!({"title": "  Birds of prey  "})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["title"], "Birds of prey");
    assert_eq!(renamed["session_id"], id.as_str());
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = api(
        &base,
        "PATCH",
        &format!("/api/v1/sessions/{unknown}"),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found"))
    );

    // Export: the JSON holds every stored message as the history does; the Markdown reads.
    let (status, history) = api(&base, "GET", &format!("{path}/messages"), None).await;
    assert_eq!(status, 200);
    let (status, exported) = api(&base, "GET", &format!("{path}/export?format=json"), None).await;
    assert_eq!(status, 200, "{exported}");
    assert_eq!(exported["messages"], history["messages"]);
    assert_eq!(exported["session"]["title"], "Birds of prey");
    let mut res = keyed("GET", &format!("{base}{path}/export?format=md"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ctype = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(ctype.starts_with("text/markdown"), "{ctype}");
    let disposition = res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(disposition, "attachment; filename=\"birds-of-prey.md\"");
    let md = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(md.starts_with("# Birds of prey\n"), "{md}");
    for part in [
        "## You\n\nWhere is the kestrel config? Look around.\nSecond line.",
        "<summary>Tool call: Bash</summary>",
        "echo pelican-feather",
        "<summary>Tool output</summary>",
        "## Claude\n",
        "The heron setting lives in conf/app.toml.",
    ] {
        assert!(md.contains(part), "{part:?} not in:\n{md}");
    }
    let (status, body) = api(&base, "GET", &format!("{path}/export?format=pdf"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("validation_error"))
    );
    let (status, _) = api(
        &base,
        "GET",
        &format!("/api/v1/sessions/{unknown}/export"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // A restart keeps the title and the index.
    let h = h.restart(&[]).await;
    let base = h.url("");
    let (_, list) = api(&base, "GET", "/api/v1/sessions", None).await;
    assert_eq!(listed(&list, &id).unwrap()["title"], "Birds of prey");
    for (word, role) in [
        ("kestrel", "user"),
        ("pelican", "tool_result"),
        ("heron", "assistant"),
    ] {
        let (_, found) = api(&base, "GET", &format!("/api/v1/search?q={word}"), None).await;
        let hit = found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["role"] == role)
            .unwrap_or_else(|| panic!("after the restart, {word}: {found}"));
        assert_eq!(hit["title"], "Birds of prey", "{found}");
        assert!(hit["snippet"]
            .as_str()
            .unwrap()
            .contains(&format!("<mark>{word}</mark>")));
    }

    // Archive hides it from the default list; `status=archived` lists it; unarchive.
    let (status, body) = api(&base, "PATCH", &path, Some(json!({"archived": true}))).await;
    assert_eq!((status, &body["archived"]), (200, &json!(true)));
    let (_, list) = api(&base, "GET", "/api/v1/sessions", None).await;
    assert!(listed(&list, &id).is_none(), "{list}");
    let (_, list) = api(&base, "GET", "/api/v1/sessions?status=archived", None).await;
    assert!(listed(&list, &id).is_some(), "{list}");

    // Purge: refused until the session has ended, then everything goes.
    let transcripts = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for p in std::fs::read_dir(dir.join("cli-config/projects"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let t = p.path().join(format!("{id}.jsonl"));
            if t.exists() {
                found.push(t);
            }
        }
        found
    };
    assert_eq!(
        transcripts(h.dir.path()).len(),
        1,
        "the CLI wrote a transcript"
    );
    let (status, body) = api(&base, "DELETE", &format!("{path}?purge=true"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("session_live")),
        "{body}"
    );
    let (status, body) = api(&base, "DELETE", &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"session_id": id.as_str(), "status": "terminated", "purged": false})
    );
    // The CLI's per-session temporary files live under the server's CLAUDE_CODE_TMPDIR
    // (`<data>/run/tmp`): `claude-<uid>/<project>/<id>/` (background task and subagent
    // output). Where this turn left none, one is put there as a background task would.
    let tmp_root = h
        .dir
        .path()
        .join("data")
        .join("run")
        .join("tmp")
        .join(format!("claude-{}", nix::unistd::getuid().as_raw()));
    let project = std::fs::read_dir(&tmp_root)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map_or_else(|| tmp_root.join("-workspace"), |e| e.path());
    let session_tmp = project.join(id.as_str());
    let other_tmp = project.join(uuid::Uuid::new_v4().to_string());
    for d in [&session_tmp, &other_tmp] {
        std::fs::create_dir_all(d.join("tasks")).unwrap();
        std::fs::write(d.join("tasks/bg.output"), "output").unwrap();
    }
    let (status, body) = api(&base, "DELETE", &format!("{path}?purge=true"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"session_id": id.as_str(), "purged": true}));
    assert!(transcripts(h.dir.path()).is_empty());
    assert!(
        !session_tmp.exists(),
        "the session's temporary files are gone"
    );
    assert!(
        other_tmp.join("tasks/bg.output").exists(),
        "only that session's"
    );
    let (status, _) = api(&base, "GET", &format!("{path}/messages"), None).await;
    assert_eq!(status, 404);
    let (_, found) = api(&base, "GET", "/api/v1/search?q=heron", None).await;
    assert_eq!(found["hits"], json!([]));
    let (_, list) = api(&base, "GET", "/api/v1/sessions?status=all", None).await;
    assert!(listed(&list, &id).is_none());
    let (status, body) = api(&base, "DELETE", &format!("{path}?purge=true"), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found"))
    );
    h.stop().await;
}

#[actix_web::test]
async fn rename_over_the_websocket_refreshes_the_list() {
    let h = harness(&[]).await;
    let (id, _ev) = h.open().await;
    let mut ws = connect(h.addr).await;
    let first = ws.until("session_list").await;
    let list = first.last().unwrap();
    assert_eq!(listed(list, &id).unwrap()["title"], Value::Null);
    assert_eq!(list["next_cursor"], Value::Null);
    ws.send(
        json!({"type": "rename_session", "session_id": id.as_str(), "title": "From the socket"}),
    )
    .await;
    let frames = ws.until("session_list").await;
    assert_eq!(
        listed(frames.last().unwrap(), &id).unwrap()["title"],
        "From the socket"
    );
    ws.send(json!({"type": "rename_session", "session_id": id.as_str(), "title": ""}))
        .await;
    let frames = ws.until("error").await;
    assert_eq!(frames.last().unwrap()["code"], "validation_error");
    let unknown = uuid::Uuid::new_v4().to_string();
    ws.send(json!({"type": "rename_session", "session_id": unknown, "title": "x"}))
        .await;
    let frames = ws.until("error").await;
    assert_eq!(frames.last().unwrap()["code"], "session_not_found");
    h.stop().await;
}

/// 10,000 sessions, walked 200 at a time while sessions are created and others become
/// active: every session that existed before the walk and stayed still is seen once.
#[actix_web::test]
async fn paging_walks_ten_thousand_sessions_without_duplicates_or_gaps() {
    let app = spawn_app().await;
    let db = open_test_db(app.dir.path()).await;
    let base = chrono::Utc::now().naive_utc() - chrono::Duration::hours(2);
    let ids: Vec<String> = (0..10_000)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let mut s = Session::new(id.clone(), BOOTSTRAP_USER_ID);
        // Many share a timestamp: the id orders them.
        s.last_active_at = base + chrono::Duration::milliseconds((n / 4) as i64);
        db.save(&s).await.unwrap();
    }
    let url = app.url("");
    let mut seen = HashSet::new();
    let mut moved = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/sessions?limit=200&cursor={}", enc(c)),
            None => "/api/v1/sessions?limit=200".to_string(),
        };
        let (status, page) = api(&url, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let rows = page["sessions"].as_array().unwrap();
        for s in rows {
            let sid = s["session_id"].as_str().unwrap().to_string();
            assert!(seen.insert(sid.clone()), "{sid} twice (page {pages})");
        }
        // Meanwhile: a new session, and one already listed becomes active again.
        db.save(&Session::new(
            uuid::Uuid::new_v4().to_string(),
            BOOTSTRAP_USER_ID,
        ))
        .await
        .unwrap();
        let touched = rows[0]["session_id"].as_str().unwrap().to_string();
        db.update_activity(&touched, chrono::Utc::now().naive_utc(), None)
            .await
            .unwrap();
        moved.insert(touched);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 50);
    let missing: Vec<&String> = ids.iter().filter(|id| !seen.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert_eq!(seen.len(), 10_000);

    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "cursor=nope",
        "cursor=1_2",
        "status=bogus",
    ] {
        let (status, body) = api(&url, "GET", &format!("/api/v1/sessions?{bad}"), None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("validation_error")),
            "{bad}: {body}"
        );
    }
    let (_, page) = api(&url, "GET", "/api/v1/sessions", None).await;
    assert_eq!(page["sessions"].as_array().unwrap().len(), 50);
    assert!(page["next_cursor"].is_string());
    app.stop().await;
}
