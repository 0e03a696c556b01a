import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Connection, retryDelay } from "./ws-client";
import { createChatStore } from "../../chat/stores/chat-store";
import type { ClientFrame } from "../../../types/protocol";

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  static OPEN = 1;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(f: object) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
}

const KEY = "k".repeat(32);
const SID = "44444444-4444-4444-8444-444444444444";

describe("Connection", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal("WebSocket", FakeSocket);
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ ticket: "t-1", expires_in_seconds: 30 }), { status: 200 })),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("backs off 3, 6, 12, 24, then 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(retryDelay)).toEqual([3000, 6000, 12000, 24000, 30000, 30000, 30000]);
  });

  it("opens with a ticket, never the key, and after a drop resumes after the last event", async () => {
    let conn: Connection | null = null;
    const store = createChatStore({ send: (f: ClientFrame) => conn?.send(f) ?? false, schedule: (fn) => fn() });
    conn = new Connection({ key: KEY, store, onUnauthorized: () => {} });
    conn.start();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    const first = FakeSocket.all[0];
    expect(first.url).toMatch(/\/ws\/v1\/chat\?ticket=t-1$/);
    expect(first.url).not.toContain(KEY);
    const [, init] = vi.mocked(fetch).mock.calls[0];
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe(KEY);

    first.open();
    expect(store.getState().connection).toBe("connected");
    store.getState().createSession();
    first.frame({ type: "session_ready", session_id: SID, event_seq: 1, source: "pre-warmed", session: { session_id: SID, status: "active", created_at: "", last_active_at: "", message_count: 0, total_cost_usd: 0, is_resumable: true } });
    first.frame({ type: "stream_delta", session_id: SID, event_seq: 2, text: "hi" });

    first.drop();
    expect(store.getState().connection).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(2_900);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    const second = FakeSocket.all[1];
    second.open();
    expect(JSON.parse(second.sent[0])).toEqual({ type: "switch_session", session_id: SID, after_seq: 2 });
    conn.stop();
  });

  it("goes back to the key screen when the key is refused", async () => {
    vi.mocked(fetch).mockResolvedValue(
      new Response(JSON.stringify({ error: "unauthorized", message: "Invalid API key" }), { status: 401 }),
    );
    const onUnauthorized = vi.fn();
    const store = createChatStore({ send: () => false, schedule: (fn) => fn() });
    new Connection({ key: KEY, store, onUnauthorized }).start();
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalled());
    expect(FakeSocket.all).toHaveLength(0);
  });
});
