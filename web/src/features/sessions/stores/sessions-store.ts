/**
 * The sessions the server knows (the sidebar's list) and the creation of a new one. Which
 * session is open, and everything about its conversation, is the chat store's.
 *
 * A message typed before any session exists waits here (`queuedText`) while its session is
 * created; `app/stores/route-frame.ts` hands it to the chat store once the session is ready.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import type {
  ClientFrame,
  OptionChoices,
  OptionsChange,
  SessionEvent,
  SessionStateFrame,
  SessionSummary,
} from "../../../types/protocol";
import { SUSPENDED_REASONS } from "../../../types/protocol";

export type SessionsState = {
  sessions: SessionSummary[];
  /** A `create_session` is on its way. */
  creating: boolean;
  /** Text typed before any session existed: sent once the new session is ready. */
  queuedText: string | null;
  /** The model / effort / mode chosen for the next new session (unset: the server's default). */
  newOptions: OptionsChange;
  /** What the server offers (`GET /api/v1/info`); null until known. */
  choices: OptionChoices | null;
  /** An admin's choice of whose sessions to list (a user id); null: everyone's. */
  ownerFilter: string | null;
  /** What each live session is doing now (`session_state`), by id. */
  states: Record<string, SessionStateFrame>;
};

export type SessionsActions = {
  setSessions(sessions: SessionSummary[]): void;
  createSession(): void;
  /** No session is open: create one, and send `text` to it once it is ready. */
  queueFirstMessage(text: string): void;
  /** The server took a `create_session` (from this tab or another). */
  markCreating(): void;
  /** A create was lost (the connection dropped, or the server refused it). */
  cancelCreate(): void;
  /** Our create was answered with this session: it leads the list. */
  created(summary: SessionSummary): void;
  /** Hands over the text waiting for the new session (once). */
  takeQueuedText(): string | null;
  /** Keeps a session's summary current with its events (cost, status). */
  applyEvent(e: SessionEvent): void;
  /** A session's live state (running, waiting for approval, …), from any session. */
  applyState(f: SessionStateFrame): void;
  destroy(id: string): void;
  setChoices(choices: OptionChoices | null): void;
  /** Chooses options for the next new session. */
  setNewOptions(change: OptionsChange): void;
  /** Switches a session's options (the server answers with `session_options`). */
  setOptions(id: string, change: OptionsChange): void;
  setOwnerFilter(userId: string | null): void;
};

export type SessionsStore = StoreApi<SessionsState & SessionsActions>;

export type SessionsDeps = {
  send(frame: ClientFrame): boolean;
  /** Shows an error that is not about one turn (the app's notice banner). */
  notifyError(text: string): void;
};

export function createSessionsStore(deps: SessionsDeps): SessionsStore {
  return createStore<SessionsState & SessionsActions>()((set, get) => {
    const patch = (id: string, fields: Partial<SessionSummary>) => {
      set((s) => ({
        sessions: s.sessions.map((x) => (x.session_id === id ? { ...x, ...fields } : x)),
      }));
    };

    return {
      sessions: [],
      creating: false,
      queuedText: null,
      newOptions: {},
      choices: null,
      ownerFilter: null,
      states: {},

      setSessions(sessions) {
        set({ sessions });
      },
      createSession() {
        if (get().creating) return;
        if (deps.send({ type: "create_session", ...get().newOptions })) set({ creating: true });
        else deps.notifyError("Not connected to the server: try again once it is back.");
      },
      queueFirstMessage(text) {
        set({ queuedText: text });
        get().createSession();
      },
      markCreating() {
        set({ creating: true });
      },
      cancelCreate() {
        // The typed text stays in the message box.
        if (get().creating) set({ creating: false, queuedText: null });
      },
      created(summary) {
        set((s) => ({
          creating: false,
          sessions: [summary, ...s.sessions.filter((x) => x.session_id !== summary.session_id)],
        }));
      },
      takeQueuedText() {
        const text = get().queuedText;
        if (text !== null) set({ queuedText: null });
        return text;
      },
      applyEvent(e) {
        const id = e.session_id;
        if (e.type === "response_complete") patch(id, { total_cost_usd: e.total_cost_usd });
        if (e.type === "message_received") patch(id, { status: "active" });
        if (e.type === "session_options") {
          patch(id, { model: e.model, effort: e.effort, permission_mode: e.permission_mode });
        }
        if (e.type === "session_ready") {
          const { model, effort, permission_mode } = e.session;
          patch(id, { model, effort, permission_mode });
        }
        if (e.type === "session_terminated") {
          patch(id, { status: SUSPENDED_REASONS.includes(e.reason) ? "suspended" : "terminated", is_resumable: e.resumable });
        }
      },
      applyState(f) {
        set((s) => ({ states: { ...s.states, [f.session_id]: f } }));
        // Stopped: the list's status says so too (until the next session_list).
        if (f.state === "suspended") patch(f.session_id, { status: "suspended" });
      },
      destroy(id) {
        deps.send({ type: "destroy_session", session_id: id });
      },
      setChoices(choices) {
        set({ choices });
      },
      setNewOptions(change) {
        set((s) => ({ newOptions: { ...s.newOptions, ...change } }));
      },
      setOptions(id, change) {
        if (!deps.send({ type: "set_session_options", session_id: id, ...change })) {
          deps.notifyError("Not connected to the server: try again once it is back.");
        }
      },
      setOwnerFilter(userId) {
        set({ ownerFilter: userId });
      },
    };
  });
}
