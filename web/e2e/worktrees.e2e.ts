// Sessions in worktrees of their own (issue 17), in a real browser against the real server,
// CLI and demo model: the sidebar grouped by project; two sessions of one project in
// worktrees each run a command that appends to the same file, and each one's Changes panel
// shows only its own line; the header says where a session works; ending one with its
// change uncommitted leaves its worktree listed in the project's group, and removing it
// (after a confirmation) takes it away. axe on the grouped sidebar, light and dark, desktop
// and phone, and on the confirmation.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAccessible } from "./axe.ts";
import { makeRepo } from "./git-repo.ts";
import { ARTIFACTS_DIR } from "./server.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("worktrees per session, grouped by project", () => {
  let stack: Stack | undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), "csp-worktrees-"));
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  // The column's list (the phone's drawer holds another while it is open).
  const sidebar = () => page().getByRole("navigation", { name: "Sessions" }).first();
  const message = () => page().getByRole("textbox", { name: "Message" });
  const request = () => page().getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });
  const current = () => page().evaluate(() => document.querySelector("[aria-current=true]")?.getAttribute("data-session-id") ?? null);
  const ids: string[] = [];

  /** Has the open session's model append `line` to shared.txt, allowed by hand, and waits for the reply. */
  async function appendLine(line: string) {
    await message().fill(`please run \`echo ${line} >> shared.txt\``);
    await message().press("Enter");
    await request().waitFor({ timeout: 30_000 });
    await request().getByRole("button", { name: "Allow", exact: true }).click();
    await replyEnded();
  }

  /** Opens the open session's Changes panel and returns the text of shared.txt's diff. */
  async function changesOfShared(): Promise<string> {
    const p = page();
    const button = p.getByRole("button", { name: "Changes · 1" });
    await button.waitFor({ timeout: 30_000 });
    await button.click();
    const panel = p.getByRole("dialog", { name: "Changes" });
    const file = panel.getByTestId("changed-file").filter({ hasText: "shared.txt" });
    await file.getByText(/^\+/).first().waitFor();
    const text = (await file.textContent()) ?? "";
    await panel.getByRole("button", { name: "Close the changes" }).click();
    await panel.waitFor({ state: "detached" });
    return text;
  }

  beforeAll(async () => {
    makeRepo(path.join(root, "alpha"), { "shared.txt": "base\n" });
    makeRepo(path.join(root, "beta"), { "README.md": "# beta\n" });
    mkdirSync(path.join(root, "plain"));
    stack = await startStack({ env: { WORKSPACES_ROOT: root } });
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test("two sessions of one project in worktrees: each one's Changes show only its own edit", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    // The sidebar groups by project: the default one, then the root's, by name.
    const headers = sidebar().locator("button[data-group]");
    await expect.poll(() => headers.evaluateAll((bs) => bs.map((b) => b.getAttribute("data-group")))).toEqual(["workspace", "alpha", "beta", "plain"]);

    // The first from the start page: project alpha, a worktree of its own.
    await p.getByRole("combobox", { name: "Project", exact: true }).selectOption("alpha");
    await p.getByRole("combobox", { name: "Isolation" }).selectOption("worktree");
    await p.getByRole("main").getByRole("button", { name: "New session", exact: true }).click();
    await p.getByText("The session is ready.").waitFor();
    await expect.poll(current).not.toBeNull();
    ids.push((await current()) as string);
    const place = p.getByRole("group", { name: "Where this session works" });
    await expect.poll(() => place.getByTestId("session-place-project").textContent()).toBe("Project alpha");
    expect(await place.getByTestId("session-place-branch").textContent()).toBe(`claude/${ids[0].slice(0, 8)}`);
    await place.getByRole("button", { name: `Copy branch name claude/${ids[0].slice(0, 8)}` }).waitFor();
    await appendLine("from-first");

    // The second from alpha's group in the sidebar (the isolation chosen stays).
    await sidebar().getByRole("button", { name: "New session in alpha" }).click();
    await expect.poll(current).not.toBe(ids[0]);
    await p.getByText("The session is ready.").waitFor();
    ids.push((await current()) as string);
    await expect.poll(() => place.getByTestId("session-place-branch").textContent()).toBe(`claude/${ids[1].slice(0, 8)}`);
    await appendLine("from-second");

    const second = await changesOfShared();
    expect(second).toContain("+from-second");
    expect(second).not.toContain("from-first");

    // Back to the first: its diff has only its own line.
    await sidebar().locator(`button[data-session-id="${ids[0]}"]`).click();
    await expect.poll(current).toBe(ids[0]);
    const first = await changesOfShared();
    expect(first).toContain("+from-first");
    expect(first).not.toContain("from-second");

    // alpha's header counts its two sessions.
    await sidebar().getByRole("button", { name: /^Project alpha, 2 sessions/ }).waitFor();
  });

  test("ending a session with its change uncommitted lists its kept worktree in the group", async () => {
    const p = page();
    const row = sidebar().locator(`li[data-session-row="${ids[1]}"]`);
    await row.hover();
    await row.getByRole("button", { name: /^End session / }).click();
    await p.getByRole("alertdialog").getByRole("button", { name: "End session" }).click();
    const kept = sidebar().getByRole("button", { name: /^Kept worktree on claude\// });
    await kept.waitFor({ timeout: 30_000 });
    expect(await kept.getByTestId("kept-branch").textContent()).toBe(`claude/${ids[1].slice(0, 8)}`);
    await sidebar().getByRole("button", { name: /^Project alpha, 2 sessions, 1 kept worktree/ }).waitFor();
    await sidebar().locator(`button[data-session-id="${ids[0]}"]`).click();
    await expect.poll(current).toBe(ids[0]);
    await kept.click();
    await expect.poll(current).toBe(ids[1]);
  });

  test("the grouped sidebar: folding by keyboard, axe in light and dark, desktop and phone", async () => {
    const p = page();
    const beta = sidebar().getByRole("button", { name: /^Project beta/ });
    await beta.focus();
    await p.keyboard.press("ArrowLeft");
    await expect.poll(() => beta.getAttribute("aria-expanded")).toBe("false");
    await p.keyboard.press("ArrowRight");
    await expect.poll(() => beta.getAttribute("aria-expanded")).toBe("true");
    await p.keyboard.press("ArrowUp");
    await expect.poll(() => p.evaluate(() => document.activeElement?.getAttribute("data-row-key"))).toBe(ids[0]);

    await p.setViewportSize({ width: 1280, height: 800 });
    await expectAccessible(p, "grouped sidebar (desktop)");
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await p.screenshot({ path: path.join(ARTIFACTS_DIR, "grouped-sidebar-1280.png") });

    await p.setViewportSize({ width: 390, height: 844 });
    await p.getByRole("button", { name: "Open the session list" }).click();
    const drawer = p.getByRole("dialog", { name: "Sessions" });
    await drawer.getByRole("button", { name: /^Project alpha/ }).waitFor();
    await expectAccessible(p, "grouped sidebar (phone drawer)");
    await p.screenshot({ path: path.join(ARTIFACTS_DIR, "grouped-sidebar-390.png") });
    await drawer.getByRole("button", { name: "Close the session list" }).click();
    await p.setViewportSize({ width: 1280, height: 800 });
  });

  test("a kept worktree is removed after a confirmation, by keyboard, from the phone's drawer", async () => {
    const p = page();
    await p.setViewportSize({ width: 390, height: 844 });
    await p.getByRole("button", { name: "Open the session list" }).click();
    const drawer = p.getByRole("dialog", { name: "Sessions" });
    const branch = `claude/${ids[1].slice(0, 8)}`;
    const remove = drawer.getByRole("button", { name: `Remove kept worktree ${branch}` });
    await remove.focus();
    await p.keyboard.press("Enter");
    // The confirmation stacks above the drawer: its buttons take the click, Cancel has focus.
    const confirm = p.getByRole("alertdialog", { name: "Remove this kept worktree?" });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain("uncommitted changes will be discarded");
    await expect.poll(() => p.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await expectAccessible(p, "remove a kept worktree (phone)");
    await confirm.getByRole("button", { name: "Remove worktree" }).click();
    await confirm.waitFor({ state: "detached" });
    await remove.waitFor({ state: "detached", timeout: 30_000 });
    await drawer.getByRole("button", { name: "Close the session list" }).click();
    await p.setViewportSize({ width: 1280, height: 800 });
    // Gone from the group: alpha's header counts no kept worktree.
    await sidebar().getByRole("button", { name: /^Project alpha, 2 sessions/ }).waitFor();
    await expect.poll(() => sidebar().getByRole("button", { name: /^Project alpha, .*kept worktree/ }).count()).toBe(0);
    expect(await sidebar().getByRole("button", { name: /^Kept worktree/ }).count()).toBe(0);
  });
});
