// A phone (390×844, touch, a mobile viewport): every step by tapping. Compact chrome and
// 44 px targets; Enter is a new line and Send sends; the message box keeps its width while a
// reply streams; a permission answered by tapping; the session drawer, and End session from
// it: its dialog opens above the drawer and takes the taps; a request waiting in a background
// session shows as a toast, and "Go to session" leads to it. axe finds nothing on any screen
// (the permission request and the toast included), light and dark (web/e2e/axe.ts).

import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAccessible } from "./axe.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

/** Long enough that the demo's echo streams for several seconds (20 ms per token). */
const LONG_MESSAGE = Array.from({ length: 120 }, (_, i) => `word${i}`).join(" ");

describe("on a phone, by touch", () => {
  let stack: Stack | undefined;
  let context: BrowserContext | undefined;
  let phone: Page | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => {
    if (!phone) throw new Error("no phone page");
    return phone;
  };
  const message = () => page().getByRole("textbox", { name: "Message" });
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 1 });
    context = await stack.browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      reducedMotion: "reduce",
    });
    phone = await context.newPage();
    phone.on("pageerror", (e) => stack?.pageErrors.push(String(e)));
  });
  saveArtifactsOnFailure(() => (stack && phone ? { ...stack, page: phone } : stack));
  afterAll(async () => {
    await context?.close().catch(() => {});
    await stack?.stop();
  });

  test("signing in by tapping; the key screen and the empty app", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").waitFor();
    // The phone is a touch screen to the page.
    expect(await p.evaluate(() => matchMedia("(pointer: coarse)").matches)).toBe(true);
    await expectAccessible(p, "key screen (phone)");
    await p.getByLabel("API key").tap();
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).tap();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await p.getByRole("heading", { name: "Start a Claude Code session" }).waitFor();
    await expectAccessible(p, "empty app (phone)");
  });

  test("a new session: compact chrome and every control at least 44 × 44 px", async () => {
    const p = page();
    await p.getByRole("main").getByRole("button", { name: "New session" }).tap();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
    const chrome = await p.evaluate(() => {
      const h = (sel: string) => document.querySelector(sel)?.getBoundingClientRect().height ?? 0;
      return h("header") + h("footer") + h("main form");
    });
    // Header, status bar and message box together leave most of the screen to the conversation.
    expect(chrome / 844, `chrome ${chrome} px`).toBeLessThan(0.25);
    const small = await p.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>("button, input, textarea, select, [role=button]"))
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({ el, r: el.getBoundingClientRect() }))
        .filter(({ r }) => r.width < 44 || r.height < 44)
        .map(({ el, r }) => `${el.getAttribute("aria-label") ?? el.textContent?.trim()}: ${Math.round(r.width)}×${Math.round(r.height)}`),
    );
    expect(small).toEqual([]);
    const widths = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
  });

  test("Enter is a new line, Send sends, and the box keeps its width while the reply streams", async () => {
    const p = page();
    await message().tap();
    await p.keyboard.type("first line");
    await p.keyboard.press("Enter");
    await p.keyboard.insertText(LONG_MESSAGE);
    expect(await message().inputValue()).toBe(`first line\n${LONG_MESSAGE}`);
    expect(await p.locator('[data-role="user"]').count()).toBe(0);
    const before = await message().boundingBox();
    await p.getByRole("button", { name: "Send", exact: true }).tap();
    await p.locator('[data-role="user"]').first().waitFor();
    await p.getByTestId("typing-cursor").waitFor({ timeout: 30_000 });
    const during = await message().boundingBox();
    expect(during?.width).toBe(before?.width);
    const stop = await p.getByRole("button", { name: "Stop" }).boundingBox();
    expect(stop && before && stop.x >= before.x + before.width).toBe(true);
    // The message as typed, line break included.
    await expect.poll(() => p.locator('[data-role="user"] p').first().textContent()).toBe(`first line\n${LONG_MESSAGE}`);
    await replyEnded();
  });

  test("a permission request answered by tapping Allow; the conversation", async () => {
    const p = page();
    await message().tap();
    await message().fill("please run `echo phone > phone.txt && cat phone.txt`");
    await p.getByRole("button", { name: "Send", exact: true }).tap();
    const request = p.getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
    await request.waitFor({ timeout: 30_000 });
    await expectAccessible(p, "permission request (phone)");
    await request.getByRole("button", { name: "Allow", exact: true }).tap();
    await request.waitFor({ state: "detached" });
    const card = p.locator('[data-role="tool"]').last();
    await expect.poll(() => card.getByTestId("tool-state").textContent(), { timeout: 30_000 }).toMatch(/^Complete/);
    await replyEnded();
    await expectAccessible(p, "conversation (phone)");
  });

  test("End session from the drawer: the dialog opens above the drawer and takes the taps", async () => {
    const p = page();
    await p.getByRole("button", { name: "Open the session list" }).tap();
    const drawer = p.getByRole("dialog", { name: "Sessions" });
    await drawer.getByRole("navigation", { name: "Sessions" }).waitFor();
    await expectAccessible(p, "session drawer (phone)");
    await drawer.getByRole("button", { name: /^End session / }).tap();
    const dialog = p.getByRole("alertdialog", { name: "End this session?" });
    await dialog.waitFor();
    // What is under the confirm button's centre is the button: the dialog is on top.
    const confirm = dialog.getByRole("button", { name: "End session" });
    const onTop = await confirm.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return !!hit && el.contains(hit);
    });
    expect(onTop).toBe(true);
    await expectAccessible(p, "end-session dialog (phone)");
    // Cancel by tapping works too, and leaves the drawer usable.
    await dialog.getByRole("button", { name: "Cancel" }).tap();
    await dialog.waitFor({ state: "detached" });
    await drawer.getByRole("button", { name: /^End session / }).tap();
    await dialog.getByRole("button", { name: "End session" }).tap();
    await dialog.waitFor({ state: "detached" });
    // The drawer stays open, showing the session as ended.
    await expect.poll(() => drawer.getByRole("list").ariaSnapshot(), { timeout: 15_000 }).toMatch(/button "[^"]+, ended, /);
    await drawer.getByRole("button", { name: "Close the session list" }).tap();
    await drawer.waitFor({ state: "detached" });
    const ended = p.getByRole("status", { name: "Session ended" });
    await ended.getByText("This session was ended.").waitFor({ timeout: 15_000 });
    await expectAccessible(p, "session ended (phone)");
    await ended.getByRole("button", { name: "Start new session" }).tap();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
  });

  test("a request waiting in a background session: the toast, and Go to session by tapping", async () => {
    const p = page();
    const request = p.getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
    const current = () => p.evaluate(() => document.querySelector("[aria-current=true]")?.getAttribute("data-session-id") ?? null);
    await message().tap();
    await message().fill("please run `npm run phone-background`");
    await p.getByRole("button", { name: "Send", exact: true }).tap();
    await request.waitFor({ timeout: 30_000 });
    const waiting = await current();
    // Another session, from the drawer, while this one waits.
    await p.getByRole("button", { name: "Open the session list" }).tap();
    const drawer = p.getByRole("dialog", { name: "Sessions" });
    await drawer.getByRole("button", { name: "New session" }).tap();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
    if (await drawer.isVisible()) {
      await drawer.getByRole("button", { name: "Close the session list" }).tap();
      await drawer.waitFor({ state: "detached" });
    }
    await expect.poll(current).not.toBe(waiting);
    const toast = p.getByRole("status").filter({ hasText: "is waiting for your approval" });
    await toast.waitFor({ timeout: 30_000 });
    await expectAccessible(p, "toast: a background session waits for approval (phone)");
    await toast.getByRole("button", { name: "Go to session" }).tap();
    await expect.poll(current).toBe(waiting);
    await request.waitFor({ timeout: 30_000 });
    await toast.waitFor({ state: "detached" });
    await request.getByRole("button", { name: "Deny", exact: true }).tap();
    await request.waitFor({ state: "detached" });
    await replyEnded();
  });
});
