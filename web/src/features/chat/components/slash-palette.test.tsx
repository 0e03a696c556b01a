import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Composer } from "./composer";
import { chatHarness, SID } from "../../../test/harness";
import { summary } from "../../../test/stores";

const COMMANDS = [
  { name: "mycmd", description: "My workspace command (project)", argument_hint: "<thing>" },
  { name: "compact", description: "Free up context by summarizing the conversation so far", argument_hint: "" },
  { name: "context", description: "Show context usage", argument_hint: "" },
  { name: "model", description: "Set the model", argument_hint: "" },
];

function withCommands() {
  const h = chatHarness();
  h.event({ type: "session_ready", session: summary(SID), source: "resumed", commands: COMMANDS });
  return h;
}

describe("the slash palette", () => {
  it("opens on / with the session's commands and descriptions, filters, and picks with the keyboard", async () => {
    const h = withCommands();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "/");
    const list = await screen.findByRole("listbox", { name: "Slash commands" });
    expect(screen.getAllByRole("option")).toHaveLength(4);
    expect(list).toHaveTextContent("My workspace command (project)");
    await userEvent.type(box, "co");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual([
      expect.stringContaining("/compact"),
      expect.stringContaining("/context"),
    ]);
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{ArrowUp}{Enter}");
    expect(box).toHaveValue("/compact ");
    expect(screen.queryByRole("listbox")).toBeNull();
    // Nothing was sent while picking; Enter now sends the command.
    expect(h.sent.filter((f) => f.type === "user_message")).toHaveLength(0);
    await userEvent.keyboard("{Enter}");
    expect(h.sent.at(-1)).toMatchObject({ type: "user_message", text: "/compact" });
  });

  it("Escape closes it and a message not starting with / never opens it", async () => {
    const h = withCommands();
    h.mount(<Composer connected creating={false} />);
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "/m");
    await screen.findByRole("listbox");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
    await userEvent.clear(box);
    await userEvent.type(box, "see /m");
    expect(screen.queryByRole("listbox")).toBeNull();
  });
});
