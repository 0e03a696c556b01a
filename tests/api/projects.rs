//! Projects and a worktree per session (issue 17), against the real CLI and the model stub,
//! in git repositories made here: worktree sessions editing the same file apart, what ending
//! them does to their worktree, path escapes, a repository without commits, a project that
//! is not git, and each project's own commands.

use std::path::Path;

use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::EventBody;
use claude_sdk_pattern::session_id::SessionId;
use serde_json::{json, Value};

use crate::engine_harness::{
    admin, collector, ends_turn, harness, harness_with_sources, next_permission, Events, Harness,
};
use crate::helpers::{call, TEST_KEY, WAIT};

pub(crate) fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

pub(crate) use crate::helpers::git;

/// A repository `name` under `root` with `notes.txt` committed.
pub(crate) fn repo(root: &Path, name: &str) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("notes.txt"), "one\n").unwrap();
    git(&dir, &["add", "notes.txt"]);
    git(&dir, &["commit", "-qm", "first"]);
    dir
}

pub(crate) async fn post(h: &Harness, path: &str, body: Value) -> (u16, Value) {
    // A cold create starts a CLI: seconds on a loaded machine, past awc's default 5 s.
    let req = client()
        .post(h.url(path))
        .timeout(WAIT)
        .insert_header(("X-API-Key", TEST_KEY))
        .insert_header(("Content-Type", "application/json"));
    call(req, Some(&body.to_string())).await
}

pub(crate) async fn get(h: &Harness, path: &str) -> (u16, Value) {
    let req = client()
        .get(h.url(path))
        .timeout(WAIT)
        .insert_header(("X-API-Key", TEST_KEY));
    call(req, None).await
}

/// Creates a session over REST and subscribes a collector to it.
pub(crate) async fn create(h: &Harness, body: Value) -> (SessionId, Events) {
    let (status, created) = post(h, "/api/v1/sessions", body).await;
    assert_eq!(status, 201, "{created}");
    let id = SessionId::parse(created["session_id"].as_str().unwrap()).unwrap();
    let ev = collector();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    (id, ev)
}

/// One turn in which the model runs `command` with Bash (allowed when asked).
pub(crate) async fn run_bash(
    h: &Harness,
    id: &SessionId,
    ev: &mut Events,
    command: &str,
    seq: u64,
) {
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": command, "description": "Append a line"}),
        "Done.",
    ));
    h.engine.query(&admin(), id, "append", seq).await.unwrap();
    let request = next_permission(ev).await;
    h.engine
        .answer_permission(&admin(), id, &request, true, None)
        .await
        .unwrap();
    ev.until(ends_turn).await;
}

#[actix_web::test]
async fn worktree_sessions_edit_the_same_file_apart_and_end_as_their_work_says() {
    let projects = tempfile::tempdir().unwrap();
    let alpha = repo(projects.path(), "alpha");
    let root = projects.path().to_str().unwrap();
    let h = harness(&[("WORKSPACES_ROOT", root)]).await;
    let body = json!({"project": "alpha", "isolation": "worktree"});

    let (a, mut ev_a) = create(&h, body.clone()).await;
    let (b, mut ev_b) = create(&h, body).await;
    run_bash(&h, &a, &mut ev_a, "echo from-a >> notes.txt", 1).await;
    run_bash(&h, &b, &mut ev_b, "echo from-b >> notes.txt", 1).await;

    let row_a = h.db.get(a.as_str()).await.unwrap().unwrap();
    let row_b = h.db.get(b.as_str()).await.unwrap().unwrap();
    let (dir_a, dir_b) = (
        Path::new(row_a.workdir.as_deref().unwrap()).to_path_buf(),
        Path::new(row_b.workdir.as_deref().unwrap()).to_path_buf(),
    );
    // Each session edited its own copy; the project's checkout is untouched.
    assert_eq!(
        std::fs::read_to_string(dir_a.join("notes.txt")).unwrap(),
        "one\nfrom-a\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir_b.join("notes.txt")).unwrap(),
        "one\nfrom-b\n"
    );
    assert_eq!(
        std::fs::read_to_string(alpha.join("notes.txt")).unwrap(),
        "one\n"
    );
    assert!(!dir_a.starts_with(&alpha) && !dir_b.starts_with(&alpha));
    let head = git(&alpha, &["rev-parse", "HEAD"]);
    assert_eq!(row_a.base_commit.as_deref(), Some(head.as_str()));
    let branch_a = row_a.branch.clone().unwrap();
    assert_eq!(branch_a, format!("claude/{}", &a.as_str()[..8]));

    // The session list names the project, the isolation and the branch.
    let (_, list) = get(&h, "/api/v1/sessions").await;
    let listed = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == a.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["project"], "alpha");
    assert_eq!(listed["isolation"], "worktree");
    assert_eq!(listed["branch"], branch_a.as_str());

    // A's work is committed: ending it removes the worktree, the branch stays.
    git(&dir_a, &["commit", "-qam", "from a"]);
    h.engine.destroy_session(&admin(), &a).await.unwrap();
    assert!(!dir_a.exists());
    git(
        &alpha,
        &["rev-parse", "--verify", &format!("refs/heads/{branch_a}")],
    );
    // B's is not: its worktree is kept, and listed with its project.
    h.engine.destroy_session(&admin(), &b).await.unwrap();
    assert!(dir_b.join("notes.txt").exists());
    let (status, listing) = get(&h, "/api/v1/projects").await;
    assert_eq!(status, 200, "{listing}");
    let alpha_info = listing["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "alpha")
        .unwrap()
        .clone();
    assert_eq!(alpha_info["session_count"], 2);
    assert_eq!(alpha_info["branch"], "main");
    assert_eq!(alpha_info["dirty"], false);
    assert_eq!(alpha_info["kept_worktrees"][0]["session_id"], b.as_str());
    h.stop().await;
}

#[actix_web::test]
async fn project_names_are_resolved_inside_the_root_only() {
    let projects = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    repo(projects.path(), "alpha");
    std::fs::create_dir_all(projects.path().join("plain")).unwrap();
    std::os::unix::fs::symlink(outside.path(), projects.path().join("escape")).unwrap();
    let root = projects.path().to_str().unwrap();
    let h = harness(&[("WORKSPACES_ROOT", root)]).await;

    for name in [
        "..",
        "../alpha",
        "/etc",
        outside.path().to_str().unwrap(),
        "escape",
        ".git",
    ] {
        let (status, body) = post(&h, "/api/v1/sessions", json!({"project": name})).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_project")),
            "{name}"
        );
    }
    let (status, body) = post(&h, "/api/v1/sessions", json!({"project": "nope"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("project_not_found"))
    );
    let (status, body) = post(
        &h,
        "/api/v1/sessions",
        json!({"project": "plain", "isolation": "worktree"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_a_git_repository"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("not a git repository"));
    // Nothing was left running or stored.
    let (_, list) = get(&h, "/api/v1/sessions").await;
    assert_eq!(list["sessions"], json!([]));

    // The listing: the default project, then the root's, the escaping link left out.
    let (_, listing) = get(&h, "/api/v1/projects").await;
    let names: Vec<&str> = listing["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["workspace", "alpha", "plain"]);
    assert_eq!(listing["projects"][0]["default"], true);
    assert_eq!(listing["projects"][1]["git"], true);
    assert_eq!(listing["projects"][2]["git"], false);
    assert_eq!(listing["default_isolation"], "none");

    // Over the WebSocket, the same refusal as an error frame.
    let mut ws = crate::ws_client::connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "create_session", "project": "../x"}))
        .await;
    let error = ws.frame().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "invalid_project");
    h.stop().await;
}

#[actix_web::test]
async fn a_repository_without_commits_gets_an_orphan_worktree() {
    let projects = tempfile::tempdir().unwrap();
    let fresh = projects.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    git(&fresh, &["init", "-q"]);
    let root = projects.path().to_str().unwrap();
    let h = harness(&[("WORKSPACES_ROOT", root), ("DEFAULT_ISOLATION", "worktree")]).await;

    let (id, mut ev) = create(&h, json!({"project": "fresh"})).await;
    run_bash(&h, &id, &mut ev, "echo new >> started.txt", 1).await;
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(row.isolation.as_deref(), Some("worktree"));
    assert_eq!(row.base_commit, None);
    let dir = Path::new(row.workdir.as_deref().unwrap()).to_path_buf();
    assert_eq!(
        std::fs::read_to_string(dir.join("started.txt")).unwrap(),
        "new\n"
    );
    assert!(!fresh.join("started.txt").exists());
    // Uncommitted work: kept at the end.
    h.engine.destroy_session(&admin(), &id).await.unwrap();
    assert!(dir.join("started.txt").exists());
    h.stop().await;
}

/// The slash commands `session_ready` lists for a new session in `project`.
async fn commands_in(h: &Harness, project: &str) -> Vec<String> {
    let (_, mut ev) = create(h, json!({"project": project})).await;
    let ready = ev.next().await;
    let EventBody::SessionReady { commands, .. } = ready.body else {
        panic!("first event: {ready:?}")
    };
    commands.into_iter().map(|c| c.name).collect()
}

#[actix_web::test]
async fn each_project_has_its_own_commands_and_skills() {
    let projects = tempfile::tempdir().unwrap();
    for name in ["alpha", "beta"] {
        std::fs::create_dir_all(projects.path().join(name)).unwrap();
    }
    let commands = projects.path().join("alpha/commands");
    std::fs::create_dir_all(&commands).unwrap();
    std::fs::write(
        commands.join("alphacmd.md"),
        "---\ndescription: Alpha's own\n---\nDo the alpha thing.\n",
    )
    .unwrap();
    let skill = projects.path().join("beta/skills/betaskill");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: betaskill\ndescription: Beta's own skill\n---\nUse it.\n",
    )
    .unwrap();
    let root = projects.path().to_str().unwrap();
    let h = harness_with_sources(&[("WORKSPACES_ROOT", root)], &[], "project").await;
    let in_alpha = commands_in(&h, "alpha").await;
    assert!(in_alpha.iter().any(|c| c == "alphacmd"), "{in_alpha:?}");
    assert!(!in_alpha.iter().any(|c| c == "betaskill"), "{in_alpha:?}");
    let in_beta = commands_in(&h, "beta").await;
    assert!(!in_beta.iter().any(|c| c == "alphacmd"), "{in_beta:?}");
    assert!(in_beta.iter().any(|c| c == "betaskill"), "{in_beta:?}");
    assert!(in_beta.iter().any(|c| c == "compact"));

    // GET /api/v1/extensions reads the project asked for (the default one unless named).
    let names = |v: &Value, kind: &str| -> Vec<String> {
        v[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, alpha) = get(&h, "/api/v1/extensions?project=alpha").await;
    assert_eq!(status, 200, "{alpha}");
    assert_eq!(names(&alpha, "commands"), ["alphacmd"]);
    assert!(names(&alpha, "skills").is_empty());
    let (_, beta) = get(&h, "/api/v1/extensions?project=beta").await;
    assert_eq!(names(&beta, "skills"), ["betaskill"]);
    assert!(names(&beta, "commands").is_empty());
    assert_ne!(alpha["config_hash"], beta["config_hash"]);
    let (status, default) = get(&h, "/api/v1/extensions").await;
    assert_eq!(status, 200);
    assert!(names(&default, "commands").is_empty() && names(&default, "skills").is_empty());
    let (status, body) = get(&h, "/api/v1/extensions?project=nope").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("project_not_found"))
    );
    let (status, body) = get(&h, "/api/v1/extensions?project=..").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_project"))
    );
    h.stop().await;
}

#[actix_web::test]
async fn the_session_list_is_filtered_by_project_on_the_server() {
    let projects = tempfile::tempdir().unwrap();
    repo(projects.path(), "alpha");
    std::fs::create_dir_all(projects.path().join("plain")).unwrap();
    let root = projects.path().to_str().unwrap();
    let h = harness(&[("WORKSPACES_ROOT", root)]).await;
    let mut made = Vec::new();
    for body in [
        json!({}),
        json!({"project": "workspace"}),
        json!({"project": "alpha"}),
        json!({"project": "plain"}),
    ] {
        let (status, created) = post(&h, "/api/v1/sessions", body).await;
        assert_eq!(status, 201, "{created}");
        made.push(created["session_id"].as_str().unwrap().to_string());
    }
    let listed = |list: &Value| -> std::collections::HashSet<String> {
        list["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, list) = get(&h, "/api/v1/sessions?project=workspace").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        listed(&list),
        [made[0].clone(), made[1].clone()].into(),
        "the default project's, named or not"
    );
    let (_, list) = get(&h, "/api/v1/sessions?project=alpha&limit=1").await;
    assert_eq!(listed(&list), [made[2].clone()].into());
    assert_eq!(list["next_cursor"], Value::Null);
    let (_, list) = get(&h, "/api/v1/sessions?project=plain").await;
    assert_eq!(listed(&list), [made[3].clone()].into());
    let (_, list) = get(&h, "/api/v1/sessions?project=").await;
    assert_eq!(listed(&list).len(), 4, "an empty filter is none");

    let (status, body) = get(&h, "/api/v1/sessions?project=nope").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("project_not_found"))
    );
    let (status, body) = get(&h, "/api/v1/sessions?project=..%2Falpha").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_project"))
    );
    h.stop().await;
}
