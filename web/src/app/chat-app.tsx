import { useEffect, useMemo, useState } from "react";
import { ApiError, fetchInfo, fetchMessages, fetchSessions } from "../lib/rest";
import { Connection } from "../features/connection/api/ws-client";
import { createChatStore } from "../features/chat/stores/chat-store";
import { ChatContext } from "../features/chat/hooks/use-chat";
import { loadLastSession, saveLastSession } from "../features/auth/lib/saved-key";
import type { Info } from "../types/protocol";
import { Sidebar } from "../features/sessions/components/sidebar";
import { Conversation } from "./conversation-pane";
import { StatusBar } from "./status-bar";
import { DemoBanner } from "./banners";
import { Header } from "./header";

type Props = {
  apiKey: string;
  info: Info | null;
  onInfo(info: Info): void;
  /** `wasRefused`: the server no longer accepts the key. */
  onSignOut(wasRefused: boolean): void;
};

/** Frames are applied at most once per animation frame (a hidden tab has none: use a timer). */
function schedule(fn: () => void) {
  if (document.hidden) setTimeout(fn, 100);
  else requestAnimationFrame(fn);
}

/** The signed-in app: one chat store and one connection for this key. */
export function ChatApp({ apiKey, info, onInfo, onSignOut }: Props) {
  const [{ store, connection }] = useState(() => {
    let conn: Connection | null = null;
    const store = createChatStore({
      send: (f) => conn?.send(f) ?? false,
      schedule,
      loadHistory: (id) => fetchMessages(apiKey, id),
      initialSessionId: loadLastSession(),
    });
    store.subscribe((s, prev) => {
      if (s.currentId !== prev.currentId) saveLastSession(s.currentId);
    });
    conn = new Connection({
      key: apiKey,
      store,
      onUnauthorized: () => onSignOut(true),
      onTurnEnded: () => refresh(),
    });
    const refresh = () => {
      fetchSessions(apiKey)
        .then((sessions) => store.getState().setSessions(sessions))
        .catch(() => {});
    };
    return { store, connection: conn };
  });
  const [drawerOpen, setDrawerOpen] = useState(false);

  useEffect(() => {
    connection.start();
    return () => connection.stop();
  }, [connection]);

  useEffect(() => {
    if (info) return;
    fetchInfo(apiKey)
      .then(onInfo)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) onSignOut(true);
      });
  }, [apiKey, info, onInfo, onSignOut]);

  const sidebar = useMemo(
    () => <Sidebar onPicked={() => setDrawerOpen(false)} />,
    [],
  );

  return (
    <ChatContext.Provider value={store}>
      <div className="flex h-dvh flex-col overflow-hidden">
        {info?.demo_model && <DemoBanner />}
        <div className="flex min-h-0 flex-1">
          <aside
            aria-label="Sessions"
            className="hidden w-72 shrink-0 flex-col border-r border-zinc-200 md:flex dark:border-zinc-800"
          >
            {sidebar}
          </aside>
          <main className="flex min-w-0 flex-1 flex-col">
            <Header
              drawerOpen={drawerOpen}
              onDrawer={setDrawerOpen}
              drawer={sidebar}
              onSignOut={() => onSignOut(false)}
            />
            <Conversation onReconnect={connection.reconnectNow} />
          </main>
        </div>
        <StatusBar onReconnect={connection.reconnectNow} />
      </div>
    </ChatContext.Provider>
  );
}
