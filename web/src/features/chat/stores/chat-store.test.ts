import { describe, expect, it, vi } from "vitest";
import type { ClientFrame, StoredMessage } from "../../../types/protocol";
import { ev, listed, open, resetSeqs, setup, storesHarness, texts, turn } from "../../../test/stores";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";

describe("chat store", () => {
  it("buffers deltas until the next frame, then applies them at once", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    expect(t.chat().sendMessage("hi")).toBeNull();
    const renders: number[] = [];
    t.stores.chat.subscribe(() => renders.push(1));
    t.recv(ev(A, { type: "message_received", seq: 1, text: "hi" }));
    renders.length = 0;
    t.recv(
      ev(A, { type: "stream_delta", text: "Hel" }),
      ev(A, { type: "stream_delta", text: "lo " }),
      ev(A, { type: "stream_delta", text: "there" }),
    );
    expect(renders).toHaveLength(0);
    expect(texts(t, A)).toEqual(["user:hi"]);
    t.runFrame();
    expect(renders).toHaveLength(1);
    expect(texts(t, A)).toEqual(["user:hi", "assistant:Hello there"]);
    expect(t.chat().views[A].streaming).toBe(true);
    expect(t.chat().views[A].lastEventSeq).toBe(5);
  });

  it("finalizes the turn on response_complete, flushing buffered text first", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("hi");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "hi" }),
      ev(A, { type: "stream_delta", text: "Done." }),
      ev(A, { type: "response_complete", cost_usd: 0.01, total_cost_usd: 0.03, usage: {}, duration_ms: 5, num_turns: 1 }),
    );
    const v = t.chat().views[A];
    expect(texts(t, A)).toEqual(["user:hi", "assistant:Done."]);
    expect(v.running).toBe(false);
    expect(v.streaming).toBe(false);
    expect(v.lastCost).toBe(0.01);
    expect(v.totalCost).toBe(0.03);
    expect(t.sessions().sessions[0].total_cost_usd).toBe(0.03);
  });

  it("shows the user's message at once and confirms it on message_received", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    expect(t.chat().sendMessage("  hello  ")).toBeNull();
    const sent = t.sent.at(-1) as Extract<ClientFrame, { type: "user_message" }>;
    expect(sent).toMatchObject({ type: "user_message", session_id: A, text: "hello" });
    const item = () => t.chat().views[A].live[0];
    expect(item()).toMatchObject({ kind: "user", text: "hello", state: "sending" });
    expect(t.chat().views[A].running).toBe(true);
    expect(t.chat().sendMessage("again")).toMatch(/Wait for the reply/);
    t.recv(ev(A, { type: "message_received", seq: sent.seq, text: "hello" }));
    expect(item()).toMatchObject({ kind: "user", state: "sent" });
    expect(t.chat().views[A].live).toHaveLength(1);
  });

  it("marks a refused message as not sent", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("hello");
    t.recv({ type: "error", code: "session_not_found", message: "No session with that id.", session_id: A });
    expect(t.chat().views[A].live[0]).toMatchObject({ state: "failed", error: "No session with that id." });
    expect(t.chat().views[A].running).toBe(false);
  });

  it("keeps a history per session across switches", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    turn(t, A, "to A", "reply A", 1);
    open(t, B);
    expect(t.chat().currentId).toBe(B);
    turn(t, B, "to B", "reply B", 2);
    t.chat().switchSession(A);
    expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 4 });
    expect(texts(t, A)).toEqual(["user:to A", "assistant:reply A"]);
    expect(texts(t, B)).toEqual(["user:to B", "assistant:reply B"]);
  });

  it("loads a session's history from session_history after a reload", () => {
    resetSeqs();
    const t = setup();
    t.recv({ type: "session_list", sessions: [listed(A)], next_cursor: null });
    t.chat().switchSession(A);
    expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 0 });
    const messages: StoredMessage[] = [
      { seq: 1, kind: "user", payload: { text: "list files" }, created_at: "" },
      { seq: 2, kind: "assistant", payload: { text: "Let me look." }, created_at: "" },
      { seq: 3, kind: "tool_use", payload: { tool_use_id: "t1", name: "Bash", input: { command: "ls" } }, created_at: "" },
      { seq: 4, kind: "tool_result", payload: { tool_use_id: "t1", is_error: false, content: "a b", duration_ms: 1200 }, created_at: "" },
      { seq: 5, kind: "assistant", payload: { text: "Two files." }, created_at: "" },
      { seq: 6, kind: "notice", payload: { text: "[Response interrupted]", kind: "interrupted" }, created_at: "" },
    ];
    t.recv({ type: "session_history", session_id: A, messages, last_event_seq: 12 });
    expect(texts(t, A)).toEqual([
      "user:list files",
      "assistant:Let me look.",
      "tool:Bash:done",
      "assistant:Two files.",
      "notice:[Response interrupted]",
    ]);
  });

  it("retracts abandoned text and shows interrupts, errors and tools", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("go");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "go" }),
      ev(A, { type: "stream_delta", text: "Let me check. Oops" }),
      ev(A, { type: "stream_retracted", text: " Oops" }),
      ev(A, { type: "tool_use", tool_use_id: "t1", name: "Bash", input: { command: "ls" } }),
      ev(A, { type: "permission_request", request_id: "r1", tool_name: "Bash", input: { command: "ls" }, reason: "needs approval" }),
    );
    expect(t.chat().views[A].permission?.requestId).toBe("r1");
    t.chat().answerPermission({ allow: true });
    expect(t.sent.at(-1)).toEqual({ type: "permission_response", session_id: A, request_id: "r1", allow: true });
    t.recv(
      ev(A, { type: "tool_result", tool_use_id: "t1", is_error: true, content: "denied", duration_ms: 1500 }),
      ev(A, { type: "stream_delta", text: "Partial" }),
    );
    t.chat().interrupt();
    expect(t.sent.at(-1)).toEqual({ type: "interrupt", session_id: A });
    t.recv(ev(A, { type: "stream_interrupted" }));
    expect(texts(t, A)).toEqual([
      "user:go",
      "assistant:Let me check.",
      "tool:Bash:error",
      "assistant:Partial",
      "notice:[Response interrupted]",
    ]);
    t.chat().sendMessage("again");
    t.recv(
      ev(A, { type: "message_received", seq: 2, text: "again" }),
      ev(A, { type: "stream_error", code: "internal", message: "The AI service failed.", suggested_action: "retry", partial_preserved: false }),
    );
    expect(texts(t, A).at(-1)).toBe("error:internal");
    t.chat().retry();
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", text: "again" });
  });

  it("a denial, live or in a history, is Denied rather than an error; Allow for this session waits for the server", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("go");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "go" }),
      ev(A, { type: "tool_use", tool_use_id: "t1", name: "Bash", input: { command: "ls" } }),
      ev(A, { type: "permission_request", request_id: "r1", tool_name: "Bash", input: { command: "ls" }, reason: "" }),
    );
    const before = t.sent.length;
    t.chat().answerPermission({ allow: true, scope: "session" });
    expect(t.sent).toHaveLength(before);
    expect(t.chat().views[A].permission?.requestId).toBe("r1");
    t.chat().answerPermission({ allow: false, reason: "  " });
    expect(t.sent.at(-1)).toMatchObject({ allow: false, message: "The user denied this request." });
    // Whatever the CLI says in the result, it is our denial.
    t.recv(ev(A, { type: "tool_result", tool_use_id: "t1", is_error: true, content: "Denied.", duration_ms: 1 }));
    expect(texts(t, A)).toContain("tool:Bash:denied");

    t.recv({
      type: "session_history",
      session_id: A,
      messages: [
        { seq: 1, kind: "tool_use", payload: { tool_use_id: "a", name: "Bash", input: {} }, created_at: "" },
        { seq: 2, kind: "tool_result", payload: { tool_use_id: "a", is_error: true, content: "The user denied this request: no" }, created_at: "" },
        { seq: 3, kind: "tool_use", payload: { tool_use_id: "b", name: "Bash", input: {} }, created_at: "" },
        { seq: 4, kind: "tool_result", payload: { tool_use_id: "b", is_error: true, content: "Nobody answered this permission request in time, so it was denied." }, created_at: "" },
        { seq: 5, kind: "tool_use", payload: { tool_use_id: "c", name: "Bash", input: {} }, created_at: "" },
        { seq: 6, kind: "tool_result", payload: { tool_use_id: "c", is_error: true, content: "exit 1" }, created_at: "" },
      ],
    });
    expect(t.chat().views[A].history.map((i) => (i.kind === "tool" ? i.status : i.kind))).toEqual(["denied", "denied", "error"]);
  });

  it("Allow for this session sends remember where the request says what it grants; an answer from elsewhere closes the request", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("go");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "go" }),
      ev(A, { type: "tool_use", tool_use_id: "t1", name: "Bash", input: { command: "npm run build" } }),
      ev(A, { type: "permission_request", request_id: "r1", tool_name: "Bash", input: { command: "npm run build" }, reason: "", tool_use_id: "t1", suggestions: [], session_rules: ["Bash(npm run *)"] }),
    );
    expect(t.chat().views[A].permission?.sessionRules).toEqual(["Bash(npm run *)"]);
    t.chat().answerPermission({ allow: true, scope: "session" });
    expect(t.sent.at(-1)).toEqual({ type: "permission_response", session_id: A, request_id: "r1", allow: true, remember: true });
    expect(t.chat().views[A].permission).toBeNull();

    // The next request is answered from another connection: this one stops asking.
    t.recv(
      ev(A, { type: "tool_use", tool_use_id: "t2", name: "Bash", input: { command: "rm x" } }),
      ev(A, { type: "permission_request", request_id: "r2", tool_name: "Bash", input: { command: "rm x" }, reason: "", session_rules: [] }),
    );
    expect(t.chat().views[A].permission?.requestId).toBe("r2");
    t.recv(ev(A, { type: "permission_answered", request_id: "r2", allow: false, remember: false }));
    expect(t.chat().views[A].permission).toBeNull();
    // The server says it was a denial, whatever the text.
    t.recv(ev(A, { type: "tool_result", tool_use_id: "t2", is_error: true, content: "Not now.", duration_ms: 1, denied: true }));
    expect(texts(t, A).at(-1)).toBe("tool:Bash:denied");

    t.chat().revokeRule("Bash(npm run *)");
    expect(t.sent.at(-1)).toEqual({ type: "revoke_permission", session_id: A, rule: "Bash(npm run *)" });
  });

  it("keeps each session's live state from session_state, whichever session is open", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.recv({ type: "session_state", session_id: B, state: "waiting_for_approval", permission: { request_id: "r", tool_name: "Bash", reason: "" }, allowed: [] });
    expect(t.sessions().states[B]?.state).toBe("waiting_for_approval");
    t.recv({ type: "session_state", session_id: B, state: "running", allowed: ["Edit"] });
    expect(t.sessions().states[B]).toMatchObject({ state: "running", allowed: ["Edit"] });
  });

  it("closes the permission request when it is withdrawn", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.recv(ev(A, { type: "permission_request", request_id: "r9", tool_name: "Bash", input: {}, reason: "" }));
    t.recv(ev(A, { type: "permission_cancelled", request_id: "r9" }));
    expect(t.chat().views[A].permission).toBeNull();
  });

  it("Retry works for a turn seen only as a replay", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.recv(
      ev(A, { type: "message_received", seq: 7, text: "from another tab" }),
      ev(A, { type: "stream_error", code: "internal", message: "failed", suggested_action: "retry", partial_preserved: false }),
    );
    t.chat().retry();
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", text: "from another tab" });
  });

  it("on server_shutting_down shows the time left and keeps streaming the reply", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("hi");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "hi" }),
      ev(A, { type: "stream_delta", text: "Once upon " }),
      {
        type: "server_shutting_down",
        message: "The server is restarting. A reply being written has up to 25 s to finish; your sessions are kept and the page reconnects by itself.",
        grace_seconds: 25,
      },
      ev(A, { type: "stream_delta", text: "a time." }),
    );
    expect(t.notice().notice).toMatchObject({ tone: "info" });
    expect(t.notice().notice?.text).toContain("25 s");
    expect(t.chat().views[A].running).toBe(true);
    t.recv(ev(A, { type: "response_complete", cost_usd: 0, total_cost_usd: 0, usage: {}, duration_ms: 1, num_turns: 1 }));
    expect(texts(t, A)).toEqual(["user:hi", "assistant:Once upon a time."]);
    expect(t.chat().views[A].running).toBe(false);
  });

  it("keeps a draft per session", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().setDraft("for A");
    open(t, B);
    expect(t.chat().drafts[B] ?? "").toBe("");
    t.chat().setDraft("for B");
    t.chat().switchSession(A);
    expect(t.chat().drafts[A]).toBe("for A");
  });
});

describe("opening a session that is not running", () => {
  /** Connected stores that reopen session A (as after a reload); stored messages come from REST. */
  function withHistory(loaded: StoredMessage[]) {
    const t = storesHarness({ schedule: (fn) => fn(), loadHistory: async () => loaded, initialSessionId: A });
    t.connection().setStatus("connected");
    return t;
  }
  const stored: StoredMessage[] = [
    { seq: 1, kind: "user", payload: { text: "hi" }, created_at: "" },
    { seq: 2, kind: "assistant", payload: { text: "hello" }, created_at: "" },
  ];

  it("a remembered session that has ended shows its history with Resume", async () => {
    const t = withHistory(stored);
    t.chat().resubscribe();
    expect(t.sent).toEqual([{ type: "switch_session", session_id: A, after_seq: 0 }]);
    t.recv({ type: "session_list", sessions: [listed(A, { status: "terminated", is_resumable: true })], next_cursor: null });
    t.recv({ type: "error", code: "not_resumable", message: "This session has ended.", session_id: A });
    expect(t.chat().views[A].terminated).toMatchObject({ resumable: true });
    await vi.waitFor(() => expect(t.chat().views[A].historyLoaded).toBe(true));
    expect(t.chat().views[A].history.map((i) => i.kind)).toEqual(["user", "assistant"]);
  });

  it("a suspended session is shown from its history without waking it; a message wakes it", async () => {
    const t = withHistory(stored);
    t.recv({ type: "session_list", sessions: [listed(B, { status: "suspended" })], next_cursor: null });
    t.chat().switchSession(B);
    expect(t.sent).toEqual([]);
    await vi.waitFor(() => expect(t.chat().views[B].historyLoaded).toBe(true));
    expect(t.chat().views[B].dormant).toBe(true);
    t.chat().resubscribe(); // a reconnect does not wake it either
    expect(t.sent.filter((f) => "session_id" in f && f.session_id === B)).toEqual([]);
    expect(t.chat().sendMessage("wake up")).toBeNull();
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", session_id: B, text: "wake up" });
  });

  it("an admin reads another user's session from its history and never opens it", async () => {
    const t = storesHarness({ schedule: (fn) => fn(), loadHistory: async () => stored, myUserId: () => "me" });
    t.connection().setStatus("connected");
    t.recv({
      type: "session_list",
      sessions: [{ ...listed(B), user_id: "alice-id", user_name: "alice" }, { ...listed(A), user_id: "me" }],
    });
    t.chat().switchSession(B);
    expect(t.sent).toEqual([]);
    await vi.waitFor(() => expect(t.chat().views[B].historyLoaded).toBe(true));
    expect(t.chat().views[B].readOnly).toEqual({ owner: "alice" });
    t.chat().resubscribe(); // a reconnect does not open it either
    expect(t.sent).toEqual([]);
    // One's own session opens as usual.
    t.chat().switchSession(A);
    expect(t.sent).toEqual([{ type: "switch_session", session_id: A, after_seq: 0 }]);
  });
});
