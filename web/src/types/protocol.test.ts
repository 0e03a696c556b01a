import { describe, expect, it } from "vitest";
import recorded from "./fixtures/server-frames.jsonl?raw";
import { ControlFrame, SessionEvent, parseServerFrame } from "./protocol";

/**
 * Frames recorded from the real server (the Rust WebSocket tests with RECORD_WS_FRAMES set,
 * and the browser e2e run): each must parse, and together they cover every frame type the
 * UI handles. The e2e test also parses every frame live.
 */
const lines = recorded.split("\n").filter((l) => l.trim());

describe("server frames", () => {
  it("every recorded server frame parses", () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      const r = parseServerFrame(line);
      expect(r.ok ? "ok" : r.error, line.slice(0, 200)).toBe("ok");
    }
  });

  it("the recording covers the frame types", () => {
    const seen = new Set(lines.map((l) => (JSON.parse(l) as { type: string }).type));
    const known = [
      ...SessionEvent.options.map((o) => o.shape.type.value),
      ...ControlFrame.options.map((o) => o.shape.type.value),
    ];
    // Frames the recording cannot show cheaply (a memory restart, a 90 % age warning, …)
    // are covered by the component tests with hand-written frames.
    const notRecorded = new Set([
      "stream_retracted",
      "session_warning",
      "permission_cancelled",
      "session_opened_elsewhere",
      // A sub-agent's text comes only from a background sub-agent (agent-progress tests).
      "agent_text",
      // Needs a /compact (tests/api/commands.rs); the generated fixture has one.
      "context_compacted",
      // Needs a git workspace and an editing turn (tests/api/changes.rs); the generated fixture has one.
      "changes_updated",
    ]);
    for (const t of known) if (!notRecorded.has(t)) expect(seen, t).toContain(t);
    for (const t of seen) expect(known).toContain(t);
  });

  it("rejects what is not a frame the UI knows", () => {
    expect(parseServerFrame("{").ok).toBe(false);
    expect(parseServerFrame('{"no":"type"}').ok).toBe(false);
    expect(parseServerFrame('{"type":"stream_delta","session_id":"s","event_seq":1}').ok).toBe(false);
    expect(parseServerFrame('{"type":"mystery"}').ok).toBe(false);
  });
});
