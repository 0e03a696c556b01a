//! What a session changed (`GET …/diff`, the `changes_updated` frame) and the files it can
//! mention (`GET …/files`, the @-mention escape check), in real git repositories made here,
//! with the real CLI running the scripted model's Bash and Edit calls.
use claude_sdk_pattern::http::error::code_of;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::{ErrorCode, EventBody};
use claude_sdk_pattern::SessionId;
use serde_json::{json, Value};

use crate::engine_harness::{admin, ends_turn, harness, Events, Harness};
use crate::helpers::{git, TEST_KEY};

fn workspace(h: &Harness) -> std::path::PathBuf {
    h.dir.path().join("workspace")
}

/// A repository in the workspace with `notes.txt` committed and `*.log` ignored.
fn repo(h: &Harness) -> std::path::PathBuf {
    let ws = workspace(h);
    git(&ws, &["init", "-q"]);
    std::fs::write(ws.join("notes.txt"), "one\n").unwrap();
    std::fs::write(ws.join(".gitignore"), "*.log\n").unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "init"]);
    ws
}

/// Runs a turn, allowing every permission it asks; its events up to `changes_updated`
/// (which follows the turn's end).
async fn turn_with_changes(
    h: &Harness,
    id: &SessionId,
    ev: &mut Events,
    text: &str,
) -> Vec<EventBody> {
    h.engine.query(&admin(), id, text, 1).await.unwrap();
    let mut seen = Vec::new();
    loop {
        let e = ev.next().await;
        if let EventBody::PermissionRequest { request_id, .. } = &e.body {
            h.engine
                .answer_permission(&admin(), id, request_id, true, None)
                .await
                .unwrap();
        }
        let done = matches!(e.body, EventBody::ChangesUpdated { .. });
        assert!(
            !ends_turn(&e.body) || matches!(e.body, EventBody::ResponseComplete { .. }),
            "the turn failed: {:?}",
            e.body
        );
        seen.push(e.body);
        if done {
            return seen;
        }
    }
}

async fn diff(h: &Harness, id: &SessionId, query: &str) -> (u16, Value) {
    h.call_as(
        TEST_KEY,
        "GET",
        &format!("/api/v1/sessions/{id}/diff{query}"),
        None,
    )
    .await
}

fn file<'a>(page: &'a Value, path: &str) -> Option<&'a Value> {
    page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
}

#[actix_web::test]
async fn a_sessions_diff_after_a_bash_append_and_an_edit() {
    let h = harness(&[]).await;
    let ws = repo(&h);
    let (id, mut ev) = h.open().await;

    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo two >> notes.txt", "description": "Append a line"}),
        "Appended.",
    ));
    let events = turn_with_changes(&h, &id, &mut ev, "append a line").await;
    assert_eq!(
        events.last().unwrap(),
        &EventBody::ChangesUpdated {
            files: 1,
            additions: 1,
            deletions: 0
        }
    );
    let (status, page) = diff(&h, &id, "").await;
    assert_eq!(status, 200, "{page}");
    let notes = file(&page, "notes.txt").unwrap();
    assert_eq!(notes["status"], "modified");
    assert_eq!(notes["hunks"][0]["lines"], json!([" one", "+two"]));

    // Files made outside a tool: untracked (added), ignored (absent), binary (named).
    std::fs::write(ws.join("new.txt"), "fresh\n").unwrap();
    std::fs::write(ws.join("debug.log"), "noise\n").unwrap();
    std::fs::write(ws.join("pic.bin"), [0u8, 159, 146, 150]).unwrap();
    let path = ws.join("notes.txt").to_string_lossy().into_owned();
    h.stub.push(Reply::ToolUse {
        name: "Read".into(),
        input: json!({"file_path": path}),
        then: Box::new(Reply::tool(
            "Edit",
            json!({"file_path": path, "old_string": "one", "new_string": "ONE"}),
            "Edited.",
        )),
    });
    let events = turn_with_changes(&h, &id, &mut ev, "edit it").await;
    assert!(events
        .iter()
        .any(|e| matches!(e, EventBody::ToolUse { name, .. } if name == "Edit")));
    let (status, page) = diff(&h, &id, "").await;
    assert_eq!(status, 200, "{page}");
    let notes = file(&page, "notes.txt").unwrap();
    assert_eq!(notes["hunks"][0]["lines"], json!(["-one", "+ONE", "+two"]));
    let new = file(&page, "new.txt").unwrap();
    assert_eq!(
        (&new["status"], &new["untracked"], &new["additions"]),
        (&json!("added"), &json!(true), &json!(1))
    );
    assert!(
        file(&page, "debug.log").is_none(),
        "ignored files are not changes: {page}"
    );
    let pic = file(&page, "pic.bin").unwrap();
    assert_eq!((&pic["binary"], &pic["hunks"]), (&json!(true), &json!([])));
    assert_eq!(page["files_changed"], 3);

    // Paging: one file per page, and one file alone.
    let (_, first) = diff(&h, &id, "?limit=1").await;
    assert_eq!(first["files"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = diff(&h, &id, &format!("?limit=1&cursor={cursor}")).await;
    assert_ne!(first["files"][0]["path"], second["files"][0]["path"]);
    let (_, one) = diff(&h, &id, "?file=notes.txt").await;
    assert_eq!(one["files"].as_array().unwrap().len(), 1);
    let (status, bad) = diff(&h, &id, "?limit=0").await;
    assert_eq!((status, &bad["error"]), (400, &json!("validation_error")));
    h.stop().await;
}

#[actix_web::test]
async fn no_diff_outside_git_nor_of_another_users_session() {
    let h = harness(&[]).await;
    let (id, _ev) = h.open().await;
    let (status, body) = diff(&h, &id, "").await;
    assert_eq!(
        (status, &body["error"]),
        (409, &json!("not_a_git_repository")),
        "{body}"
    );

    repo(&h);
    let member = h.add_user("mallory", "member").await;
    for path in ["diff", "files"] {
        let (status, body) = h
            .call_as(
                &member.key,
                "GET",
                &format!("/api/v1/sessions/{id}/{path}"),
                None,
            )
            .await;
        assert_eq!(
            (status, &body["error"]),
            (404, &json!("session_not_found")),
            "{body}"
        );
    }
    let (status, _) = diff(&h, &id, "").await;
    assert_eq!(status, 200);
    h.stop().await;
}

#[actix_web::test]
async fn files_respect_gitignore_rank_fuzzily_and_mentions_stay_inside() {
    let h = harness(&[]).await;
    let ws = repo(&h);
    std::fs::create_dir_all(ws.join("src/domain")).unwrap();
    std::fs::create_dir_all(ws.join("target")).unwrap();
    std::fs::write(ws.join(".gitignore"), "*.log\ntarget/\n").unwrap();
    for f in [
        "src/main.rs",
        "src/domain/model.rs",
        "target/main.o",
        "main.log",
    ] {
        std::fs::write(ws.join(f), "x\n").unwrap();
    }
    std::fs::write(h.dir.path().join("secret.txt"), "top secret\n").unwrap();
    std::os::unix::fs::symlink(h.dir.path().join("secret.txt"), ws.join("link.txt")).unwrap();
    let (id, mut ev) = h.open().await;

    let (status, body) = h
        .call_as(
            TEST_KEY,
            "GET",
            &format!("/api/v1/sessions/{id}/files?q=main"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let paths: Vec<&str> = body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths[0], "src/main.rs", "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("target/") || p.ends_with(".log")),
        "{paths:?}"
    );
    let (_, all) = h
        .call_as(
            TEST_KEY,
            "GET",
            &format!("/api/v1/sessions/{id}/files?limit=100"),
            None,
        )
        .await;
    let all: Vec<&str> = all["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        all.contains(&"notes.txt")
            && all.contains(&".gitignore")
            && !all.iter().any(|p| p.starts_with(".git/")),
        "{all:?}"
    );

    // A mention out of the directory is refused before the CLI sees it.
    let outside = h
        .dir
        .path()
        .join("secret.txt")
        .to_string_lossy()
        .into_owned();
    for text in [
        "read @../secret.txt".to_string(),
        format!("read @{outside}"),
        "read @link.txt".into(),
        "read @\"src/../../secret.txt\"".into(),
    ] {
        let err = h.engine.query(&admin(), &id, &text, 1).await.unwrap_err();
        assert_eq!(code_of(err), ErrorCode::MentionOutsideWorkspace, "{text}");
    }
    assert!(
        !h.stub
            .requests()
            .iter()
            .any(|r| r.body.to_string().contains("top secret")),
        "the file outside was never read"
    );
    // One inside is sent (and the CLI reads it).
    h.stub.push(Reply::text("Read it."));
    h.engine
        .query(&admin(), &id, "look at @src/main.rs please", 1)
        .await
        .unwrap();
    ev.until(ends_turn).await;
    h.stop().await;
}
