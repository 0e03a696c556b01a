// Finding sessions in a real browser against the real server, CLI and demo model: the first
// message titles the session in the sidebar; rename in place survives a reload; Ctrl+K
// search finds a word of an earlier conversation, marks it, and opens that session scrolled
// to the message, highlighted.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("finding sessions", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const message = () => page().getByRole("textbox", { name: "Message" });
  const sidebar = () => page().getByRole("navigation", { name: "Sessions" });
  const titles = () => sidebar().getByTestId("session-title").allTextContents();
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });

  async function say(text: string) {
    await message().fill(text);
    await message().press("Enter");
    await page().locator('[data-role="assistant"]').last().waitFor();
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

  test("the first message titles the session; a rename is kept after a reload", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await say("Where do the herons nest in winter?");
    await expect.poll(titles).toEqual(["Where do the herons nest in winter?"]);
    await expect.poll(() => sidebar().getByTestId("session-preview").first().textContent()).toBeTruthy();

    await sidebar().getByRole("button", { name: /^Rename Where do the herons/ }).click();
    const box = sidebar().getByRole("textbox", { name: "Session title" });
    await box.fill("Bird notes");
    await box.press("Enter");
    await expect.poll(titles).toEqual(["Bird notes"]);
    await p.reload();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await expect.poll(titles).toEqual(["Bird notes"]);
  });

  test("Ctrl+K finds a word of another conversation and opens it at that message", async () => {
    const p = page();
    await sidebar().getByRole("button", { name: "New session" }).click();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
    await say("Something else entirely: the tide tables.");
    await expect.poll(titles).toEqual(["Something else entirely: the tide tables.", "Bird notes"]);

    await p.keyboard.press("Control+k");
    const input = p.getByRole("searchbox", { name: "Search conversations" });
    await input.fill("herons");
    const results = p.getByRole("list", { name: "Search results" });
    await expect.poll(() => results.locator("mark").first().textContent()).toBe("herons");
    await expect.poll(() => results.getByRole("button").first().textContent()).toContain("Bird notes");
    await results.getByRole("button").first().click();

    // The session opens, scrolled to the message, which is highlighted.
    const current = sidebar().locator('[aria-current="true"]');
    await expect.poll(() => current.getByTestId("session-title").textContent()).toBe("Bird notes");
    const hit = p.locator("[data-item-id][data-highlight]");
    await expect.poll(() => hit.count()).toBe(1);
    expect(await hit.textContent()).toContain("herons");

    // Odd input is searched as text.
    await p.keyboard.press("Control+k");
    await input.fill('"NEAR( *');
    await p.getByText("No matches.").waitFor();
  });

  test("a reply finished in a hidden tab raises a notification and counts in the title", async () => {
    const p = page();
    await p.context().grantPermissions(["notifications"], { origin: s().url });
    // Record each notification the page raises (and still raise it).
    await p.addInitScript(() => {
      const Real = window.Notification;
      const shown: Array<{ title: string; body?: string }> = [];
      (window as unknown as { shown: typeof shown }).shown = shown;
      class Recorded extends Real {
        constructor(title: string, o?: NotificationOptions) {
          super(title, o);
          shown.push({ title, body: o?.body });
        }
      }
      Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
      window.Notification = Recorded as typeof Notification;
    });
    await p.reload();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await message().fill("Tell me about the tides again");
    await p.evaluate(() => Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" }));
    await message().press("Enter");
    const shown = () => p.evaluate(() => (window as unknown as { shown: Array<{ title: string; body?: string }> }).shown);
    await expect.poll(shown, { timeout: 60_000 }).toContainEqual({ title: expect.any(String), body: "Claude finished its reply." });
    expect(await p.title()).toMatch(/^\(\d+\) Claude Code sessions$/);
    await p.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    expect(await p.title()).toBe("Claude Code sessions");
  });

  test("the app passes Chromium's installability check (manifest, icons, service worker)", async () => {
    const p = page();
    await expect.poll(() => p.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.active), { timeout: 30_000 }).toBe(true);
    const cdp = await p.context().newCDPSession(p);
    const { installabilityErrors } = (await cdp.send("Page.getInstallabilityErrors")) as { installabilityErrors: Array<{ errorId: string }> };
    // The test browser's profile is a throwaway (incognito), where Chromium never installs
    // anything; every check about the app itself must pass.
    expect(installabilityErrors.filter((e) => e.errorId !== "in-incognito")).toEqual([]);
    // The worker never answers the API from a cache.
    const sw = await p.evaluate(async () => (await fetch("/sw.js")).text());
    expect(sw).toContain('url.pathname.startsWith("/api/")');
  });
});
