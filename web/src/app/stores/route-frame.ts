/**
 * Where each server frame goes: the one place that knows which stores a frame concerns, and
 * in which order they apply it. The WebSocket client calls it through `serverLink`.
 */
import type { ServerLink } from "../../features/connection/api/ws-client";
import { isSessionEvent, type ControlFrame, type ServerFrame, type SessionEvent } from "../../types/protocol";
import type { AppStores } from "./create-stores";

export function routeFrame(stores: AppStores, frame: ServerFrame) {
  if (isSessionEvent(frame)) routeEvent(stores, frame);
  else routeControl(stores, frame);
}

function routeEvent({ chat, sessions }: AppStores, e: SessionEvent) {
  // A replay of what was applied is dropped; a delta waits for the next frame.
  if (!chat.getState().admitEvent(e)) return;
  // The answer to our create_session: it opens (and takes the text typed before it existed).
  const created =
    e.type === "session_ready" && sessions.getState().creating && !chat.getState().views[e.session_id]
      ? e.session
      : null;
  if (created) {
    sessions.getState().created(created);
    chat.getState().openCreated(e.session_id);
  }
  chat.getState().applyEvent(e);
  sessions.getState().applyEvent(e);
  const queued = created ? sessions.getState().takeQueuedText() : null;
  if (queued !== null) chat.getState().sendFirstMessage(queued);
}

function routeControl({ chat, sessions, notice }: AppStores, f: ControlFrame) {
  switch (f.type) {
    case "session_list":
      sessions.getState().setFirstPage(f.sessions, f.next_cursor ?? null);
      // Sessions came or went: the projects' counts and kept worktrees may have changed.
      void sessions.getState().refreshProjects();
      break;
    case "session_creating":
      sessions.getState().markCreating();
      break;
    case "session_history":
      chat.getState().applyHistory(f);
      break;
    case "error":
      if (chat.getState().handleError(f)) break;
      // Not about a conversation: without a session id it may be our create that failed.
      if (!f.session_id) sessions.getState().cancelCreate();
      notice.getState().show({ text: f.message, tone: "error" });
      break;
    case "session_state":
      sessions.getState().applyState(f);
      break;
    case "server_shutting_down":
      // Only a notice: a reply being written goes on streaming until the close (its
      // message says how long it has).
      notice.getState().show({ text: f.message, tone: "info" });
      break;
  }
}

/** A turn ended: the session summaries (message count, cost) are worth refreshing. */
const endsTurn = (f: ServerFrame) =>
  f.type === "response_complete" || f.type === "stream_error" || f.type === "stream_interrupted";

/** What the WebSocket client reports, applied to the stores. */
export function serverLink(stores: AppStores, onTurnEnded?: () => void): ServerLink {
  return {
    onFrame(frame) {
      routeFrame(stores, frame);
      if (endsTurn(frame)) onTurnEnded?.();
    },
    // Re-subscribe to the open session after its last event: no gap, no repeat.
    onOpen: () => stores.chat.getState().resubscribe(),
    // What was streamed before the drop is shown, not held back.
    onClose: () => stores.chat.getState().flush(),
  };
}
