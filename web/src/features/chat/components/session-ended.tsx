import { focusNext } from "../../../lib/focus";
import { useChat } from "../hooks/use-chat";

const REASON: Record<string, string> = {
  destroyed: "This session was ended.",
  duration_limit: "This session reached its time limit and was closed.",
  failed: "This session's process kept failing and was stopped.",
  terminated: "This session has ended.",
  ended: "This session has ended.",
};

/** Why the session ended, with what can be done next. */
export function SessionEnded({
  id,
  creating,
  onNewSession,
}: {
  id: string;
  /** A new session is being created (Start new session waits). */
  creating: boolean;
  onNewSession(): void;
}) {
  const resume = useChat((s) => s.resume);
  const t = useChat((s) => s.views[id]?.terminated);
  if (!t) return null;
  return (
    <div role="status" aria-label="Session ended" className="border-t border-zinc-200 bg-zinc-50 px-3 py-3 text-sm dark:border-zinc-800 dark:bg-zinc-900">
      <p>{REASON[t.reason] ?? (t.message || "This session has ended.")}</p>
      <div className="mt-2 flex flex-wrap gap-2">
        <button
          type="button"
          data-focus-next
          onClick={onNewSession}
          disabled={creating}
          className="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1 disabled:opacity-60"
        >
          Start new session
        </button>
        {t.resumable && (
          <button
            type="button"
            onClick={() => {
              resume(id);
              focusNext();
            }}
            className="rounded-md border border-zinc-400 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-600 dark:hover:bg-zinc-800"
          >
            Resume
          </button>
        )}
      </div>
    </div>
  );
}

/** Another tab took this session over. */
export function OpenedElsewhere({ id }: { id: string }) {
  const switchSession = useChat((s) => s.switchSession);
  return (
    <div role="status" className="border-t border-zinc-200 bg-zinc-50 px-3 py-3 text-sm dark:border-zinc-800 dark:bg-zinc-900">
      <p>This session was opened in another window or tab.</p>
      <button
        type="button"
        data-focus-next
        onClick={() => {
          switchSession(id);
          focusNext();
        }}
        className="mt-2 rounded-md border border-zinc-400 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-600 dark:hover:bg-zinc-800"
      >
        Continue here
      </button>
    </div>
  );
}

/** An admin reading another user's session: only its owner can write in it. */
export function ReadOnly({ owner }: { owner: string }) {
  return (
    <div role="status" aria-label="Read only" className="border-t border-zinc-200 bg-zinc-50 px-3 py-3 text-sm dark:border-zinc-800 dark:bg-zinc-900">
      <p>
        This is {owner}'s session: you can read it, and end it from the list. Only {owner} can write
        in it.
      </p>
    </div>
  );
}
