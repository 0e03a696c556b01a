/**
 * What the conversation view shows: one list of items per session, built either from stored
 * messages (`session_history`) or from live session events. Both paths produce the same
 * items, so a reply looks the same streamed and after a reload.
 */
import { Attachment, type StoredMessage, type SuggestedAction } from "../../../types/protocol";

export type UserItem = {
  kind: "user";
  id: string;
  text: string;
  /** `sending` until the server's `message_received`; `failed` if it refused the message. */
  state: "sending" | "sent" | "failed";
  error?: string;
  clientSeq?: number;
  /** When it was sent (ISO 8601). */
  at?: string;
  /** Images sent with the text. */
  attachments?: Attachment[];
};
export type AssistantItem = {
  kind: "assistant";
  id: string;
  text: string;
  /** When the reply began (ISO 8601). */
  at?: string;
};
export type ToolItem = {
  kind: "tool";
  id: string;
  toolUseId: string;
  name: string;
  input: unknown;
  /** `denied`: the person (or the server's timeout) said no; its `content` says why. */
  status: "running" | "done" | "error" | "denied";
  /** Denied here: the result that follows is the denial, not a failure. */
  denied?: boolean;
  content?: string;
  durationMs?: number | null;
  /** When the card appeared (ms since epoch), for a duration when the server gives none. */
  startedAt?: number;
  /** A sub-agent's tool calls and text, for an `Agent`/`Task` call (agent-items.ts). */
  children?: Array<ToolItem | AssistantItem>;
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

/** What Claude is told when the person denies a tool without giving a reason. */
export const DENIED_MESSAGE = "The user denied this request.";

/**
 * Whether a tool's error result is a denial: ours (with or without a reason), the server's
 * default, or its timeout. The result carries no flag for it (docs/protocol.md), so the
 * text is what tells, for a history loaded later.
 */
export function isDenial(content: string): boolean {
  return /^(The user denied (this|the) (request|tool call)|Nobody answered this permission request)/.test(content);
}

/** What Claude is told for a denial with `reason` (empty: the plain denial). */
export function denialMessage(reason: string): string {
  const r = reason.trim();
  return r ? `The user denied this request: ${r}` : DENIED_MESSAGE;
}

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
    // A sub-agent's tool call or text: under its Agent call's card.
    const parent = typeof p.parent_tool_use_id === "string" ? tools.get(p.parent_tool_use_id) : undefined;
    if (parent && (m.kind === "tool_use" || m.kind === "assistant")) {
      const child: ToolItem | AssistantItem =
        m.kind === "assistant"
          ? { kind: "assistant", id: key(m), text: str(p.text), at: m.created_at }
          : { kind: "tool", id: key(m), toolUseId: str(p.tool_use_id), name: str(p.name, "tool"), input: p.input, status: "running" };
      parent.children = [...(parent.children ?? []), child];
      if (child.kind === "tool") tools.set(child.toolUseId, child);
      continue;
    }
    switch (m.kind) {
      case "user":
        items.push({ kind: "user", id: key(m), text: str(p.text), state: "sent", at: m.created_at, ...storedAttachments(p.attachments) });
        break;
      case "assistant": {
        const last = items[items.length - 1];
        // Consecutive text blocks of one reply read as one message.
        if (last?.kind === "assistant") last.text += str(p.text);
        else items.push({ kind: "assistant", id: key(m), text: str(p.text), at: m.created_at });
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
          tool.content = str(p.content);
          tool.status = p.is_error !== true ? "done" : p.denied === true || isDenial(tool.content) ? "denied" : "error";
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

/** The images a stored user message kept (those that parse), as a spreadable field. */
function storedAttachments(raw: unknown): { attachments?: Attachment[] } {
  if (!Array.isArray(raw)) return {};
  const ok = raw.flatMap((a) => {
    const r = Attachment.safeParse(a);
    return r.success ? [r.data] : [];
  });
  return ok.length ? { attachments: ok } : {};
}
