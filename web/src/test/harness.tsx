import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { createChatStore, type ChatStore } from "../features/chat/stores/chat-store";
import { ChatContext } from "../features/chat/hooks/use-chat";
import type { ClientFrame, ServerFrame, SessionSummary } from "../types/protocol";

export const SID = "33333333-3333-4333-8333-333333333333";

export function summary(id = SID, patch: Partial<SessionSummary> = {}): SessionSummary {
  return {
    session_id: id,
    status: "active",
    created_at: "2026-11-24T10:00:00.000000Z",
    last_active_at: "2026-11-24T10:00:00.000000Z",
    message_count: 0,
    total_cost_usd: 0,
    is_resumable: true,
    ...patch,
  };
}

/** A connected store with one open session; frames apply synchronously. */
export function chatHarness() {
  const sent: ClientFrame[] = [];
  const store: ChatStore = createChatStore({
    send: (f) => {
      sent.push(f);
      return true;
    },
    schedule: (fn) => fn(),
  });
  let seq = 0;
  const s = () => store.getState();
  s().setConnection("connected");
  s().createSession();
  s().receive({ type: "session_ready", session_id: SID, event_seq: ++seq, session: summary(), source: "pre-warmed" });
  const event = (body: Record<string, unknown>) =>
    s().receive({ session_id: SID, event_seq: ++seq, ...body } as ServerFrame);
  const mount = (ui: ReactElement) => render(<ChatContext.Provider value={store}>{ui}</ChatContext.Provider>);
  return { store, s, sent, event, mount };
}
