// Forking in a real browser against the real server, CLI and demo model: "Fork from here"
// on the second user message opens a new session titled after the original, holding only
// the first exchange; a message there shows (the demo model lists what it received) that
// the model got exactly the earlier turn; the original is unchanged.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("forking a conversation", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const message = () => page().getByRole("textbox", { name: "Message" });
  const sidebar = () => page().getByRole("navigation", { name: "Sessions" });
  const current = () => sidebar().locator('[aria-current="true"]').getByTestId("session-title").textContent();
  const userTexts = () => page().locator('[data-role="user"] .prose-user').allTextContents();
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });

  async function say(text: string) {
    const before = await page().locator('[data-role="assistant"]').count();
    await message().fill(text);
    await message().press("Enter");
    await expect.poll(() => page().locator('[data-role="assistant"]').count(), { timeout: 60_000 }).toBeGreaterThan(before);
    await replyEnded();
  }

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 1 });
    await stack.page.setViewportSize({ width: 1280, height: 800 });
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("Fork from here on the second message opens a session with only the first exchange", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await say("Kestrels hover over fields");
    await say("Herons wade in rivers");
    await expect.poll(current).toBe("Kestrels hover over fields");

    // The menu shows on hover (and on focus); the second user message is the fork point.
    const second = p.locator('[data-role="user"]').nth(1);
    await second.hover();
    await second.getByRole("button", { name: "Fork from here" }).click();
    await expect.poll(current, { timeout: 30_000 }).toBe("Fork of Kestrels hover over fields");
    await expect.poll(userTexts).toEqual(["Kestrels hover over fields"]);

    // The model receives exactly the earlier turn.
    await say("What did I say before this?");
    const reply = p.locator('[data-role="assistant"]').last();
    await expect.poll(() => reply.textContent()).toContain("Kestrels hover over fields");
    expect(await reply.textContent()).not.toContain("Herons");

    // The original is unchanged.
    await sidebar().getByTestId("session-title").filter({ hasText: /^Kestrels hover over fields$/ }).click();
    await expect.poll(current).toBe("Kestrels hover over fields");
    await expect.poll(userTexts).toEqual(["Kestrels hover over fields", "Herons wade in rivers"]);
  });
});
