// Every main screen at 1280×800 by keyboard: axe finds nothing on any of them, light and
// dark (web/e2e/axe.ts); after each action focus is where the person acts next; the skip
// links, landmarks and the session rows' names; the permission request in the conversation
// (Deny with a reason, shown as Denied; Allow); the end-session and sign-out confirmations.
// The phone's screens are in phone.e2e.ts.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAccessible } from "./axe.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

/** Long enough that the demo's echo streams for several seconds (20 ms per token). */
const LONG_MESSAGE = Array.from({ length: 250 }, (_, i) => `word${i}`).join(" ");

/** What has focus: its id, else its accessible label, else its text. */
export function focused(p: Page): Promise<string | null> {
  return p.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    return el.id || el.getAttribute("aria-label") || el.textContent?.trim() || el.tagName;
  });
}

describe("every screen at 1280×800, by keyboard", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const message = () => page().getByRole("textbox", { name: "Message" });
  const log = () => page().getByRole("log", { name: "Conversation" });
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });
  const focusIs = (expected: string) => expect.poll(() => focused(page()), { timeout: 5_000 }).toBe(expected);

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 1 });
    await stack.page.setViewportSize({ width: 1280, height: 800 });
    // The typing cursor blinks; axe measures colours as they are at one moment.
    await stack.page.emulateMedia({ reducedMotion: "reduce" });
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("the key screen; signing in puts focus in the message box; the empty app", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").waitFor();
    await expectAccessible(p, "key screen");
    await focusIs("api-key");
    await p.keyboard.type(s().server.key);
    await p.keyboard.press("Enter");
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await focusIs("message");
    await p.getByRole("heading", { name: "Start a Claude Code session" }).waitFor();
    await expectAccessible(p, "empty app");
    // One of each landmark; the demo notice is inside the banner.
    for (const role of ["banner", "main", "contentinfo"] as const) expect(await p.getByRole(role).count(), role).toBe(1);
    expect(await p.getByRole("navigation", { name: "Sessions" }).count()).toBe(1);
    await p.getByRole("banner").getByRole("note").getByText("Demo model").waitFor();
  });

  test("a new session puts focus in the message box; its row has a name that says what it is", async () => {
    const p = page();
    await p.getByRole("navigation", { name: "Sessions" }).getByRole("button", { name: "New session" }).click();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
    await focusIs("message");
    const row = p.getByRole("navigation", { name: "Sessions" }).getByRole("listitem").first().getByRole("button").first();
    expect(await row.getAttribute("aria-current")).toBe("true");
    // Its accessible name, as a screen reader announces it.
    // Its live state (session_state) says it is ready for a message.
    const list = p.getByRole("navigation", { name: "Sessions" }).getByRole("list");
    await expect.poll(() => list.ariaSnapshot()).toMatch(/button "New session [0-9a-f]{8}, idle, (just now|\d+ minutes? ago), 0 messages, \$0\.00"/);
    await focusIs("message");
  });

  test("a permission request in the conversation: Deny with a reason by keyboard shows Denied", async () => {
    const p = page();
    await message().fill("Hello, screens");
    await message().press("Enter");
    await replyEnded();
    await message().fill("please run `echo denied > denied.txt`");
    await message().press("Enter");
    const request = log().getByRole("group", { name: /Claude wants to run a command/ });
    await request.waitFor({ timeout: 30_000 });
    // The box was empty: focus moved to Deny (a stray Enter never approves).
    await focusIs("Deny");
    await expectAccessible(p, "permission request");
    await p.keyboard.press("Shift+Tab");
    await focusIs(await request.getByRole("textbox").evaluate((el) => el.id));
    await p.keyboard.type("not now, thanks");
    await p.keyboard.press("Escape");
    await request.waitFor({ state: "detached" });
    await focusIs("message");
    const card = p.locator('[data-role="tool"]').last();
    await expect.poll(() => card.getByTestId("tool-state").textContent(), { timeout: 30_000 }).toBe("Denied");
    expect(await card.getAttribute("data-status")).toBe("denied");
    await card.getByText("not now, thanks").waitFor();
    await replyEnded();
    // Claude was told why (the demo quotes what the tool returned: the denial).
    expect(await p.locator('[data-role="assistant"]').last().textContent()).toContain("not now, thanks");
  });

  test("Allow by keyboard; a conversation with replies and tool cards", async () => {
    const p = page();
    await message().fill("please run `echo allowed > allowed.txt && cat allowed.txt`");
    await message().press("Enter");
    const request = log().getByRole("group", { name: /Claude wants to run a command/ });
    await request.waitFor({ timeout: 30_000 });
    await focusIs("Deny");
    await p.keyboard.press("Tab");
    await focusIs("Allow for this session");
    await p.keyboard.press("Tab");
    await focusIs("Allow");
    await p.keyboard.press("Enter");
    await request.waitFor({ state: "detached" });
    await focusIs("message");
    const card = p.locator('[data-role="tool"]').last();
    await expect.poll(() => card.getByTestId("tool-state").textContent(), { timeout: 30_000 }).toMatch(/^Complete/);
    await replyEnded();
    await card.getByRole("button", { expanded: false }).click();
    await card.getByRole("group", { name: "Output" }).getByText("allowed").waitFor();
    await expectAccessible(p, "conversation with replies and tool cards");
  });

  test("Stop puts focus back in the message box", async () => {
    const p = page();
    await message().fill(LONG_MESSAGE);
    await message().press("Enter");
    await p.getByTestId("typing-cursor").waitFor();
    await p.getByRole("button", { name: "Stop" }).click();
    await focusIs("message");
    await p.locator('[data-role="notice"]', { hasText: "[Response interrupted]" }).waitFor({ timeout: 15_000 });
  });

  test("the skip links come first and lead to the conversation and the message box", async () => {
    const p = page();
    // From the top of the page (the demo notice), going back reaches the skip links first.
    await p.getByRole("note").click({ position: { x: 2, y: 2 } });
    await p.keyboard.press("Shift+Tab");
    await focusIs("Skip to message box");
    await p.keyboard.press("Shift+Tab");
    await focusIs("Skip to conversation");
    expect(await p.getByRole("link", { name: "Skip to conversation" }).isVisible()).toBe(true);
    await p.keyboard.press("Enter");
    await focusIs("conversation");
    await p.getByRole("note").click({ position: { x: 2, y: 2 } });
    await p.keyboard.press("Shift+Tab");
    await p.keyboard.press("Enter");
    await focusIs("message");
  });

  test("End session asks first; then the ended panel has focus on what comes next", async () => {
    const p = page();
    await p.getByRole("button", { name: /^End session / }).click();
    const dialog = p.getByRole("alertdialog", { name: "End this session?" });
    await dialog.waitFor();
    await focusIs("Cancel");
    await expectAccessible(p, "end-session dialog");
    await p.keyboard.press("Tab");
    await focusIs("End session");
    await p.keyboard.press("Enter");
    const ended = p.getByRole("status", { name: "Session ended" });
    await ended.getByText("This session was ended.").waitFor({ timeout: 15_000 });
    await focusIs("Start new session");
    await expectAccessible(p, "session ended");
  });

  test("Sign out asks first; Escape keeps you signed in", async () => {
    const p = page();
    const signOut = p.getByRole("button", { name: "Sign out" });
    await signOut.click();
    const dialog = p.getByRole("alertdialog", { name: "Sign out?" });
    await dialog.waitFor();
    await p.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await focusIs("Sign out");
    expect(await p.evaluate(() => localStorage.getItem("csp.apiKey"))).toBe(s().server.key);
    await signOut.click();
    await dialog.getByRole("button", { name: "Sign out" }).click();
    await p.getByLabel("API key").waitFor();
    await focusIs("api-key");
    expect(await p.evaluate(() => localStorage.getItem("csp.apiKey"))).toBeNull();
  });
});
