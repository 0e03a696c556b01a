import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { useChat } from "../features/chat/hooks/use-chat";
import { ruleLabel } from "../features/chat/lib/rule-label";

const EMPTY: string[] = [];

/**
 * What "Allow for this session" granted in the open session, each with Revoke (the CLI then
 * asks again). Shown only when there is something to list.
 */
export function SessionPermissions({ id }: { id: string }) {
  const allowed = useSessions(useShallow((s) => s.states[id]?.allowed ?? EMPTY));
  const revoke = useChat((s) => s.revokeRule);
  if (allowed.length === 0) return null;
  return (
    <section aria-label="Allowed for this session" className="border-b border-zinc-200 px-3 py-1.5 text-xs dark:border-zinc-800">
      <span className="text-zinc-700 dark:text-zinc-300">Allowed for this session without asking:</span>
      <ul className="mt-1 flex flex-wrap gap-2">
        {allowed.map((rule) => (
          <li key={rule} className="flex items-center gap-1 rounded-md border border-zinc-300 px-2 py-0.5 dark:border-zinc-700">
            <span className="font-mono" title={ruleLabel(rule)}>
              {rule}
            </span>
            <button
              type="button"
              onClick={() => revoke(rule)}
              aria-label={`Revoke ${ruleLabel(rule)}`}
              className="min-h-6 rounded px-1 text-blue-700 underline hover:text-blue-900 focus-visible:ring-2 focus-visible:ring-blue-500 dark:text-blue-300"
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
