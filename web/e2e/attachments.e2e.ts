// Attachments in a real browser against the real server, the real CLI and the demo model
// (issue 15): an image set on the composer's file input shows as a thumbnail, goes out with
// the message, shows in the sent message (also after a reload), and the demo model's answer
// quotes the image block it received (type and base64 data, byte for byte); a text file shows
// as a chip and reaches the model as a document titled with its name; a file of the wrong type
// is refused with the reason.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

/** A 1×1 PNG. */
const PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

describe("image attachments", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const page = (): Page => s().page;
  const lastReply = async () => (await page().locator('[data-role="assistant"]').allTextContents()).at(-1) ?? "";

  beforeAll(async () => {
    stack = await startStack();
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

  test("a picked image shows as a thumbnail, is sent, shows in the message and reaches the model", async () => {
    const p = page();
    await p.getByTestId("attach-input").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: Buffer.from(PNG_B64, "base64") });
    const thumb = p.getByRole("list", { name: "Attachments" }).getByRole("img", { name: "dot.png" });
    await thumb.waitFor();
    await p.getByRole("textbox", { name: "Message" }).fill("what is in this picture?");
    await p.getByRole("textbox", { name: "Message" }).press("Enter");
    await thumb.waitFor({ state: "detached" });
    const sent = p.locator('[data-role="user"]').getByRole("img", { name: "dot.png" });
    await sent.waitFor();
    expect(await sent.getAttribute("src")).toBe(`data:image/png;base64,${PNG_B64}`);
    await expect.poll(lastReply, { timeout: 60_000 }).toContain(`image/png, ${PNG_B64.length} base64 characters: ${PNG_B64}`);

    // After a reload the history shows the image.
    await p.reload();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await p.locator('[data-role="user"]').getByRole("img", { name: "dot.png" }).waitFor({ timeout: 30_000 });
  });

  test("a text file shows as a chip with its name and size, reaches the model as a titled document, and stays after a reload", async () => {
    const p = page();
    const body = "# Notes\nline two\n";
    await p.getByTestId("attach-input").setInputFiles({ name: "notes.md", mimeType: "text/markdown", buffer: Buffer.from(body) });
    const chip = p.getByRole("list", { name: "Attachments" }).getByTestId("file-chip");
    await chip.waitFor();
    expect(await chip.textContent()).toContain("notes.md");
    expect(await chip.textContent()).toContain(`${body.length} bytes`);
    await p.getByRole("textbox", { name: "Message" }).fill("summarize my notes");
    await p.getByRole("textbox", { name: "Message" }).press("Enter");
    await chip.waitFor({ state: "detached" });
    await p.locator('[data-role="user"]').getByTestId("file-chip").getByText("notes.md").waitFor();
    await expect.poll(lastReply, { timeout: 60_000 }).toContain(`the text file notes.md, ${body.length} characters, first line: # Notes`);
    await p.reload();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await p.locator('[data-role="user"]').getByTestId("file-chip").getByText("notes.md").waitFor({ timeout: 30_000 });
  });

  test("a file of another type is refused with the reason", async () => {
    const p = page();
    await p.getByTestId("attach-input").setInputFiles({ name: "notes.svg", mimeType: "image/svg+xml", buffer: Buffer.from("<svg/>") });
    await p.getByRole("alert").getByText("notes.svg is not an image the model takes").waitFor();
    expect(await p.getByRole("list", { name: "Attachments" }).count()).toBe(0);
  });
});
