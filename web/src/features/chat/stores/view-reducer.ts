/**
 * How one session's view changes: with each live event, with a `session_history`, and with
 * what the user sends. Pure functions over a copy of the view (the store makes the copy, see
 * `updateView` in chat-store.ts), so every rule of a turn reads in one place.
 */
import type { Attachment, ControlFrame, SessionEvent } from "../../../types/protocol";
import { SUSPENDED_REASONS } from "../../../types/protocol";
import { TOOL_UNFINISHED, isDenial, itemId, itemsFromHistory, type Item, type ToolItem, type UserItem } from "./items";
import type { SessionView } from "./session-view";
import { addChild, replaceTool } from "./agent-items";

export type HistoryFrame = Extract<ControlFrame, { type: "session_history" }>;

/** Applies one live event (not `stream_delta`: the store buffers those and applies them with `appendText`). */
export function applyEvent(v: SessionView, e: SessionEvent, now: () => number) {
  v.lastEventSeq = e.event_seq;
  const firstAfterHistory = v.afterHistory;
  v.afterHistory = false;
  switch (e.type) {
    case "session_ready":
      if (v.restarting || e.source === "resumed") {
        const line = notice(
          e.source === "resumed" ? "Session ready — the conversation was restored." : "Session ready.",
        );
        // Woken by the message being sent: the line goes before that message.
        const last = v.live[v.live.length - 1];
        if (last?.kind === "user" && last.state === "sending") v.live.splice(-1, 0, line);
        else v.live.push(line);
      }
      v.restarting = false;
      v.terminated = null;
      if (e.commands) v.commands = e.commands;
      break;
    case "context_compacted":
      v.live.push(notice(`Conversation compacted: ${e.pre_tokens.toLocaleString("en-US")} → ${e.post_tokens.toLocaleString("en-US")} tokens of context.`));
      break;
    case "message_received": {
      const mine = v.live.find(
        (it): it is UserItem => it.kind === "user" && it.clientSeq === e.seq && it.state !== "sent",
      );
      v.lastUserText = e.text;
      v.lastUserAttachments = e.attachments ?? [];
      if (mine) {
        v.live[v.live.indexOf(mine)] = { ...mine, state: "sent" };
      } else {
        if (firstAfterHistory) v.live = []; // that turn is in the history now
        else endTurnItems(v);
        v.live.push({
          kind: "user",
          id: itemId("u"),
          text: e.text,
          state: "sent",
          at: new Date(now()).toISOString(),
          ...(e.attachments?.length ? { attachments: e.attachments } : {}),
        });
      }
      v.running = true;
      v.streaming = false;
      v.terminated = null;
      break;
    }
    case "stream_retracted":
      retractText(v, e.text);
      break;
    case "tool_use": {
      const tool: ToolItem = {
        kind: "tool",
        id: itemId("t"),
        toolUseId: e.tool_use_id,
        name: e.name,
        input: e.input,
        status: "running",
        startedAt: now(),
      };
      if (e.parent_tool_use_id && addChild(v.live, e.parent_tool_use_id, tool)) break;
      v.streaming = false;
      v.live.push(tool);
      break;
    }
    case "agent_text":
      addChild(v.live, e.parent_tool_use_id, { kind: "assistant", id: itemId("a"), text: e.text });
      break;
    case "tool_result": {
      if (e.parent_tool_use_id) {
        const result = e;
        replaceTool(v.live, e.tool_use_id, (t) => ({
          ...t,
          status: !result.is_error ? "done" : isDenial(result.content) ? "denied" : "error",
          content: result.content,
          durationMs: result.duration_ms ?? (t.startedAt ? now() - t.startedAt : null),
        }));
        break;
      }
      const i = v.live.findIndex((it) => it.kind === "tool" && it.toolUseId === e.tool_use_id);
      const tool = v.live[i] as ToolItem | undefined;
      if (tool) {
        v.live[i] = {
          ...tool,
          status: !e.is_error ? "done" : e.denied || tool.denied || isDenial(e.content) ? "denied" : "error",
          content: e.content,
          durationMs: e.duration_ms ?? (tool.startedAt ? now() - tool.startedAt : null),
        };
      }
      break;
    }
    case "permission_request":
      v.permission = {
        requestId: e.request_id,
        toolName: e.tool_name,
        input: e.input,
        reason: e.reason,
        sessionRules: e.session_rules ?? [],
      };
      break;
    case "permission_cancelled":
      if (v.permission?.requestId === e.request_id) v.permission = null;
      break;
    case "permission_answered":
      // Answered here or from another connection: the prompt goes either way.
      if (v.permission?.requestId === e.request_id) {
        if (!e.allow) denyAwaitedTool(v);
        v.permission = null;
      }
      break;
    case "response_complete":
      finishTurn(v);
      v.lastCost = e.cost_usd;
      if (e.context) v.context = { usedTokens: e.context.used_tokens, windowTokens: e.context.window_tokens };
      v.totalCost = e.total_cost_usd;
      break;
    case "stream_retrying":
      v.live.push(
        notice(
          `The AI service is busy; retrying (attempt ${e.attempt} of ${e.max_retries}) in ${Math.ceil(e.delay_ms / 1000)} s…`,
        ),
      );
      break;
    case "stream_error":
      finishTurn(v);
      v.live.push({
        kind: "error",
        id: itemId("e"),
        code: e.code,
        message: e.message,
        action: e.suggested_action,
      });
      break;
    case "stream_interrupted":
      finishTurn(v);
      v.live.push(notice("[Response interrupted]"));
      break;
    case "session_warning":
      v.warning = { remainingSeconds: e.remaining_seconds, receivedAt: now() };
      break;
    case "session_restarting":
      v.restarting = true;
      v.live.push(notice(`Restarting the session: ${e.message}`, "warning"));
      break;
    case "session_terminated":
      finishTurn(v);
      v.warning = null;
      // The session's process ends here; a resumed session counts on from the last
      // event_seq (older servers: from 1 again), so starting over from 0 is right either way.
      v.lastEventSeq = 0;
      if (SUSPENDED_REASONS.includes(e.reason)) {
        v.live.push(notice(e.message || "The session was suspended while idle; your next message resumes it."));
      } else {
        v.terminated = { reason: e.reason, resumable: e.resumable, message: e.message };
      }
      break;
    case "session_opened_elsewhere":
      v.openedElsewhere = true;
      break;
    case "changes_updated":
      v.changes = { files: e.files, additions: e.additions, deletions: e.deletions };
      v.changesVersion += 1;
      break;
  }
}

/**
 * Applies a `session_history`: it replaces the stored part of the view, while the live turn
 * is kept unless the first event after it starts a new turn (see `message_received`).
 */
export function applyHistory(view: SessionView, f: HistoryFrame) {
  view.history = itemsFromHistory(f.messages);
  view.historyLoaded = true;
  view.afterHistory = true;
  view.openedElsewhere = false;
  view.dormant = false;
  // From 0 the whole kept turn is replayed: nothing of ours is needed.
  if (view.requestedAfterSeq === 0) view.live = [];
  if (f.turn_running === false && view.running) {
    // No reply is on its way: a message sent just before a drop never arrived
    // (if it did and its turn already ended, the replay confirms it).
    view.running = false;
    view.streaming = false;
    view.live = view.live.map((it) =>
      it.kind === "user" && it.state === "sending"
        ? { ...it, state: "failed", error: "the connection dropped before it arrived. Send it again." }
        : it,
    );
  }
}

/** The user sent `text` (client seq `seq`) at `at`: a new turn starts with it, not yet confirmed. */
export function startUserTurn(v: SessionView, text: string, seq: number, at: string, attachments: Attachment[] = []) {
  endTurnItems(v);
  v.dormant = false;
  v.live.push({ kind: "user", id: itemId("u"), text, state: "sending", clientSeq: seq, at, ...(attachments.length ? { attachments } : {}) });
  v.running = true;
  v.lastUserText = text;
  v.lastUserAttachments = attachments;
  v.terminated = null;
  v.afterHistory = false;
}

/**
 * The server refused what was last sent here: that message shows as not sent. Returns false
 * when nothing was waiting for an answer.
 */
export function failSending(v: SessionView, error: string, turnGoesOn: boolean): boolean {
  const sending = [...v.live].reverse().find((it): it is UserItem => it.kind === "user" && it.state === "sending");
  if (!sending) return false;
  v.live[v.live.indexOf(sending)] = { ...sending, state: "failed", error };
  if (!turnGoesOn) v.running = false;
  return true;
}

function notice(text: string, tone: "info" | "warning" = "info"): Item {
  return { kind: "notice", id: itemId("n"), text, tone };
}

/** Appends streamed text to the reply being written (a new one, begun `at`, after a tool card). */
export function appendText(v: SessionView, text: string, at: string) {
  const last = v.live[v.live.length - 1];
  if (last?.kind === "assistant") v.live[v.live.length - 1] = { ...last, text: last.text + text };
  else v.live.push({ kind: "assistant", id: itemId("a"), text, at });
}

/**
 * The tool card a pending permission request is about: the last one still running with the
 * request's tool name (the request carries no `tool_use_id`), else the last one running.
 */
export function awaitedTool(v: SessionView): ToolItem | undefined {
  if (!v.permission) return undefined;
  const newestFirst = v.live.filter((it): it is ToolItem => it.kind === "tool" && it.status === "running").reverse();
  return newestFirst.find((t) => t.name === v.permission?.toolName) ?? newestFirst[0];
}

/** The person denied the pending request: its tool's result will be the denial. */
export function denyAwaitedTool(v: SessionView) {
  const tool = awaitedTool(v);
  if (tool) v.live[v.live.indexOf(tool)] = { ...tool, denied: true };
}

/** Removes `text` from the end of what this turn streamed. */
function retractText(v: SessionView, text: string) {
  let left = text.length;
  for (let i = v.live.length - 1; i >= 0 && left > 0; i--) {
    const it = v.live[i];
    if (it.kind !== "assistant") continue;
    const cut = Math.min(left, it.text.length);
    left -= cut;
    const rest = it.text.slice(0, it.text.length - cut);
    if (rest) v.live[i] = { ...it, text: rest };
    else v.live.splice(i, 1);
  }
}

/** The live turn becomes history (a new turn starts). */
function endTurnItems(v: SessionView) {
  if (v.live.length) {
    // An old error's Retry would resend the latest message, not its own: drop it.
    const done = v.live.map((it) => (it.kind === "error" && it.action !== "none" ? { ...it, action: "none" as const } : it));
    v.history = [...v.history, ...done];
    v.live = [];
  }
}

function finishTurn(v: SessionView) {
  v.running = false;
  v.streaming = false;
  v.permission = null;
  v.live = v.live.map((it) =>
    it.kind === "tool" && it.status === "running"
      ? { ...it, status: "error", content: it.content ?? TOOL_UNFINISHED }
      : it,
  );
}
