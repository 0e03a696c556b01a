/**
 * Fresh stores for a test, wired exactly as in the app (`createStores`), with a recording
 * `send`; frames go through the app's router. Nothing is global: each call is a clean slate.
 */
import { createStores, type StoresDeps } from "../app/stores/create-stores";
import { routeFrame } from "../app/stores/route-frame";
import type { ClientFrame, ListedSession, ServerFrame, SessionSummary } from "../types/protocol";

export function summary(id: string, patch: Partial<SessionSummary> = {}): SessionSummary {
  return {
    session_id: id,
    user_id: "default",
    status: "active",
    created_at: "2026-11-24T10:00:00.000000Z",
    last_active_at: "2026-11-24T10:00:00.000000Z",
    message_count: 0,
    total_cost_usd: 0,
    is_resumable: true,
    model: "opus",
    effort: null,
    permission_mode: "default",
    ...patch,
  };
}

/** A session list row. */
export function listed(id: string, patch: Partial<ListedSession> = {}): ListedSession {
  return { ...summary(id), title: null, preview: null, archived: false, forked_from: null, ...patch };
}

/** Stores with a recording `send` and, unless given a `schedule`, a manual frame scheduler. */
export function storesHarness(deps: Partial<Omit<StoresDeps, "send">> = {}) {
  const sent: ClientFrame[] = [];
  const scheduled: Array<() => void> = [];
  const stores = createStores({
    send: (f) => {
      sent.push(f);
      return true;
    },
    schedule: (fn) => scheduled.push(fn),
    ...deps,
  });
  return {
    stores,
    sent,
    chat: () => stores.chat.getState(),
    sessions: () => stores.sessions.getState(),
    connection: () => stores.connection.getState(),
    notice: () => stores.notice.getState(),
    recv: (...frames: ServerFrame[]) => frames.forEach((f) => routeFrame(stores, f)),
    /** Runs what waits for the next animation frame (buffered deltas). */
    runFrame: () => scheduled.splice(0).forEach((fn) => fn()),
  };
}

export type StoresHarness = ReturnType<typeof storesHarness>;

/** A connected set of stores whose clock stands at 1 s (the store tests' usual start). */
export function setup(deps: Partial<Omit<StoresDeps, "send">> = {}) {
  const t = storesHarness({ now: () => 1_000, ...deps });
  t.connection().setStatus("connected");
  return t;
}

/** A turn that ended normally, free of charge. */
export const DONE = { type: "response_complete", cost_usd: 0, total_cost_usd: 0, usage: {}, duration_ms: 1, num_turns: 1 };

let seqs: Record<string, number> = {};
/** Starts every session's event_seq over (call before each test). */
export const resetSeqs = () => {
  seqs = {};
};

/** A session event with the next event_seq of its session (or an explicit one). */
export function ev(session_id: string, body: Record<string, unknown>, event_seq?: number): ServerFrame {
  const seq = event_seq ?? (seqs[session_id] = (seqs[session_id] ?? 0) + 1);
  if (event_seq !== undefined) seqs[session_id] = event_seq;
  return { session_id, event_seq: seq, ...body } as ServerFrame;
}

/** One whole turn in session `id`: the user's message, a one-delta reply, the end. */
export function turn(t: StoresHarness, id: string, question: string, reply: string, seq: number) {
  t.chat().sendMessage(question);
  t.recv(
    ev(id, { type: "message_received", seq, text: question }),
    ev(id, { type: "stream_delta", text: reply }),
    ev(id, DONE),
  );
}

/** Creates session `id` the way the server answers `create_session`. */
export function open(t: StoresHarness, id: string) {
  seqs[id] = 0;
  t.sessions().createSession();
  t.recv({ type: "session_creating" }, ev(id, { type: "session_ready", session: summary(id), source: "pre-warmed" }));
}

/** What session `id` shows, one line per item. */
export const texts = (t: StoresHarness, id: string) => {
  const v = t.chat().views[id];
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
