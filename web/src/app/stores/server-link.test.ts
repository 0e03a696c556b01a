import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Connection } from "../../features/connection/api/ws-client";
import type { ClientFrame } from "../../types/protocol";
import { FakeSocket } from "../../test/fake-socket";
import { createStores } from "./create-stores";
import { serverLink } from "./route-frame";

const KEY = "k".repeat(32);
const SID = "44444444-4444-4444-8444-444444444444";

describe("the WebSocket client and the stores", () => {
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

  it("opens with a ticket, never the key, and after a drop resumes after the last event", async () => {
    let conn: Connection | null = null;
    const stores = createStores({ send: (f: ClientFrame) => conn?.send(f) ?? false, schedule: (fn) => fn() });
    conn = new Connection({ key: KEY, status: stores.connection, link: serverLink(stores), onUnauthorized: () => {} });
    conn.start();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    const first = FakeSocket.all[0];
    expect(first.url).toMatch(/\/ws\/v1\/chat\?ticket=t-1$/);
    expect(first.url).not.toContain(KEY);
    const [, init] = vi.mocked(fetch).mock.calls[0];
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe(KEY);

    first.open();
    expect(stores.connection.getState().status).toBe("connected");
    stores.sessions.getState().createSession();
    first.frame({ type: "session_ready", session_id: SID, event_seq: 1, source: "pre-warmed", session: { session_id: SID, user_id: "default", status: "active", created_at: "", last_active_at: "", message_count: 0, total_cost_usd: 0, is_resumable: true } });
    first.frame({ type: "stream_delta", session_id: SID, event_seq: 2, text: "hi" });

    first.drop();
    expect(stores.connection.getState().status).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(2_900);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    const second = FakeSocket.all[1];
    second.open();
    expect(JSON.parse(second.sent[0])).toEqual({ type: "switch_session", session_id: SID, after_seq: 2 });
    conn.stop();
  });
});
