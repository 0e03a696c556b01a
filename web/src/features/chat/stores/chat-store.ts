/**
 * The chat state: the session list, one view per session (its items, turn state, last
 * `event_seq`), and the connection status. Server frames come in through `receive`; what
 * the user does goes out through the injected `send`.
 *
 * Two rules keep a stream exact across reconnects (docs/protocol.md, "Reconnecting without
 * loss"): an event whose `event_seq` is not above the last one applied is dropped, and a
 * `session_history` replaces the stored part of a view while the live turn is kept, unless
 * the first event after it starts a new turn (then the kept turn is part of that history).
 *
 * Deltas are buffered and applied at most once per frame (`schedule`), so a fast stream
 * costs one render per frame, not one per token.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import {
  MAX_MESSAGE_CHARS,
  isSessionEvent,
  type ClientFrame,
  type ControlFrame,
  type EventOf,
  type ServerFrame,
  type SessionEvent,
  type SessionSummary,
  type StoredMessage,
} from "../../../types/protocol";
import { TOOL_UNFINISHED, itemId, itemsFromHistory, type Item, type ToolItem, type UserItem } from "./items";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

export type PermissionPrompt = {
  requestId: string;
  toolName: string;
  input: unknown;
  reason: string;
};

export type SessionView = {
  id: string;
  /** Items of complete turns, from the server's stored history. */
  history: Item[];
  /** Items of the current (or last) turn, built from live events. */
  live: Item[];
  lastEventSeq: number;
  /** The `after_seq` sent with the last switch (to detect a restarted server). */
  requestedAfterSeq: number;
  historyLoaded: boolean;
  /** The next event is the first after a `session_history`. */
  afterHistory: boolean;
  /** A turn is running: send is disabled, Stop is shown. */
  running: boolean;
  /** Reply text is streaming (the typing cursor shows). */
  streaming: boolean;
  permission: PermissionPrompt | null;
  warning: { remainingSeconds: number; receivedAt: number } | null;
  terminated: { reason: string; resumable: boolean; message: string } | null;
  openedElsewhere: boolean;
  /** Shown from the stored history without waking it (a suspended session): the next
   * message subscribes and wakes it. */
  dormant: boolean;
  restarting: boolean;
  lastCost: number | null;
  totalCost: number | null;
  /** The last text the user sent here (Retry sends it again). */
  lastUserText: string | null;
};

export type ChatState = {
  connection: ConnectionStatus;
  sessions: SessionSummary[];
  currentId: string | null;
  /** A `create_session` is on its way. */
  creating: boolean;
  /** Text typed before any session existed: sent once the new session is ready. */
  queuedText: string | null;
  views: Record<string, SessionView>;
  /** What is typed in the message box, per session ("" before any session exists). */
  drafts: Record<string, string>;
  /** A message for the person that is not about one turn (top of the screen). */
  notice: { text: string; tone: "info" | "error" } | null;
};

export type ChatActions = {
  receive(frame: ServerFrame): void;
  /** Applies buffered deltas now. */
  flush(): void;
  setConnection(status: ConnectionStatus): void;
  /** After (re)connecting: re-subscribe to the open session, resuming after its last event. */
  resubscribe(): void;
  createSession(): void;
  switchSession(id: string): void;
  /** Sends a message; returns an error to show instead, or null when sent. */
  sendMessage(text: string): string | null;
  interrupt(): void;
  answerPermission(allow: boolean): void;
  retry(): void;
  resume(id: string): void;
  destroy(id: string): void;
  dismissNotice(): void;
  setDraft(text: string): void;
  setSessions(sessions: SessionSummary[]): void;
};

export type ChatStore = StoreApi<ChatState & ChatActions>;

export type ChatDeps = {
  send(frame: ClientFrame): boolean;
  /** Runs `fn` soon (the next animation frame in the browser). */
  schedule(fn: () => void): void;
  now?(): number;
  /** Stored messages of a session (REST), for one that has ended and cannot be subscribed. */
  loadHistory?(id: string): Promise<StoredMessage[]>;
  /** The session that was open before a reload: it opens again once connected. */
  initialSessionId?: string | null;
};

export function emptyView(id: string): SessionView {
  return {
    id,
    history: [],
    live: [],
    lastEventSeq: 0,
    requestedAfterSeq: 0,
    historyLoaded: false,
    afterHistory: false,
    running: false,
    streaming: false,
    permission: null,
    warning: null,
    terminated: null,
    openedElsewhere: false,
    dormant: false,
    restarting: false,
    lastCost: null,
    totalCost: null,
    lastUserText: null,
  };
}

/** Characters as the server counts them (Unicode scalar values). */
export const charCount = (text: string) => Array.from(text).length;

export function validateMessage(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed) return "Type a message first.";
  const n = charCount(trimmed);
  if (n > MAX_MESSAGE_CHARS) {
    return `This message is ${n.toLocaleString("en-US")} characters; the limit is ${MAX_MESSAGE_CHARS.toLocaleString("en-US")}. Shorten it or attach less text.`;
  }
  return null;
}

export function createChatStore(deps: ChatDeps): ChatStore {
  const now = deps.now ?? Date.now;
  /** Buffered delta text per session, with the seq of its last delta. */
  const pending = new Map<string, { text: string; seq: number }>();
  let flushScheduled = false;
  let clientSeq = 0;

  return createStore<ChatState & ChatActions>()((set, get) => {
    /** Updates one view immutably (creating it if needed). */
    const updateView = (id: string, fn: (v: SessionView) => SessionView | void) => {
      set((s) => {
        const base = s.views[id] ?? emptyView(id);
        const copy: SessionView = { ...base, history: base.history, live: [...base.live] };
        const next = fn(copy) ?? copy;
        return { views: { ...s.views, [id]: next } };
      });
    };

    const flushSession = (id: string) => {
      const buf = pending.get(id);
      if (!buf) return;
      pending.delete(id);
      updateView(id, (v) => {
        appendText(v, buf.text);
        v.lastEventSeq = Math.max(v.lastEventSeq, buf.seq);
        v.streaming = true;
      });
    };

    const flush = () => {
      flushScheduled = false;
      for (const id of [...pending.keys()]) flushSession(id);
    };

    const lastSeq = (id: string) =>
      Math.max(get().views[id]?.lastEventSeq ?? 0, pending.get(id)?.seq ?? 0);

    const subscribe = (id: string) => {
      const after = lastSeq(id);
      updateView(id, (v) => {
        v.requestedAfterSeq = after;
      });
      deps.send({ type: "switch_session", session_id: id, after_seq: after });
    };

    const onEvent = (e: SessionEvent) => {
      const id = e.session_id;
      if (e.event_seq <= lastSeq(id)) return; // already applied (a replay after reconnect)
      if (e.type === "stream_delta") {
        const buf = pending.get(id);
        pending.set(id, { text: (buf?.text ?? "") + e.text, seq: e.event_seq });
        if (!flushScheduled) {
          flushScheduled = true;
          deps.schedule(flush);
        }
        return;
      }
      flushSession(id);
      // The answer to our create_session: open it (and send what was typed before it).
      const created = e.type === "session_ready" && get().creating && !get().views[id];
      if (created) {
        set({ creating: false, currentId: id });
        upsertSession(e.session);
        updateView(id, (v) => {
          v.historyLoaded = true;
        });
      }
      applyEvent(id, e);
      const queued = created ? get().queuedText : null;
      if (queued !== null) {
        set((st) => ({ queuedText: null, drafts: { ...st.drafts, "": "" } }));
        get().sendMessage(queued);
      }
    };

    /** Shows a session's stored messages (REST) without subscribing to it. */
    const showStored = (id: string) => {
      deps
        .loadHistory?.(id)
        .then((messages) =>
          updateView(id, (v) => {
            v.history = itemsFromHistory(messages);
            v.live = [];
            v.historyLoaded = true;
            v.lastEventSeq = 0;
          }),
        )
        .catch(() => set({ notice: { text: "The conversation could not be loaded.", tone: "error" } }));
    };

    const upsertSession = (summary: SessionSummary) => {
      set((s) => {
        const others = s.sessions.filter((x) => x.session_id !== summary.session_id);
        return { sessions: [summary, ...others] };
      });
    };

    const patchSession = (id: string, patch: Partial<SessionSummary>) => {
      set((s) => ({
        sessions: s.sessions.map((x) => (x.session_id === id ? { ...x, ...patch } : x)),
      }));
    };

    const applyEvent = (id: string, e: SessionEvent) => {
      updateView(id, (v) => {
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
            break;
          case "message_received": {
            const mine = v.live.find(
              (it): it is UserItem => it.kind === "user" && it.clientSeq === e.seq && it.state !== "sent",
            );
            v.lastUserText = e.text;
            if (mine) {
              v.live[v.live.indexOf(mine)] = { ...mine, state: "sent" };
            } else {
              if (firstAfterHistory) v.live = []; // that turn is in the history now
              else endTurnItems(v);
              v.live.push({ kind: "user", id: itemId("u"), text: e.text, state: "sent" });
            }
            v.running = true;
            v.streaming = false;
            v.terminated = null;
            break;
          }
          case "stream_retracted":
            retractText(v, e.text);
            break;
          case "tool_use":
            v.streaming = false;
            v.live.push({
              kind: "tool",
              id: itemId("t"),
              toolUseId: e.tool_use_id,
              name: e.name,
              input: e.input,
              status: "running",
              startedAt: now(),
            });
            break;
          case "tool_result": {
            const i = v.live.findIndex((it) => it.kind === "tool" && it.toolUseId === e.tool_use_id);
            const tool = v.live[i] as ToolItem | undefined;
            if (tool) {
              v.live[i] = {
                ...tool,
                status: e.is_error ? "error" : "done",
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
            };
            break;
          case "permission_cancelled":
            if (v.permission?.requestId === e.request_id) v.permission = null;
            break;
          case "response_complete":
            finishTurn(v);
            v.lastCost = e.cost_usd;
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
            // The session's process and its event sequence end here; a resumed session
            // counts from 1 again.
            v.lastEventSeq = 0;
            if (e.reason === "idle") {
              v.live.push(notice(e.message || "The session was suspended while idle; your next message resumes it."));
            } else {
              v.terminated = { reason: e.reason, resumable: e.resumable, message: e.message };
            }
            break;
          case "session_opened_elsewhere":
            v.openedElsewhere = true;
            break;
        }
      });
      if (e.type === "response_complete") patchSession(id, { total_cost_usd: e.total_cost_usd });
      if (e.type === "message_received") patchSession(id, { status: "active" });
      if (e.type === "session_terminated") {
        patchSession(id, {
          status: e.reason === "idle" ? "suspended" : "terminated",
          is_resumable: e.resumable,
        });
      }
    };

    const onControl = (f: ControlFrame) => {
      switch (f.type) {
        case "session_list":
          set({ sessions: f.sessions });
          break;
        case "session_creating":
          set({ creating: true });
          break;
        case "session_history": {
          const id = f.session_id;
          const v = get().views[id];
          if (f.last_event_seq !== undefined && v && f.last_event_seq < v.requestedAfterSeq) {
            // The server's event_seq restarted (the server was restarted): start over.
            pending.delete(id);
            updateView(id, () => emptyView(id));
            subscribe(id);
            return;
          }
          updateView(id, (view) => {
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
          });
          break;
        }
        case "error":
          onError(f);
          break;
        case "server_shutting_down":
          set({ notice: { text: f.message, tone: "info" } });
          break;
      }
    };

    const onError = (f: Extract<ControlFrame, { type: "error" }>) => {
      const id = f.session_id;
      if (f.code === "session_opened_elsewhere" && id) {
        updateView(id, (v) => {
          v.openedElsewhere = true;
          v.permission = null;
        });
        return;
      }
      if (id && get().views[id]) {
        let handled = false;
        updateView(id, (v) => {
          const sending = [...v.live]
            .reverse()
            .find((it): it is UserItem => it.kind === "user" && it.state === "sending");
          if (sending) {
            const i = v.live.indexOf(sending);
            v.live[i] = { ...sending, state: "failed", error: f.message };
            v.running = f.code === "query_in_progress" ? v.running : false;
            handled = true;
          }
        });
        if (handled) return;
      }
      if (f.code === "not_resumable" && id) {
        const summary = get().sessions.find((x) => x.session_id === id);
        updateView(id, (v) => {
          v.terminated = { reason: "ended", resumable: summary?.is_resumable ?? false, message: f.message };
        });
        if (summary) showStored(id);
        return;
      }
      if (f.code === "session_not_found" && id && id === get().currentId && !get().views[id]?.live.length) {
        // The remembered session is gone (another server, or deleted): show the start page.
        set({ currentId: null });
        return;
      }
      if (!id && get().creating) set({ creating: false, queuedText: null });
      set({ notice: { text: f.message, tone: "error" } });
    };

    return {
      connection: "connecting",
      sessions: [],
      currentId: deps.initialSessionId ?? null,
      creating: false,
      queuedText: null,
      views: {},
      drafts: {},
      notice: null,

      receive(frame) {
        if (isSessionEvent(frame)) onEvent(frame);
        else onControl(frame);
      },
      flush,
      setConnection(status) {
        if (status === "connected") {
          // A "server is restarting" notice is over once we are back.
          if (get().notice?.tone === "info") set({ notice: null });
        } else if (get().creating) {
          // A create in flight is lost with the connection; the typed text stays in the box.
          set({ creating: false, queuedText: null });
        }
        set({ connection: status });
      },
      resubscribe() {
        const id = get().currentId;
        if (id && !get().views[id]?.dormant && !get().views[id]?.terminated) subscribe(id);
      },
      createSession() {
        if (get().creating) return;
        if (deps.send({ type: "create_session" })) set({ creating: true });
        else set({ notice: { text: "Not connected to the server: try again once it is back.", tone: "error" } });
      },
      switchSession(id) {
        if (get().currentId === id && !get().views[id]?.openedElsewhere) return;
        set({ currentId: id });
        const summary = get().sessions.find((x) => x.session_id === id);
        const status = summary?.status;
        if (summary && (status === "terminated" || status === "failed" || status === "suspended")) {
          // Ended: show what was said, with Resume / Start new session. Suspended: show it
          // without waking it (a process per glance); the next message wakes it.
          updateView(id, (v) => {
            if (status === "suspended") v.dormant = true;
            else
              v.terminated = {
                reason: summary.status,
                resumable: summary.is_resumable,
                message: "This session has ended.",
              };
          });
          showStored(id);
          return;
        }
        subscribe(id);
      },
      sendMessage(text) {
        const problem = validateMessage(text);
        if (problem) return problem;
        const trimmed = text.trim();
        const id = get().currentId;
        if (!id) {
          // No session yet: create one and send when it is ready.
          if (get().connection !== "connected") return "Not connected to the server.";
          set({ queuedText: trimmed });
          get().createSession();
          return null;
        }
        const view = get().views[id];
        if (view?.running) return "Wait for the reply to finish, or stop it.";
        const seq = ++clientSeq;
        if (!deps.send({ type: "user_message", session_id: id, text: trimmed, seq })) {
          return "Not connected to the server; your message was not sent.";
        }
        updateView(id, (v) => {
          endTurnItems(v);
          v.dormant = false;
          v.live.push({ kind: "user", id: itemId("u"), text: trimmed, state: "sending", clientSeq: seq });
          v.running = true;
          v.lastUserText = trimmed;
          v.terminated = null;
          v.afterHistory = false;
        });
        return null;
      },
      interrupt() {
        const id = get().currentId;
        if (id && get().views[id]?.running) deps.send({ type: "interrupt", session_id: id });
      },
      answerPermission(allow) {
        const id = get().currentId;
        const p = id ? get().views[id]?.permission : null;
        if (!id || !p) return;
        deps.send({
          type: "permission_response",
          session_id: id,
          request_id: p.requestId,
          allow,
          ...(allow ? {} : { message: "The user denied this request." }),
        });
        updateView(id, (v) => {
          v.permission = null;
        });
      },
      retry() {
        const id = get().currentId;
        const text = id ? get().views[id]?.lastUserText : null;
        if (text) get().sendMessage(text);
      },
      resume(id) {
        // A resumed session has a new process and counts events from 1: start the view over
        // (its history comes with the resume).
        if (!deps.send({ type: "resume_session", session_id: id })) {
          set({ notice: { text: "Not connected to the server.", tone: "error" } });
          return;
        }
        pending.delete(id);
        set({ currentId: id });
        updateView(id, () => emptyView(id));
      },
      destroy(id) {
        deps.send({ type: "destroy_session", session_id: id });
      },
      dismissNotice() {
        set({ notice: null });
      },
      setDraft(text) {
        const key = get().currentId ?? "";
        set((st) => ({ drafts: { ...st.drafts, [key]: text } }));
      },
      setSessions(sessions) {
        set({ sessions });
      },
    };
  });
}

function notice(text: string, tone: "info" | "warning" = "info"): Item {
  return { kind: "notice", id: itemId("n"), text, tone };
}

/** Appends streamed text to the reply being written (a new one after a tool card). */
function appendText(v: SessionView, text: string) {
  const last = v.live[v.live.length - 1];
  if (last?.kind === "assistant") v.live[v.live.length - 1] = { ...last, text: last.text + text };
  else v.live.push({ kind: "assistant", id: itemId("a"), text });
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

export type { EventOf };
