use super::*;

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

fn all() -> DiffRequest {
    DiffRequest {
        limit: MAX_FILES,
        ..DiffRequest::default()
    }
}

#[test]
fn hunk_headers_parse() {
    let h = parse_hunks("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@ fn x\n a\n-b\n+c\n+d\n\\ No newline at end of file\n");
    assert_eq!(h.len(), 1);
    assert_eq!(
        (
            h[0].old_start,
            h[0].old_lines,
            h[0].new_start,
            h[0].new_lines
        ),
        (1, 2, 1, 3)
    );
    assert_eq!(
        h[0].lines,
        vec![" a", "-b", "+c", "+d", "\\ No newline at end of file"]
    );
    assert_eq!(parse_header("@@ -1 +1 @@"), Some((1, 1, 1, 1)));
}

#[tokio::test]
async fn a_repository_without_commits_diffs_against_the_empty_tree() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("a.txt"), "one\ntwo\n").unwrap();
    std::fs::write(d.join(".gitignore"), "*.log\n").unwrap();
    std::fs::write(d.join("x.log"), "ignored\n").unwrap();
    let page = diff(d, None, &all()).await.unwrap();
    assert_eq!(page.base, crate::changes::EMPTY_TREE);
    let paths: Vec<&str> = page.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec![".gitignore", "a.txt"]);
    let a = &page.files[1];
    assert_eq!(
        (a.status, a.additions, a.untracked),
        (FileStatus::Added, 2, true)
    );
    assert_eq!(a.hunks[0].lines, vec!["+one", "+two"]);
}

#[tokio::test]
async fn tracked_changes_renames_binaries_and_paging() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("keep.txt"), "a\nb\nc\n").unwrap();
    std::fs::write(d.join("gone.txt"), "x\n").unwrap();
    std::fs::write(
        d.join("old.txt"),
        "same content here\nline two\nline three\n",
    )
    .unwrap();
    std::fs::write(d.join("img.bin"), [0u8, 1, 2, 3]).unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "init"]);
    std::fs::write(d.join("keep.txt"), "a\nB\nc\nd\n").unwrap();
    std::fs::remove_file(d.join("gone.txt")).unwrap();
    git(d, &["mv", "old.txt", "new.txt"]);
    std::fs::write(d.join("img.bin"), [0u8, 9, 9]).unwrap();
    std::fs::write(d.join("blob.dat"), [1u8, 0, 2]).unwrap();
    let page = diff(d, None, &all()).await.unwrap();
    let by = |p: &str| page.files.iter().find(|f| f.path == p).unwrap().clone();
    assert_eq!(
        (page.files_changed, page.additions, page.deletions),
        (5, 2, 2)
    );
    let keep = by("keep.txt");
    assert_eq!(
        (keep.status, keep.additions, keep.deletions),
        (FileStatus::Modified, 2, 1)
    );
    assert_eq!(by("gone.txt").status, FileStatus::Deleted);
    let new = by("new.txt");
    assert_eq!(
        (new.status, new.old_path.as_deref()),
        (FileStatus::Renamed, Some("old.txt"))
    );
    let img = by("img.bin");
    assert!(img.binary && img.hunks.is_empty());
    assert!(by("blob.dat").binary && by("blob.dat").untracked);
    // Pages of two files, then one file's hunks.
    let first = diff(
        d,
        None,
        &DiffRequest {
            limit: 2,
            ..DiffRequest::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(first.files.len(), 2);
    assert_eq!(first.next_cursor.as_deref(), Some("2"));
    let one = diff(
        d,
        None,
        &DiffRequest {
            file: Some("keep.txt".into()),
            ..all()
        },
    )
    .await
    .unwrap();
    assert_eq!(one.files.len(), 1);
    assert_eq!(summary(d, None).await.unwrap().files, 5);
}

#[tokio::test]
async fn a_large_file_is_truncated_with_the_way_to_the_rest() {
    let dir = repo();
    let d = dir.path();
    let body: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(d.join("big.txt"), &body).unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "init"]);
    // A change every 100 lines: many hunks.
    let changed: String = (0..20_000)
        .map(|i| {
            if i % 100 == 0 {
                format!("changed {i} {}\n", "x".repeat(2000))
            } else {
                format!("line {i}\n")
            }
        })
        .collect();
    std::fs::write(d.join("big.txt"), &changed).unwrap();
    let page = diff(d, None, &all()).await.unwrap();
    let f = &page.files[0];
    assert!(f.truncated);
    let next = f.next_hunk.unwrap();
    assert_eq!(next as usize, f.hunks.len());
    let rest = diff(
        d,
        None,
        &DiffRequest {
            file: Some("big.txt".into()),
            hunk: next as usize,
            ..all()
        },
    )
    .await
    .unwrap();
    assert!(rest.files[0].hunks[0].old_start > f.hunks.last().unwrap().old_start);
}

#[tokio::test]
async fn a_directory_outside_git_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        diff(dir.path(), None, &all()).await,
        Err(GitError::NotARepository)
    ));
    assert!(matches!(
        diff(&dir.path().join("missing"), None, &all()).await,
        Err(GitError::NotARepository)
    ));
}
