import { describe, expect, it } from "vitest";
import { ev, listed, resetSeqs, setup, summary } from "../../../test/stores";
import { titleFrom } from "./sessions-store";

const A = "11111111-1111-4111-8111-111111111111";

describe("creating a session", () => {
  it("sends a first message once the new session it creates is ready", () => {
    resetSeqs();
    const t = setup();
    expect(t.chat().sendMessage("hello")).toBeNull();
    expect(t.sent).toEqual([{ type: "create_session" }]);
    t.recv({ type: "session_creating" }, ev(A, { type: "session_ready", session: summary(A), source: "pre-warmed" }));
    expect(t.chat().currentId).toBe(A);
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", session_id: A, text: "hello" });
  });

  it("a create lost with the connection, or refused, does not leave New session disabled", () => {
    resetSeqs();
    const t = setup();
    t.sessions().createSession();
    expect(t.sessions().creating).toBe(true);
    t.connection().setStatus("reconnecting");
    expect(t.sessions().creating).toBe(false);
    t.connection().setStatus("connected");
    t.sessions().createSession();
    t.recv({ type: "error", code: "internal", message: "Could not start a session." });
    expect(t.sessions().creating).toBe(false);
    expect(t.notice().notice?.text).toBe("Could not start a session.");
  });
});

describe("conversation controls", () => {
  it("a new session is created with the options chosen before it existed", () => {
    resetSeqs();
    const t = setup();
    t.sessions().setNewOptions({ model: "sonnet" });
    t.sessions().setNewOptions({ permission_mode: "plan" });
    t.sessions().createSession();
    expect(t.sent).toEqual([{ type: "create_session", model: "sonnet", permission_mode: "plan" }]);
  });

  it("a switch is sent, and the session's summary follows session_options", () => {
    resetSeqs();
    const t = setup();
    t.recv({ type: "session_list", sessions: [listed(A)], next_cursor: null });
    t.sessions().setOptions(A, { effort: "high" });
    expect(t.sent.at(-1)).toEqual({ type: "set_session_options", session_id: A, effort: "high" });
    t.recv(ev(A, { type: "session_options", model: "haiku", effort: "high", permission_mode: "acceptEdits" }));
    expect(t.sessions().sessions[0]).toMatchObject({ model: "haiku", effort: "high", permission_mode: "acceptEdits" });
  });
});

describe("the paged list", () => {
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  const at = (n: number) => `2026-11-24T10:${String(59 - n).padStart(2, "0")}:00.000000Z`;
  const page = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => listed(id(from + i), { last_active_at: at(from + i) }));

  it("loads more with the cursor, and a new first page keeps the rows loaded below it", async () => {
    const calls: Array<string | null | undefined> = [];
    const t = setup({
      sessionsApi: {
        list: async (o) => {
          calls.push(o.cursor);
          return { sessions: page(3, 6), next_cursor: null };
        },
        patch: async () => listed(id(0)),
        purge: async () => {},
      },
    });
    t.recv({ type: "session_list", sessions: page(0, 3), next_cursor: "c1" });
    await t.sessions().loadMore();
    expect(calls).toEqual(["c1"]);
    expect(t.sessions().sessions.map((s) => s.session_id)).toEqual([0, 1, 2, 3, 4, 5].map(id));
    expect(t.sessions().nextCursor).toBeNull();
    // A session became active: the server's first page now leads with it.
    t.recv({ type: "session_list", sessions: [listed(id(4), { last_active_at: "2026-11-24T11:00:00.000000Z" }), ...page(0, 2)], next_cursor: "c2" });
    expect(t.sessions().sessions.map((s) => s.session_id)).toEqual([4, 0, 1, 2, 3, 5].map(id));
  });

  it("a first message titles a row and every message is its preview; rename sends rename_session", () => {
    resetSeqs();
    const t = setup();
    t.recv({ type: "session_list", sessions: [listed(A)], next_cursor: null });
    t.recv(ev(A, { type: "message_received", seq: 1, text: "Fix the login bug\nplease" }));
    expect(t.sessions().sessions[0]).toMatchObject({ title: "Fix the login bug", preview: "Fix the login bug please" });
    t.recv(ev(A, { type: "message_received", seq: 2, text: "and more" }));
    expect(t.sessions().sessions[0]).toMatchObject({ title: "Fix the login bug", preview: "and more" });
    t.sessions().rename(A, "  Auth  ");
    expect(t.sent.at(-1)).toEqual({ type: "rename_session", session_id: A, title: "Auth" });
    expect(t.sessions().sessions[0].title).toBe("Auth");
  });

  it("titles follow the server's rule", () => {
    expect(titleFrom("Please look at the deployment script and tell me why the staging servers never restart")).toBe(
      "Please look at the deployment script and tell me why the…",
    );
    expect(titleFrom("x".repeat(100))).toBe(`${"x".repeat(60)}…`);
    expect(titleFrom("  \n")).toBeNull();
  });
});

describe("forking", () => {
  const B = "22222222-2222-4222-8222-222222222222";

  it("forks before the chosen stored user message and puts the fork first", async () => {
    const forked: Array<[string, number]> = [];
    const t = setup({
      sessionsApi: {
        list: async () => ({ sessions: [], next_cursor: null }),
        patch: async () => listed(A),
        purge: async () => {},
        history: async () => [
          { seq: 1, kind: "user" },
          { seq: 2, kind: "assistant" },
          { seq: 3, kind: "tool_use" },
          { seq: 5, kind: "user" },
        ],
        fork: async (id, beforeSeq) => {
          forked.push([id, beforeSeq]);
          return listed(B, { title: "Fork of X", forked_from: A, status: "suspended" });
        },
      },
    });
    t.recv({ type: "session_list", sessions: [listed(A)], next_cursor: null });
    expect(await t.sessions().fork(A, 1)).toBe(B);
    expect(forked).toEqual([[A, 5]]);
    expect(t.sessions().sessions.map((s) => s.session_id)).toEqual([B, A]);
    // A message that is not stored (yet) is said so, and nothing is forked.
    expect(await t.sessions().fork(A, 2)).toBeNull();
    expect(forked).toHaveLength(1);
    expect(t.notice().notice?.text).toMatch(/^Could not fork the session/);
  });
});

describe("kept worktrees", () => {
  const project = (kept: string[]) => ({
    projects: [{ name: "alpha", path: "alpha", default: false, git: true, branch: "main", dirty: false, session_count: 1, kept_worktrees: kept.map((id) => ({ session_id: id, branch: `claude/${id.slice(0, 8)}` })) }],
    default_isolation: "none" as const,
  });

  it("removes one with force, lists the projects again, and shows a refusal's message", async () => {
    const removed: Array<[string, string]> = [];
    let kept = [A];
    let refuse = false;
    const t = setup({
      sessionsApi: {
        list: async () => ({ sessions: [], next_cursor: null }),
        patch: async () => listed(A),
        purge: async () => {},
        projects: async () => project(kept),
        removeWorktree: async (p, id) => {
          if (refuse) throw new Error("The session has not ended; its worktree is in use.");
          removed.push([p, id]);
          kept = [];
        },
      },
    });
    await t.sessions().refreshProjects();
    expect(t.sessions().projects?.projects[0].kept_worktrees).toHaveLength(1);
    await t.sessions().removeKeptWorktree("alpha", A);
    expect(removed).toEqual([["alpha", A]]);
    expect(t.sessions().projects?.projects[0].kept_worktrees).toEqual([]);
    refuse = true;
    await t.sessions().removeKeptWorktree("alpha", A);
    expect(t.notice().notice?.text).toBe("Could not remove the worktree: The session has not ended; its worktree is in use.");
  });
});
