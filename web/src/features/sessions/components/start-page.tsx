import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../hooks/use-sessions";
import { ProjectPicker } from "./project-picker";

/** No session is open: start one (a message typed now starts one too, and waits here). */
export function StartPage({
  connected,
  onReconnect,
  onOpen,
}: {
  connected: boolean;
  /** Offered once retries have gone on for a while (the status says Disconnected). */
  onReconnect: (() => void) | null;
  /** Opens a session (a kept worktree's). */
  onOpen?(id: string): void;
}) {
  const { creating, createSession, queued } = useSessions(
    useShallow((s) => ({ creating: s.creating, createSession: s.createSession, queued: s.queuedText })),
  );
  return (
    <div className="flex min-h-0 flex-1 flex-col items-center justify-center gap-3 p-6 text-center">
      {queued !== null && (
        <div data-role="user" data-state="sending" className="max-w-[85%] self-end rounded-2xl bg-zinc-100 px-4 py-2 text-left whitespace-pre-wrap [overflow-wrap:anywhere] dark:bg-zinc-800">
          {queued}
        </div>
      )}
      <h2 className="text-lg font-semibold">Start a Claude Code session</h2>
      <p className="max-w-md text-sm text-zinc-700 dark:text-zinc-300">
        Each session is its own Claude Code process working in the server's workspace. Pick
        one from the session list, or start a new one — it is ready at once.
      </p>
      <ProjectPicker onOpen={onOpen} />
      <button
        type="button"
        data-focus-next
        onClick={createSession}
        disabled={creating || !connected}
        className="rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1 disabled:opacity-60"
      >
        {creating ? "Creating session…" : "New session"}
      </button>
      {onReconnect && (
        <button type="button" onClick={onReconnect} className="text-sm underline">
          Reconnect now
        </button>
      )}
    </div>
  );
}
