import { describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ConversationPane } from "./conversation-pane";
import { StatusBar } from "./status-bar";
import { chatHarness, SID } from "../test/harness";

function mountConversation() {
  const h = chatHarness();
  h.mount(
    <>
      <ConversationPane onReconnect={() => {}} />
      <StatusBar onReconnect={() => {}} />
    </>,
  );
  return h;
}

describe("the conversation", () => {
  it("streams a reply with a cursor, then renders markdown with highlighted code and Copy", async () => {
    const h = mountConversation();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "show code{Enter}");
    const log = screen.getByRole("log", { name: "Conversation" });
    expect(within(log).getByText("show code")).toBeInTheDocument();
    act(() => {
      h.event({ type: "message_received", seq: 1, text: "show code" });
      h.event({ type: "stream_delta", text: "Here:\n\n```rust\nfn main() {}\n" });
    });
    expect(screen.getByTestId("typing-cursor")).toBeInTheDocument();
    act(() => {
      h.event({ type: "stream_delta", text: "```\n" });
      h.event({ type: "response_complete", cost_usd: 0.0123, total_cost_usd: 0.05, usage: {}, duration_ms: 9, num_turns: 1 });
    });
    expect(screen.queryByTestId("typing-cursor")).toBeNull();
    // The renderer is a lazy chunk: its first import in jsdom can take seconds on a busy machine.
    const copy = await screen.findByRole("button", { name: "Copy code" }, { timeout: 10_000 });
    const code = log.querySelector("pre code.hljs");
    expect(code?.textContent).toBe("fn main() {}\n");
    expect(code?.querySelector(".hljs-keyword")).not.toBeNull();
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await userEvent.click(copy);
    expect(writeText).toHaveBeenCalledWith("fn main() {}");
    // The whole reply too, as written (markdown), with the time it began.
    const reply = log.querySelector('[data-role="assistant"]')?.parentElement as HTMLElement;
    await userEvent.click(within(reply).getByRole("button", { name: "Copy reply" }));
    expect(writeText).toHaveBeenLastCalledWith("Here:\n\n```rust\nfn main() {}\n```\n");
    expect(within(reply).getByText(/^\d{2}:\d{2}/).tagName).toBe("TIME");
    expect(screen.getByText("Last reply $0.0123")).toBeInTheDocument();
    expect(screen.getByText("Total $0.0500")).toBeInTheDocument();
  }, 20_000);

  it("asks for permission in the conversation; Deny sends the reason and the card says Denied", async () => {
    const h = mountConversation();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "clean up{Enter}");
    act(() => {
      h.event({ type: "message_received", seq: 1, text: "clean up" });
      h.event({ type: "tool_use", tool_use_id: "t1", name: "Bash", input: { command: "rm x", description: "Remove x" } });
      h.event({ type: "permission_request", request_id: "r1", tool_name: "Bash", input: { command: "rm x", description: "Remove x" }, reason: "This command requires approval" });
    });
    const request = screen.getByRole("group", { name: /Claude wants to run a command/ });
    expect(request).toHaveAccessibleDescription("This command requires approval");
    expect(within(request).getByRole("group", { name: "Command" })).toHaveTextContent("rm x");
    // Not a modal: Stop stays usable, and focus is on Deny (the box was empty).
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByRole("button", { name: "Stop" })).toBeEnabled();
    expect(within(request).getByRole("button", { name: "Deny" })).toHaveFocus();
    expect(within(request).queryByRole("button", { name: "Allow for this session" })).toBeNull();
    await userEvent.type(within(request).getByRole("textbox", { name: /Reason, if you deny/ }), "not that file");
    await userEvent.click(within(request).getByRole("button", { name: "Deny" }));
    expect(h.sent.at(-1)).toEqual({
      type: "permission_response",
      session_id: SID,
      request_id: "r1",
      allow: false,
      message: "The user denied this request: not that file",
    });
    expect(screen.queryByRole("group", { name: /Claude wants/ })).toBeNull();
    act(() => h.event({ type: "tool_result", tool_use_id: "t1", is_error: true, content: "The user denied this request: not that file", duration_ms: 5 }));
    const state = screen.getByTestId("tool-state");
    expect(state).toHaveTextContent("Denied");
    expect(state.className).not.toMatch(/text-red/);
    expect(screen.getByText("not that file")).toBeInTheDocument();
    // Focus went on to the message box.
    await waitFor(() => expect(screen.getByRole("textbox", { name: "Message" })).toHaveFocus());
  });

  it("Escape in a permission request denies it; Allow allows; a request does not take focus from typing", async () => {
    const h = mountConversation();
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "go{Enter}");
    act(() => h.event({ type: "message_received", seq: 1, text: "go" }));
    await userEvent.type(box, "half a thought");
    act(() => h.event({ type: "permission_request", request_id: "r1", tool_name: "Read", input: { file_path: "/w/a.txt" }, reason: "" }));
    expect(box).toHaveFocus();
    const request = screen.getByRole("group", { name: /Claude wants to read a file/ });
    expect(within(request).getByText("/w/a.txt")).toBeInTheDocument();
    await userEvent.click(within(request).getByRole("textbox"));
    await userEvent.keyboard("{Escape}");
    expect(h.sent.at(-1)).toMatchObject({ type: "permission_response", request_id: "r1", allow: false, message: "The user denied this request." });
    // Escape went to the request only: the reply was not stopped.
    expect(h.sent.filter((f) => f.type === "interrupt")).toHaveLength(0);
    act(() => h.event({ type: "permission_request", request_id: "r2", tool_name: "WebFetch", input: { url: "https://example.com/x" }, reason: "" }));
    const second = screen.getByRole("group", { name: /fetch a web page/ });
    expect(within(second).getByRole("link", { name: "https://example.com/x" })).toHaveAttribute("href", "https://example.com/x");
    await userEvent.click(within(second).getByRole("button", { name: "Allow" }));
    expect(h.sent.at(-1)).toEqual({ type: "permission_response", session_id: SID, request_id: "r2", allow: true });
  });

  it("Escape stops the reply when no dialog is open", async () => {
    const h = mountConversation();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "long{Enter}");
    act(() => h.event({ type: "message_received", seq: 1, text: "long" }));
    await userEvent.keyboard("{Escape}");
    expect(h.sent.at(-1)).toEqual({ type: "interrupt", session_id: SID });
  });

  it("renders the person's own markdown, keeping their line breaks", async () => {
    mountConversation();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "**bold** and `code`{Shift>}{Enter}{/Shift}second line{Enter}");
    const mine = document.querySelector('[data-role="user"]') as HTMLElement;
    await waitFor(() => expect(mine.querySelector("strong")?.textContent).toBe("bold"), { timeout: 10_000 });
    expect(mine.querySelector("code")?.textContent).toBe("code");
    expect(mine).not.toHaveTextContent("**");
    expect(mine.querySelector("p")?.textContent).toBe("bold and code\nsecond line");
  }, 20_000);

  it("offers Retry for a retryable error and resends the message", async () => {
    const h = mountConversation();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "try this{Enter}");
    act(() => {
      h.event({ type: "message_received", seq: 1, text: "try this" });
      h.event({ type: "stream_error", code: "internal", message: "The AI service failed to answer.", suggested_action: "retry", partial_preserved: false });
    });
    expect(screen.getByText("The AI service failed to answer.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(h.sent.at(-1)).toMatchObject({ type: "user_message", text: "try this" });
  });

  it("Ctrl+Shift+X interrupts and shows [Response interrupted]", async () => {
    const h = mountConversation();
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "long{Enter}");
    act(() => h.event({ type: "message_received", seq: 1, text: "long" }));
    await userEvent.keyboard("{Control>}{Shift>}X{/Shift}{/Control}");
    expect(h.sent.at(-1)).toEqual({ type: "interrupt", session_id: SID });
    act(() => h.event({ type: "stream_interrupted" }));
    expect(screen.getByText("[Response interrupted]")).toBeInTheDocument();
  });

  it("shows restarts as system lines, warnings as a banner, and an ended session's actions", async () => {
    const h = mountConversation();
    act(() => {
      h.event({ type: "session_restarting", reason: "memory_limit", message: "The session used too much memory; restarting it with the conversation." });
      h.event({ type: "session_ready", session: { session_id: SID, user_id: "default", status: "active", created_at: "", last_active_at: "", message_count: 0, total_cost_usd: 0, is_resumable: true }, source: "resumed" });
      h.event({ type: "session_warning", kind: "duration", remaining_seconds: 125 });
    });
    expect(screen.getByText(/Restarting the session/)).toBeInTheDocument();
    expect(screen.getByText("Session ready — the conversation was restored.")).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("reaches its time limit in 2m 05s");
    act(() => h.event({ type: "session_terminated", reason: "duration_limit", resumable: true, message: "The session reached its time limit." }));
    const ended = screen.getByRole("status", { name: "Session ended" });
    expect(ended).toHaveTextContent("reached its time limit");
    await userEvent.click(within(ended).getByRole("button", { name: "Resume" }));
    expect(h.sent.at(-1)).toEqual({ type: "resume_session", session_id: SID });
    act(() => h.event({ type: "session_terminated", reason: "destroyed", resumable: false, message: "" }));
    await userEvent.click(screen.getByRole("button", { name: "Start new session" }));
    expect(h.sent.at(-1)).toEqual({ type: "create_session" });
  });

  it("says how the connection is", () => {
    const h = mountConversation();
    const status = screen.getByRole("status", { name: "Connection" });
    expect(status).toHaveTextContent("Connected");
    act(() => h.connection().setStatus("reconnecting"));
    expect(status).toHaveTextContent("Reconnecting…");
    act(() => h.connection().setStatus("disconnected"));
    expect(status).toHaveTextContent("Disconnected");
    expect(screen.getAllByRole("button", { name: "Reconnect now" }).length).toBeGreaterThan(0);
  });

  it("cannot send while disconnected", async () => {
    const h = mountConversation();
    act(() => h.connection().setStatus("reconnecting"));
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "hi");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(screen.getByText(/Not connected/)).toBeInTheDocument();
  });
});
