// Agent progress and the conversation's own commands in a real browser against the real
// server, the real CLI and the demo model (issue 15): the TodoWrite todo panel moves from
// pending to in progress to done while the agent works (the demo pauses on a Bash prompt
// between updates, so each state can be seen); a sub-agent's tool calls and report nest
// under its Agent card, collapsed, with a live count; the context meter moves after a turn;
// the slash palette lists the workspace's command and the built-ins, filters, and is driven
// by the keyboard; /compact shows its system line; /clear typed by hand starts a new session.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseServerFrame } from "../src/types/protocol.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("agent progress, context and commands", () => {
  let stack: Stack | undefined;
  const frames: string[] = [];
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const box = () => page().getByRole("textbox", { name: "Message" });
  const lastReply = async () => (await page().locator('[data-role="assistant"]').allTextContents()).at(-1) ?? "";
  const prompt = () => page().getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
  const todoStates = () => page().getByRole("region", { name: "Todo list" }).locator("li").evaluateAll((els) => els.map((e) => e.getAttribute("data-todo-status")));
  const meterValue = async () => Number(await page().getByTestId("context-meter").locator("meter").getAttribute("value"));
  const turnEnded = () => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout: 60_000 });
  const allow = async () => {
    await prompt().waitFor({ timeout: 60_000 });
    await prompt().getByRole("button", { name: "Allow", exact: true }).click();
    await prompt().waitFor({ state: "detached" });
  };

  beforeAll(async () => {
    // No pool: the session's CLI starts after the workspace's command exists.
    stack = await startStack({ prewarmPoolSize: 0 });
    const commands = path.join(stack.server.dirs.workspace, ".claude", "commands");
    mkdirSync(commands, { recursive: true });
    writeFileSync(path.join(commands, "hello.md"), "---\ndescription: Say hello from the workspace\n---\nSay hello.\n");
    stack.page.on("websocket", (ws) => ws.on("framereceived", (f) => typeof f.payload === "string" && frames.push(f.payload)));
    const p = stack.page;
    await p.goto(stack.url);
    await p.getByLabel("API key").fill(stack.server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("the todo panel shows each todo pending, in progress and done as the agent works", async () => {
    await box().fill("please track the work");
    await box().press("Enter");
    // Paused on the first Bash prompt: the first todo is in progress, the others pending.
    await prompt().waitFor({ timeout: 60_000 });
    await expect.poll(todoStates).toEqual(["in_progress", "pending", "pending"]);
    const panel = page().getByRole("region", { name: "Todo list" });
    expect(await panel.getByRole("heading").textContent()).toBe("Todo list · 0 of 3 done");
    expect(await panel.getByText("Reading the code").count()).toBe(1);
    await allow();
    // Paused again: two done, the third in progress.
    await prompt().waitFor({ timeout: 60_000 });
    await expect.poll(todoStates).toEqual(["completed", "completed", "in_progress"]);
    await allow();
    await turnEnded();
    await expect.poll(todoStates).toEqual(["completed", "completed", "completed"]);
    expect(await panel.getByRole("heading").textContent()).toBe("Todo list · 3 of 3 done");
    await expect.poll(lastReply).toContain("All three todos are done.");
  });

  test("the context meter shows after a turn and moves after the next", async () => {
    const meter = page().getByTestId("context-meter");
    await meter.waitFor();
    const before = await meterValue();
    expect(before).toBeGreaterThan(0);
    expect(await meter.locator("meter").getAttribute("aria-label")).toMatch(/^Context \d+% full$/);
    await box().fill("a short question");
    await box().press("Enter");
    await turnEnded();
    await expect.poll(meterValue).toBeGreaterThan(before);
  });

  test("a sub-agent's calls and report nest under its Agent card, collapsed, with a live count", async () => {
    const p = page();
    await box().fill("delegate this to a sub-agent");
    await box().press("Enter");
    const card = p.locator('[data-role="tool"]:has([data-testid="agent-count"])');
    // The sub-agent's first call waits for approval: the card counts it, nothing is unfolded.
    await prompt().waitFor({ timeout: 60_000 });
    await expect.poll(() => card.getByTestId("agent-count").textContent()).toBe("1 tool call");
    expect(await card.getByTestId("agent-steps").count()).toBe(0);
    await allow();
    await turnEnded();
    await expect.poll(() => card.getByTestId("agent-count").textContent()).toBe("2 tool calls");
    expect(await card.getByTestId("agent-steps").count()).toBe(0);
    await card.getByRole("button", { name: "Show what the sub-agent did (2 tool calls)" }).click();
    const steps = card.getByTestId("agent-steps");
    await expect.poll(() => steps.locator('[data-role="tool"]').count()).toBe(2);
    await steps.getByText("Sub-agent report: I left a mark and listed the workspace.").waitFor();
    await expect.poll(lastReply).toContain("The sub-agent is done and reported back.");
  });

  test("the slash palette lists the workspace's command and the built-ins, filters, and picks with the keyboard", async () => {
    const p = page();
    const palette = p.getByRole("listbox", { name: "Slash commands" });
    await box().fill("/");
    await palette.waitFor();
    await palette.getByRole("option", { name: /\/hello.*Say hello from the workspace/ }).waitFor();
    await box().pressSequentially("comp");
    await expect.poll(async () => (await palette.getByRole("option").allTextContents()).every((t) => t.includes("comp"))).toBe(true);
    const names = await palette.getByRole("option").allTextContents();
    expect(names[0]).toMatch(/^\/compact/);
    // Down then Up comes back to the first; Enter picks it (the box keeps focus).
    await box().press("ArrowDown");
    await box().press("ArrowUp");
    expect(await palette.getByRole("option", { selected: true }).textContent()).toMatch(/^\/compact/);
    await box().press("Enter");
    await palette.waitFor({ state: "detached" });
    expect(await box().inputValue()).toBe("/compact ");
    // Escape closes it without picking.
    await box().fill("/he");
    await palette.waitFor();
    await box().press("Escape");
    await palette.waitFor({ state: "detached" });
    expect(await box().inputValue()).toBe("/he");
  });

  test("/compact works and shows the tokens before and after", async () => {
    // Typed whole, the palette still offers it: Enter picks it, the next Enter sends it.
    await box().fill("/compact");
    await box().press("Enter");
    await page().getByRole("listbox", { name: "Slash commands" }).waitFor({ state: "detached" });
    expect(await box().inputValue()).toBe("/compact ");
    await box().press("Enter");
    await expect.poll(() => box().inputValue()).toBe("");
    await turnEnded();
    await page()
      .getByText(/Conversation compacted: [\d,]+ → [\d,]+ tokens of context/)
      .waitFor({ timeout: 60_000 });
  });

  test("/clear typed by hand starts a new session and keeps the old one in the list", async () => {
    const p = page();
    const rows = p.getByRole("navigation", { name: "Sessions" }).getByRole("listitem");
    const before = await rows.count();
    await box().fill("/clear");
    await box().press("Enter");
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(before + 1);
    await p.getByText("/clear started a new session; the previous conversation stays in the list.").waitFor();
    expect(await p.locator('[data-role="user"]').count()).toBe(0);
  });

  test("every frame the page received parses", () => {
    expect(frames.some((f) => f.includes('"parent_tool_use_id"'))).toBe(true);
    for (const f of frames) {
      const r = parseServerFrame(f);
      expect(r.ok ? "ok" : r.error, f.slice(0, 200)).toBe("ok");
    }
  });
});
