// `make bench` — the web UI in a real browser: page load, New session, a message and its
// first token, a reconnect after a network drop, the rendering cost of a long streamed reply,
// and the size of the build. Writes its section of docs/benchmarks.md to
// `target/bench/ui.md` (and the raw numbers to `target/bench/ui.json`).
//
// The release server (SERVER_BIN, else `${CARGO_TARGET_DIR:-target}/release/…`) with its
// built-in demo model, the built UI (web/dist), a loopback TCP proxy and headless Chromium
// (web/e2e/stack.ts). The demo model streams at 20 ms per token, so what is measured is what
// the product controls: every time is taken inside the page with `performance.now()` — a
// MutationObserver sees the DOM change, "painted" is the first task after the frame that
// paints it —
// and WebSocket frames are time-stamped by a wrapper of `window.WebSocket` installed before
// the app loads (an init script), not over the DevTools protocol.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { childrenOf, isAlive, ownedProcesses, REPO_ROOT, serverBinary, WEB_DIR, type TestServer } from "../e2e/server.ts";
import { saveArtifactsOnFailure, startStack, type Stack } from "../e2e/stack.ts";

// The release build unless told otherwise (`make bench` sets it; so can a person).
process.env.SERVER_BIN ||= path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR || "target", "release", "claude-sdk-pattern");

/**
 * `BENCH_ONLY=long-reply`: only what the long-reply rows need (one page load, one new
 * session, the two long replies); the report test then prints those rows and writes them to
 * `target/bench/ui-long-reply.json` instead of the whole section.
 */
const ONLY_LONG_REPLY = process.env.BENCH_ONLY === "long-reply";
/**
 * `BENCH_PROFILE=1`: a CPU profile of the page while each long reply streams, written to
 * `target/bench/long-reply-x<rate>.cpuprofile` (open it in DevTools' Performance panel), and
 * the functions that took most of it printed. `BENCH_PROFILE=trace` also records a DevTools
 * trace of its first 15 s (`long-reply-x<rate>.trace.json`: what each long task was: script,
 * style, layout, paint, input events), and one of the keys typed once it has ended
 * (`long-reply-x<rate>-idle.trace.json`). Profiling slows the page: the figures of such a run
 * are not comparable with others.
 */
const PROFILE = !!process.env.BENCH_PROFILE;
const LOAD_RUNS = ONLY_LONG_REPLY ? 1 : 10;
const NEW_SESSION_RUNS = ONLY_LONG_REPLY ? 1 : 10;
const MESSAGE_RUNS = 8;
const POOL_SIZE = 2;
/** Long enough that the demo's echo streams for several seconds (20 ms per token). */
const LONG_MESSAGE = Array.from({ length: 250 }, (_, i) => `word${i}`).join(" ");
/** Keys typed after a long reply has ended, for the latency with nothing streaming. */
const IDLE_KEYS = 40;
const OUT_DIR = path.join(REPO_ROOT, "target", "bench");

// ---------------------------------------------------------------------------------------
// In the page.

type FrameRecord = {
  /** `performance.now()` when the page's socket delivered it (before the app's handler). */
  t: number;
  /** Index of the socket in `sockets`. */
  socket: number;
  type: string;
  session: string | null;
  seq: number | null;
  source: string | null;
  /** `text.length` of a `stream_delta`. */
  textLen: number;
};

type Probe = {
  sockets: Array<{ opened: number | null; closed: number | null }>;
  frames: FrameRecord[];
  longTasks: Array<{ start: number; duration: number }>;
  /** React commits (through a minimal devtools hook). */
  commits: number[];
  /** `requestAnimationFrame` timestamps while `startFrames` runs. */
  rafTimes: number[];
  /** Keystroke latencies (keydown's time stamp → the first paint after its input), while `keysOn`. */
  keyLatencies: number[];
  keysOn: boolean;
  rafOn: boolean;
  /** Inside a frame's rendering step (rAF callbacks and their microtasks), until the next task. */
  inRendering: boolean;
  keyScreen: number | null;
  keyScreenPainted: number | null;
  connected: number | null;
  connectedPainted: number | null;
  /** Called when a socket opens, before the app's own `onopen`. */
  onOpen: Array<() => void>;
  /** What an armed measurement resolves with. */
  pending: Promise<unknown> | null;
  /** Calls `cb` in the first task after the frame that paints the DOM as it is now. */
  afterPaint(cb: () => void): void;
  startFrames(): void;
  stopFrames(): void;
};
type BenchWindow = Window & { __bench: Probe };

/** The init script: runs in every document before the app's scripts. Self-contained. */
function installProbe(): void {
  const probe: Probe = {
    sockets: [],
    frames: [],
    longTasks: [],
    commits: [],
    rafTimes: [],
    rafOn: false,
    keyLatencies: [],
    keysOn: false,
    inRendering: false,
    keyScreen: null,
    keyScreenPainted: null,
    connected: null,
    connectedPainted: null,
    onOpen: [],
    pending: null,
    afterPaint(cb) {
      const nextTask = () => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => cb();
        ch.port2.postMessage(null);
      };
      // A change made in a frame's rAF callbacks (the app applies deltas there) is painted in
      // that frame; one made in an ordinary task, in the next frame. Either way the first
      // task after that frame's paint is the time it is on screen.
      if (probe.inRendering) nextTask();
      else nativeRaf(nextTask);
    },
    startFrames() {
      if (probe.rafOn) return;
      probe.rafOn = true;
      const tick = (t: number) => {
        if (!probe.rafOn) return;
        probe.rafTimes.push(t);
        nativeRaf(tick);
      };
      nativeRaf(tick);
    },
    stopFrames() {
      probe.rafOn = false;
    },
  };
  (window as unknown as BenchWindow).__bench = probe;

  // Marks the rendering step: set by the frame's first rAF callback, cleared by the first
  // task after the frame (tasks never run inside it; microtasks do).
  const nativeRaf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb: FrameRequestCallback) =>
    nativeRaf((t) => {
      if (!probe.inRendering) {
        probe.inRendering = true;
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          probe.inRendering = false;
        };
        ch.port2.postMessage(null);
      }
      cb(t);
    });

  // Keystroke latency as a person feels it: from the key event's time stamp (when the browser
  // took the key, so time spent queued behind a busy main thread counts) to the first paint
  // after the text box changed.
  let keyAt: number | null = null;
  window.addEventListener(
    "keydown",
    (e) => {
      if (probe.keysOn) keyAt = e.timeStamp;
    },
    true,
  );
  window.addEventListener(
    "input",
    () => {
      if (keyAt === null) return;
      const t0 = keyAt;
      keyAt = null;
      probe.afterPaint(() => probe.keyLatencies.push(performance.now() - t0));
    },
    true,
  );

  // Every frame any socket of the page receives, time-stamped before the app sees it.
  const Native = window.WebSocket;
  class ProbedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const socket = probe.sockets.length;
      const rec: { opened: number | null; closed: number | null } = { opened: null, closed: null };
      probe.sockets.push(rec);
      this.addEventListener("open", () => {
        rec.opened = performance.now();
        for (const f of probe.onOpen) f();
      });
      this.addEventListener("close", () => {
        rec.closed = performance.now();
      });
      this.addEventListener("message", (m: MessageEvent) => {
        const t = performance.now();
        if (typeof m.data !== "string") return;
        const r: FrameRecord = { t, socket, type: "?", session: null, seq: null, source: null, textLen: 0 };
        try {
          const f = JSON.parse(m.data) as Record<string, unknown>;
          r.type = String(f.type);
          r.session = typeof f.session_id === "string" ? f.session_id : null;
          r.seq = typeof f.event_seq === "number" ? f.event_seq : null;
          r.source = typeof f.source === "string" ? f.source : null;
          r.textLen = typeof f.text === "string" ? f.text.length : 0;
        } catch {
          // not JSON: recorded as "?"
        }
        probe.frames.push(r);
      });
    }
  }
  window.WebSocket = ProbedWebSocket;

  // React commits: React calls a devtools hook, when one exists, after every commit.
  (window as unknown as Record<string, unknown>).__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    renderers: new Map(),
    supportsFiber: true,
    isDisabled: false,
    inject: () => 1,
    onCommitFiberRoot: () => {
      probe.commits.push(performance.now());
    },
    onCommitFiberUnmount: () => {},
    onPostCommitFiberRoot: () => {},
    onScheduleFiberRoot: () => {},
    checkDCE: () => {},
  };

  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // no long-task timing in this browser: none are counted
  }

  // The first screen: the key input, or the status bar saying Connected (key remembered).
  const mo = new MutationObserver(() => {
    const now = performance.now();
    if (probe.keyScreen === null) {
      const input = document.getElementById("api-key") as HTMLInputElement | null;
      if (input && !input.disabled) {
        probe.keyScreen = now;
        probe.afterPaint(() => {
          probe.keyScreenPainted = performance.now();
        });
      }
    }
    if (probe.connected === null) {
      const status = document.querySelector('[role="status"][aria-label="Connection"]');
      if (status?.textContent?.trim() === "Connected") {
        probe.connected = now;
        probe.afterPaint(() => {
          probe.connectedPainted = performance.now();
        });
      }
    }
    if (probe.keyScreen !== null || probe.connected !== null) mo.disconnect();
  });
  mo.observe(document, { childList: true, subtree: true, characterData: true });
}

/** In the page: times the next "New session" click until the new session is ready on screen. */
function armNewSession(timeoutMs: number): void {
  const b = (window as unknown as BenchWindow).__bench;
  const n0 = b.frames.length;
  const r = {
    click: null as number | null,
    readyFrame: null as number | null,
    id: null as string | null,
    source: null as string | null,
    shown: null as number | null,
    painted: null as number | null,
  };
  b.pending = new Promise((resolve, reject) => {
    const onClick = (e: MouseEvent) => {
      const button = (e.target as Element | null)?.closest?.("button");
      if (r.click === null && button?.textContent?.trim() === "New session") r.click = performance.now();
    };
    const check = () => {
      if (r.click === null || r.shown !== null) return;
      const ready = b.frames.slice(n0).find((f) => f.type === "session_ready");
      if (!ready?.session) return;
      const footer = document.querySelector(`footer [title="${ready.session}"]`);
      const log = document.querySelector('[role="log"]');
      if (!footer || !log?.textContent?.includes("The session is ready.")) return;
      r.shown = performance.now();
      r.readyFrame = ready.t;
      r.id = ready.session;
      r.source = ready.source;
      b.afterPaint(() => {
        r.painted = performance.now();
        done();
        resolve(r);
      });
    };
    const mo = new MutationObserver(check);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the new session was not ready within ${timeoutMs} ms: ${JSON.stringify(r)}`));
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      mo.disconnect();
      window.removeEventListener("click", onClick, true);
    }
    window.addEventListener("click", onClick, true);
    mo.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}

/** In the page: times the next Enter until the user's message and the reply's first token are on screen. */
function armMessage(timeoutMs: number): void {
  const b = (window as unknown as BenchWindow).__bench;
  const assistants = () => document.querySelectorAll('[data-role="assistant"]');
  const users = () => document.querySelectorAll('[data-role="user"]');
  const nA = assistants().length;
  const nU = users().length;
  const n0 = b.frames.length;
  const r = {
    enter: null as number | null,
    userShown: null as number | null,
    userPainted: null as number | null,
    tokenShown: null as number | null,
    tokenPainted: null as number | null,
    receivedFrame: null as number | null,
    firstDeltaFrame: null as number | null,
  };
  b.pending = new Promise((resolve, reject) => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Enter" && r.enter === null) r.enter = performance.now();
    };
    const finish = () => {
      if (r.userPainted === null || r.tokenPainted === null) return;
      const after = b.frames.slice(n0);
      r.receivedFrame = after.find((f) => f.type === "message_received")?.t ?? null;
      r.firstDeltaFrame = after.find((f) => f.type === "stream_delta")?.t ?? null;
      done();
      resolve(r);
    };
    const check = () => {
      if (r.enter === null) return;
      const now = performance.now();
      if (r.userShown === null && users().length > nU) {
        r.userShown = now;
        b.afterPaint(() => {
          r.userPainted = performance.now();
          finish();
        });
      }
      const a = assistants();
      if (r.tokenShown === null && a.length > nA && (a[a.length - 1].textContent ?? "").trim()) {
        r.tokenShown = now;
        b.afterPaint(() => {
          r.tokenPainted = performance.now();
          finish();
        });
      }
    };
    const mo = new MutationObserver(check);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no first token within ${timeoutMs} ms: ${JSON.stringify(r)}`));
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      mo.disconnect();
      window.removeEventListener("keydown", onKey, true);
    }
    window.addEventListener("keydown", onKey, true);
    mo.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}

/** In the page: after the current socket drops, times the new socket until more reply text is on screen. */
function armReconnect(timeoutMs: number): void {
  const b = (window as unknown as BenchWindow).__bench;
  const n = b.sockets.length;
  const lastText = () => {
    const a = document.querySelectorAll('[data-role="assistant"]');
    return a[a.length - 1]?.textContent ?? "";
  };
  const r = {
    closed: null as number | null,
    opened: null as number | null,
    lenAtOpen: 0,
    shown: null as number | null,
    painted: null as number | null,
    socket: n,
  };
  b.pending = new Promise((resolve, reject) => {
    b.onOpen.push(() => {
      if (r.opened !== null || b.sockets.length <= n) return;
      r.opened = performance.now();
      r.lenAtOpen = lastText().length;
    });
    const check = () => {
      if (r.opened === null || r.shown !== null) return;
      if (lastText().length <= r.lenAtOpen) return;
      r.shown = performance.now();
      b.afterPaint(() => {
        r.painted = performance.now();
        r.closed = b.sockets[n - 1]?.closed ?? null;
        done();
        resolve(r);
      });
    };
    const mo = new MutationObserver(check);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no text after reconnecting within ${timeoutMs} ms: ${JSON.stringify(r)}`));
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      mo.disconnect();
      b.onOpen.length = 0;
    }
    mo.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}

/** Waits (bounded) for what the last `arm…` set up. */
function awaitPending<T>(page: Page): Promise<T> {
  return page.evaluate(() => (window as unknown as BenchWindow).__bench.pending) as Promise<T>;
}

// ---------------------------------------------------------------------------------------
// Figures.

function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** The same rank rule as the Rust benches. */
function pct(xs: number[], p: number): number {
  const s = sorted(xs);
  return s[Math.round((s.length - 1) * p)];
}

function ms(x: number): string {
  return x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

type Stat = { median: number; p95: number; min: number; max: number; n: number; samples: number[] };

function stat(xs: number[]): Stat {
  return { median: pct(xs, 0.5), p95: pct(xs, 0.95), min: Math.min(...xs), max: Math.max(...xs), n: xs.length, samples: xs };
}

function delay(msecs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msecs));
}

/** Waits (bounded) until the server's pre-warm pool is full again. */
async function poolFull(server: TestServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const res = await fetch(`${server.url}/api/v1/health/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    const body = (await res?.json().catch(() => null)) as { pool?: { ready: number; size: number } } | null;
    last = JSON.stringify(body);
    if (body?.pool && body.pool.ready >= body.pool.size) return;
    await delay(50);
  }
  throw new Error(`the pre-warm pool was not full within ${timeoutMs} ms (last: ${last})`);
}

async function destroySession(server: TestServer, id: string): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/sessions/${id}`, {
    method: "DELETE",
    headers: { "X-API-Key": server.key },
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status !== 200) throw new Error(`DELETE session ${id}: ${res.status} ${await res.text()}`);
}

type CpuProfile = {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  samples?: number[];
  timeDeltas?: number[];
};

/** The functions with the most self time in a CPU profile, and the most total (inclusive) time. */
function profileSummary(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url ? f.url.replace(/^.*\//, "").replace(/\?.*$/, "") : "";
    return `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
  };
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  for (const [id, t] of self) {
    selfBy.set(label(id), (selfBy.get(label(id)) ?? 0) + t);
    // Inclusive time: once per distinct function on the stack.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const l = label(n);
      if (seen.has(l)) continue;
      seen.add(l);
      totalBy.set(l, (totalBy.get(l) ?? 0) + t);
    }
  }
  const all = [...self.values()].reduce((a, b) => a + b, 0);
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([l, t]) => `  ${t.toFixed(0).padStart(7)} ms ${((t / all) * 100).toFixed(1).padStart(5)} %  ${l}`)
      .join("\n");
  return `sampled ${all.toFixed(0)} ms; self time:\n${rows(selfBy)}\ntotal time:\n${rows(totalBy)}`;
}

async function cdpMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Every live process below `pid`. */
function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of childrenOf(queue.shift()!)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

type BuildSize = {
  files: Array<{ file: string; kind: "js" | "css"; initial: boolean; raw: number; gzip: number; brotli: number }>;
};

/**
 * JS and CSS of web/dist/assets; "initial" = loaded by index.html as a script or stylesheet
 * (a modulepreload hint does not count: that chunk is needed only later). `brotli` is the
 * size of the precompressed copy the server sends (the file itself when there is none).
 */
function buildSize(): BuildSize {
  const dist = path.join(WEB_DIR, "dist");
  const index = readFileSync(path.join(dist, "index.html"), "utf8");
  const files = readdirSync(path.join(dist, "assets"))
    .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
    .sort()
    .map((file) => {
      const data = readFileSync(path.join(dist, "assets", file));
      const br = path.join(dist, "assets", `${file}.br`);
      const href = `/assets/${file}"`;
      return {
        file,
        kind: file.endsWith(".js") ? ("js" as const) : ("css" as const),
        initial: index.includes(`src="${href}`) || new RegExp(`rel="stylesheet"[^>]*href="${href}`).test(index),
        raw: data.length,
        gzip: gzipSync(data).length,
        brotli: existsSync(br) ? statSync(br).size : data.length,
      };
    });
  return { files };
}

// ---------------------------------------------------------------------------------------

describe("web UI benchmark", () => {
  let stack: Stack | undefined;
  const s = (): Stack => {
    if (!stack) throw new Error("the stack did not start");
    return stack;
  };
  const results: Record<string, unknown> = {};
  let browserVersion = "";

  const page = (): Page => s().page;
  const message = () => page().getByRole("textbox", { name: "Message" });
  const status = () => page().getByRole("status", { name: "Connection" });
  const assistantTexts = () => page().locator('[data-role="assistant"]').allTextContents();
  const replyEnded = (timeout: number) => page().getByRole("button", { name: "Stop" }).waitFor({ state: "detached", timeout });

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIR, "dist", "index.html"))) {
      throw new Error("web/dist is not built: run `make web-build` (or `npm run build` in web/)");
    }
    stack = await startStack({ prewarmPoolSize: POOL_SIZE, logLevel: "info" });
    await stack.context.addInitScript(installProbe);
    browserVersion = stack.browser.version();
    console.log(`bench: server ${serverBinary()}, Chromium ${browserVersion}`);
  });
  saveArtifactsOnFailure(() => stack);
  afterAll(async () => {
    await stack?.stop();
  });

  test("page load → key screen (first visit) and → Connected (key remembered)", async () => {
    const { browser, url, server } = s();
    type Load = { screen: number; painted: number; fcp: number | null; dcl: number; load: number; wsOpen: number | null };
    const readLoad = (p: Page, which: "key" | "connected") =>
      p.evaluate((w) => {
        const b = (window as unknown as BenchWindow).__bench;
        const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
        const fcp = performance.getEntriesByName("first-contentful-paint")[0];
        return {
          screen: (w === "key" ? b.keyScreen : b.connected) as number,
          painted: (w === "key" ? b.keyScreenPainted : b.connectedPainted) as number,
          fcp: fcp ? fcp.startTime : null,
          dcl: nav.domContentLoadedEventEnd,
          load: nav.loadEventEnd,
          wsOpen: b.sockets[0]?.opened ?? null,
        };
      }, which);
    const ready = (p: Page, which: "key" | "connected") =>
      p.waitForFunction(
        (w) => {
          const b = (window as unknown as BenchWindow).__bench;
          const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
          // First contentful paint is reported once the frame is presented, a little later.
          const fcp = w === "connected" || performance.getEntriesByName("first-contentful-paint").length > 0;
          return (w === "key" ? b.keyScreenPainted : b.connectedPainted) !== null && (nav?.loadEventEnd ?? 0) > 0 && fcp;
        },
        which,
        { timeout: 15_000 },
      );

    // First visit: a new browser profile each time (empty cache, no key).
    const keyLoads: Load[] = [];
    for (let i = 0; i < LOAD_RUNS; i++) {
      const context = await browser.newContext();
      try {
        await context.addInitScript(installProbe);
        const p = await context.newPage();
        await p.goto(url, { waitUntil: "load", timeout: 15_000 });
        await ready(p, "key");
        keyLoads.push(await readLoad(p, "key"));
      } finally {
        await context.close();
      }
    }

    // The key, once; then reloads with it remembered (cached assets, the usual return visit).
    const p = page();
    await p.goto(url, { waitUntil: "load", timeout: 15_000 });
    await p.getByLabel("API key").fill(server.key, { timeout: 10_000 });
    await p.getByRole("button", { name: "Continue" }).click({ timeout: 10_000 });
    await status().getByText("Connected").waitFor({ timeout: 15_000 });
    const connectedLoads: Load[] = [];
    for (let i = 0; i < LOAD_RUNS; i++) {
      await p.reload({ waitUntil: "load", timeout: 15_000 });
      await ready(p, "connected");
      connectedLoads.push(await readLoad(p, "connected"));
    }

    results.load = {
      keyScreen: {
        painted: stat(keyLoads.map((l) => l.painted)),
        fcp: stat(keyLoads.map((l) => l.fcp ?? NaN)),
        domContentLoaded: stat(keyLoads.map((l) => l.dcl)),
        runs: keyLoads,
      },
      connected: {
        painted: stat(connectedLoads.map((l) => l.painted)),
        wsOpen: stat(connectedLoads.map((l) => l.wsOpen ?? NaN)),
        runs: connectedLoads,
      },
    };
  });

  test("New session → the session ready on screen", async () => {
    const { server } = s();
    const p = page();
    const newSession = p.getByRole("button", { name: "New session", exact: true }).first();
    type Run = { click: number; readyFrame: number; id: string; source: string; shown: number; painted: number };
    const runs: Run[] = [];
    for (let i = 0; i < NEW_SESSION_RUNS; i++) {
      await poolFull(server);
      await p.evaluate(armNewSession, 15_000);
      await newSession.click({ timeout: 10_000 });
      const r = await awaitPending<Run>(p);
      runs.push(r);
      // The last one stays open for the next measurements; the others are ended (MAX_SESSIONS).
      if (i < NEW_SESSION_RUNS - 1) {
        await destroySession(server, r.id);
        await p.getByRole("status", { name: "Session ended" }).waitFor({ timeout: 10_000 });
      }
    }
    const sources: Record<string, number> = {};
    for (const r of runs) sources[r.source] = (sources[r.source] ?? 0) + 1;
    results.newSession = {
      painted: stat(runs.map((r) => r.painted - r.click)),
      readyFrame: stat(runs.map((r) => r.readyFrame - r.click)),
      frameToPainted: stat(runs.map((r) => r.painted - r.readyFrame)),
      sources,
      runs,
    };
  });

  test.skipIf(ONLY_LONG_REPLY)("Enter → the message shown, → the first token painted", async () => {
    const p = page();
    type Run = {
      enter: number;
      userShown: number;
      userPainted: number;
      tokenShown: number;
      tokenPainted: number;
      receivedFrame: number;
      firstDeltaFrame: number;
    };
    const runs: Run[] = [];
    for (let i = 0; i < MESSAGE_RUNS; i++) {
      await message().fill(`Benchmark message ${i + 1}: how soon does it show?`, { timeout: 10_000 });
      await p.evaluate(armMessage, 30_000);
      await message().press("Enter", { timeout: 10_000 });
      runs.push(await awaitPending<Run>(p));
      await replyEnded(30_000);
    }
    results.message = {
      userPainted: stat(runs.map((r) => r.userPainted - r.enter)),
      received: stat(runs.map((r) => r.receivedFrame - r.enter)),
      firstDeltaFrame: stat(runs.map((r) => r.firstDeltaFrame - r.enter)),
      frameToPainted: stat(runs.map((r) => r.tokenPainted - r.firstDeltaFrame)),
      tokenPainted: stat(runs.map((r) => r.tokenPainted - r.enter)),
      runs,
    };
  });

  test.skipIf(ONLY_LONG_REPLY)("a network drop mid-stream: reconnect, replay, nothing lost", async () => {
    const p = page();
    const { proxy } = s();
    await message().fill(LONG_MESSAGE, { timeout: 10_000 });
    await message().press("Enter", { timeout: 10_000 });
    await p.waitForFunction(
      () => {
        const a = document.querySelectorAll('[data-role="assistant"][data-streaming]');
        return (a[a.length - 1]?.textContent?.length ?? 0) > 200;
      },
      null,
      { timeout: 30_000 },
    );
    await p.evaluate(armReconnect, 20_000);
    proxy.drop();
    proxy.pause();
    proxy.resume();
    type Reconnect = { closed: number; opened: number; lenAtOpen: number; shown: number; painted: number; socket: number };
    const r = await awaitPending<Reconnect>(p);
    const frames = await p.evaluate(() => (window as unknown as BenchWindow).__bench.frames);
    const onNew = frames.filter((f) => f.socket === r.socket);
    const history = onNew.find((f) => f.type === "session_history");
    const firstDelta = onNew.find((f) => f.type === "stream_delta");
    if (!history || !firstDelta) throw new Error(`no session_history or stream_delta on the new socket: ${JSON.stringify(onNew.slice(0, 5))}`);

    await replyEnded(60_000);
    const live = await assistantTexts();
    const reply = live[live.length - 1] ?? "";
    // Nothing lost or doubled: the echo holds the message once, every word in order.
    expect(reply, "the echo holds the whole message").toContain(LONG_MESSAGE);
    expect(reply.match(/\bword\d+\b/g)?.length, "words in the echo").toBe(250);
    await p.reload({ waitUntil: "load", timeout: 15_000 });
    await status().getByText("Connected").waitFor({ timeout: 15_000 });
    await expect.poll(assistantTexts, { timeout: 15_000 }).toEqual(live);

    results.reconnect = {
      closedToOpen: r.opened - r.closed,
      openToHistoryFrame: history.t - r.opened,
      openToFirstDeltaFrame: firstDelta.t - r.opened,
      openToPainted: r.painted - r.opened,
      firstDeltaChars: firstDelta.textLen,
      replyChars: reply.length,
      sameAfterReload: true,
      raw: r,
    };
  });

  test.skipIf(ONLY_LONG_REPLY)("rendering cost while a long reply streams", async () => {
    const p = page();
    const cdp = await p.context().newCDPSession(p);
    try {
      await cdp.send("Performance.enable");
      await message().fill(`${LONG_MESSAGE} (render)`, { timeout: 10_000 });
      const start = await p.evaluate(() => {
        const b = (window as unknown as BenchWindow).__bench;
        b.startFrames();
        return { frames: b.frames.length, now: performance.now() };
      });
      const before = await cdpMetrics(cdp);
      const wallStart = performance.now();
      await message().press("Enter", { timeout: 10_000 });
      await p.waitForFunction(
        (n) => (window as unknown as BenchWindow).__bench.frames.slice(n).some((f) => f.type === "response_complete"),
        start.frames,
        { timeout: 60_000 },
      );
      await replyEnded(10_000);
      const after = await cdpMetrics(cdp);
      const wall = performance.now() - wallStart;
      const inPage = await p.evaluate((n) => {
        const b = (window as unknown as BenchWindow).__bench;
        b.stopFrames();
        const frames = b.frames.slice(n);
        const deltas = frames.filter((f) => f.type === "stream_delta");
        const t0 = deltas[0].t;
        const t1 = frames.find((f) => f.type === "response_complete")!.t;
        const raf = b.rafTimes.filter((t) => t >= t0 && t <= t1);
        let maxGap = 0;
        for (let i = 1; i < raf.length; i++) maxGap = Math.max(maxGap, raf[i] - raf[i - 1]);
        const longTasks = b.longTasks.filter((l) => l.start + l.duration >= t0 && l.start <= t1);
        return {
          streamMs: t1 - t0,
          deltaFrames: deltas.length,
          replyChars: deltas.reduce((sum, f) => sum + f.textLen, 0),
          commits: b.commits.filter((t) => t >= t0 && t <= t1).length,
          frames: raf.length,
          maxFrameGap: maxGap,
          longTasks: longTasks.length,
          longestTask: longTasks.reduce((m, l) => Math.max(m, l.duration), 0),
        };
      }, start.frames);
      const d = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
      results.render = {
        ...inPage,
        fps: (inPage.frames / inPage.streamMs) * 1000,
        commitsPerSecond: (inPage.commits / inPage.streamMs) * 1000,
        wallMs: wall,
        mainThread: {
          taskMs: d("TaskDuration") * 1000,
          scriptMs: d("ScriptDuration") * 1000,
          layoutMs: d("LayoutDuration") * 1000,
          styleMs: d("RecalcStyleDuration") * 1000,
          busy: d("TaskDuration") * 1000 / wall,
        },
      };
    } finally {
      await cdp.detach().catch(() => {});
    }
  });

  /** Ends the DevTools trace under way and writes it to `target/bench/<name>`. */
  async function saveTrace(cdp: CDPSession, name: string) {
    const done = new Promise<string>((resolve) => cdp.once("Tracing.tracingComplete", (e) => resolve(e.stream!)));
    await cdp.send("Tracing.end");
    const stream = await done;
    let data = "";
    for (;;) {
      const chunk = await cdp.send("IO.read", { handle: stream, size: 1 << 20 });
      data += chunk.data;
      if (chunk.eof) break;
    }
    await cdp.send("IO.close", { handle: stream });
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(path.join(OUT_DIR, name), data);
  }

  /**
   * The demo's 12,000-character reply ("long reply") streamed with the browser's CPU slowed
   * `rate` times, while a person types in the message box (a key every ~100 ms): frames
   * painted per second and keystroke latency. Streaming must cost the same at the end of a
   * long reply as at its start.
   */
  async function longReply(rate: number) {
    const p = page();
    const cdp = await p.context().newCDPSession(p);
    try {
      await message().fill(`Write a long reply (bench, CPU ÷${rate})`, { timeout: 10_000 });
      const n0 = await p.evaluate(() => {
        const b = (window as unknown as BenchWindow).__bench;
        b.keyLatencies = [];
        b.startFrames();
        return b.frames.length;
      });
      await cdp.send("Emulation.setCPUThrottlingRate", { rate });
      if (PROFILE) {
        await cdp.send("Performance.enable");
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
        await cdp.send("Profiler.start");
      }
      const metricsBefore = PROFILE ? await cdpMetrics(cdp) : {};
      await message().press("Enter", { timeout: 10_000 });
      await p.waitForFunction(
        (n) => (window as unknown as BenchWindow).__bench.frames.slice(n).some((f) => f.type === "stream_delta"),
        n0,
        { timeout: 60_000, polling: 100 },
      );
      let finished = false;
      const complete = p
        .waitForFunction(
          (n) => (window as unknown as BenchWindow).__bench.frames.slice(n).some((f) => f.type === "response_complete"),
          n0,
          { timeout: 120_000, polling: 250 },
        )
        .finally(() => {
          finished = true;
        });
      await p.evaluate(() => {
        (window as unknown as BenchWindow).__bench.keysOn = true;
      });
      const TRACE = process.env.BENCH_PROFILE === "trace";
      const TRACE_MS = 15_000;
      if (TRACE) await cdp.send("Tracing.start", { categories: "devtools.timeline,disabled-by-default-devtools.timeline,blink.user_timing", transferMode: "ReturnAsStream" });
      const traceStart = performance.now();
      let tracing = TRACE;
      // Type and delete, so the box stays short; every key changes it.
      for (let i = 0; !finished; i++) {
        await p.keyboard.press(i % 2 === 0 ? "x" : "Backspace");
        await delay(100);
        if (tracing && performance.now() - traceStart > TRACE_MS) {
          tracing = false;
          await saveTrace(cdp, `long-reply-x${rate}.trace.json`);
        }
      }
      await complete;
      if (PROFILE) {
        const { profile } = await cdp.send("Profiler.stop");
        const after = await cdpMetrics(cdp);
        mkdirSync(OUT_DIR, { recursive: true });
        const file = path.join(OUT_DIR, `long-reply-x${rate}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        const d = (name: string) => Math.round(((after[name] ?? 0) - (metricsBefore[name] ?? 0)) * 1000);
        console.log(
          `profile (CPU ÷${rate}) in ${path.relative(REPO_ROOT, file)}; main thread: task ${d("TaskDuration")} ms, ` +
            `script ${d("ScriptDuration")} ms, layout ${d("LayoutDuration")} ms (${d("LayoutCount") / 1000} layouts), ` +
            `style ${d("RecalcStyleDuration")} ms (${d("RecalcStyleCount") / 1000} recalcs)\n${profileSummary(profile)}`,
        );
      }
      await replyEnded(30_000);
      const streamingKeys = await p.evaluate(() => {
        const b = (window as unknown as BenchWindow).__bench;
        const keys = [...b.keyLatencies];
        b.keyLatencies = [];
        return keys;
      });
      // The same typing with nothing streaming: the floor the page itself sets at this CPU.
      if (TRACE) await cdp.send("Tracing.start", { categories: "devtools.timeline,disabled-by-default-devtools.timeline,blink.user_timing", transferMode: "ReturnAsStream" });
      for (let i = 0; i < IDLE_KEYS; i++) {
        await p.keyboard.press(i % 2 === 0 ? "x" : "Backspace");
        await delay(100);
      }
      if (TRACE) await saveTrace(cdp, `long-reply-x${rate}-idle.trace.json`);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
      await message().fill("", { timeout: 10_000 });
      return await p.evaluate(
        ({ n, streamingKeys }) => {
          const b = (window as unknown as BenchWindow).__bench;
          b.stopFrames();
          b.keysOn = false;
          const frames = b.frames.slice(n);
          const deltas = frames.filter((f) => f.type === "stream_delta");
          const t0 = deltas[0].t;
          const t1 = frames.find((f) => f.type === "response_complete")!.t;
          const raf = b.rafTimes.filter((t) => t >= t0 && t <= t1);
          const gaps = raf.slice(1).map((t, i) => t - raf[i]);
          const lastThird = raf.filter((t) => t >= t1 - (t1 - t0) / 3);
          const longTasks = b.longTasks.filter((l) => l.start + l.duration >= t0 && l.start <= t1);
          return {
            streamMs: t1 - t0,
            replyChars: deltas.reduce((sum, f) => sum + f.textLen, 0),
            frames: raf.length,
            fps: (raf.length / (t1 - t0)) * 1000,
            fpsLastThird: (lastThird.length / ((t1 - t0) / 3)) * 1000,
            gaps,
            longTasks: longTasks.length,
            longestTask: longTasks.reduce((m, l) => Math.max(m, l.duration), 0),
            keys: streamingKeys,
            idleKeys: [...b.keyLatencies],
          };
        },
        { n: n0, streamingKeys },
      );
    } finally {
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 }).catch(() => {});
      await cdp.detach().catch(() => {});
    }
  }

  const longReplyFigures = (r: Awaited<ReturnType<typeof longReply>>) => ({
    streamMs: r.streamMs,
    replyChars: r.replyChars,
    fps: r.fps,
    fpsLastThird: r.fpsLastThird,
    frameGap: stat(r.gaps),
    longTasks: r.longTasks,
    longestTask: r.longestTask,
    keys: stat(r.keys),
    idleKeys: stat(r.idleKeys),
  });

  test("a 12,000-character reply, normal CPU, typing meanwhile", async () => {
    results.longReply = longReplyFigures(await longReply(1));
  });

  test("a 12,000-character reply, CPU slowed 4×, typing meanwhile", async () => {
    results.longReplySlow = longReplyFigures(await longReply(4));
  });

  test.skipIf(ONLY_LONG_REPLY)("build size", () => {
    results.build = buildSize();
  });

  test("everything stops; the report is written", async () => {
    const st = s();
    const errors = st.pageErrors.filter((e) => !/401|Failed to load resource/.test(e));
    const serverPid = st.server.pid;
    await st.stop();
    // The browser, the server and every CLI it started are gone.
    const deadline = Date.now() + 5_000;
    while (descendantsOf(process.pid).length && Date.now() < deadline) await delay(100);
    expect(descendantsOf(process.pid), "processes left below the bench").toEqual([]);
    expect(isAlive(serverPid)).toBe(false);
    expect(ownedProcesses(serverPid)).toEqual([]);
    const ps = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() && Number(l.trim().split(/\s+/)[1]) === serverPid);
    expect(ps).toEqual([]);
    expect(errors, "errors in the page").toEqual([]);

    if (ONLY_LONG_REPLY) {
      console.log(writeLongReplyOnly(results));
      return;
    }
    const report = writeReport(results, browserVersion);
    console.log(report);
  });
});

// ---------------------------------------------------------------------------------------
// The report.

type Results = {
  load: { keyScreen: { painted: Stat; fcp: Stat; domContentLoaded: Stat }; connected: { painted: Stat; wsOpen: Stat } };
  newSession: { painted: Stat; readyFrame: Stat; frameToPainted: Stat; sources: Record<string, number> };
  message: { userPainted: Stat; received: Stat; firstDeltaFrame: Stat; frameToPainted: Stat; tokenPainted: Stat };
  reconnect: {
    closedToOpen: number;
    openToHistoryFrame: number;
    openToFirstDeltaFrame: number;
    openToPainted: number;
    firstDeltaChars: number;
    replyChars: number;
  };
  render: {
    streamMs: number;
    deltaFrames: number;
    replyChars: number;
    commits: number;
    commitsPerSecond: number;
    fps: number;
    maxFrameGap: number;
    longTasks: number;
    longestTask: number;
    wallMs: number;
    mainThread: { taskMs: number; scriptMs: number; layoutMs: number; styleMs: number; busy: number };
  };
  longReply: LongReply;
  longReplySlow: LongReply;
  build: BuildSize;
};

type LongReply = {
  streamMs: number;
  replyChars: number;
  fps: number;
  fpsLastThird: number;
  frameGap: Stat;
  longTasks: number;
  longestTask: number;
  keys: Stat;
  idleKeys: Stat;
};

function longReplyRows(label: string, r: LongReply): string {
  return `| ${label}: ${r.replyChars.toLocaleString("en-US")} characters in ${(r.streamMs / 1000).toFixed(1)} s, frames painted per second (whole reply / its last third) | ${r.fps.toFixed(1)} / ${r.fpsLastThird.toFixed(1)} |
| … time between frames, p50 / p95 / max | ${ms(r.frameGap.median)} / ${ms(r.frameGap.p95)} / ${ms(r.frameGap.max)} |
| … keystroke → painted while it streams, p50 / p95 / max (${r.keys.n} keys) | ${ms(r.keys.median)} / ${ms(r.keys.p95)} / ${ms(r.keys.max)} |
| … keystroke → painted once it has ended (nothing streaming), p50 / p95 (${r.idleKeys.n} keys) | ${ms(r.idleKeys.median)} / ${ms(r.idleKeys.p95)} |
| … long tasks (> 50 ms): count / longest | ${r.longTasks} / ${r.longTasks ? ms(r.longestTask) : "–"} |`;
}

/** `BENCH_ONLY=long-reply`: the long-reply rows, printed and written to `target/bench/ui-long-reply.json`. */
function writeLongReplyOnly(raw: Record<string, unknown>): string {
  const r = raw as Partial<Results>;
  const rows = [
    r.longReply && longReplyRows("long reply, normal CPU", r.longReply),
    r.longReplySlow && longReplyRows("long reply, browser CPU slowed 4× (DevTools throttling)", r.longReplySlow),
  ].filter(Boolean);
  if (!rows.length) throw new Error("no long-reply figures: the measurement failed");
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(
    path.join(OUT_DIR, "ui-long-reply.json"),
    JSON.stringify({ date: new Date().toISOString(), server: path.relative(REPO_ROOT, serverBinary()), longReply: r.longReply, longReplySlow: r.longReplySlow }, null, 2) + "\n",
  );
  return rows.join("\n");
}

function writeReport(raw: Record<string, unknown>, browserVersion: string): string {
  for (const k of ["load", "newSession", "message", "reconnect", "render", "longReply", "longReplySlow", "build"]) {
    if (!(k in raw)) throw new Error(`no ${k} figures: an earlier measurement failed`);
  }
  const r = raw as Results;
  const { load, newSession: ns, message: m, reconnect: rc, render: rd, build } = r;
  const sum = (pred: (f: BuildSize["files"][number]) => boolean, key: "raw" | "gzip" | "brotli") =>
    build.files.filter(pred).reduce((a, f) => a + f[key], 0);
  const size = (pred: (f: BuildSize["files"][number]) => boolean) =>
    `${kib(sum(pred, "raw"))} (${kib(sum(pred, "gzip"))} gzip; sent: ${kib(sum(pred, "brotli"))} brotli)`;
  const sources = Object.entries(ns.sources)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  const mt = rd.mainThread;
  const pctOf = (x: number) => `${Math.round((x / rd.wallMs) * 100)} %`;

  const md = `## Web UI (browser)

| figure | value |
|---|---|
| page load → key screen painted, first visit (empty cache), median / max (${load.keyScreen.painted.n} loads) | ${ms(load.keyScreen.painted.median)} / ${ms(load.keyScreen.painted.max)} |
| … first contentful paint (as presented), median | ${ms(load.keyScreen.fcp.median)} |
| page load → "Connected" painted, key remembered (reload), median / max (${load.connected.painted.n} reloads) | ${ms(load.connected.painted.median)} / ${ms(load.connected.painted.max)} |
| … WebSocket open, median | ${ms(load.connected.wsOpen.median)} |
| "New session" click → session ready on screen, p50 / p95 (${ns.painted.n} runs: ${sources}) | ${ms(ns.painted.median)} / ${ms(ns.painted.p95)} |
| … click → \`session_ready\` frame (server), p50 | ${ms(ns.readyFrame.median)} |
| Enter → message on screen, p50 / p95 (${m.userPainted.n} messages) | ${ms(m.userPainted.median)} / ${ms(m.userPainted.p95)} |
| Enter → first token painted, p50 / p95 | ${ms(m.tokenPainted.median)} / ${ms(m.tokenPainted.p95)} |
| … Enter → \`message_received\` frame, p50 | ${ms(m.received.median)} |
| … Enter → first \`stream_delta\` frame (server, CLI, demo model), p50 | ${ms(m.firstDeltaFrame.median)} |
| … first \`stream_delta\` frame → painted (the UI), p50 / max | ${ms(m.frameToPainted.median)} / ${ms(m.frameToPainted.max)} |
| network drop mid-stream: socket open again → first replayed text painted | ${ms(rc.openToPainted)} |
| … socket open → \`session_history\` / first \`stream_delta\` frame (${rc.firstDeltaChars} characters) | ${ms(rc.openToHistoryFrame)} / ${ms(rc.openToFirstDeltaFrame)} |
| … socket closed → open again (3 s back-off by design, ticket, handshake) | ${ms(rc.closedToOpen)} |
| … reply after reconnecting vs after a reload | identical (${rc.replyChars} characters, every word once) |
| long reply streaming (${rd.deltaFrames} \`stream_delta\` frames, ${rd.replyChars} characters, ${(rd.streamMs / 1000).toFixed(1)} s): React commits | ${rd.commits} (${rd.commitsPerSecond.toFixed(1)}/s) |
| … frames painted per second / longest gap between frames | ${rd.fps.toFixed(1)} / ${ms(rd.maxFrameGap)} |
| … long tasks (> 50 ms): count / longest | ${rd.longTasks} / ${rd.longTasks ? ms(rd.longestTask) : "–"} |
| … main thread busy from Enter to the reply's end (script / layout / style) | ${pctOf(mt.taskMs)} (${pctOf(mt.scriptMs)} / ${pctOf(mt.layoutMs)} / ${pctOf(mt.styleMs)}) |
${longReplyRows("long reply, normal CPU", r.longReply)}
${longReplyRows("long reply, browser CPU slowed 4× (DevTools throttling)", r.longReplySlow)}
| build: JS loaded with the page | ${size((f) => f.kind === "js" && f.initial)} |
| build: JS loaded later (markdown, highlighting) | ${size((f) => f.kind === "js" && !f.initial)} |
| build: CSS | ${size((f) => f.kind === "css")} |

Headless Chromium ${browserVersion.split(".")[0]} against the release server with its built-in demo model (20 ms per token), through a loopback TCP proxy, so a reply's length is the model's pacing and the figures are what the UI and server add. Times are taken inside the page with \`performance.now()\` from navigation start, the click or the Enter key: a MutationObserver sees the DOM change, and "painted" is the first task after the frame that paints it. WebSocket frames are time-stamped by a wrapper of \`window.WebSocket\` installed before the app loads. Sessions are created with \`PREWARM_POOL_SIZE=${POOL_SIZE}\` and the pool refilled before each click. React commits are counted through a stub devtools hook, long tasks with \`PerformanceObserver\`, frames with a \`requestAnimationFrame\` loop, main-thread time with the DevTools \`Performance\` metrics. The long-reply rows stream the demo's 12,000-character markdown reply (a message asking for a "long reply") while a key is pressed in the message box about every 100 ms; keystroke latency runs from the key event's time stamp to the first paint after the box changed, and the slowed run uses DevTools' \`Emulation.setCPUThrottlingRate\` (4) on the page. Sizes are of \`web/dist/assets\`: raw, gzip at Node's default level, and the brotli copy the build writes and the server sends.
`;
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, "ui.md"), md);
  writeFileSync(
    path.join(OUT_DIR, "ui.json"),
    JSON.stringify({ date: new Date().toISOString(), chromium: browserVersion, server: path.relative(REPO_ROOT, serverBinary()), ...raw }, null, 2) + "\n",
  );
  return md;
}
