// Conversation controls in a real browser against the real server, the real CLI and the
// demo model (issue 15): the composer's model / effort / mode picker chooses what a new
// session is created with and switches the open one live; the demo model's "which model"
// answer shows what the model API received; a reload keeps the choice.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseServerFrame } from "../src/types/protocol.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("the model / mode picker", () => {
  let stack: Stack | undefined;
  const frames: string[] = [];
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const picker = (name: "Model" | "Effort" | "Mode") =>
    page().getByRole("group", { name: "Conversation settings" }).getByRole("combobox", { name, exact: true });
  const lastReply = async () => (await page().locator('[data-role="assistant"]').allTextContents()).at(-1) ?? "";

  async function ask(text: string) {
    await page().getByRole("textbox", { name: "Message" }).fill(text);
    await page().getByRole("textbox", { name: "Message" }).press("Enter");
    await page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout: 60_000 });
  }

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 1, env: { MODELS: "opus,sonnet,haiku" } });
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

  test("a new session starts with the model and effort picked before it existed", async () => {
    await expect.poll(() => picker("Model").inputValue()).toBe("opus");
    await picker("Model").selectOption("sonnet");
    await picker("Effort").selectOption("high");
    await ask("which model are you?");
    await expect.poll(lastReply).toContain("named the model claude-sonnet-5-5, effort high");
    const list = page().getByRole("navigation", { name: "Sessions" }).getByRole("listitem");
    await expect.poll(() => list.count()).toBe(1);
  });

  test("switching the open session's model and mode takes effect on the next message", async () => {
    await picker("Model").selectOption("haiku");
    await expect.poll(() => picker("Model").inputValue()).toBe("haiku");
    await picker("Mode").selectOption("acceptEdits");
    await expect.poll(() => picker("Mode").inputValue()).toBe("acceptEdits");
    await ask("which model now?");
    await expect.poll(lastReply).toContain("named the model claude-haiku-5-5, effort high");
  });

  test("after a reload the session still shows (and uses) what was chosen", async () => {
    await page().reload();
    await page().getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await expect.poll(() => picker("Model").inputValue()).toBe("haiku");
    await expect.poll(() => picker("Mode").inputValue()).toBe("acceptEdits");
    await expect.poll(() => picker("Effort").inputValue()).toBe("high");
  });

  test("in plan mode the plan is shown for approval; Keep planning sends feedback, Approve runs on", async () => {
    const p = page();
    await picker("Mode").selectOption("plan");
    await expect.poll(() => picker("Mode").inputValue()).toBe("plan");
    const card = p.getByRole("group", { name: "Claude's plan" });
    await p.getByRole("textbox", { name: "Message" }).fill("refactor the parser");
    await p.getByRole("textbox", { name: "Message" }).press("Enter");
    await card.getByRole("heading", { name: "Plan: refactor the parser" }).waitFor({ timeout: 60_000 });
    await expect.poll(() => card.getByRole("listitem").count()).toBe(3);
    // Not a raw permission prompt.
    expect(await p.getByRole("button", { name: "Allow", exact: true }).count()).toBe(0);

    await card.getByLabel(/What should change/).fill("Also cover the lexer.");
    await card.getByRole("button", { name: "Keep planning" }).click();
    await p.getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout: 60_000 });
    await expect.poll(lastReply).toContain("Keep planning: Also cover the lexer.");
    expect(await picker("Mode").inputValue()).toBe("plan");

    await p.getByRole("textbox", { name: "Message" }).fill("refactor the parser, with the lexer");
    await p.getByRole("textbox", { name: "Message" }).press("Enter");
    await card.getByRole("heading", { name: /Plan: refactor the parser, with the lexer/ }).waitFor({ timeout: 60_000 });
    await card.getByLabel("Then continue in").selectOption("acceptEdits");
    await card.getByRole("button", { name: "Approve and run" }).click();
    await p.getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout: 60_000 });
    await expect.poll(lastReply).toContain("approved");
    await expect.poll(() => picker("Mode").inputValue()).toBe("acceptEdits");
  });

  test("every frame the page received parses", () => {
    expect(frames.some((f) => f.includes('"type":"session_options"'))).toBe(true);
    for (const f of frames) {
      const r = parseServerFrame(f);
      expect(r.ok ? "ok" : r.error, f.slice(0, 200)).toBe("ok");
    }
  });
});
