// Headless Chromium for the end-to-end tests: Debian's `chromium` package (no browser
// download), driven by playwright-core.

import { existsSync } from "node:fs";
import { chromium, type Browser, type LaunchOptions } from "playwright-core";

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
  return chromium.launch({
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
}
