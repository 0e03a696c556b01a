// The browser benchmark of the UI (`npm run bench`, part of `make bench`): the release
// server binary, the built UI, a TCP proxy and headless Chromium, measured in one file.
import { defineConfig } from "vitest/config";
import SummaryReporter from "./scripts/summary-reporter.ts";

export default defineConfig({
  test: {
    environment: "node",
    include: ["bench/**/*.bench.ts"],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    restoreMocks: true,
    reporters: ["default", new SummaryReporter("web-bench")],
  },
});
