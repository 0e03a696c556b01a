/**
 * Sessions waiting for approval, seen from anywhere: the tab title counts them, and while
 * another session is open a toast names the first one with "Go to session" (from the
 * `session_state` frames every connection gets).
 */
import { useEffect, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { useChat } from "../features/chat/hooks/use-chat";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { shortId } from "../lib/format";
import { toolAction } from "../features/chat/lib/tool-input";

/** The ids of the sessions waiting for approval, and each one's request. */
function useWaiting() {
  return useSessions(
    useShallow((s) =>
      Object.values(s.states)
        .filter((x) => x.state === "waiting_for_approval" && x.permission)
        .map((x) => `${x.session_id} ${x.permission?.request_id} ${x.permission?.tool_name}`),
    ),
  );
}

/** "(1) Waiting for approval · <title>" while any session waits. */
function useApprovalTitle() {
  const count = useWaiting().length;
  useEffect(() => {
    const base = document.title.replace(/^\(\d+\) Waiting for approval · /, "");
    document.title = count > 0 ? `(${count}) Waiting for approval · ${base}` : base;
  }, [count]);
}

function ApprovalToast() {
  const waiting = useWaiting();
  const currentId = useChat((s) => s.currentId);
  const switchSession = useChat((s) => s.switchSession);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const first = waiting.find((w) => !w.startsWith(`${currentId} `) && w !== dismissed);
  if (!first) return null;
  const [id, , tool] = first.split(" ");
  return (
    <div
      role="status"
      className="fixed top-14 right-3 left-3 z-30 flex items-center md:top-auto md:bottom-14 md:left-auto md:max-w-sm gap-2 rounded-lg border-2 border-amber-500 bg-amber-50 px-3 py-2 text-sm text-zinc-900 shadow-lg dark:border-amber-600 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <span className="flex-1">
        Session <span className="font-mono">{shortId(id)}</span> is waiting for your approval to {toolAction(tool)}.
      </span>
      <button
        type="button"
        onClick={() => switchSession(id)}
        className="min-h-11 rounded-md bg-blue-600 px-3 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1 md:min-h-8"
      >
        Go to session
      </button>
      <button
        type="button"
        onClick={() => setDismissed(first)}
        aria-label="Dismiss"
        className="min-h-11 min-w-11 rounded px-1 focus-visible:ring-2 focus-visible:ring-blue-500 md:min-h-8 md:min-w-8"
      >
        ✕
      </button>
    </div>
  );
}

/** Both, for the signed-in app. */
export function ApprovalAlerts() {
  useApprovalTitle();
  return <ApprovalToast />;
}
