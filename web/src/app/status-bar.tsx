import { useCurrentView } from "../features/chat/hooks/use-chat";
import { ConnectionStatus } from "../features/connection/components/connection-status";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { formatCost, shortId } from "../lib/format";

/** Connection state, the open session, its message count and costs. */
export function StatusBar({ onReconnect }: { onReconnect(): void }) {
  const view = useCurrentView();
  const summary = useSessions((s) => (view ? s.sessions.find((x) => x.session_id === view.id) : undefined));
  const total = view?.totalCost ?? summary?.total_cost_usd;
  return (
    <footer className="flex flex-wrap items-center gap-x-4 gap-y-1 border-t border-zinc-200 px-3 py-1.5 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
      <ConnectionStatus onReconnect={onReconnect} />
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
