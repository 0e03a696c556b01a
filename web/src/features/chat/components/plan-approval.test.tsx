import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MessageList } from "./message-list";
import { chatHarness, SID } from "../../../test/harness";

const PLAN = "# Plan\n\n- read the parser\n- add tests";

function planRequest(h: ReturnType<typeof chatHarness>) {
  h.chat().sendMessage("plan it");
  h.event({ type: "message_received", seq: 1, text: "plan it" });
  h.event({ type: "tool_use", tool_use_id: "t1", name: "ExitPlanMode", input: { plan: PLAN } });
  h.event({ type: "permission_request", request_id: "r1", tool_name: "ExitPlanMode", input: { plan: PLAN }, reason: "" });
}

describe("PlanApproval", () => {
  it("shows the plan as markdown, not as a raw tool request, and approves in the chosen mode", async () => {
    const h = chatHarness();
    h.mount(<MessageList id={SID} onNewSession={() => {}} />);
    planRequest(h);
    const card = await screen.findByRole("group", { name: "Claude's plan" });
    // The markdown renderer loads lazily (slow on a busy machine).
    expect(await screen.findAllByRole("heading", { name: "Plan" }, { timeout: 10_000 })).not.toHaveLength(0);
    expect(card).toHaveTextContent("add tests");
    expect(screen.queryByRole("button", { name: "Allow" })).toBeNull();
    expect(screen.getByRole("button", { name: "Keep planning" })).toHaveFocus();
    await userEvent.selectOptions(screen.getByLabelText("Then continue in"), "default");
    await userEvent.click(screen.getByRole("button", { name: "Approve and run" }));
    expect(h.sent.at(-1)).toEqual({ type: "permission_response", session_id: SID, request_id: "r1", allow: true, mode: "default" });
  });

  it("Keep planning sends the feedback to Claude as is", async () => {
    const h = chatHarness();
    h.mount(<MessageList id={SID} onNewSession={() => {}} />);
    planRequest(h);
    await userEvent.type(await screen.findByLabelText(/What should change/), "Also cover the lexer.");
    await userEvent.click(screen.getByRole("button", { name: "Keep planning" }));
    expect(h.sent.at(-1)).toEqual({
      type: "permission_response",
      session_id: SID,
      request_id: "r1",
      allow: false,
      message: "Keep planning: Also cover the lexer.",
    });
    expect(screen.queryByRole("group", { name: "Claude's plan" })).toBeNull();
  });
});
