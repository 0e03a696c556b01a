/**
 * The conversations: which session is open, one view per session (its items, turn state,
 * last `event_seq`), and what is typed in each message box. Session events and histories come
 * in from `app/stores/route-frame.ts`; what the user does goes out through the injected
 * `send`. What the chat needs from the other stores arrives as functions in `ChatDeps`.
 *
 * Two rules keep a stream exact across reconnects (docs/protocol.md, "Reconnecting without
 * loss"): an event whose `event_seq` is not above the last one applied is dropped, and a
 * `session_history` replaces the stored part of a view while the live turn is kept, unless
 * the first event after it starts a new turn (then the kept turn is part of that history).
 * How each event changes a view is in `view-reducer.ts`; deltas wait in `delta-buffer.ts`
 * for the next frame.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import type { Attachment, ClientFrame, ControlFrame, SessionEvent, SessionSummary, StoredMessage } from "../../../types/protocol";
import { validateMessage } from "../lib/validate-message";
import { createDeltaBuffer } from "./delta-buffer";
import { denialMessage, itemsFromHistory } from "./items";
import { emptyView, type SessionView } from "./session-view";
import {
  appendText,
  applyEvent,
  applyHistory,
  denyAwaitedTool,
  failSending,
  startUserTurn,
  type HistoryFrame,
} from "./view-reducer";

export type ErrorFrame = Extract<ControlFrame, { type: "error" }>;

/**
 * The answer to a permission request. `scope: "session"` ("Allow for this session": the
 * same tool or command prefix, the request's `sessionRules`, is not asked about again in
 * this session) is sent as `remember`; the server passes it to the CLI as a session rule.
 */
export type PermissionDecision =
  | { allow: true; scope?: "once" | "session"; /** Continue in this permission mode (an approved plan). */ mode?: string }
  | { allow: false; reason?: string; /** Sent to Claude as is (plan feedback), instead of a denial built from `reason`. */ message?: string };

export type ChatState = {
  /** The session whose conversation is shown (null: the start page). */
  currentId: string | null;
  views: Record<string, SessionView>;
  /** What is typed in the message box, per session ("" before any session exists). */
  drafts: Record<string, string>;
  /** The server takes "Allow for this session" (`remember`; each request says what it grants). */
  canAllowForSession: boolean;
};

export type ChatActions = {
  /**
   * Whether a session event is applied now: false for one already applied (a replay after a
   * reconnect) and for a `stream_delta` (buffered until the next frame); when true, the
   * session's buffered text has been applied and `applyEvent` follows.
   */
  admitEvent(e: SessionEvent): boolean;
  applyEvent(e: SessionEvent): void;
  applyHistory(f: HistoryFrame): void;
  /** Our `create_session` was answered with this session: it opens. */
  openCreated(id: string): void;
  /** An error frame; returns false when it is not about a conversation here. */
  handleError(f: ErrorFrame): boolean;
  /** Applies buffered deltas now. */
  flush(): void;
  /** After (re)connecting: re-subscribe to the open session, resuming after its last event. */
  resubscribe(): void;
  switchSession(id: string): void;
  /** Sends a message (with images); returns an error to show instead, or null when sent. */
  sendMessage(text: string, attachments?: Attachment[]): string | null;
  /** Sends the text typed before any session existed to the one just opened. */
  sendFirstMessage(text: string): void;
  interrupt(): void;
  /** Answers the open session's pending permission request. */
  answerPermission(decision: PermissionDecision): void;
  /** Drops a rule "Allow for this session" granted in the open session. */
  revokeRule(rule: string): void;
  retry(): void;
  resume(id: string): void;
  /**
   * Keeps a session's unsent text (`sessionId` omitted: the open one; `null`: no session yet).
   * The composer writes it when it matters (pause in typing, send, switch), not on every key.
   */
  setDraft(text: string, sessionId?: string | null): void;
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
  // From the other stores (wired in app/stores/create-stores.ts):
  isConnected(): boolean;
  /** The server's summary of a session, if it is in the list. */
  summary(id: string): SessionSummary | undefined;
  /** The session is another user's (an admin sees everyone's): it is read, not opened. */
  isForeign?(summary: SessionSummary): boolean;
  /** No session is open: create one, and send `text` once it is ready. */
  createSessionFor(text: string): void;
  /** Shows an error that is not about one turn (the app's notice banner). */
  notifyError(text: string): void;
  /** The server takes "Allow for this session" (default true; false for a server without it). */
  allowForSession?: boolean;
};

export function createChatStore(deps: ChatDeps): ChatStore {
  const now = deps.now ?? Date.now;
  let clientSeq = 0;
  /** Images of a first message, sent once its new session is ready. */
  let firstAttachments: Attachment[] = [];

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

    const deltas = createDeltaBuffer(deps.schedule, (id, text, seq) =>
      updateView(id, (v) => {
        appendText(v, text, new Date(now()).toISOString());
        v.lastEventSeq = Math.max(v.lastEventSeq, seq);
        v.streaming = true;
      }),
    );

    const lastSeq = (id: string) => Math.max(get().views[id]?.lastEventSeq ?? 0, deltas.lastSeq(id));

    const subscribe = (id: string) => {
      const after = lastSeq(id);
      updateView(id, (v) => {
        v.requestedAfterSeq = after;
      });
      deps.send({ type: "switch_session", session_id: id, after_seq: after });
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
        .catch(() => deps.notifyError("The conversation could not be loaded."));
    };

    return {
      currentId: deps.initialSessionId ?? null,
      views: {},
      drafts: {},
      canAllowForSession: deps.allowForSession ?? true,

      admitEvent(e) {
        const id = e.session_id;
        if (e.event_seq <= lastSeq(id)) return false; // already applied (a replay after reconnect)
        if (e.type === "stream_delta") {
          deltas.add(id, e.text, e.event_seq);
          return false;
        }
        deltas.flushSession(id);
        return true;
      },
      applyEvent(e) {
        updateView(e.session_id, (v) => applyEvent(v, e, now));
      },
      applyHistory(f) {
        const id = f.session_id;
        const v = get().views[id];
        if (f.last_event_seq !== undefined && v && f.last_event_seq < v.requestedAfterSeq) {
          // The server's event_seq restarted (the server was restarted): start over.
          deltas.drop(id);
          updateView(id, () => emptyView(id));
          subscribe(id);
          return;
        }
        updateView(id, (view) => applyHistory(view, f));
      },
      openCreated(id) {
        set({ currentId: id });
        updateView(id, (v) => {
          v.historyLoaded = true;
        });
      },
      handleError(f) {
        const id = f.session_id;
        if (!id) return false;
        if (f.code === "session_opened_elsewhere") {
          updateView(id, (v) => {
            v.openedElsewhere = true;
            v.permission = null;
          });
          return true;
        }
        if (get().views[id]) {
          let failed = false;
          updateView(id, (v) => {
            failed = failSending(v, f.message, f.code === "query_in_progress");
          });
          if (failed) return true;
        }
        if (f.code === "not_resumable") {
          const summary = deps.summary(id);
          updateView(id, (v) => {
            v.terminated = { reason: "ended", resumable: summary?.is_resumable ?? false, message: f.message };
          });
          if (summary) showStored(id);
          return true;
        }
        if (f.code === "session_not_found" && id === get().currentId && !get().views[id]?.live.length) {
          // The remembered session is gone (another server, or deleted): show the start page.
          set({ currentId: null });
          return true;
        }
        return false;
      },
      flush: deltas.flush,
      resubscribe() {
        const id = get().currentId;
        const v = id ? get().views[id] : undefined;
        if (id && !v?.dormant && !v?.terminated && !v?.readOnly) subscribe(id);
      },
      switchSession(id) {
        if (get().currentId === id && !get().views[id]?.openedElsewhere) return;
        set({ currentId: id });
        const summary = deps.summary(id);
        if (summary && deps.isForeign?.(summary)) {
          // Another user's: its stored conversation, without taking it from its owner.
          updateView(id, (v) => {
            v.readOnly = { owner: summary.user_name ?? "another user" };
          });
          showStored(id);
          return;
        }
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
      sendMessage(text, attachments = []) {
        const problem = attachments.length && !text.trim() ? null : validateMessage(text);
        if (problem) return problem;
        const trimmed = text.trim();
        const id = get().currentId;
        if (!id) {
          // No session yet: create one and send when it is ready.
          if (!deps.isConnected()) return "Not connected to the server.";
          firstAttachments = attachments;
          deps.createSessionFor(trimmed);
          return null;
        }
        const view = get().views[id];
        if (view?.running) return "Wait for the reply to finish, or stop it.";
        const seq = ++clientSeq;
        const frame = { type: "user_message" as const, session_id: id, text: trimmed, seq };
        if (!deps.send(attachments.length ? { ...frame, attachments } : frame)) {
          return "Not connected to the server; your message was not sent.";
        }
        updateView(id, (v) => startUserTurn(v, trimmed, seq, new Date(now()).toISOString(), attachments));
        return null;
      },
      sendFirstMessage(text) {
        set((st) => ({ drafts: { ...st.drafts, "": "" } }));
        const attachments = firstAttachments;
        firstAttachments = [];
        get().sendMessage(text, attachments);
      },
      interrupt() {
        const id = get().currentId;
        if (id && get().views[id]?.running) deps.send({ type: "interrupt", session_id: id });
      },
      answerPermission(decision) {
        const id = get().currentId;
        const p = id ? get().views[id]?.permission : null;
        if (!id || !p) return;
        // Only where the request says what it would remember (else it would be a plain
        // Allow on the wire, which is not what the person chose).
        const remember = decision.allow && decision.scope === "session";
        if (remember && (!get().canAllowForSession || p.sessionRules.length === 0)) return;
        const sent = deps.send({
          type: "permission_response",
          session_id: id,
          request_id: p.requestId,
          allow: decision.allow,
          ...(decision.allow ? {} : { message: decision.message ?? denialMessage(decision.reason ?? "") }),
          ...(remember ? { remember: true } : {}),
          ...(decision.allow && decision.mode ? { mode: decision.mode } : {}),
        });
        if (!sent) {
          deps.notifyError("Not connected to the server: answer again once it is back.");
          return;
        }
        updateView(id, (v) => {
          if (!decision.allow) denyAwaitedTool(v);
          v.permission = null;
        });
      },
      revokeRule(rule) {
        const id = get().currentId;
        if (!id) return;
        if (!deps.send({ type: "revoke_permission", session_id: id, rule })) {
          deps.notifyError("Not connected to the server: try again once it is back.");
        }
      },
      retry() {
        const id = get().currentId;
        const view = id ? get().views[id] : undefined;
        // The attachments go again too: a retried question keeps its images and files.
        if (view && view.lastUserText !== null) get().sendMessage(view.lastUserText, view.lastUserAttachments);
      },
      resume(id) {
        // A resumed session has a new process and counts events from 1: start the view over
        // (its history comes with the resume).
        if (!deps.send({ type: "resume_session", session_id: id })) {
          deps.notifyError("Not connected to the server.");
          return;
        }
        deltas.drop(id);
        set({ currentId: id });
        updateView(id, () => emptyView(id));
      },
      setDraft(text, sessionId) {
        const key = (sessionId === undefined ? get().currentId : sessionId) ?? "";
        if ((get().drafts[key] ?? "") === text) return;
        set((st) => ({ drafts: { ...st.drafts, [key]: text } }));
      },
    };
  });
}
