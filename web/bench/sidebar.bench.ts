// `make bench` — the sidebar with 10,000 sessions: how soon the first page of rows is on
// screen after a reload, and how smoothly the virtualized list scrolls from top to bottom
// while it loads the next pages. Writes its section of docs/benchmarks.md to
// `target/bench/sidebar.md` (and the raw numbers to `target/bench/sidebar.json`).
//
// The sessions are written straight into the server's SQLite database before the server
// starts (a bench's shortcut: the server migrates a fresh file once, stops, the rows go in
// with the `sqlite3` shell, then the measured server starts on that file). They are ended
// sessions (`terminated`), so the server has nothing to recover or resume.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT, startServer } from "../e2e/server.ts";
import { startStack, type Stack } from "../e2e/stack.ts";

// The release build unless told otherwise (`make bench` sets it; so can a person).
process.env.SERVER_BIN ||= path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR || "target", "release", "claude-sdk-pattern");

const SESSIONS = Number(process.env.SIDEBAR_BENCH_SESSIONS || 10_000);
/** How far the list moves each frame (a brisk, steady fling). */
const SCROLL_PX_PER_FRAME = 600;
/** Bound on the whole walk to the bottom. */
const WALK_TIMEOUT_MS = 150_000;
const LONG_FRAME_MS = 50;
const RELOADS = 5;
const OUT_DIR = path.join(REPO_ROOT, "target", "bench");

/** The init script: when the first session row is in the DOM, and when it is painted. */
function installRowProbe(): void {
  const w = window as unknown as { __rows: { seen: number | null; painted: number | null } };
  w.__rows = { seen: null, painted: null };
  const check = () => {
    if (w.__rows.seen !== null || !document.querySelector("[data-session-row]")) return;
    w.__rows.seen = performance.now();
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => (w.__rows.painted = performance.now());
      ch.port2.postMessage(null);
    });
    observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
}

/** Writes `n` ended sessions (titles, previews) of the server's one user into `db`. */
function seed(db: string, n: number): void {
  const sql = `
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n})
INSERT INTO sessions (session_id, user_id, status, created_at, last_active_at, subprocess_pid, message_count,
                      total_cost_usd, is_resumable, terminated_reason, model, effort, permission_mode)
SELECT printf('00000000-0000-4000-8000-%012d', i), (SELECT user_id FROM users ORDER BY created_at LIMIT 1), 'terminated',
       strftime('%Y-%m-%d %H:%M:%f', '2026-11-01', printf('-%d seconds', i * 60)),
       strftime('%Y-%m-%d %H:%M:%f', '2026-11-01', printf('-%d seconds', i * 60)),
       NULL, 4, 0.0123, 0, 'destroyed', 'opus', NULL, 'default'
FROM k;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n})
INSERT INTO session_details (session_id, title, preview, archived_at, forked_from, fork_point)
SELECT printf('00000000-0000-4000-8000-%012d', i), printf('Bench session %d: fix the flaky login test', i),
       printf('The reply of session %d, long enough to be cut at the edge of the sidebar like a real one', i),
       NULL, NULL, NULL
FROM k;
COMMIT;`;
  execFileSync("sqlite3", [db], { input: sql });
  const count = execFileSync("sqlite3", [db, "SELECT count(*) FROM sessions"]).toString().trim();
  if (Number(count) !== n) throw new Error(`seeded ${count} sessions, wanted ${n}`);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * p)];
}

function ms(x: number): string {
  return x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

describe("sidebar with many sessions", () => {
  let dir: string;
  let db: string;
  let stack: Stack | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "csp-sidebar-bench-"));
    db = path.join(dir, "sessions.db");
    // Once, to create the schema and the server's user; stopped before the rows go in.
    const first = await startServer({ prewarmPoolSize: 0, logLevel: "info", env: { DATABASE_URL: `sqlite://${db}` } });
    await first.stop();
    seed(db, SESSIONS);
    stack = await startStack({ prewarmPoolSize: 0, logLevel: "info", env: { DATABASE_URL: `sqlite://${db}` } });
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`first page on screen, then scrolling to the end of ${SESSIONS} sessions`, { timeout: WALK_TIMEOUT_MS + 120_000 }, async () => {
    if (!stack) throw new Error("no stack");
    const { page: p, url, server } = stack;
    await p.addInitScript(installRowProbe);
    await p.goto(url, { waitUntil: "load", timeout: 15_000 });
    await p.getByLabel("API key").fill(server.key, { timeout: 10_000 });
    await p.keyboard.press("Enter");
    await p.locator("[data-session-row]").first().waitFor({ timeout: 30_000 });

    // Reloads with the key remembered: navigation start → first row in the DOM / painted.
    const seen: number[] = [];
    const painted: number[] = [];
    for (let i = 0; i < RELOADS; i++) {
      await p.reload({ waitUntil: "load", timeout: 15_000 });
      await p.waitForFunction(() => (window as unknown as { __rows: { painted: number | null } }).__rows.painted !== null, null, { timeout: 30_000 });
      const r = await p.evaluate(() => (window as unknown as { __rows: { seen: number; painted: number } }).__rows);
      seen.push(r.seen);
      painted.push(r.painted);
    }

    // The walk: each frame moves the list down; where the loaded rows end it waits for the
    // next page; it stops at the bottom once no page follows.
    const walk = await p.evaluate(
      ({ step, timeoutMs }) =>
        new Promise<{ frames: number[]; maxRows: number; last: string | null; setSize: string | null; ms: number; timedOut: boolean }>((resolve) => {
          const el = document.querySelector<HTMLElement>('[data-testid="session-scroller"]');
          if (!el) throw new Error("no session list");
          const frames: number[] = [];
          let maxRows = 0;
          const t0 = performance.now();
          const tick = (t: number) => {
            frames.push(t);
            maxRows = Math.max(maxRows, el.querySelectorAll("[data-session-row]").length);
            const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
            const more = Array.from(el.querySelectorAll("button")).some((b) => /more sessions/.test(b.textContent ?? ""));
            const timedOut = t - t0 > timeoutMs;
            if ((atBottom && !more) || timedOut) {
              const rows = el.querySelectorAll("[data-session-row]");
              const lastRow = rows[rows.length - 1] ?? null;
              resolve({
                frames,
                maxRows,
                last: lastRow?.getAttribute("aria-posinset") ?? null,
                setSize: lastRow?.getAttribute("aria-setsize") ?? null,
                ms: t - t0,
                timedOut,
              });
              return;
            }
            el.scrollTop += step;
            requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }),
      { step: SCROLL_PX_PER_FRAME, timeoutMs: WALK_TIMEOUT_MS },
    );
    expect(walk.timedOut).toBe(false);
    expect(walk.last).toBe(String(SESSIONS));
    expect(walk.setSize).toBe(String(SESSIONS));

    const intervals = walk.frames.slice(1).map((t, i) => t - walk.frames[i]);
    const long = intervals.filter((x) => x > LONG_FRAME_MS);
    const figures = {
      sessions: SESSIONS,
      server: process.env.SERVER_BIN,
      firstRowSeenMs: { median: pct(seen, 0.5), max: Math.max(...seen), samples: seen },
      firstRowPaintedMs: { median: pct(painted, 0.5), max: Math.max(...painted), samples: painted },
      walkMs: walk.ms,
      frames: intervals.length,
      frameP50: pct(intervals, 0.5),
      frameP95: pct(intervals, 0.95),
      frameMax: Math.max(...intervals),
      longFrames: long.length,
      maxRowsInDom: walk.maxRows,
      loadavg: os.loadavg(),
    };
    const build = /release/.test(process.env.SERVER_BIN ?? "") ? "release" : "debug";
    const md = `## Web UI: sidebar with ${SESSIONS.toLocaleString("en")} sessions

| what | value |
|---|---|
| reload → first session row painted, median / max (${RELOADS} reloads) | ${ms(figures.firstRowPaintedMs.median)} / ${ms(figures.firstRowPaintedMs.max)} |
| reload → first session row in the DOM, median / max | ${ms(figures.firstRowSeenMs.median)} / ${ms(figures.firstRowSeenMs.max)} |
| scroll top → bottom (${SCROLL_PX_PER_FRAME} px a frame, ${Math.ceil(SESSIONS / 50)} pages loaded on the way) | ${(walk.ms / 1000).toFixed(1)} s, ${figures.frames} frames |
| frame interval while scrolling, p50 / p95 / max | ${ms(figures.frameP50)} / ${ms(figures.frameP95)} / ${ms(figures.frameMax)} |
| long frames (> ${LONG_FRAME_MS} ms) | ${figures.longFrames} of ${figures.frames} |
| session rows in the DOM, at most | ${figures.maxRowsInDom} |

Headless Chromium against the ${build} server; ${SESSIONS.toLocaleString("en")} ended sessions (title and preview each) written into its SQLite database before it starts. "First row" is timed from navigation start with the API key remembered (the WebSocket's \`session_list\` brings the first page). The walk moves the sidebar's scroll box ${SCROLL_PX_PER_FRAME} px every animation frame; where the loaded rows end it waits for the next page (\`GET /api/v1/sessions?cursor=\`, 50 a page); frame intervals are \`requestAnimationFrame\` time stamps. Load average at the end: ${figures.loadavg.map((x) => x.toFixed(2)).join(", ")}.
`;
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(path.join(OUT_DIR, "sidebar.md"), md);
    writeFileSync(path.join(OUT_DIR, "sidebar.json"), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(md);
  });
});
