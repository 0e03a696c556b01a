import { useEffect, useMemo, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { ConfirmDialog } from "../../../components/ui/confirm-dialog";
import { focusNext } from "../../../lib/focus";
import { useSessions } from "../hooks/use-sessions";
import { formatCost, shortId, timeAgoLong } from "../../../lib/format";
import type { LiveState, SessionStatus, SessionSummary } from "../../../types/protocol";

const STATUS_STYLE: Record<SessionStatus, string> = {
  creating: "bg-sky-500",
  active: "bg-green-500",
  idle: "bg-amber-400",
  suspended: "bg-zinc-400",
  failed: "bg-red-500",
  terminated: "bg-zinc-300 dark:bg-zinc-600",
};

/** A session's state in words (the row shows it and its accessible name says it). */
const STATUS_WORD: Record<SessionStatus, string> = {
  creating: "starting",
  active: "active",
  idle: "idle",
  suspended: "suspended",
  failed: "failed",
  terminated: "ended",
};

/** What a live session is doing (`session_state`), in words; it outranks the stored status. */
const LIVE_WORD: Record<LiveState, string> = {
  running: "running",
  waiting_for_approval: "waiting for approval",
  error: "error",
  idle: "idle",
  suspended: "suspended",
  ended: "ended",
};

const LIVE_STYLE: Record<LiveState, string> = {
  running: "bg-green-500",
  waiting_for_approval: "bg-amber-500",
  error: "bg-red-500",
  idle: "bg-amber-400",
  suspended: "bg-zinc-400",
  ended: "bg-zinc-300 dark:bg-zinc-600",
};

/** Re-renders every 30 s so "5 min ago" stays true. */
function useNow(periodMs = 30_000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}

type Props = {
  /** The open session (highlighted). */
  currentId: string | null;
  /** The WebSocket is open (a session can be created). */
  connected: boolean;
  /** Opens a session's conversation. */
  onOpen(id: string): void;
  /** A session was opened or created (the drawer closes). */
  onPicked(): void;
};

/** The owners named in the list (only admins are sent owners' names), by name. */
function ownersOf(sessions: SessionSummary[]): Array<{ id: string; name: string }> {
  const byId = new Map<string, string>();
  for (const s of sessions) if (s.user_name) byId.set(s.user_id, s.user_name);
  return [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The sessions the server lists (a member's own; an admin's: everyone's, with the owner's
 * name and a filter by owner once they are more than one person's), newest activity first,
 * and "New session".
 */
export function Sidebar({ currentId, connected, onOpen, onPicked }: Props) {
  const { sessions: all, creating, createSession, ownerFilter, setOwnerFilter } = useSessions(
    useShallow((s) => ({
      sessions: s.sessions,
      creating: s.creating,
      createSession: s.createSession,
      ownerFilter: s.ownerFilter,
      setOwnerFilter: s.setOwnerFilter,
    })),
  );
  const owners = useMemo(() => ownersOf(all), [all]);
  // Only the sessions of more than one person need their owner named.
  const showOwners = owners.length > 1;
  const sessions = useMemo(
    () => (ownerFilter ? all.filter((s) => s.user_id === ownerFilter) : all),
    [all, ownerFilter],
  );
  const now = useNow();

  return (
    <nav aria-label="Sessions" className="flex min-h-0 flex-1 flex-col">
      <div className="p-3">
        <button
          type="button"
          onClick={() => {
            createSession();
            onPicked();
          }}
          disabled={creating || !connected}
          className="w-full rounded-md bg-blue-600 px-3 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1 disabled:opacity-60"
        >
          {creating ? "Creating session…" : "New session"}
        </button>
      </div>
      {showOwners && (
        <div className="px-3 pb-2">
          <label className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
            Owner
            <select
              value={ownerFilter ?? ""}
              onChange={(e) => setOwnerFilter(e.target.value || null)}
              className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-transparent px-2 py-1 text-sm dark:border-zinc-700"
            >
              <option value="">Everyone</option>
              {owners.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {sessions.length === 0 ? (
          <p className="px-2 text-sm text-zinc-600 dark:text-zinc-400">No sessions yet.</p>
        ) : (
          <ul className="space-y-1">
            {sessions.map((s) => (
              <SessionRow
                key={s.session_id}
                session={s}
                showOwner={showOwners}
                current={s.session_id === currentId}
                now={now}
                onOpen={() => {
                  onOpen(s.session_id);
                  onPicked();
                }}
              />
            ))}
          </ul>
        )}
      </div>
    </nav>
  );
}

function SessionRow({
  session: s,
  showOwner,
  current,
  now,
  onOpen,
}: {
  session: SessionSummary;
  /** Name the owner (an admin's list of several people's sessions). */
  showOwner: boolean;
  /** The session whose conversation is shown. */
  current: boolean;
  now: number;
  onOpen(): void;
}) {
  const destroy = useSessions((st) => st.destroy);
  const live = useSessions((st) => st.states[s.session_id]?.state);
  const row = useRef<HTMLButtonElement>(null);
  const ended = s.status === "terminated" || s.status === "failed";
  const name = shortId(s.session_id);
  // The row's name says what it shows, in order: "3f2a1b9c, active, 5 minutes ago, 2 messages,
  // $0.01" (an admin's list: the owner's name after the status).
  const when = timeAgoLong(s.last_active_at, now);
  const messages = `${s.message_count} ${s.message_count === 1 ? "message" : "messages"}`;
  const cost = formatCost(s.total_cost_usd);
  const owner = showOwner ? s.user_name : undefined;
  const state = live && s.status !== "terminated" ? live : null;
  const word = state ? LIVE_WORD[state] : STATUS_WORD[s.status];
  const dot = state ? LIVE_STYLE[state] : STATUS_STYLE[s.status];
  return (
    <li
      className={`group flex items-stretch rounded-md ${current ? "bg-zinc-100 dark:bg-zinc-800" : "hover:bg-zinc-50 dark:hover:bg-zinc-900"}`}
    >
      <button
        ref={row}
        type="button"
        onClick={onOpen}
        aria-current={current ? "true" : undefined}
        aria-label={[name, word, owner, when, messages, cost].filter(Boolean).join(", ")}
        data-state={state ?? s.status}
        data-session-id={s.session_id}
        className="min-w-0 flex-1 rounded-md px-2 py-2 text-left focus-visible:ring-2 focus-visible:ring-blue-500"
      >
        {/* The spaces between the parts are not laid out (flex), but keep the text's words apart. */}
        <span className="flex items-center gap-2 text-sm font-medium">
          {state === "running" ? (
            <span aria-hidden className="inline-block h-2.5 w-2.5 shrink-0 animate-spin rounded-full border-2 border-green-600 border-t-transparent motion-reduce:animate-none" />
          ) : (
            <span aria-hidden className={`inline-block h-2 w-2 shrink-0 rounded-full ${dot}`} />
          )}
          <span className="truncate font-mono" title={s.session_id}>
            {name}
          </span>{" "}
          {state === "waiting_for_approval" ? (
            <span className="ml-auto shrink-0 rounded-full bg-amber-100 px-2 text-xs font-semibold text-amber-900 dark:bg-amber-900 dark:text-amber-100">
              {word}
            </span>
          ) : (
            <span className={`ml-auto shrink-0 text-xs font-normal ${state === "error" ? "text-red-700 dark:text-red-400" : "text-zinc-600 dark:text-zinc-400"}`}>{word}</span>
          )}
        </span>{" "}
        <span className="mt-0.5 flex gap-2 text-xs text-zinc-600 dark:text-zinc-400">
          {owner && (
            <>
              <span className="truncate" title={`Owner: ${owner}`}>
                {owner}
              </span>{" "}
            </>
          )}
          <span>{when}</span> <span>{messages}</span> <span className="ml-auto">{cost}</span>
        </span>
      </button>
      {!ended && (
        <ConfirmDialog
          trigger={
            <button
              type="button"
              aria-label={`End session ${name}`}
              title="End session"
              className="min-w-8 rounded-md px-2 text-lg text-zinc-600 opacity-100 hover:text-red-700 focus-visible:ring-2 focus-visible:ring-blue-500 md:opacity-0 md:group-hover:opacity-100 md:focus:opacity-100 dark:text-zinc-400 dark:hover:text-red-400"
            >
              ×
            </button>
          }
          title="End this session?"
          description="Its Claude Code process stops for good. The conversation stays in the list to read, and a new session can be started at any time."
          confirmLabel="End session"
          destructive
          onConfirm={() => destroy(s.session_id)}
          onConfirmed={() => {
            // The × goes with the session: focus goes on by the app's rule when the open
            // session ended (to "Start new session"), else back to this row.
            const inDrawer = !!row.current?.closest('[role="dialog"]');
            if (current && !inDrawer) focusNext();
            else row.current?.focus();
          }}
        />
      )}
    </li>
  );
}
