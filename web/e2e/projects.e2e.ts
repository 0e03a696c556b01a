// Projects (issue 17) in a real browser against the real server and CLI (demo model): the
// start page offers the server's projects, and a session started in one works there.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("projects", () => {
  let stack: Stack | undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), "csp-projects-"));
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };

  beforeAll(async () => {
    for (const name of ["alpha", "beta"]) {
      const dir = path.join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "README.md"), `# ${name}\n`);
      execFileSync("git", ["-C", dir, "init", "-q", "-b", "main"]);
    }
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
    const picker = p.getByRole("combobox", { name: "Project" });
    await picker.waitFor();
    expect(await picker.locator("option").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^alpha \(main, changed\)$/), expect.stringMatching(/^beta/)]),
    );
    await picker.selectOption("beta");
    await p.getByRole("combobox", { name: "Isolation" }).selectOption("worktree");
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor();
    const row = p.getByRole("navigation", { name: "Sessions" }).getByTestId("session-project");
    await expect.poll(() => row.first().textContent()).toBe("beta (worktree)");

    const res = await fetch(`${s().url}/api/v1/projects`, { headers: { "X-API-Key": s().server.key } });
    const listing = (await res.json()) as { projects: { name: string; session_count: number }[] };
    expect(listing.projects.find((x) => x.name === "beta")?.session_count).toBe(1);
    expect(listing.projects.find((x) => x.name === "alpha")?.session_count).toBe(0);
  });
});
