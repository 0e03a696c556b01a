//! `make bench` — the @-mention file list on a generated 50,000-file tree (issue 17: under
//! 100 ms): the first walk (`.gitignore` respected), then queries on the cached list, each
//! the whole path of a `GET /api/v1/sessions/{id}/files` after the lookup of the session.
//! Also the diff of a repository with 200 changed files.
//!
//! Writes its section of docs/benchmarks.md to `target/bench/mentions.md`. `RUNS` (default
//! 200) sets the queries per measurement (`cargo test --bench mentions` runs it in debug).

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use claude_sdk_pattern::changes::{diff, files};

const FILES: usize = 50_000;
const IGNORED: usize = 5_000;
const QUERIES: &[&str] = &["", "main", "srcmodrs", "component_14/index", "zzzz-none"];

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `FILES` files in nested directories (names like a real source tree), and `IGNORED` more
/// under an ignored `target/`.
fn generate(root: &Path) {
    std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
    for i in 0..FILES {
        let dir = root.join(format!("src/module_{}/component_{}", i % 50, (i / 50) % 20));
        std::fs::create_dir_all(&dir).unwrap();
        let name = match i % 5 {
            0 => format!("index_{i}.ts"),
            1 => format!("main_{i}.rs"),
            2 => format!("README_{i}.md"),
            3 => format!("model_{i}.rs"),
            _ => format!("view_{i}.tsx"),
        };
        std::fs::write(dir.join(name), "").unwrap();
    }
    for i in 0..IGNORED {
        let dir = root.join(format!("target/debug/deps_{}", i % 10));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("lib_{i}.rlib")), "").unwrap();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(ok.status.success());
}

async fn run() -> String {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    std::fs::create_dir_all(&root).unwrap();
    let t = Instant::now();
    generate(&root);
    let gen_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let listing = files::walk(&root);
    let walk_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(
        listing.files.len(),
        FILES + 1,
        "ignored files are not listed"
    );
    let _ = files::listing(&root);

    let mut rows = String::new();
    for q in QUERIES {
        let mut times = Vec::with_capacity(runs);
        let mut found = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let l = files::listing(&root);
            found = files::rank(&l, q, 20).len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        rows.push_str(&format!(
            "| `q={q}` ({found} shown) | {:.2} ms | {:.2} ms |\n",
            pct(&times, 0.5),
            pct(&times, 0.99)
        ));
    }

    // The diff of a repository with 200 changed files (of 2,000), first page and totals.
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    for i in 0..2_000 {
        let body: String = (0..50).map(|l| format!("line {l} of file {i}\n")).collect();
        std::fs::write(repo.join(format!("f{i}.txt")), body).unwrap();
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    for i in (0..2_000).step_by(10) {
        let p = repo.join(format!("f{i}.txt"));
        let mut body = std::fs::read_to_string(&p).unwrap();
        body = body.replace("line 7 ", "LINE 7 ");
        std::fs::write(&p, body).unwrap();
    }
    let diff_runs = (runs / 10).max(3);
    let mut times = Vec::new();
    let mut summary_times = Vec::new();
    for _ in 0..diff_runs {
        let t = Instant::now();
        let page = diff::diff(
            &repo,
            None,
            &diff::DiffRequest {
                limit: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.files_changed, 200);
        let t = Instant::now();
        diff::summary(&repo, None).await.unwrap();
        summary_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    summary_times.sort_by(f64::total_cmp);

    format!(
        "## @-mentions and diffs\n\n\
         A generated tree of {FILES} files in 1,000 directories, plus {IGNORED} under an ignored \
         `target/` (made in {gen_s:.0} s). The first walk (`ignore` crate, `.gitignore` \
         respected): **{walk_ms:.0} ms**; later queries use the cached list (walked again in the \
         background after 15 s or a turn that edited files; a query never waits for it). \
         {runs} queries each, 20 results:\n\n\
         | query (files endpoint's work) | p50 | p99 |\n|---|---|---|\n{rows}\n\
         `GET …/diff` of a repository with 200 changed files of 2,000 (git subprocesses: \
         name-status, numstat, untracked, then one diff per file of the page), {diff_runs} runs:\n\n\
         | request | p50 | p99 |\n|---|---|---|\n\
         | first page (20 files with hunks) and totals | {:.1} ms | {:.1} ms |\n\
         | totals only (the `changes_updated` frame) | {:.1} ms | {:.1} ms |\n",
        pct(&times, 0.5),
        pct(&times, 0.99),
        pct(&summary_times, 0.5),
        pct(&summary_times, 0.99),
    )
}

fn main() {
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mentions.md"), report).unwrap();
}
