/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import SummaryReporter from "./scripts/summary-reporter.ts";
import { precompress, preloadLazyChunk } from "./scripts/vite-plugins.ts";

// The dev server proxies the API and the WebSocket to a running server (`make run`).
const backend = process.env.BACKEND_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss(), preloadLazyChunk("/markdown-view.tsx"), precompress()],
  server: {
    proxy: {
      "/api": backend,
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    reporters: ["default", new SummaryReporter("web-unit")],
  },
});
