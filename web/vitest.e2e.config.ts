// End-to-end tests (`npm run e2e`, part of `make test`): the real server binary, a TCP
// proxy and headless Chromium. One file at a time; each test may start its own server.
import { defineConfig } from "vitest/config";
import SummaryReporter from "./scripts/summary-reporter.ts";

export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    // Fails any test during which a page reported a Content-Security-Policy violation.
    setupFiles: ["e2e/csp-guard.ts"],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    // A loaded CI machine can take more than the default 1 s for what a poll waits on.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    restoreMocks: true,
    reporters: ["default", new SummaryReporter("web-e2e")],
  },
});
