import { useShallow } from "zustand/react/shallow";
import { useChat } from "../features/chat/hooks/use-chat";
import { ConnectionStatus } from "../features/connection/components/connection-status";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { formatCost, shortId } from "../lib/format";
import { ContextMeter } from "./context-meter";

/** Connection state, the open session, its message count and costs (the last two on wider screens). */
export function StatusBar({ onReconnect }: { onReconnect(): void }) {
  const view = useChat(
    useShallow((s) => {
      const v = s.currentId ? s.views[s.currentId] : undefined;
      return v ? { id: v.id, lastCost: v.lastCost, totalCost: v.totalCost, context: v.context } : null;
    }),
  );
  const summary = useSessions((s) => (view ? s.sessions.find((x) => x.session_id === view.id) : undefined));
  const total = view?.totalCost ?? summary?.total_cost_usd;
  return (
    <footer className="flex flex-wrap items-center gap-x-4 gap-y-1 border-t border-zinc-200 px-3 py-1 text-xs text-zinc-600 sm:py-1.5 dark:border-zinc-800 dark:text-zinc-400">
      <ConnectionStatus onReconnect={onReconnect} />
      {view && (
        <>
          <span title={view.id}>
            Session <span className="font-mono">{shortId(view.id)}</span>
          </span>
          <span className="hidden sm:inline">{summary?.message_count ?? 0} messages</span>
          <span className="hidden sm:inline">Last reply {formatCost(view.lastCost)}</span>
          <span>Total {formatCost(total)}</span>
          {view.context && <ContextMeter usedTokens={view.context.usedTokens} windowTokens={view.context.windowTokens} />}
        </>
      )}
    </footer>
  );
}
