// A team on one server, in real browsers: the admin (the server's key) adds a user on the
// admin page and copies the key shown once; the user signs in with it in another browser and
// sees only their own sessions; the admin sees everyone's with their owners; revoking the
// user's key sends their browser back to the key screen, saying why.

import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAccessible } from "./axe.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";

describe("users, keys and their own sessions", () => {
  let stack: Stack | undefined;
  let bobContext: BrowserContext | undefined;
  let bobPage: Page | undefined;
  let bobKey = "";
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const admin = (): Page => s().page;
  const bob = (): Page => {
    if (!bobPage) throw new Error("bob has no page yet");
    return bobPage;
  };
  const sessionRows = (p: Page) => p.getByRole("navigation", { name: "Sessions" }).getByRole("listitem");

  async function signIn(p: Page, key: string) {
    await p.goto(s().url);
    await p.getByLabel("API key").fill(key);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
  }

  async function newSession(p: Page) {
    await p.getByRole("button", { name: "New session" }).first().click();
    await p.getByText("The session is ready.").waitFor({ timeout: 30_000 });
  }

  beforeAll(async () => {
    stack = await startStack({ prewarmPoolSize: 1 });
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await bobContext?.close().catch(() => {});
    await stack?.stop();
  });

  test("the admin is told who they are and starts a session", async () => {
    const p = admin();
    await signIn(p, s().server.key);
    await expect.poll(() => p.getByTestId("account").textContent()).toMatch(/^Signed in as admin/);
    await newSession(p);
    await expect.poll(() => sessionRows(p).count()).toBe(1);
  });

  test("the admin adds a user on the admin page and copies its key, shown once", async () => {
    const p = admin();
    await p.getByRole("button", { name: "Admin", exact: true }).click();
    await p.getByRole("heading", { name: "Users and keys" }).waitFor();
    await p.getByRole("listitem", { name: "admin" }).waitFor();
    await expectAccessible(p, "admin page");
    await p.getByLabel("Name", { exact: true }).fill("bob");
    await p.getByRole("button", { name: "Add user" }).click();
    const dialog = p.getByRole("dialog", { name: "New key for bob" });
    await dialog.waitFor();
    bobKey = await dialog.getByLabel("API key").inputValue();
    expect(bobKey).toMatch(/^csp_[0-9a-f]{64}$/);
    await expectAccessible(p, "new key dialog");
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });
    const card = p.getByRole("listitem", { name: "bob" });
    await card.getByText(`${bobKey.slice(0, 12)}…`).waitFor();
    // Only its prefix stays on the page.
    expect(await p.content()).not.toContain(bobKey.slice(12));
    await p.getByRole("button", { name: "Back to the chat" }).click();
  });

  test("the user signs in with the new key and sees only their own sessions", async () => {
    bobContext = await s().browser.newContext();
    bobPage = await bobContext.newPage();
    const p = bob();
    await signIn(p, bobKey);
    await expect.poll(() => p.getByTestId("account").textContent()).toBe("Signed in as bob");
    expect(await p.getByRole("button", { name: "Admin", exact: true }).count()).toBe(0);
    await p.getByText("No sessions yet.").waitFor();
    await newSession(p);
    await expect.poll(() => sessionRows(p).count()).toBe(1);
    await p.reload();
    await p.getByRole("status", { name: "Connection" }).getByText("Connected").waitFor();
    await expect.poll(() => sessionRows(p).count()).toBe(1);
  });

  test("the admin sees both sessions with their owners and filters by owner", async () => {
    const p = admin();
    await p.reload();
    await expect.poll(() => sessionRows(p).count()).toBe(2);
    await sessionRows(p).getByText("bob").waitFor();
    await p.getByLabel("Owner").selectOption({ label: "bob" });
    await expect.poll(() => sessionRows(p).count()).toBe(1);
    // Another user's session is read, not taken from its owner.
    await sessionRows(p).first().getByRole("button").first().click();
    await p.getByRole("status", { name: "Read only" }).getByText("This is bob's session").waitFor();
    expect(await p.getByRole("textbox", { name: "Message" }).isDisabled()).toBe(true);
    await p.getByLabel("Owner").selectOption({ label: "Everyone" });
    await expect.poll(() => sessionRows(p).count()).toBe(2);
  });

  test("revoking the user's key sends their browser back to the key screen, saying why", async () => {
    const p = admin();
    await p.getByRole("button", { name: "Admin", exact: true }).click();
    const card = p.getByRole("listitem", { name: "bob" });
    await card.getByRole("button", { name: `Revoke ${bobKey.slice(0, 12)}` }).click();
    await p.getByRole("alertdialog").getByRole("button", { name: "Revoke key" }).click();
    await card.getByText("revoked").waitFor();
    await bob().getByText("This key was revoked by an administrator.").waitFor({ timeout: 5_000 });
    await bob().getByLabel("API key").waitFor();
    expect(await bob().evaluate(() => localStorage.getItem("csp.apiKey"))).toBeNull();
  });
});
