/**
 * What the conversation view shows: one list of items per session, built either from stored
 * messages (`session_history`) or from live session events. Both paths produce the same
 * items, so a reply looks the same streamed and after a reload.
 */
import type { StoredMessage, SuggestedAction } from "../../../types/protocol";

export type UserItem = {
  kind: "user";
  id: string;
  text: string;
  /** `sending` until the server's `message_received`; `failed` if it refused the message. */
  state: "sending" | "sent" | "failed";
  error?: string;
  clientSeq?: number;
};
export type AssistantItem = { kind: "assistant"; id: string; text: string };
export type ToolItem = {
  kind: "tool";
  id: string;
  toolUseId: string;
  name: string;
  input: unknown;
  status: "running" | "done" | "error";
  content?: string;
  durationMs?: number | null;
  /** When the card appeared (ms since epoch), for a duration when the server gives none. */
  startedAt?: number;
};
export type NoticeItem = {
  kind: "notice";
  id: string;
  text: string;
  tone: "info" | "warning";
};
export type ErrorItem = {
  kind: "error";
  id: string;
  code: string;
  message: string;
  action: SuggestedAction;
};
export type Item = UserItem | AssistantItem | ToolItem | NoticeItem | ErrorItem;

/** What a tool card says when its turn ended without the tool's result. */
export const TOOL_UNFINISHED = "The turn ended before this tool finished.";

let nextId = 0;
/** A key for React lists, unique within this page. */
export const itemId = (prefix: string) => `${prefix}-${++nextId}`;

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);

/** Converts stored messages (oldest first) into items; tool results join their tool card. */
export function itemsFromHistory(messages: StoredMessage[]): Item[] {
  // Keys from the stored seq: the same message keeps its key (and a tool card its open
  // state) when the history is loaded again after a switch or reconnect.
  const key = (m: StoredMessage) => `h-${m.seq}`;
  const items: Item[] = [];
  const tools = new Map<string, ToolItem>();
  for (const m of messages) {
    const p = m.payload;
    switch (m.kind) {
      case "user":
        items.push({ kind: "user", id: key(m), text: str(p.text), state: "sent" });
        break;
      case "assistant": {
        const last = items[items.length - 1];
        // Consecutive text blocks of one reply read as one message.
        if (last?.kind === "assistant") last.text += str(p.text);
        else items.push({ kind: "assistant", id: key(m), text: str(p.text) });
        break;
      }
      case "tool_use": {
        const tool: ToolItem = {
          kind: "tool",
          id: key(m),
          toolUseId: str(p.tool_use_id),
          name: str(p.name, "tool"),
          input: p.input,
          status: "running",
        };
        tools.set(tool.toolUseId, tool);
        items.push(tool);
        break;
      }
      case "tool_result": {
        const tool = tools.get(str(p.tool_use_id));
        if (tool) {
          tool.status = p.is_error === true ? "error" : "done";
          tool.content = str(p.content);
          tool.durationMs = typeof p.duration_ms === "number" ? p.duration_ms : null;
        }
        break;
      }
      case "notice":
        items.push({ kind: "notice", id: key(m), text: str(p.text), tone: "info" });
        break;
      case "error":
        items.push({
          kind: "error",
          id: key(m),
          code: str(p.code, "internal"),
          message: str(p.message, "The reply failed."),
          // A stored error is history: offering to retry it later would resend out of order.
          action: "none",
        });
        break;
    }
  }
  // A tool whose result was never stored (the turn was cut short) is not still running.
  for (const tool of tools.values()) {
    if (tool.status === "running") {
      tool.status = "error";
      tool.content = TOOL_UNFINISHED;
    }
  }
  return items;
}
