import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MessageList } from "./message-list";
import { chatHarness, SID } from "../../../test/harness";
import { itemsFromHistory } from "../stores/items";
import type { StoredMessage } from "../../../types/protocol";

const TODOS = [
  { content: "Read the parser", status: "completed", activeForm: "Reading the parser" },
  { content: "Add tests", status: "in_progress", activeForm: "Adding tests" },
  { content: "Update docs", status: "pending", activeForm: "Updating docs" },
];

describe("agent progress", () => {
  it("a TodoWrite list shows as a live panel with each entry's state", async () => {
    const h = chatHarness();
    h.mount(<MessageList id={SID} onNewSession={() => {}} />);
    h.chat().sendMessage("track it");
    h.event({ type: "message_received", seq: 1, text: "track it" });
    h.event({ type: "tool_use", tool_use_id: "t1", name: "TodoWrite", input: { todos: TODOS } });
    const panel = await screen.findByRole("region", { name: "Todo list" });
    expect(panel).toHaveTextContent("1 of 3 done");
    expect(within(panel).getByText("Adding tests")).toBeInTheDocument();
    const states = within(panel).getAllByRole("listitem").map((li) => li.getAttribute("data-todo-status"));
    expect(states).toEqual(["completed", "in_progress", "pending"]);
    // A later update replaces it.
    h.event({ type: "tool_use", tool_use_id: "t2", name: "TodoWrite", input: { todos: TODOS.map((t) => ({ ...t, status: "completed" })) } });
    expect(await screen.findByText(/3 of 3 done/)).toBeInTheDocument();
  });

  it("a sub-agent's calls nest under its Agent card, collapsed, with a live count", async () => {
    const h = chatHarness();
    h.mount(<MessageList id={SID} onNewSession={() => {}} />);
    h.chat().sendMessage("delegate");
    h.event({ type: "message_received", seq: 1, text: "delegate" });
    h.event({ type: "tool_use", tool_use_id: "ag", name: "Agent", input: { description: "Do sub work" } });
    h.event({ type: "tool_use", tool_use_id: "b1", name: "Bash", input: { command: "echo one" }, parent_tool_use_id: "ag" });
    expect(await screen.findByTestId("agent-count")).toHaveTextContent("1 tool call");
    h.event({ type: "tool_result", tool_use_id: "b1", is_error: false, content: "one", duration_ms: 5, parent_tool_use_id: "ag" });
    h.event({ type: "agent_text", parent_tool_use_id: "ag", text: "Sub-agent thinking out loud." });
    h.event({ type: "tool_use", tool_use_id: "b2", name: "Bash", input: { command: "echo two" }, parent_tool_use_id: "ag" });
    expect(await screen.findByTestId("agent-count")).toHaveTextContent("2 tool calls");
    // Nested, not top-level: only the Agent card is in the conversation.
    expect(screen.getAllByTestId("tool-state")).toHaveLength(1);
    expect(screen.queryByTestId("agent-steps")).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: /Show what the sub-agent did/ }));
    const steps = screen.getByTestId("agent-steps");
    expect(within(steps).getAllByTestId("tool-state").map((s) => s.textContent)).toEqual(["Complete (0.0s)", "Executing…"]);
    expect(steps).toHaveTextContent("Sub-agent thinking out loud.");
  });

  it("history nests the same way", () => {
    const m = (seq: number, kind: StoredMessage["kind"], payload: Record<string, unknown>): StoredMessage => ({
      seq,
      kind,
      payload,
      created_at: "2026-12-02T00:00:00Z",
    });
    const items = itemsFromHistory([
      m(1, "user", { text: "delegate" }),
      m(2, "tool_use", { tool_use_id: "ag", name: "Agent", input: {} }),
      m(3, "tool_use", { tool_use_id: "b1", name: "Bash", input: { command: "ls" }, parent_tool_use_id: "ag" }),
      m(4, "tool_result", { tool_use_id: "b1", is_error: false, content: "x", parent_tool_use_id: "ag" }),
      m(5, "assistant", { text: "report", parent_tool_use_id: "ag" }),
      m(6, "tool_result", { tool_use_id: "ag", is_error: false, content: "done" }),
      m(7, "assistant", { text: "main done" }),
    ]);
    expect(items.map((i) => i.kind)).toEqual(["user", "tool", "assistant"]);
    const agent = items[1];
    if (agent.kind !== "tool") throw new Error("not a tool");
    expect(agent.children?.map((c) => (c.kind === "tool" ? `${c.name}:${c.status}` : c.text))).toEqual(["Bash:done", "report"]);
  });
});
