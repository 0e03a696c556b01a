/**
 * Reconnecting without loss (docs/protocol.md): replays apply once, a history replaces what
 * is stored while the live turn is kept, a restarted server's sequence starts over.
 */
import { describe, expect, it } from "vitest";
import type { StoredMessage } from "../../../types/protocol";
import { DONE, ev, open, resetSeqs, setup, summary, texts } from "../../../test/stores";

const A = "11111111-1111-4111-8111-111111111111";

const stored: StoredMessage[] = [
  { seq: 1, kind: "user", payload: { text: "hi" }, created_at: "" },
  { seq: 2, kind: "assistant", payload: { text: "hello" }, created_at: "" },
];

describe("reconnecting", () => {
  /** A session with one finished turn and a second one streaming (seq 1..7). */
  function midTurn() {
    resetSeqs();
    const t = setup();
    open(t, A); // 1
    t.chat().sendMessage("first");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "first" }), // 2
      ev(A, { type: "stream_delta", text: "one" }), // 3
      ev(A, DONE), // 4
    );
    t.chat().sendMessage("second");
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
    t.connection().setStatus("reconnecting");
    t.connection().setStatus("connected");
    t.chat().resubscribe();
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
    t.chat().resubscribe();
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
    t.chat().resubscribe();
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
    t.chat().sendMessage("again");
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

describe("a session paused for the memory budget", () => {
  it("is suspended, not ended: a notice, and the next message resumes it", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.recv(ev(A, { type: "session_terminated", reason: "memory_budget", resumable: true, message: "Paused to free memory." }));
    expect(t.chat().views[A].terminated).toBeFalsy();
    expect(texts(t, A).at(-1)).toBe("notice:Paused to free memory.");
  });
});

describe("reconnecting: edge cases found in review", () => {
  it("after an idle end, coming back from after_seq 0 does not show the last turn twice", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("hi");
    t.recv(
      ev(A, { type: "message_received", seq: 1, text: "hi" }),
      ev(A, { type: "stream_delta", text: "hello" }),
      ev(A, DONE),
      ev(A, { type: "session_terminated", reason: "idle", resumable: true, message: "Suspended while idle." }),
    );
    t.chat().resubscribe();
    expect(t.sent.at(-1)).toEqual({ type: "switch_session", session_id: A, after_seq: 0 });
    t.recv({ type: "session_history", session_id: A, messages: stored, last_event_seq: 0, turn_running: false });
    expect(texts(t, A)).toEqual(["user:hi", "assistant:hello"]);
  });

  it("a message lost in a drop is marked not sent; one that arrived is confirmed by the replay", () => {
    resetSeqs();
    const t = setup();
    open(t, A);
    t.chat().sendMessage("lost");
    t.chat().resubscribe();
    t.recv({ type: "session_history", session_id: A, messages: [], last_event_seq: 1, turn_running: false });
    expect(t.chat().views[A].running).toBe(false);
    expect(t.chat().views[A].live[0]).toMatchObject({ state: "failed" });

    t.chat().sendMessage("arrived");
    const seq = (t.sent.at(-1) as { seq: number }).seq;
    t.chat().resubscribe();
    t.recv(
      { type: "session_history", session_id: A, messages: [], last_event_seq: 1, turn_running: false },
      ev(A, { type: "message_received", seq, text: "arrived" }, 2),
      ev(A, DONE, 3),
    );
    expect(texts(t, A).filter((x) => x === "user:arrived")).toHaveLength(1);
    expect(t.chat().views[A].live.find((i) => i.kind === "user" && i.text === "arrived")).toMatchObject({ state: "sent" });
  });
});
