import { useChat, useCurrentView } from "../features/chat/hooks/use-chat";
import { formatCost, shortId } from "../lib/format";
import type { ConnectionStatus } from "../features/chat/stores/chat-store";

const LABEL: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected",
};

const DOT: Record<ConnectionStatus, string> = {
  connecting: "bg-sky-500",
  connected: "bg-green-500",
  reconnecting: "bg-amber-500",
  disconnected: "bg-red-500",
};

/** Connection state, the open session, its message count and costs. */
export function StatusBar({ onReconnect }: { onReconnect(): void }) {
  const connection = useChat((s) => s.connection);
  const view = useCurrentView();
  const summary = useChat((s) => s.sessions.find((x) => x.session_id === s.currentId));
  const total = view?.totalCost ?? summary?.total_cost_usd;
  return (
    <footer className="flex flex-wrap items-center gap-x-4 gap-y-1 border-t border-zinc-200 px-3 py-1.5 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
      <span role="status" aria-label="Connection" className="flex items-center gap-1.5">
        <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${DOT[connection]}`} />
        {LABEL[connection]}
      </span>
      {connection === "disconnected" && (
        <button type="button" onClick={onReconnect} className="underline">
          Reconnect now
        </button>
      )}
      {view && (
        <>
          <span title={view.id}>
            Session <span className="font-mono">{shortId(view.id)}</span>
          </span>
          <span>{summary?.message_count ?? 0} messages</span>
          <span>Last reply {formatCost(view.lastCost)}</span>
          <span>Total {formatCost(total)}</span>
        </>
      )}
    </footer>
  );
}
