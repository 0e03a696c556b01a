import { describe, expect, it } from "vitest";
import clientFixture from "./fixtures/client-frames.generated.jsonl?raw";
import serverFixture from "./fixtures/server-frames.generated.jsonl?raw";
import { ControlFrame, SessionEvent, parseServerFrame, type ClientFrame } from "./protocol";

/**
 * One frame of every kind, written by the server's own protocol types
 * (`src/protocol/fixtures.rs`; regenerate with `UPDATE_FIXTURES=1 cargo test --lib
 * protocol::fixtures`). A field renamed, added or removed on either side fails here.
 */
const lines = (text: string) => text.split("\n").filter((l) => l.trim());

describe("server frames from the Rust types", () => {
  const frames = lines(serverFixture);

  it("each parses, and the schema keeps every field the server sent", () => {
    for (const line of frames) {
      const r = parseServerFrame(line);
      expect(r.ok ? "ok" : r.error, line.slice(0, 200)).toBe("ok");
      // zod drops keys it does not know: a field the schema lacks shows up as a difference.
      if (r.ok) expect(r.frame, line.slice(0, 200)).toEqual(JSON.parse(line));
    }
  });

  it("cover exactly the frame types the schemas know", () => {
    const sent = new Set(frames.map((l) => (JSON.parse(l) as { type: string }).type));
    const known = new Set([
      ...SessionEvent.options.map((o) => o.shape.type.value),
      ...ControlFrame.options.map((o) => o.shape.type.value),
    ]);
    expect([...sent].sort()).toEqual([...known].sort());
  });
});

/** What the UI sends, one of each type, checked by the compiler against `ClientFrame`. */
const sent: { [K in ClientFrame["type"]]: Extract<ClientFrame, { type: K }> } = {
  create_session: {
    type: "create_session",
    model: "sonnet",
    effort: "low",
    permission_mode: "plan",
    project: "alpha",
    isolation: "worktree",
  },
  set_session_options: {
    type: "set_session_options",
    session_id: "s",
    model: "sonnet",
    effort: "low",
    permission_mode: "plan",
  },
  switch_session: { type: "switch_session", session_id: "s", after_seq: 0 },
  user_message: {
    type: "user_message",
    session_id: "s",
    text: "hi",
    seq: 1,
    attachments: [{ kind: "image", media_type: "image/png", data_base64: "", name: "a.png" }],
  },
  interrupt: { type: "interrupt", session_id: "s" },
  permission_response: {
    type: "permission_response",
    session_id: "s",
    request_id: "r",
    allow: false,
    message: "no",
    remember: false,
    mode: "acceptEdits",
  },
  revoke_permission: { type: "revoke_permission", session_id: "s", rule: "Bash(npm run *)" },
  destroy_session: { type: "destroy_session", session_id: "s" },
  resume_session: { type: "resume_session", session_id: "s" },
  rename_session: { type: "rename_session", session_id: "s", title: "t" },
  fork_session: { type: "fork_session", session_id: "s", before_seq: 3 },
};

describe("client frames from the Rust types", () => {
  const frames = lines(clientFixture).map((l) => JSON.parse(l) as Record<string, unknown>);

  it("have the fields the UI's ClientFrame type sends", () => {
    for (const frame of frames) {
      const type = frame.type as ClientFrame["type"];
      expect(Object.keys(sent), `unknown type ${type}`).toContain(type);
      const ours = Object.keys(sent[type]);
      // Optional fields (absent in some Rust samples) are the only allowed difference.
      for (const key of Object.keys(frame)) expect(ours, `${type}.${key}`).toContain(key);
      const controls = ["model", "effort", "permission_mode"];
      const optional =
        type === "permission_response"
          ? ["message", "remember", "mode"]
          : type === "create_session"
            ? [...controls, "project", "isolation"]
            : type === "set_session_options"
              ? controls
              : type === "fork_session"
                ? ["before_seq"]
              : [];
      for (const key of ours) if (!optional.includes(key)) expect(Object.keys(frame), `${type}.${key}`).toContain(key);
    }
  });

  it("cover exactly the frame types the UI sends", () => {
    const types = new Set(frames.map((f) => f.type as string));
    expect([...types].sort()).toEqual(Object.keys(sent).sort());
  });
});
