// The e2e infrastructure itself: the server starts and stops cleanly, the page loads
// through the proxy, and the proxy can cut an open WebSocket.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { saveArtifactsOnFailure, startStack, type Stack } from "./stack.ts";
import { childrenOf, isAlive, ownedProcesses } from "./server.ts";

/** What the page keeps of its WebSocket between `evaluate` calls. */
type PageGlobals = { e2eClosed?: Promise<{ code: number; wasClean: boolean }> };

describe("e2e smoke", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };

  beforeAll(async () => {
    stack = await startStack();
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("the UI loads through the proxy and asks for the API key", async () => {
    const { page, url } = s();
    const res = await page.goto(url, { waitUntil: "load" });
    expect(res?.status()).toBe(200);
    expect(await page.title()).toContain("Claude");
    await expect.poll(() => page.getByLabel("API key").isVisible(), { timeout: 15_000 }).toBe(true);
  });

  test("GET /api/v1/health/live answers through the proxy", async () => {
    const res = await fetch(`${s().url}/api/v1/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("after drop() and pause() nothing gets through; after resume() it does again", async () => {
    const { proxy, url } = s();
    // pause() refuses new connections only: drop the kept-alive ones too (network down).
    proxy.drop();
    proxy.pause();
    try {
      await expect(fetch(`${url}/api/v1/health/live`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    } finally {
      proxy.resume();
    }
    expect((await fetch(`${url}/api/v1/health/live`)).status).toBe(200);
  });

  test("drop() closes a WebSocket the page opened through the proxy", async () => {
    const { page, proxy, server, url } = s();
    if (page.url() === "about:blank") await page.goto(url);
    const wsUrl = `ws://127.0.0.1:${proxy.port}/ws/v1/chat`;
    // The browser sends Origin: the proxy's; the server must accept it.
    const opened = await page.evaluate(
      async ({ key, wsUrl }) => {
        const res = await fetch("/api/v1/ws-ticket", { method: "POST", headers: { "X-API-Key": key } });
        if (res.status !== 200) return `ticket: HTTP ${res.status}`;
        const { ticket } = (await res.json()) as { ticket: string };
        const ws = new WebSocket(`${wsUrl}?ticket=${encodeURIComponent(ticket)}`);
        const g = globalThis as unknown as PageGlobals;
        g.e2eClosed = new Promise((resolve) => {
          ws.addEventListener("close", (e) => resolve({ code: e.code, wasClean: e.wasClean }));
        });
        return new Promise<string>((resolve) => {
          ws.addEventListener("open", () => resolve("open"));
          ws.addEventListener("close", (e) => resolve(`closed before open: ${e.code}`));
        });
      },
      { key: server.key, wsUrl },
    );
    expect(opened).toBe("open");
    expect(proxy.connections()).toBeGreaterThan(0);

    proxy.drop();
    const closed = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return Promise.race([
        g.e2eClosed,
        new Promise((resolve) => setTimeout(() => resolve("still open after 5 s"), 5_000)),
      ]);
    });
    expect(closed).toEqual({ code: 1006, wasClean: false });
    expect(proxy.connections()).toBe(0);
  });

  test("stop() ends the server and its CLI processes and removes the temp dirs", async () => {
    const { server } = s();
    // PREWARM_POOL_SIZE=1: one CLI is running as the server's child.
    const clis = childrenOf(server.pid);
    expect(clis.length).toBeGreaterThan(0);
    const owned = ownedProcesses(server.pid);
    expect(owned).toEqual(expect.arrayContaining(clis));

    await s().stop();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(isAlive(server.pid)).toBe(false);
    for (const pid of [...clis, ...owned]) expect(isAlive(pid), `process ${pid} outlived the server`).toBe(false);
    expect(ownedProcesses(server.pid)).toEqual([]);
    const ps = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter(([pid, ppid]) => [server.pid, ...clis].includes(Number(pid)) || Number(ppid) === server.pid);
    expect(ps).toEqual([]);
    expect(existsSync(server.dirs.root)).toBe(false);
    expect(server.logs()).toContain('"msg":"stopped"');
  });
});
