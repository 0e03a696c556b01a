// The real server binary as a child process, for the end-to-end tests.
//
// Every server gets fresh temp directories (database, workspace, and a HOME plus
// CLAUDE_CONFIG_DIR for the Claude CLI, so the CLI never reads or writes the machine's own
// ~/.claude), a random key, port 0 on loopback, and an environment built from scratch:
// nothing of the outer environment (ANTHROPIC_API_KEY, tokens, base URLs, …) reaches it
// except PATH and TMPDIR. With no model credentials the server runs its built-in demo model.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The `web/` directory. */
export const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));
/** The repository root (the server's working directory, where it finds `web/dist`). */
export const REPO_ROOT = path.resolve(WEB_DIR, "..");
/** Where a failed test leaves the server log and a screenshot (git-ignored). */
export const ARTIFACTS_DIR = path.join(WEB_DIR, "e2e-artifacts");

const LISTEN_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const KILL_WAIT_MS = 5_000;

/** `SERVER_BIN` (relative to `web/` when relative), else the debug build under `CARGO_TARGET_DIR`. */
export function serverBinary(): string {
  const fromEnv = process.env.SERVER_BIN;
  if (fromEnv) return path.resolve(WEB_DIR, fromEnv);
  const target = path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR || "target");
  return path.join(target, "debug", "claude-sdk-pattern");
}

/** The Claude Code CLI `make setup` installs. */
export function cliBinary(): string {
  return path.join(REPO_ROOT, ".tools", "claude-cli", "node_modules", ".bin", "claude");
}

/** Throws a readable error when the server binary or the CLI is missing. */
export function checkPrerequisites(): void {
  const bin = serverBinary();
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`server binary not found or not executable: ${bin} (run \`cargo build --locked\` at the repository root, or set SERVER_BIN)`);
  }
  if (!existsSync(cliBinary())) {
    throw new Error(`Claude Code CLI not found at ${cliBinary()} (run \`make setup\`)`);
  }
}

export interface StartServerOptions {
  /** Extra origins allowed to open the WebSocket (e.g. a proxy's `http://127.0.0.1:PORT`). */
  allowedOrigins?: string[];
  /** `PREWARM_POOL_SIZE`; default 1 (one CLI is started and must initialize before ready). */
  prewarmPoolSize?: number;
  /** `PERMISSION_MODE`; default `default` (tool calls ask the browser). */
  permissionMode?: string;
  /** `LOG_LEVEL`; default `debug`. */
  logLevel?: string;
  /** Overrides or additions to the server's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Bound on the wait for `/api/v1/health/ready` to answer 200 (default 30 s). */
  readyTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`, the server itself (not through a proxy). */
  url: string;
  /** The API key (32 hex characters). */
  key: string;
  port: number;
  pid: number;
  /** The temp directories (all removed by `stop()`). */
  dirs: { root: string; workspace: string; home: string; config: string; database: string };
  /** Everything the server wrote so far, stdout and stderr interleaved by line. */
  logs(): string;
  /** The JSON log lines on stdout, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Waits (bounded) for a log line whose `msg` is `msg`; returns it. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Settles when the process exits. */
  exited: Promise<ExitInfo>;
  /**
   * SIGTERM, then SIGKILL after 10 s; then SIGKILL for any process still carrying this
   * server's owner mark (its CLIs and their tools); then removes the temp dirs. Idempotent.
   */
  stop(): Promise<ExitInfo>;
}

/** Servers not yet stopped: killed if the test process exits first. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Live pids whose parent is `ppid`. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid && fields[0] !== "Z") out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Live processes started on behalf of server `pid`: every CLI (and tool) it starts carries
 * `CLAUDE_SDK_PATTERN_OWNER=<pid>` in its environment.
 */
export function ownedProcesses(pid: number): number[] {
  const mark = `CLAUDE_SDK_PATTERN_OWNER=${pid}`;
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(mark) && isAlive(Number(entry))) out.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

export async function startServer(opts: StartServerOptions = {}): Promise<TestServer> {
  checkPrerequisites();
  const root = mkdtempSync(path.join(os.tmpdir(), "csp-e2e-"));
  const dirs = {
    root,
    workspace: path.join(root, "workspace"),
    home: path.join(root, "home"),
    config: path.join(root, "claude-config"),
    database: path.join(root, "data", "e2e.db"),
  };
  for (const d of [dirs.workspace, dirs.home, dirs.config]) mkdirSync(d, { recursive: true });
  const key = randomBytes(16).toString("hex");

  // Built from scratch: no credential or setting of the outer environment leaks in.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: dirs.home,
    CLAUDE_CONFIG_DIR: dirs.config,
    CLAUDE_SDK_PATTERN_API_KEY: key,
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: `sqlite://${dirs.database}`,
    WORKSPACE_DIR: dirs.workspace,
    CLAUDE_CLI_PATH: cliBinary(),
    PREWARM_POOL_SIZE: String(opts.prewarmPoolSize ?? 1),
    PERMISSION_MODE: opts.permissionMode ?? "default",
    LOG_LEVEL: opts.logLevel ?? "debug",
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  if (opts.allowedOrigins?.length) env.ALLOWED_ORIGINS = opts.allowedOrigins.join(",");
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const child = spawn(serverBinary(), [], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const pid = child.pid;
  if (pid === undefined) {
    live.delete(child);
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not spawn ${serverBinary()}`);
  }

  const output: string[] = [];
  const parsed: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve: (line: Record<string, unknown>) => void }> = [];
  const onLine = (line: string, stream: "stdout" | "stderr") => {
    output.push(stream === "stderr" ? `[stderr] ${line}` : line);
    if (stream !== "stdout") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const record = value as Record<string, unknown>;
    parsed.push(record);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].msg === record.msg) waiters.splice(i, 1)[0].resolve(record);
    }
  };
  for (const stream of ["stdout", "stderr"] as const) {
    let pending = "";
    child[stream].setEncoding("utf8");
    child[stream].on("data", (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, nl), stream);
        pending = pending.slice(nl + 1);
      }
    });
    child[stream].on("end", () => {
      if (pending) onLine(pending, stream);
      pending = "";
    });
  }

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const logs = () => output.join("\n");

  const waitForLog = (msg: string, timeoutMs = LISTEN_TIMEOUT_MS) => {
    const seen = parsed.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const waiter = {
        msg,
        resolve: (line: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`no log line "${msg}" within ${timeoutMs} ms; server output:\n${logs()}`));
      }, timeoutMs);
      waiters.push(waiter);
      void exited.then((e) => {
        if (!waiters.includes(waiter)) return;
        waiters.splice(waiters.indexOf(waiter), 1);
        clearTimeout(timer);
        reject(new Error(`server exited (${JSON.stringify(e)}) before logging "${msg}"; output:\n${logs()}`));
      });
    });
  };

  let stopping: Promise<ExitInfo> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exitInfo) {
        child.kill("SIGTERM");
        const graceful = await Promise.race([exited, delay(STOP_GRACE_MS).then(() => undefined)]);
        if (!graceful) {
          child.kill("SIGKILL");
          await Promise.race([exited, delay(KILL_WAIT_MS)]);
        }
      }
      // The CLIs die with the server (parent-death signal); anything still marked as its
      // own (a tool in a session of its own, after a SIGKILL) is killed here.
      const deadline = Date.now() + KILL_WAIT_MS;
      let left = ownedProcesses(pid);
      while (left.length && Date.now() < deadline) {
        await delay(100);
        left = ownedProcesses(pid);
      }
      for (const p of left) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // gone
        }
      }
      rmSync(root, { recursive: true, force: true });
      return exitInfo ?? { code: null, signal: null };
    })();
    return stopping;
  };

  try {
    const listening = await waitForLog("listening", LISTEN_TIMEOUT_MS);
    const addr = String(listening.addr);
    const port = Number(addr.slice(addr.lastIndexOf(":") + 1));
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, opts.readyTimeoutMs ?? READY_TIMEOUT_MS, () => exitInfo, logs);
    return {
      url,
      key,
      port,
      pid,
      dirs,
      logs,
      logLines: () => [...parsed],
      waitForLog,
      exited,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitReady(
  url: string,
  timeoutMs: number,
  exitInfo: () => ExitInfo | undefined,
  logs: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    const exit = exitInfo();
    if (exit) throw new Error(`server exited (${JSON.stringify(exit)}) before it was ready; output:\n${logs()}`);
    try {
      const res = await fetch(`${url}/api/v1/health/ready`, { signal: AbortSignal.timeout(2_000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (e) {
      last = String(e);
    }
    await delay(100);
  }
  throw new Error(`${url}/api/v1/health/ready not 200 within ${timeoutMs} ms (last: ${last}); output:\n${logs()}`);
}
