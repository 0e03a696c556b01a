// A session's time limit, as a person sees it: the warning banner counting down, the
// session closing with its reason, and Resume bringing it back with the conversation.
// The server runs with MAX_SESSION_DURATION_SECONDS=12 (warning at 90 %, 10.8 s).

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("a session reaching its time limit", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };

  beforeAll(async () => {
    stack = await startStack({
      prewarmPoolSize: 1,
      env: { MAX_SESSION_DURATION_SECONDS: "12", MONITOR_INTERVAL_SECONDS: "1" },
    });
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("warns with the time left, closes with its reason, and resumes with the conversation", async () => {
    const { page: p, url, server } = s();
    await p.goto(url);
    await p.getByLabel("API key").fill(server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
    await p.getByRole("textbox", { name: "Message" }).fill("remember the word pelican");
    await p.getByRole("textbox", { name: "Message" }).press("Enter");
    await p.getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout: 60_000 });
    const replies = () => p.locator('[data-role="assistant"]').allTextContents();
    const before = await replies();
    expect(before.at(-1)).toContain("pelican");

    const warning = p.getByRole("alert").filter({ hasText: "reaches its time limit in" });
    await warning.waitFor({ timeout: 20_000 });
    expect(await warning.textContent()).toMatch(/in \d+s/);

    const ended = p.getByRole("status", { name: "Session ended" });
    await ended.getByText("This session reached its time limit and was closed.").waitFor({ timeout: 20_000 });
    expect(await warning.count()).toBe(0);
    await ended.getByRole("button", { name: "Resume" }).click();
    await ended.waitFor({ state: "detached", timeout: 30_000 });
    await expect.poll(replies, { timeout: 15_000 }).toEqual(before);
    await p.getByRole("textbox", { name: "Message" }).fill("still there?");
    await p.getByRole("textbox", { name: "Message" }).press("Enter");
    await p.getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout: 60_000 });
    expect((await replies()).at(-1)).toContain("still there?");
  });
});
