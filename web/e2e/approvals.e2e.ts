// Several sessions and their approvals, in a real browser against the real server, CLI and
// demo model: a tool waiting for approval in a background session shows in its row (badge),
// in the tab title and as a toast with "Go to session"; it is answered from there with
// "Allow for this session", after which the same command prefix is not asked again; the
// granted rule is listed and revoked. axe runs on each new screen.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAccessible } from "./axe.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("approvals across sessions", () => {
  let stack: Stack | undefined;
  const frames: string[] = [];
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const message = () => page().getByRole("textbox", { name: "Message" });
  const sessions = () => page().getByRole("navigation", { name: "Sessions" });
  const request = () => page().getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });
  const permissionRequests = () => frames.filter((f) => f.includes('"type":"permission_request"')).length;
  let first = "";

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 2 });
    stack.page.on("websocket", (ws) => ws.on("framereceived", (f) => typeof f.payload === "string" && frames.push(f.payload)));
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("a request waiting in a background session shows in its row, the tab title and a toast", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor();
    first = (await sessions().locator("[data-session-id]").first().getAttribute("data-session-id")) ?? "";
    expect(first).toMatch(/^[0-9a-f-]{36}$/);

    await message().fill("please run `npm run e2e-first`");
    await message().press("Enter");
    await request().waitFor({ timeout: 30_000 });
    // Another session opens while the first one waits.
    await p.getByRole("button", { name: "New session" }).first().click();
    await expect.poll(() => sessions().locator("[data-session-id]").count()).toBe(2);
    await expect.poll(() => p.evaluate(() => document.querySelector("[aria-current=true]")?.getAttribute("data-session-id"))).not.toBe(first);

    const row = sessions().locator(`[data-session-id="${first}"]`);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 30_000 }).toBe("waiting_for_approval");
    expect(await row.getAttribute("aria-label")).toMatch(/, waiting for approval, /);
    await row.getByText("waiting for approval").waitFor();
    await expect.poll(() => p.title()).toMatch(/^\(1\) Waiting for approval · /);
    const toast = p.getByRole("status").filter({ hasText: "is waiting for your approval" });
    await toast.waitFor();
    expect(await toast.textContent()).toContain(first.slice(0, 8));
    await expectAccessible(p, "a background session waits for approval (toast, badge)");

    await toast.getByRole("button", { name: "Go to session" }).click();
    await expect.poll(() => p.evaluate(() => document.querySelector("[aria-current=true]")?.getAttribute("data-session-id"))).toBe(first);
    await request().waitFor({ timeout: 30_000 });
    await toast.waitFor({ state: "detached" });
  });

  test("Allow for this session: answered, listed, and not asked again for the same prefix", async () => {
    const p = page();
    const allowForSession = request().getByRole("button", { name: "Allow for this session" });
    await allowForSession.waitFor();
    expect(await request().textContent()).toContain('Bash commands starting with "npm run"');
    await expectAccessible(p, "a permission request with Allow for this session");
    await allowForSession.click();
    await request().waitFor({ state: "detached" });
    await replyEnded();
    await expect.poll(() => p.title()).not.toMatch(/Waiting for approval/);
    const allowed = p.getByRole("region", { name: "Allowed for this session" });
    await allowed.getByText("Bash(npm run *)").waitFor();
    await expect.poll(() => sessions().locator(`[data-session-id="${first}"]`).getAttribute("data-state")).toBe("idle");
    await expectAccessible(p, "rules allowed for this session");

    const asked = permissionRequests();
    const cards = await p.locator('[data-role="tool"]').count();
    await message().fill("please run `npm run e2e-again`");
    await message().press("Enter");
    await replyEnded();
    // The tool ran (a new card) without a request.
    expect(await p.locator('[data-role="tool"]').count()).toBe(cards + 1);
    const card = p.locator('[data-role="tool"]').last();
    await expect.poll(() => card.getByTestId("tool-state").textContent()).not.toMatch(/Awaiting approval|Executing/);
    expect(permissionRequests()).toBe(asked);
    expect(await request().count()).toBe(0);
  });

  test("Revoke drops the rule: the next call asks again, and Deny shows Denied", async () => {
    const p = page();
    const allowed = p.getByRole("region", { name: "Allowed for this session" });
    await allowed.getByRole("button", { name: /^Revoke / }).click();
    await allowed.waitFor({ state: "detached" });
    await message().fill("please run `npm run e2e-revoked`");
    await message().press("Enter");
    await request().waitFor({ timeout: 30_000 });
    await request().getByRole("button", { name: "Deny" }).click();
    await request().waitFor({ state: "detached" });
    await replyEnded();
    const card = p.locator('[data-role="tool"]').last();
    await expect.poll(() => card.getByTestId("tool-state").textContent()).toBe("Denied");
    // The one expected: the key screen's single sign-on probe (`GET /me` without a key, 401).
    expect(s().pageErrors.filter((e) => !/status of 401 .*\/api\/v1\/me\)$/.test(e))).toEqual([]);
  });
});
