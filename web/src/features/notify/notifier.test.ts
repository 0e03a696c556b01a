import { afterEach, describe, expect, it, vi } from "vitest";
import { createNotifier, noticeFor } from "./notifier";

const hidden = (h: boolean) => Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (h ? "hidden" : "visible") });
const done = { type: "response_complete", session_id: "s1", event_seq: 3, cost_usd: 0, total_cost_usd: 0, usage: {}, duration_ms: 1, num_turns: 1 } as const;

describe("notifications", () => {
  afterEach(() => {
    hidden(false);
    vi.unstubAllGlobals();
  });

  it("a finished reply in a hidden tab notifies, counts in the title, and a click opens the session", () => {
    const made: Array<{ title: string; body?: string; onclick?: () => void; close(): void }> = [];
    class FakeNotification {
      static permission = "granted";
      onclick?: () => void;
      constructor(
        public title: string,
        o: { body?: string },
      ) {
        made.push(Object.assign(this, { body: o.body, close: () => {} }));
      }
    }
    vi.stubGlobal("Notification", FakeNotification);
    const opened: string[] = [];
    document.title = "Claude Code sessions";
    const onFrame = createNotifier({ titleOf: () => "Bird notes", open: (id) => opened.push(id) });
    onFrame(done);
    expect(made).toHaveLength(0);
    hidden(true);
    onFrame(done);
    onFrame({ type: "stream_delta", session_id: "s1", event_seq: 4, text: "x" });
    expect(made.map((n) => [n.title, n.body])).toEqual([["Bird notes", "Claude finished its reply."]]);
    expect(document.title).toBe("(1) Claude Code sessions");
    made[0].onclick?.();
    expect(opened).toEqual(["s1"]);
    hidden(false);
    document.dispatchEvent(new Event("visibilitychange"));
    expect(document.title).toBe("Claude Code sessions");
  });

  it("says what happened", () => {
    expect(noticeFor({ type: "permission_request", session_id: "s", event_seq: 1, request_id: "r", tool_name: "Bash", input: {}, reason: "" })).toBe(
      "Claude asks to use Bash.",
    );
    expect(noticeFor({ type: "stream_delta", session_id: "s", event_seq: 1, text: "" })).toBeNull();
  });
});
