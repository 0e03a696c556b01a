/**
 * The store factory: one Zustand store per concern, created together for one signed-in app
 * (and for each test: nothing is global, so every test starts from fresh stores).
 *
 * How the stores talk to each other is written here and in route-frame.ts, nowhere else:
 * - what a store needs from another arrives as functions in its deps (below);
 * - server frames are routed to each concern by `routeFrame`;
 * - the connection status, set only by the WebSocket client, drives the reactions below.
 */
import type { ClientFrame, StoredMessage } from "../../types/protocol";
import { createChatStore, type ChatStore } from "../../features/chat/stores/chat-store";
import { createConnectionStore, type ConnectionStore } from "../../features/connection/stores/connection-store";
import { createSessionsStore, type SessionsApi, type SessionsStore } from "../../features/sessions/stores/sessions-store";
import { createNoticeStore, type NoticeStore } from "./notice-store";

export type AppStores = {
  connection: ConnectionStore;
  sessions: SessionsStore;
  chat: ChatStore;
  notice: NoticeStore;
};

export type StoresDeps = {
  /** Sends a frame on the WebSocket; false when it is not open. */
  send(frame: ClientFrame): boolean;
  /** Runs `fn` soon (the next animation frame in the browser): buffered deltas apply then. */
  schedule(fn: () => void): void;
  now?(): number;
  /** Stored messages of a session (REST), for one that cannot be subscribed. */
  loadHistory?(id: string): Promise<StoredMessage[]>;
  /** The session list's REST calls (paging, archive, delete). */
  sessionsApi?: SessionsApi;
  /** The session that was open before a reload. */
  initialSessionId?: string | null;
  /** Who is signed in (once known): another user's session is read, not opened. */
  myUserId?(): string | null;
};

export function createStores(deps: StoresDeps): AppStores {
  const notice = createNoticeStore();
  const notifyError = (text: string) => notice.getState().show({ text, tone: "error" });
  const connection = createConnectionStore();
  const sessions = createSessionsStore({ send: deps.send, notifyError, api: deps.sessionsApi });
  const chat = createChatStore({
    ...deps,
    notifyError,
    isConnected: () => connection.getState().status === "connected",
    summary: (id) => sessions.getState().sessions.find((x) => x.session_id === id),
    isForeign: (summary) => {
      const me = deps.myUserId?.() ?? null;
      return me !== null && summary.user_id !== me;
    },
    createSessionFor: (text) => sessions.getState().queueFirstMessage(text),
  });

  connection.subscribe(({ status }) => {
    if (status === "connected") notice.getState().clearInfo();
    // A create in flight is lost with the connection; the typed text stays in the box.
    else sessions.getState().cancelCreate();
  });

  return { connection, sessions, chat, notice };
}
