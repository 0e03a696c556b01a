// Git repositories the e2e specs make at run time (projects, worktrees, what changed).

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Runs git in `dir` with a fixed identity and no signing (nothing of the user's config). */
export function git(dir: string, ...args: string[]): void {
  execFileSync("git", ["-C", dir, "-c", "user.name=e2e", "-c", "user.email=e2e@e2e", "-c", "commit.gpgsign=false", ...args], {
    stdio: "ignore",
  });
}

/**
 * Makes `dir` a git repository on branch `main` holding `files` (path → content, directories
 * made as needed), committed unless `commit` is false.
 */
export function makeRepo(dir: string, files: Record<string, string>, { commit = true } = {}): void {
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  if (commit) {
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "init");
  }
}
