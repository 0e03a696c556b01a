import { describe, expect, it } from "vitest";
import { ev, resetSeqs, setup, summary } from "../../../test/stores";

const A = "11111111-1111-4111-8111-111111111111";

describe("creating a session", () => {
  it("sends a first message once the new session it creates is ready", () => {
    resetSeqs();
    const t = setup();
    expect(t.chat().sendMessage("hello")).toBeNull();
    expect(t.sent).toEqual([{ type: "create_session" }]);
    t.recv({ type: "session_creating" }, ev(A, { type: "session_ready", session: summary(A), source: "pre-warmed" }));
    expect(t.chat().currentId).toBe(A);
    expect(t.sent.at(-1)).toMatchObject({ type: "user_message", session_id: A, text: "hello" });
  });

  it("a create lost with the connection, or refused, does not leave New session disabled", () => {
    resetSeqs();
    const t = setup();
    t.sessions().createSession();
    expect(t.sessions().creating).toBe(true);
    t.connection().setStatus("reconnecting");
    expect(t.sessions().creating).toBe(false);
    t.connection().setStatus("connected");
    t.sessions().createSession();
    t.recv({ type: "error", code: "internal", message: "Could not start a session." });
    expect(t.sessions().creating).toBe(false);
    expect(t.notice().notice?.text).toBe("Could not start a session.");
  });
});

describe("conversation controls", () => {
  it("a new session is created with the options chosen before it existed", () => {
    resetSeqs();
    const t = setup();
    t.sessions().setNewOptions({ model: "sonnet" });
    t.sessions().setNewOptions({ permission_mode: "plan" });
    t.sessions().createSession();
    expect(t.sent).toEqual([{ type: "create_session", model: "sonnet", permission_mode: "plan" }]);
  });

  it("a switch is sent, and the session's summary follows session_options", () => {
    resetSeqs();
    const t = setup();
    t.recv({ type: "session_list", sessions: [summary(A)] });
    t.sessions().setOptions(A, { effort: "high" });
    expect(t.sent.at(-1)).toEqual({ type: "set_session_options", session_id: A, effort: "high" });
    t.recv(ev(A, { type: "session_options", model: "haiku", effort: "high", permission_mode: "acceptEdits" }));
    expect(t.sessions().sessions[0]).toMatchObject({ model: "haiku", effort: "high", permission_mode: "acceptEdits" });
  });
});
