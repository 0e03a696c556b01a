// What a session changed, and @-mentions, in a real browser against the real server, CLI and
// demo model, in a git repository made here: a turn runs a command that edits a file, the
// Changes button counts it, its panel shows the diff (unified and side by side); typing `@`
// in the message box lists the workspace's files (ignored ones not), and picking one inserts
// `@path`.

import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAccessible } from "./axe.ts";
import { makeRepo } from "./git-repo.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("what changed, and @-mentions", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const message = () => page().getByRole("textbox", { name: "Message" });
  const request = () => page().getByRole("log", { name: "Conversation" }).getByRole("group", { name: /Claude wants to run a command/ });
  const replyEnded = (timeout = 60_000) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });

  beforeAll(async () => {
    stack = await startStack();
    const ws = stack.server.dirs.workspace;
    makeRepo(ws, { "notes.txt": "one\n", "src/main.rs": "fn main() {}\n", ".gitignore": "*.log\n" });
    writeFileSync(path.join(ws, "main.log"), "ignored\n");
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("a turn edits a file; Changes shows its diff", async () => {
    const p = page();
    await p.goto(s().url);
    await p.getByLabel("API key").fill(s().server.key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor();
    await p.getByRole("button", { name: "Changes · 0" }).waitFor();

    await message().fill("please run `echo two >> notes.txt`");
    await message().press("Enter");
    await request().waitFor({ timeout: 30_000 });
    await request().getByRole("button", { name: "Allow", exact: true }).click();
    await replyEnded();
    const button = p.getByRole("button", { name: "Changes · 1" });
    await button.waitFor({ timeout: 30_000 });
    await button.click();
    const panel = p.getByRole("dialog", { name: "Changes" });
    const file = panel.getByTestId("changed-file").filter({ hasText: "notes.txt" });
    await file.getByText("+two").waitFor();
    expect(await file.textContent()).toContain("+1");
    await expectAccessible(p, "the Changes panel");
    await panel.getByRole("button", { name: "Side by side" }).click();
    await expect.poll(() => panel.getByRole("button", { name: "Side by side" }).getAttribute("aria-pressed")).toBe("true");
    await file.getByText("+two").waitFor();
    await panel.getByRole("button", { name: "Close the changes" }).click();
    await panel.waitFor({ state: "detached" });

    // At phone size the panel takes the screen, and nothing runs off its side.
    await p.setViewportSize({ width: 390, height: 800 });
    await button.click();
    await file.getByText("+two").waitFor();
    const box = await panel.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    expect(await panel.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    await panel.getByRole("button", { name: "Close the changes" }).click();
    await panel.waitFor({ state: "detached" });
    await p.setViewportSize({ width: 1280, height: 800 });
  });

  test("typing @ lists the workspace's files; picking one inserts @path", async () => {
    const p = page();
    await message().fill("");
    await message().pressSequentially("look at @mai");
    const palette = p.getByRole("listbox", { name: "Files" });
    await palette.getByRole("option", { name: "src/main.rs" }).waitFor();
    expect(await palette.textContent()).not.toContain("main.log");
    await message().press("Enter");
    await palette.waitFor({ state: "detached" });
    expect(await message().inputValue()).toBe("look at @src/main.rs ");
  });
});
