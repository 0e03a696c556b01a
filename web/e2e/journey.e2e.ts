// The whole journey of a person, in one real browser against the real server, the real
// Claude CLI and the built-in demo model (the server's model stub in demo mode): key →
// new session → message → streamed reply → tool card → permission → interrupt → network
// drop mid-stream → reload keeps history → another browser → 360 px.
//
// Every WebSocket frame the page receives is recorded and run through the UI's own parser.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseServerFrame } from "../src/types/protocol.ts";
import { ARTIFACTS_DIR } from "./server.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

/** Long enough that the demo's echo streams for several seconds (20 ms per token). */
const LONG_MESSAGE = Array.from({ length: 250 }, (_, i) => `word${i}`).join(" ");

describe("a person's journey through the web UI", () => {
  let stack: Stack | undefined;
  const frames: string[] = [];
  const urls: string[] = [];
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const assistantTexts = () => page().locator('[data-role="assistant"]').allTextContents();
  const userBubbles = () => page().locator('[data-role="user"]');
  const status = () => page().getByRole("status", { name: "Connection" });
  const message = () => page().getByRole("textbox", { name: "Message" });
  const send = () => page().getByRole("button", { name: "Send", exact: true });

  /** Waits until the running reply has ended (no cursor, no Stop button). */
  async function replyEnded(timeout = 60_000) {
    await page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });
  }

  async function typeAndSend(text: string) {
    await message().fill(text);
    await message().press("Enter");
  }

  function watch(p: Page) {
    p.on("websocket", (ws) => ws.on("framereceived", (f) => typeof f.payload === "string" && frames.push(f.payload)));
    p.on("request", (r) => urls.push(r.url()));
  }

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 1 });
    watch(stack.page);
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("a wrong key is refused; the right one opens the app and is remembered", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").fill("not-the-right-key-at-all");
    await p.getByRole("button", { name: "Continue" }).click();
    await expect.poll(() => p.getByRole("alert").textContent()).toMatch(/not accepted/);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await status().getByText("Connected").waitFor();
    expect(await p.evaluate(() => localStorage.getItem("csp.apiKey"))).toBe(s().server.key);
    // The server runs the demo model: the page says so.
    await p.getByRole("note").getByText("Demo model").waitFor();
  });

  test("New session opens a ready session", async () => {
    const p = page();
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor();
    await expect.poll(() => p.getByRole("navigation", { name: "Sessions" }).getByRole("listitem").count()).toBe(1);
    await p.locator("footer").getByText(/^Session [0-9a-f]{8}$/).waitFor();
  });

  test("a message appears at once and the reply streams with a cursor, as markdown with code", async () => {
    const p = page();
    // Empty messages are not sent.
    await message().fill("   ");
    await message().press("Enter");
    expect(await userBubbles().count()).toBe(0);

    await typeAndSend("Hello from the **e2e** test");
    const mine = userBubbles().filter({ hasText: "Hello from the e2e test" });
    await mine.waitFor({ timeout: 2_000 });
    // The person's own markdown is rendered, not shown raw.
    expect(await mine.locator("strong").textContent()).toBe("e2e");
    await p.getByTestId("typing-cursor").waitFor();
    // While it streams: the box stays usable and keeps its width; Stop stands where Send was.
    expect(await message().isEditable()).toBe(true);
    await message().fill("typed while streaming");
    expect(await send().count()).toBe(0);
    await replyEnded();
    expect(await send().isEnabled()).toBe(true);
    await message().fill("");

    const reply = p.locator('[data-role="assistant"]').last();
    await reply.getByRole("heading", { name: "You said" }).waitFor();
    const code = reply.locator("pre code.hljs");
    expect(await code.textContent()).toContain("fn main()");
    expect(await reply.locator(".hljs-keyword").count()).toBeGreaterThan(0);
    await reply.getByRole("button", { name: "Copy code" }).waitFor();
    await p.getByRole("button", { name: "Copy reply" }).last().waitFor();
    // Each message shows when it was written, and can be copied as written.
    await mine.locator("time").waitFor();
    await mine.getByRole("button", { name: "Copy message" }).waitFor();
    await reply.locator("xpath=..").locator("time").waitFor();
    await p.getByText(/Last reply \$0\.\d+/).waitFor();
  });

  test("a tool asks permission in the conversation; Allow runs it and its card completes", async () => {
    const p = page();
    // Writing a file needs approval in the default permission mode (a bare echo does not).
    await typeAndSend("please run `echo e2e-tool-output > e2e.txt && cat e2e.txt`");
    const request = p.getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
    await request.waitFor({ timeout: 30_000 });
    expect(await request.getByRole("group", { name: "Command" }).textContent()).toBe("echo e2e-tool-output > e2e.txt && cat e2e.txt");
    // Not modal: the conversation and Stop stay usable; focus is on Deny.
    expect(await p.getByRole("dialog").count()).toBe(0);
    expect(await p.getByRole("button", { name: "Stop" }).isEnabled()).toBe(true);
    await expect.poll(() => p.evaluate(() => document.activeElement?.textContent)).toBe("Deny");
    const card = p.locator('[data-role="tool"]').last();
    expect(await card.getByTestId("tool-state").textContent()).toBe("Awaiting approval…");
    await request.getByRole("button", { name: "Allow", exact: true }).click();
    await request.waitFor({ state: "detached" });
    // Focus went on to the message box.
    await expect.poll(() => p.evaluate(() => document.activeElement?.id)).toBe("message");
    await expect.poll(() => card.getByTestId("tool-state").textContent(), { timeout: 30_000 }).toMatch(/^Complete \(\d+\.\ds\)$/);
    await card.getByRole("button", { expanded: false }).click();
    await card.getByText("e2e-tool-output").first().waitFor();
    await replyEnded();
  });

  test("Escape stops a streaming reply, and so does Ctrl+Shift+X", async () => {
    const p = page();
    await typeAndSend(LONG_MESSAGE);
    await p.getByTestId("typing-cursor").waitFor();
    await p.getByRole("button", { name: "Stop" }).waitFor();
    await p.keyboard.press("Escape");
    await p.locator('[data-role="notice"]', { hasText: "[Response interrupted]" }).waitFor({ timeout: 15_000 });
    await replyEnded(5_000);
    await message().fill("next");
    expect(await send().isEnabled()).toBe(true);
    await message().fill("");
    await typeAndSend(`${LONG_MESSAGE} (shortcut)`);
    await p.getByTestId("typing-cursor").waitFor();
    await p.keyboard.press("Control+Shift+X");
    await p.locator('[data-role="notice"]', { hasText: "[Response interrupted]" }).nth(1).waitFor({ timeout: 15_000 });
    await replyEnded(5_000);
  });

  test("the list follows the reply unless the reader scrolls up", async () => {
    const p = page();
    const log = p.getByRole("log", { name: "Conversation" });
    const atBottom = () =>
      log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 48);
    await typeAndSend(`${LONG_MESSAGE} (scrolling)`);
    const reply = p.locator('[data-role="assistant"]').last();
    await p.getByTestId("typing-cursor").waitFor();
    await expect.poll(atBottom).toBe(true);
    await log.evaluate((el) => el.scrollTo({ top: 0 }));
    const length = async () => (await reply.textContent())?.length ?? 0;
    const seen = await length();
    await expect.poll(length).toBeGreaterThan(seen + 100);
    expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
    const jump = p.getByRole("button", { name: "↓ New output" });
    await jump.click();
    await expect.poll(atBottom).toBe(true);
    await replyEnded();
    expect(await atBottom()).toBe(true);
  });

  test("over 32,000 characters is refused with a hint", async () => {
    const p = page();
    await message().fill("x".repeat(32_001));
    await p.getByText(/Too long to send: 32,001 of 32,000 characters/).waitFor();
    expect(await send().isDisabled()).toBe(true);
    await message().press("Enter");
    await p.getByRole("alert").filter({ hasText: /32,001 characters; the limit is 32,000/ }).waitFor();
    await message().fill("");
  });

  test("a network drop mid-stream reconnects and loses nothing, doubles nothing", async () => {
    const p = page();
    const { proxy } = s();
    const before = await userBubbles().count();
    await typeAndSend(`${LONG_MESSAGE} (dropped)`);
    const reply = p.locator('[data-role="assistant"]').last();
    await p.getByTestId("typing-cursor").waitFor();
    await expect.poll(async () => (await reply.textContent())?.length ?? 0).toBeGreaterThan(200);
    proxy.drop();
    proxy.pause();
    await status().getByText("Reconnecting…").waitFor({ timeout: 10_000 });
    const cut = (await reply.textContent()) ?? "";
    proxy.resume();
    await status().getByText("Connected").waitFor({ timeout: 15_000 });
    await replyEnded(90_000);
    const whole = (await reply.textContent()) ?? "";
    expect(whole.startsWith(cut.slice(0, 100))).toBe(true);
    expect(whole.length).toBeGreaterThan(cut.length);
    expect(await userBubbles().count()).toBe(before + 1);
    // The streamed text is exactly what the server stored: compare with a fresh load.
    const live = await assistantTexts();
    await p.reload();
    await status().getByText("Connected").waitFor();
    await expect.poll(assistantTexts, { timeout: 15_000 }).toEqual(live);
    expect(await userBubbles().count()).toBe(before + 1);
    expect(await p.locator('[data-role="tool"]').count()).toBe(1);
    await p.locator('[data-role="notice"]', { hasText: "[Response interrupted]" }).first().waitFor();
  });

  test("a reload sends the app compressed, and shows no raw markdown while the renderer loads", async () => {
    const p = page();
    const encodings = new Map<string, string>();
    p.on("response", (r) => {
      if (r.url().includes("/assets/")) encodings.set(r.url().replace(/.*\/assets\//, ""), r.headers()["content-encoding"] ?? "");
    });
    // Hold the markdown renderer back (a slow link): the conversation shows meanwhile.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const handled: Promise<void>[] = [];
    await p.route(/\/assets\/markdown-view-[^/]*\.js$/, (route) => {
      const done = held.then(() => route.continue());
      handled.push(done);
      return done;
    });
    try {
      // Not "load": the held chunk is preloaded by the page, which would hold the load event.
      await p.reload({ waitUntil: "domcontentloaded" });
      const replies = p.locator('[data-role="assistant"]');
      await expect.poll(() => replies.count(), { timeout: 15_000 }).toBeGreaterThan(2);
      const plain = (await assistantTexts()).join("\n");
      expect(plain).toContain("You said");
      for (const syntax of ["## ", "**", "```", "`"]) expect(plain, syntax).not.toContain(syntax);
      expect(await p.locator('[data-role="assistant"] h2, [data-role="assistant"] h3').count()).toBe(0);
    } finally {
      release();
      await Promise.all(handled);
      await p.unroute(/\/assets\/markdown-view-[^/]*\.js$/);
    }
    await p.locator('[data-role="assistant"]').first().getByRole("heading", { name: "You said" }).waitFor({ timeout: 15_000 });
    const js = [...encodings].filter(([f]) => f.endsWith(".js"));
    expect(js.length).toBe(2);
    for (const [file, encoding] of js) expect(encoding, file).toBe("br");
  });

  test("another browser sees the session in the list and its history", async () => {
    const other = await s().browser.newContext();
    try {
      const p = await other.newPage();
      watch(p);
      await p.goto(s().url);
      await p.getByLabel("API key").fill(s().server.key);
      await p.getByRole("button", { name: "Continue" }).click();
      const row = p.getByRole("navigation", { name: "Sessions" }).getByRole("listitem").first().getByRole("button").first();
      await row.click();
      await expect
        .poll(() => p.locator('[data-role="assistant"]').allTextContents(), { timeout: 15_000 })
        .toEqual(await assistantTexts());
    } finally {
      await other.close();
    }
    // The first page's session was taken over by the other browser: it says so.
    await page().getByText("This session was opened in another window or tab.").waitFor();
    await page().getByRole("button", { name: "Continue here" }).click();
    await page().getByText("This session was opened in another window or tab.").waitFor({ state: "detached" });
  });

  test("at 360 px there is no horizontal scroll and the sessions are in a drawer", async () => {
    const p = page();
    await p.setViewportSize({ width: 360, height: 740 });
    const widths = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await p.screenshot({ path: path.join(ARTIFACTS_DIR, "narrow-360.png") });
    expect(await p.getByRole("navigation", { name: "Sessions" }).isVisible()).toBe(false);
    await p.getByRole("button", { name: "Open the session list" }).click();
    const drawer: Locator = p.getByRole("dialog", { name: "Sessions" });
    await drawer.getByRole("navigation", { name: "Sessions" }).waitFor();
    await p.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
  });

  test("an ended session keeps its history after a reload; Start new session opens another", async () => {
    const p = page();
    await p.setViewportSize({ width: 1280, height: 800 });
    const before = await assistantTexts();
    await p.getByRole("button", { name: /^End session / }).click();
    await p.getByRole("alertdialog").getByRole("button", { name: "End session" }).click();
    const ended = p.getByRole("status", { name: "Session ended" });
    await ended.getByText("This session was ended.").waitFor();
    await p.reload();
    await ended.waitFor({ timeout: 15_000 });
    await expect.poll(assistantTexts, { timeout: 15_000 }).toEqual(before);
    // Destroyed sessions cannot be resumed (docs/protocol.md): only a new one is offered.
    expect(await ended.getByRole("button", { name: "Resume" }).count()).toBe(0);
    await ended.getByRole("button", { name: "Start new session" }).click();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
    await expect.poll(() => p.getByRole("navigation", { name: "Sessions" }).getByRole("listitem").count()).toBe(2);
  });

  test("the key never went into a URL, and every frame the server sent parses", () => {
    const key = s().server.key;
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => u.includes(key))).toEqual([]);
    expect(frames.length).toBeGreaterThan(50);
    const failures = frames.map((f) => parseServerFrame(f)).filter((r) => !r.ok);
    expect(failures).toEqual([]);
    const types = new Set(frames.map((f) => (JSON.parse(f) as { type: string }).type));
    for (const t of ["session_list", "session_ready", "message_received", "stream_delta", "tool_use", "tool_result", "permission_request", "response_complete", "stream_interrupted", "session_history"]) {
      expect(types, t).toContain(t);
    }
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    writeFileSync(path.join(ARTIFACTS_DIR, "server-frames.jsonl"), frames.join("\n") + "\n");
    expect(s().pageErrors.filter((e) => !/401|Failed to load resource/.test(e))).toEqual([]);
  });
});
