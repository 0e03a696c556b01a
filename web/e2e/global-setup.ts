// Once per `npm run e2e`: fail early, with one readable line, when a prerequisite is missing.
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { chromiumPath } from "./browser.ts";
import { ARTIFACTS_DIR, checkPrerequisites, serverBinary, WEB_DIR } from "./server.ts";

export default function setup(): void {
  checkPrerequisites();
  if (!existsSync(chromiumPath())) {
    throw new Error(`Chromium not found at ${chromiumPath()}: install Debian's chromium, or set CHROMIUM_PATH`);
  }
  if (!existsSync(path.join(WEB_DIR, "dist", "index.html"))) {
    console.warn("web/dist is not built: the server will serve its \"UI not built\" page (npm run build)");
  }
  console.log(`e2e: server ${serverBinary()}, browser ${chromiumPath()}`);
  rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
}
