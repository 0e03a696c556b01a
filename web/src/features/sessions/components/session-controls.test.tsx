import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { SessionControls } from "./session-controls";
import { chatHarness, SID } from "../../../test/harness";

const CHOICES = {
  models: ["opus", "sonnet", "haiku"],
  default_model: "opus",
  efforts: ["low", "medium", "high", "xhigh", "max"],
  permission_modes: ["default", "acceptEdits", "plan", "auto", "dontAsk"],
  default_permission_mode: "default",
};

describe("SessionControls", () => {
  it("shows the open session's options and switches them live", async () => {
    const h = chatHarness();
    h.sessions().setChoices(CHOICES);
    h.mount(<SessionControls sessionId={SID} disabled={false} />);
    const model = screen.getByRole("combobox", { name: "Model" });
    expect(model).toHaveValue("opus");
    expect(screen.getByRole("combobox", { name: "Effort" })).toHaveValue("");
    await userEvent.selectOptions(model, "sonnet");
    expect(h.sent.at(-1)).toEqual({ type: "set_session_options", session_id: SID, model: "sonnet" });
    h.event({ type: "session_options", model: "sonnet", effort: null, permission_mode: "plan" });
    expect(await screen.findByRole("combobox", { name: "Model" })).toHaveValue("sonnet");
    expect(screen.getByRole("combobox", { name: "Mode" })).toHaveValue("plan");
    expect(screen.getByRole("option", { name: "Plan first" })).toBeInTheDocument();
  });

  it("without a session, sets what the next one is created with", async () => {
    const h = chatHarness();
    h.sessions().setChoices(CHOICES);
    h.mount(<SessionControls sessionId={null} disabled={false} />);
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Mode" }), "plan");
    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Effort" }), "high");
    expect(h.sessions().newOptions).toEqual({ permission_mode: "plan", effort: "high" });
    expect(h.sent.filter((f) => f.type === "set_session_options")).toHaveLength(0);
  });

  it("is hidden until the server said what it offers", () => {
    const h = chatHarness();
    h.mount(<SessionControls sessionId={SID} disabled={false} />);
    expect(screen.queryByRole("group", { name: "Conversation settings" })).toBeNull();
  });
});
