import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Connection, retryDelay } from "./ws-client";
import { createConnectionStore } from "../stores/connection-store";
import { FakeSocket } from "../../../test/fake-socket";

const KEY = "k".repeat(32);

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

  it("goes back to the key screen when the key is refused", async () => {
    vi.mocked(fetch).mockResolvedValue(
      new Response(JSON.stringify({ error: "unauthorized", message: "Invalid API key" }), { status: 401 }),
    );
    const onUnauthorized = vi.fn();
    const link = { onFrame: () => {}, onOpen: () => {}, onClose: () => {} };
    new Connection({ key: KEY, status: createConnectionStore(), link, onUnauthorized }).start();
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalled());
    expect(FakeSocket.all).toHaveLength(0);
  });

  it("goes back to the key screen at once when the key is revoked, and does not reconnect", async () => {
    const onUnauthorized = vi.fn();
    const link = { onFrame: () => {}, onOpen: () => {}, onClose: () => {} };
    new Connection({ key: KEY, status: createConnectionStore(), link, onUnauthorized }).start();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.all[0].open();
    FakeSocket.all[0].closeWith(1008, "revoked: this API key was revoked");
    expect(onUnauthorized).toHaveBeenCalledWith("revoked: this API key was revoked");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("reconnects after any other close, 1008 for a slow client included", async () => {
    const onUnauthorized = vi.fn();
    const link = { onFrame: () => {}, onOpen: () => {}, onClose: () => {} };
    new Connection({ key: KEY, status: createConnectionStore(), link, onUnauthorized }).start();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.all[0].open();
    FakeSocket.all[0].closeWith(1008, "too slow: reconnect with after_seq");
    await vi.advanceTimersByTimeAsync(3_000);
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    expect(onUnauthorized).not.toHaveBeenCalled();
  });
});
