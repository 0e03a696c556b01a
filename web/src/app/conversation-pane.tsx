import { useEffect } from "react";
import { useChat, useCurrentView } from "../features/chat/hooks/use-chat";
import { MessageList } from "../features/chat/components/message-list";
import { Composer } from "../features/chat/components/composer";
import { PermissionDialog } from "../features/chat/components/permission-dialog";
import { NoticeBanner, WarningBanner } from "./banners";
import { SessionEnded, OpenedElsewhere } from "../features/chat/components/session-ended";

/** The open session: banners, the conversation, what ended it, the message box. */
export function Conversation({ onReconnect }: { onReconnect(): void }) {
  const view = useCurrentView();
  const interrupt = useChat((s) => s.interrupt);
  const creating = useChat((s) => s.creating);
  const connection = useChat((s) => s.connection);
  const createSession = useChat((s) => s.createSession);
  const queued = useChat((s) => s.queuedText);

  // Ctrl+Shift+X stops the running reply, wherever the focus is.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.shiftKey && (e.key === "X" || e.key === "x")) {
        e.preventDefault();
        interrupt();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [interrupt]);

  return (
    <>
      <NoticeBanner />
      <WarningBanner />
      {view ? (
        <MessageList key={view.id} view={view} />
      ) : (
        <div className="flex min-h-0 flex-1 flex-col items-center justify-center gap-3 p-6 text-center">
          {queued !== null && (
            <div data-role="user" data-state="sending" className="max-w-[85%] self-end rounded-2xl bg-blue-600 px-4 py-2 text-left whitespace-pre-wrap text-white [overflow-wrap:anywhere]">
              {queued}
            </div>
          )}
          <h2 className="text-lg font-semibold">Start a Claude Code session</h2>
          <p className="max-w-md text-sm text-zinc-600 dark:text-zinc-400">
            Each session is its own Claude Code process working in the server's workspace. Pick
            one from the session list, or start a new one — it is ready at once.
          </p>
          <button
            type="button"
            onClick={createSession}
            disabled={creating || connection !== "connected"}
            className="rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700 disabled:opacity-60"
          >
            {creating ? "Creating session…" : "New session"}
          </button>
          {connection === "disconnected" && (
            <button type="button" onClick={onReconnect} className="text-sm underline">
              Reconnect now
            </button>
          )}
        </div>
      )}
      {view?.terminated && <SessionEnded view={view} />}
      {view?.openedElsewhere && <OpenedElsewhere id={view.id} />}
      <Composer />
      <PermissionDialog />
    </>
  );
}
