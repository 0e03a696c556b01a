// Server + proxy + browser, wired together, and what a failed test leaves behind
// (the server's log and a screenshot in web/e2e-artifacts/).

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterEach, type TestContext } from "vitest";
import { launchBrowser } from "./browser.ts";
import { startProxy, type TcpProxy } from "./proxy.ts";
import { ARTIFACTS_DIR, startServer, type StartServerOptions, type TestServer } from "./server.ts";

export interface Stack {
  server: TestServer;
  proxy: TcpProxy;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The proxy's URL: what the page is loaded from. */
  url: string;
  /** Uncaught errors and `console.error` messages of the page so far. */
  pageErrors: string[];
  /** Closes the browser, the proxy and the server (in that order). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the proxy (to learn its origin), the server allowing that origin, points the proxy
 * at the server, then launches Chromium with one page (not yet navigated).
 */
export async function startStack(opts: StartServerOptions = {}): Promise<Stack> {
  const proxy = await startProxy();
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer({ ...opts, allowedOrigins: [proxy.origin, ...(opts.allowedOrigins ?? [])] });
    proxy.setTarget(server.port);
    browser = await launchBrowser();
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`${m.text()} (${m.location().url})`);
    });
    let stopping: Promise<void> | undefined;
    const [s, b] = [server, browser];
    return {
      server: s,
      proxy,
      browser: b,
      context,
      page,
      url: proxy.url,
      pageErrors,
      stop() {
        stopping ??= (async () => {
          await b.close().catch(() => {});
          await proxy.close();
          await s.stop();
        })();
        return stopping;
      },
    };
  } catch (e) {
    await browser?.close().catch(() => {});
    await proxy.close();
    await server?.stop();
    throw e;
  }
}

/** Writes the server log and a screenshot of the page for a failed test. */
export async function saveFailureArtifacts(stack: Stack | undefined, testName: string): Promise<void> {
  if (!stack) return;
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const base = path.join(ARTIFACTS_DIR, testName.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 100));
  writeFileSync(`${base}.server.log`, stack.server.logs());
  if (stack.pageErrors.length) writeFileSync(`${base}.page-errors.txt`, stack.pageErrors.join("\n"));
  if (!stack.page.isClosed()) {
    await stack.page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 }).catch(() => {});
  }
  const tail = stack.server.logs().split("\n").slice(-40).join("\n");
  console.error(`server log (last 40 lines; all of it in ${base}.server.log):\n${tail}`);
}

/** In a `describe` sharing one stack: save artifacts after each failed test. */
export function saveArtifactsOnFailure(getStack: () => Stack | undefined): void {
  afterEach(async (ctx: TestContext) => {
    if (ctx.task.result?.state === "fail") await saveFailureArtifacts(getStack(), ctx.task.fullName ?? ctx.task.name);
  });
}
