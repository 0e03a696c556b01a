// Projects (issue 17) in a real browser against the real server and CLI (demo model): the
// start page offers the server's projects, and a session started in one works there.

import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeRepo } from "./git-repo.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("projects", () => {
  let stack: Stack | undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), "csp-projects-"));
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };

  beforeAll(async () => {
    // Repositories without commits (their README untracked: "changed").
    for (const name of ["alpha", "beta"]) makeRepo(path.join(root, name), { "README.md": `# ${name}\n` }, { commit: false });
    stack = await startStack({ env: { WORKSPACES_ROOT: root } });
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test("pick a project and start a session in it, in a worktree of its own", async () => {
    const p = s().page;
    await p.goto(s().url);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    const picker = p.getByRole("combobox", { name: "Project", exact: true });
    await picker.waitFor();
    expect(await picker.locator("option").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^alpha \(main, changed\)$/), expect.stringMatching(/^beta/)]),
    );
    await picker.selectOption("beta");
    await p.getByRole("combobox", { name: "Isolation" }).selectOption("worktree");
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor();
    // Grouped by project (the server offers three): it is under beta's header.
    const nav = p.getByRole("navigation", { name: "Sessions" });
    await nav.getByRole("button", { name: /^Project beta, 1 session/ }).waitFor();
    const row = nav.getByTestId("session-project");
    await expect.poll(() => row.first().textContent()).toBe("worktree");
    // Not grouped, the row names its project.
    await nav.getByRole("checkbox", { name: "Group by project" }).uncheck();
    await expect.poll(() => row.first().textContent()).toBe("beta (worktree)");
    await nav.getByRole("checkbox", { name: "Group by project" }).check();
    // Filtered by project, the server is asked (`?project=`): alpha has none, beta its one.
    const filter = nav.getByLabel("Filter by project");
    const asked = p.waitForRequest((r) => r.url().includes("/api/v1/sessions?") && r.url().includes("project=alpha"));
    await filter.selectOption("alpha");
    await asked;
    await expect.poll(() => row.count()).toBe(0);
    await filter.selectOption("beta");
    await expect.poll(() => row.count()).toBe(1);
    await filter.selectOption("");

    const res = await fetch(`${s().url}/api/v1/projects`, { headers: { "X-API-Key": s().server.key } });
    const listing = (await res.json()) as { projects: { name: string; session_count: number }[] };
    expect(listing.projects.find((x) => x.name === "beta")?.session_count).toBe(1);
    expect(listing.projects.find((x) => x.name === "alpha")?.session_count).toBe(0);
  });
});
