import { describe, expect, it, vi } from "vitest";
import { createChatStore, validateMessage } from "./chat-store";
import type { ClientFrame, ServerFrame, StoredMessage } from "../../../types/protocol";
import { summary } from "../../../test/harness";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";

/** A store with a recording `send` and a manual frame scheduler. */
function setup() {
  const sent: ClientFrame[] = [];
  const scheduled: Array<() => void> = [];
  const store = createChatStore({
    send: (f) => {
      sent.push(f);
      return true;
    },
    schedule: (fn) => scheduled.push(fn),
    now: () => 1_000,
  });
  const s = () => store.getState();
  const runFrame = () => scheduled.splice(0).forEach((fn) => fn());
  const recv = (...frames: ServerFrame[]) => frames.forEach((f) => s().receive(f));
  s().setConnection("connected");
  return { store, s, sent, runFrame, recv };
}

/** A turn that ended normally, free of charge. */
const DONE = { type: "response_complete", cost_usd: 0, total_cost_usd: 0, usage: {}, duration_ms: 1, num_turns: 1 };

let seqs: Record<string, number> = {};
/** A session event with the next event_seq of its session (or an explicit one). */
function ev(session_id: string, body: Record<string, unknown>, event_seq?: number): ServerFrame {
  const seq = event_seq ?? (seqs[session_id] = (seqs[session_id] ?? 0) + 1);
  if (event_seq !== undefined) seqs[session_id] = event_seq;
  return { session_id, event_seq: seq, ...body } as ServerFrame;
}

/** One whole turn in session `id`: the user's message, a one-delta reply, the end. */
function turn(t: ReturnType<typeof setup>, id: string, question: string, reply: string, seq: number) {
  t.s().sendMessage(question);
  t.recv(
    ev(id, { type: "message_received", seq, text: question }),
    ev(id, { type: "stream_delta", text: reply }),
    ev(id, DONE),
  );
}

/** Creates session `id` the way the server answers `create_session`. */
function open(t: ReturnType<typeof setup>, id: string) {
  seqs[id] = 0;
  t.s().createSession();
  t.recv({ type: "session_creating" }, ev(id, { type: "session_ready", session: summary(id), source: "pre-warmed" }));
}

const texts = (t: ReturnType<typeof setup>, id: string) => {
  const v = t.s().views[id];
  return [...v.history, ...v.live].map((i) => {
    switch (i.kind) {
      case "user":
        return `user:${i.text}`;
      case "assistant":
        return `assistant:${i.text}`;
      case "tool":
        return `tool:${i.name}:${i.status}`;
      case "notice":
        return `notice:${i.text}`;
      case "error":
        return `error:${i.code}`;
    }
  });
};

describe("chat store", () => {
  it("buffers deltas until the next frame, then applies them at once", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    expect(t.s().sendMessage("hi")).toBeNull();
    const renders: number[] = [];
    t.store.subscribe(() => renders.push(1));
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
    expect(t.s().views[A].streaming).toBe(true);
    expect(t.s().views[A].lastEventSeq).toBe(5);
  });

  it("finalizes the turn on response_complete, flushing buffered text first", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.s().sendMessage("hi");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "hi" }),
      ev(A, { type: "stream_delta", text: "Done." }),
      ev(A, { type: "response_complete", cost_usd: 0.01, total_cost_usd: 0.03, usage: {}, duration_ms: 5, num_turns: 1 }),
    );
    const v = t.s().views[A];
    expect(texts(t, A)).toEqual(["user:hi", "assistant:Done."]);
    expect(v.running).toBe(false);
    expect(v.streaming).toBe(false);
    expect(v.lastCost).toBe(0.01);
    expect(v.totalCost).toBe(0.03);
    expect(t.s().sessions[0].total_cost_usd).toBe(0.03);
  });

  it("shows the user's message at once and confirms it on message_received", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    expect(t.s().sendMessage("  hello  ")).toBeNull();
    const sent = t.sent.at(-1) as Extract<ClientFrame, { type: "user_message" }>;
    expect(sent).toMatchObject({ type: "user_message", session_id: A, text: "hello" });
    const item = () => t.s().views[A].live[0];
    expect(item()).toMatchObject({ kind: "user", text: "hello", state: "sending" });
    expect(t.s().views[A].running).toBe(true);
    expect(t.s().sendMessage("again")).toMatch(/Wait for the reply/);
    t.recv(ev(A, { type: "message_received", seq: sent.seq, text: "hello" }));
    expect(item()).toMatchObject({ kind: "user", state: "sent" });
    expect(t.s().views[A].live).toHaveLength(1);
  });

  it("marks a refused message as not sent", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.s().sendMessage("hello");
    t.recv({ type: "error", code: "session_not_found", message: "No session with that id.", session_id: A });
    expect(t.s().views[A].live[0]).toMatchObject({ state: "failed", error: "No session with that id." });
    expect(t.s().views[A].running).toBe(false);
  });

  it("keeps a history per session across switches", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    turn(t, A, "to A", "reply A", 1);
    open(t, B);
    expect(t.s().currentId).toBe(B);
    turn(t, B, "to B", "reply B", 2);
    t.s().switchSession(A);
    expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 4 });
    expect(texts(t, A)).toEqual(["user:to A", "assistant:reply A"]);
    expect(texts(t, B)).toEqual(["user:to B", "assistant:reply B"]);
  });

  it("loads a session's history from session_history after a reload", () => {
    seqs = {};
    const t = setup();
    t.recv({ type: "session_list", sessions: [summary(A)] });
    t.s().switchSession(A);
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

  describe("reconnecting", () => {
    /** A session with one finished turn and a second one streaming (seq 1..7). */
    function midTurn() {
      seqs = {};
      const t = setup();
      open(t, A); // 1
      t.s().sendMessage("first");
      t.recv(
        ev(A, { type: "message_received", seq: 1, text: "first" }), // 2
        ev(A, { type: "stream_delta", text: "one" }), // 3
        ev(A, DONE), // 4
      );
      t.s().sendMessage("second");
      t.recv(
        ev(A, { type: "message_received", seq: 2, text: "second" }), // 5
        ev(A, { type: "stream_delta", text: "Hello " }), // 6
        ev(A, { type: "stream_delta", text: "wor" }), // 7
      );
      t.runFrame();
      return t;
    }
    const storedFirstTurn: StoredMessage[] = [
      { seq: 1, kind: "user", payload: { text: "first" }, created_at: "" },
      { seq: 2, kind: "assistant", payload: { text: "one" }, created_at: "" },
    ];

    it("resumes after the last event: replayed events apply once, nothing is lost", () => {
      const t = midTurn();
      t.s().setConnection("reconnecting");
      t.s().setConnection("connected");
      t.s().resubscribe();
      expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 7 });
      // History of the complete turns, then the running turn after after_seq, then live.
      t.recv(
        { type: "session_history", session_id: A, messages: storedFirstTurn, last_event_seq: 9 },
        ev(A, { type: "stream_delta", text: "ld" }, 8),
        ev(A, DONE, 9),
      );
      expect(texts(t, A)).toEqual(["user:first", "assistant:one", "user:second", "assistant:Hello world"]);
    });

    it("drops events it already has (a second replay of the same events)", () => {
      const t = midTurn();
      t.recv(ev(A, { type: "stream_delta", text: "wor" }, 7), ev(A, { type: "stream_delta", text: "Hello " }, 6));
      t.runFrame();
      expect(texts(t, A).at(-1)).toBe("assistant:Hello wor");
    });

    it("does not double a turn that finished, and was stored, while away", () => {
      const t = midTurn();
      t.recv(
        ev(A, { type: "stream_delta", text: "ld" }, 8),
        ev(A, DONE, 9),
      );
      // Away: another tab asked a third question. The kept turn is now in the history.
      t.s().resubscribe();
      t.recv(
        {
          type: "session_history",
          session_id: A,
          messages: [
            ...storedFirstTurn,
            { seq: 3, kind: "user", payload: { text: "second" }, created_at: "" },
            { seq: 4, kind: "assistant", payload: { text: "Hello world" }, created_at: "" },
          ],
          last_event_seq: 12,
        },
        ev(A, { type: "message_received", seq: 9, text: "third" }, 10),
        ev(A, { type: "stream_delta", text: "three" }, 11),
        ev(A, DONE, 12),
      );
      expect(texts(t, A)).toEqual([
        "user:first",
        "assistant:one",
        "user:second",
        "assistant:Hello world",
        "user:third",
        "assistant:three",
      ]);
    });

    it("starts over when the server's event sequence restarted", () => {
      const t = midTurn();
      t.s().resubscribe();
      t.recv({ type: "session_history", session_id: A, messages: storedFirstTurn, last_event_seq: 1 });
      expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 0 });
      t.recv(
        { type: "session_history", session_id: A, messages: storedFirstTurn, last_event_seq: 1 },
        ev(A, { type: "session_ready", session: summary(A), source: "resumed" }, 1),
      );
      expect(texts(t, A)).toEqual(["user:first", "assistant:one", "notice:Session ready — the conversation was restored."]);
    });

    it("accepts a resumed session's events after it was terminated", () => {
      const t = midTurn();
      t.recv(ev(A, { type: "session_terminated", reason: "idle", resumable: true, message: "Suspended." }, 8));
      t.s().sendMessage("again");
      t.recv(
        ev(A, { type: "session_ready", session: summary(A), source: "resumed" }, 1),
        ev(A, { type: "message_received", seq: 3, text: "again" }, 2),
        ev(A, { type: "stream_delta", text: "back" }, 3),
      );
      t.runFrame();
      expect(texts(t, A).slice(-3)).toEqual([
        "notice:Session ready — the conversation was restored.",
        "user:again",
        "assistant:back",
      ]);
    });
  });

  it("retracts abandoned text and shows interrupts, errors and tools", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.s().sendMessage("go");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "go" }),
      ev(A, { type: "stream_delta", text: "Let me check. Oops" }),
      ev(A, { type: "stream_retracted", text: " Oops" }),
      ev(A, { type: "tool_use", tool_use_id: "t1", name: "Bash", input: { command: "ls" } }),
      ev(A, { type: "permission_request", request_id: "r1", tool_name: "Bash", input: { command: "ls" }, reason: "needs approval" }),
    );
    expect(t.s().views[A].permission?.requestId).toBe("r1");
    t.s().answerPermission(true);
    expect(t.sent.at(-1)).toEqual({ type: "permission_response", session_id: A, request_id: "r1", allow: true });
    t.recv(
      ev(A, { type: "tool_result", tool_use_id: "t1", is_error: true, content: "denied", duration_ms: 1500 }),
      ev(A, { type: "stream_delta", text: "Partial" }),
    );
    t.s().interrupt();
    expect(t.sent.at(-1)).toEqual({ type: "interrupt", session_id: A });
    t.recv(ev(A, { type: "stream_interrupted" }));
    expect(texts(t, A)).toEqual([
      "user:go",
      "assistant:Let me check.",
      "tool:Bash:error",
      "assistant:Partial",
      "notice:[Response interrupted]",
    ]);
    t.s().sendMessage("again");
    t.recv(
      ev(A, { type: "message_received", seq: 2, text: "again" }),
      ev(A, { type: "stream_error", code: "internal", message: "The AI service failed.", suggested_action: "retry", partial_preserved: false }),
    );
    expect(texts(t, A).at(-1)).toBe("error:internal");
    t.s().retry();
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", text: "again" });
  });

  it("closes the permission dialog when the request is withdrawn", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.recv(ev(A, { type: "permission_request", request_id: "r9", tool_name: "Bash", input: {}, reason: "" }));
    t.recv(ev(A, { type: "permission_cancelled", request_id: "r9" }));
    expect(t.s().views[A].permission).toBeNull();
  });

  it("sends a first message once the new session it creates is ready", () => {
    seqs = {};
    const t = setup();
    expect(t.s().sendMessage("hello")).toBeNull();
    expect(t.sent).toEqual([{ type: "create_session" }]);
    seqs[A] = 0;
    t.recv({ type: "session_creating" }, ev(A, { type: "session_ready", session: summary(A), source: "pre-warmed" }));
    expect(t.s().currentId).toBe(A);
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", session_id: A, text: "hello" });
  });
});

describe("edge cases found in review", () => {
  function withHistory(loaded: StoredMessage[]) {
    const sent: ClientFrame[] = [];
    const store = createChatStore({
      send: (f) => {
        sent.push(f);
        return true;
      },
      schedule: (fn) => fn(),
      loadHistory: async () => loaded,
      initialSessionId: A,
    });
    store.getState().setConnection("connected");
    return { store, s: () => store.getState(), sent };
  }
  const stored: StoredMessage[] = [
    { seq: 1, kind: "user", payload: { text: "hi" }, created_at: "" },
    { seq: 2, kind: "assistant", payload: { text: "hello" }, created_at: "" },
  ];

  it("a remembered session that has ended shows its history with Resume", async () => {
    const t = withHistory(stored);
    t.s().resubscribe();
    expect(t.sent).toEqual([{ type: "switch_session", session_id: A, after_seq: 0 }]);
    t.s().receive({ type: "session_list", sessions: [{ ...summary(A), status: "terminated", is_resumable: true }] });
    t.s().receive({ type: "error", code: "not_resumable", message: "This session has ended.", session_id: A });
    expect(t.s().views[A].terminated).toMatchObject({ resumable: true });
    await vi.waitFor(() => expect(t.s().views[A].historyLoaded).toBe(true));
    expect(t.s().views[A].history.map((i) => i.kind)).toEqual(["user", "assistant"]);
  });

  it("a suspended session is shown from its history without waking it; a message wakes it", async () => {
    const t = withHistory(stored);
    t.s().receive({ type: "session_list", sessions: [{ ...summary(B), status: "suspended" }] });
    t.s().switchSession(B);
    expect(t.sent).toEqual([]);
    await vi.waitFor(() => expect(t.s().views[B].historyLoaded).toBe(true));
    expect(t.s().views[B].dormant).toBe(true);
    t.s().resubscribe(); // a reconnect does not wake it either
    expect(t.sent.filter((f) => "session_id" in f && f.session_id === B)).toEqual([]);
    expect(t.s().sendMessage("wake up")).toBeNull();
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", session_id: B, text: "wake up" });
  });

  it("after an idle end, coming back from after_seq 0 does not show the last turn twice", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.s().sendMessage("hi");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "hi" }),
      ev(A, { type: "stream_delta", text: "hello" }),
      ev(A, DONE),
      ev(A, { type: "session_terminated", reason: "idle", resumable: true, message: "Suspended while idle." }),
    );
    t.s().resubscribe();
    expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 0 });
    t.recv({ type: "session_history", session_id: A, messages: stored, last_event_seq: 0, turn_running: false });
    expect(texts(t, A)).toEqual(["user:hi", "assistant:hello"]);
  });

  it("a create lost with the connection, or refused, does not leave New session disabled", () => {
    seqs = {};
    const t = setup();
    t.s().createSession();
    expect(t.s().creating).toBe(true);
    t.s().setConnection("reconnecting");
    expect(t.s().creating).toBe(false);
    t.s().setConnection("connected");
    t.s().createSession();
    t.recv({ type: "error", code: "internal", message: "Could not start a session." });
    expect(t.s().creating).toBe(false);
    expect(t.s().notice?.text).toBe("Could not start a session.");
  });

  it("a message lost in a drop is marked not sent; one that arrived is confirmed by the replay", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.s().sendMessage("lost");
    t.s().resubscribe();
    t.recv({ type: "session_history", session_id: A, messages: [], last_event_seq: 1, turn_running: false });
    expect(t.s().views[A].running).toBe(false);
    expect(t.s().views[A].live[0]).toMatchObject({ state: "failed" });

    t.s().sendMessage("arrived");
    const seq = (t.sent.at(-1) as { seq: number }).seq;
    t.s().resubscribe();
    t.recv(
      { type: "session_history", session_id: A, messages: [], last_event_seq: 1, turn_running: false },
      ev(A, { type: "message_received", seq, text: "arrived" }, 2),
      ev(A, DONE, 3),
    );
    expect(texts(t, A).filter((x) => x === "user:arrived")).toHaveLength(1);
    expect(t.s().views[A].live.find((i) => i.kind === "user" && i.text === "arrived")).toMatchObject({ state: "sent" });
  });

  it("Retry works for a turn seen only as a replay", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.recv(
      ev(A, { type: "message_received", seq: 7, text: "from another tab" }),
      ev(A, { type: "stream_error", code: "internal", message: "failed", suggested_action: "retry", partial_preserved: false }),
    );
    t.s().retry();
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", text: "from another tab" });
  });

  it("keeps a draft per session", () => {
    seqs = {};
    const t = setup();
    open(t, A);
    t.s().setDraft("for A");
    open(t, B);
    expect(t.s().drafts[B] ?? "").toBe("");
    t.s().setDraft("for B");
    t.s().switchSession(A);
    expect(t.s().drafts[A]).toBe("for A");
  });
});

describe("validateMessage", () => {
  it("refuses empty and over-long messages with a hint", () => {
    expect(validateMessage("   \n ")).toMatch(/Type a message/);
    expect(validateMessage("x".repeat(32_000))).toBeNull();
    expect(validateMessage(` ${"x".repeat(32_000)} `)).toBeNull();
    expect(validateMessage("x".repeat(32_001))).toMatch(/32,001 characters; the limit is 32,000/);
    // Characters, not UTF-16 units: 32,000 emoji are allowed.
    expect(validateMessage("😀".repeat(32_000))).toBeNull();
  });
});
