// Headless Chromium for the end-to-end tests: Debian's `chromium` package (no browser
// download), driven by playwright-core.
//
// Every page of every context it opens reports Content-Security-Policy violations (the
// `securitypolicyviolation` event, and Chromium's own console errors); `e2e/csp-guard.ts`
// fails any test during which one was reported.

import { existsSync } from "node:fs";
import { chromium, type Browser, type LaunchOptions } from "playwright-core";

/** CSP violations reported since the last `takeCspViolations()`. */
const violations: string[] = [];

/** The CSP violations reported since the last call (and forgets them). */
export function takeCspViolations(): string[] {
  return violations.splice(0);
}

const isCspMessage = (text: string) => /Content Security Policy|CSP violation/i.test(text);

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install Debian's chromium (apt-get install chromium), ` +
        "or set CHROMIUM_PATH to a Chromium or Chrome executable",
    );
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 60_000,
    ...options,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-component-update",
      "--disable-sync",
      "--mute-audio",
      ...(options.args ?? []),
    ],
  });
  // Every context (and `browser.newPage()`, which makes one) listens for violations.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
    const context = await newContext(...args);
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(
          `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "an inline resource"} at ${e.sourceFile}:${e.lineNumber}`,
        );
      });
    });
    context.on("console", (m) => {
      if (m.type() === "error" && isCspMessage(m.text())) violations.push(m.text());
    });
    return context;
  };
  return browser;
}
