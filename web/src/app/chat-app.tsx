import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, fetchDiff, fetchInfo, fetchMe, fetchMentionFiles, fetchProjects, fetchMessages, fetchSessions, forkSession, patchSession, purgeSession, removeKeptWorktree, searchMessages, downloadExport } from "../lib/rest";
import { SearchDialog } from "../features/search/components/search-dialog";
import { createNotifier } from "../features/notify/notifier";
import { NotifyToggle } from "../features/notify/notify-toggle";
import { sessionName } from "../features/sessions/stores/sessions-store";
import { focusNext } from "../lib/focus";
import { Connection } from "../features/connection/api/ws-client";
import { useChat } from "../features/chat/hooks/use-chat";
import { loadLastSession, saveLastSession } from "../features/chat/lib/last-session";
import { preloadMarkdown } from "../features/chat/lib/load-markdown";
import { AdminPage } from "../features/admin/components/admin-page";
import type { Info, Me } from "../types/protocol";
import { createFramePacer } from "./frame-pacer";
import { createStores } from "./stores/create-stores";
import { serverLink } from "./stores/route-frame";
import { StoresProvider } from "./stores/stores-provider";
import { SessionsPane } from "./sessions-pane";
import { ConversationPane } from "./conversation-pane";
import { StatusBar } from "./status-bar";
import { Header } from "./header";
import { SkipLinks } from "./skip-links";
import { ApprovalAlerts } from "./approval-alerts";

type Props = {
  /** The key sent with every request; `""` behind a single sign-on proxy. */
  apiKey: string;
  /** Signed in by the proxy: there is no key to forget. */
  singleSignOn: boolean;
  info: Info | null;
  onInfo(info: Info): void;
  /** `wasRefused`: the server no longer accepts the key; `reason`: the server's, if any. */
  onSignOut(wasRefused: boolean, reason?: string): void;
};

/** How long to wait before asking who we are again after a failure (not a refusal). */
const ME_RETRY_MS = 5_000;

/** The signed-in app: one set of stores and one connection for this key. */
export function ChatApp({ apiKey, singleSignOn, info, onInfo, onSignOut }: Props) {
  const [me, setMe] = useState<Me | null>(null);
  const [page, setPage] = useState<"chat" | "admin">("chat");
  const [{ stores, connection, refresh, signedIn }] = useState(() => {
    let conn: Connection | null = null;
    // The stores are made once; they read who is signed in through this, once it is known.
    const signedIn: { me: Me | null } = { me: null };
    const stores = createStores({
      send: (f) => conn?.send(f) ?? false,
      // Streamed text: at most once per animation frame, paced to the device (frame-pacer.ts).
      schedule: createFramePacer(),
      loadHistory: (id) => fetchMessages(apiKey, id),
      sessionsApi: {
        list: (o) => fetchSessions(apiKey, o),
        patch: (id, p) => patchSession(apiKey, id, p),
        purge: (id) => purgeSession(apiKey, id),
        download: (id, format) => downloadExport(apiKey, id, format),
        history: (id) => fetchMessages(apiKey, id),
        fork: (id, beforeSeq) => forkSession(apiKey, id, beforeSeq),
        projects: () => fetchProjects(apiKey),
        removeWorktree: (project, id) => removeKeptWorktree(apiKey, project, id),
      },
      initialSessionId: loadLastSession(),
      myUserId: () => signedIn.me?.user_id ?? null,
    });
    stores.chat.subscribe((s, prev) => {
      if (s.currentId !== prev.currentId) saveLastSession(s.currentId);
    });
    const refresh = () => {
      fetchSessions(apiKey)
        .then((page) => stores.sessions.getState().setFirstPage(page.sessions, page.next_cursor))
        .catch(() => {});
    };
    const notify = createNotifier({
      titleOf: (id) => {
        const row = stores.sessions.getState().sessions.find((x) => x.session_id === id);
        return row ? sessionName(row) : "Claude Code session";
      },
      open: (id) => stores.chat.getState().switchSession(id),
    });
    const link = serverLink(stores, refresh);
    conn = new Connection({
      key: apiKey,
      status: stores.connection,
      link: {
        ...link,
        onFrame(frame) {
          link.onFrame(frame);
          notify(frame);
        },
      },
      onUnauthorized: (reason) => onSignOut(true, reason),
    });
    return { stores, connection: conn, refresh, signedIn };
  });
  const [drawerOpen, setDrawerOpen] = useState(false);
  const refused = useCallback(() => onSignOut(true), [onSignOut]);

  useEffect(() => {
    if (me) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const ask = () => {
      fetchMe(apiKey)
        .then((m) => {
          if (!live) return;
          signedIn.me = m;
          setMe(m);
        })
        .catch((e) => {
          if (!live) return;
          if (e instanceof ApiError && e.status === 401) refused();
          else timer = setTimeout(ask, ME_RETRY_MS);
        });
    };
    ask();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [apiKey, me, refused, signedIn]);
  /** A session was picked in the drawer: focus goes to it, not back to the drawer's button. */
  const picked = useRef(false);

  useEffect(() => {
    connection.start();
    preloadMarkdown();
    return () => connection.stop();
  }, [connection]);

  useEffect(() => {
    stores.sessions.getState().setChoices(info?.session_options ?? null);
    stores.sessions.getState().setAttachmentLimits(info?.attachments);
  }, [info, stores]);

  useEffect(() => {
    // The projects a new session can start in (an older server has none to offer).
    void stores.sessions.getState().refreshProjects();
  }, [stores]);

  useEffect(() => {
    if (info) return;
    fetchInfo(apiKey)
      .then(onInfo)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) onSignOut(true);
      });
  }, [apiKey, info, onInfo, onSignOut]);

  const sidebar = useMemo(
    () => (
      <SessionsPane
        onPicked={() => {
          picked.current = true;
          setDrawerOpen(false);
          focusNext();
        }}
      />
    ),
    [],
  );
  const search = useCallback((q: string) => searchMessages(apiKey, q), [apiKey]);
  const workspace = useMemo(
    () => ({
      diff: (id: string, o?: Parameters<typeof fetchDiff>[2]) => fetchDiff(apiKey, id, o),
      files: (id: string, q: string) => fetchMentionFiles(apiKey, id, q),
    }),
    [apiKey],
  );
  const openFound = useCallback((id: string) => stores.chat.getState().switchSession(id), [stores]);
  const onDrawerClosed = useCallback(() => {
    const wasPicked = picked.current;
    picked.current = false;
    if (wasPicked) focusNext();
    return wasPicked;
  }, []);

  return (
    <StoresProvider stores={stores}>
      <div className="flex h-dvh flex-col overflow-hidden">
        {/* Their targets (the conversation, the message box) are not on the admin page. */}
        {page === "chat" && <OpenSessionSkipLinks />}
        <Header
          demo={!!info?.demo_model}
          drawerOpen={drawerOpen}
          onDrawer={(open) => {
            if (open) picked.current = false;
            setDrawerOpen(open);
          }}
          drawer={sidebar}
          onDrawerClosed={onDrawerClosed}
          me={me}
          adminOpen={page === "admin"}
          onAdmin={
            me?.role === "admin"
              ? () => {
                  // Others' sessions come and go: the list is fetched again on the way.
                  refresh();
                  setPage(page === "admin" ? "chat" : "admin");
                }
              : null
          }
          onSignOut={singleSignOn ? null : () => onSignOut(false)}
          search={
            <>
              <SearchDialog search={search} onOpen={openFound} />
              <NotifyToggle />
            </>
          }
        />
        <div className="flex min-h-0 flex-1">
          <div className="hidden w-72 shrink-0 flex-col border-r border-zinc-200 md:flex dark:border-zinc-800">{sidebar}</div>
          <main className="flex min-w-0 flex-1 flex-col">
            {page === "admin" ? (
              <AdminPage
                apiKey={apiKey}
                defaults={{
                  maxSessions: info?.limits.max_sessions_per_user ?? null,
                  dailySpendUsd: info?.limits.daily_spend_limit_usd ?? null,
                }}
                onUnauthorized={refused}
                onClose={() => {
                  refresh();
                  setPage("chat");
                }}
              />
            ) : (
              <ConversationPane onReconnect={connection.reconnectNow} workspace={workspace} />
            )}
          </main>
        </div>
        <StatusBar onReconnect={connection.reconnectNow} />
        <ApprovalAlerts />
      </div>
    </StoresProvider>
  );
}

/** The skip links (to the conversation only while one is shown). */
function OpenSessionSkipLinks() {
  const open = useChat((s) => s.currentId !== null);
  return <SkipLinks conversation={open} />;
}
