import { useEffect, useMemo, useState } from "react";
import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../hooks/use-sessions";
import { formatCost, shortId, timeAgo } from "../../../lib/format";
import type { SessionStatus, SessionSummary } from "../../../types/protocol";

const STATUS_STYLE: Record<SessionStatus, string> = {
  creating: "bg-sky-500",
  active: "bg-green-500",
  idle: "bg-amber-400",
  suspended: "bg-zinc-400",
  failed: "bg-red-500",
  terminated: "bg-zinc-300 dark:bg-zinc-600",
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
 * name and a filter by owner), newest activity first, and "New session".
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
  const sessions = useMemo(
    () => (ownerFilter ? all.filter((s) => s.user_id === ownerFilter) : all),
    [all, ownerFilter],
  );
  const now = useNow();

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="p-3">
        <button
          type="button"
          onClick={() => {
            createSession();
            onPicked();
          }}
          disabled={creating || !connected}
          className="w-full rounded-md bg-blue-600 px-3 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-400 disabled:opacity-60"
        >
          {creating ? "Creating session…" : "New session"}
        </button>
      </div>
      {owners.length > 0 && (
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
      <nav aria-label="Session list" className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {sessions.length === 0 ? (
          <p className="px-2 text-sm text-zinc-500">No sessions yet.</p>
        ) : (
          <ul className="space-y-1">
            {sessions.map((s) => (
              <SessionRow
                key={s.session_id}
                session={s}
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
      </nav>
    </div>
  );
}

function SessionRow({
  session: s,
  current,
  now,
  onOpen,
}: {
  session: SessionSummary;
  current: boolean;
  now: number;
  onOpen(): void;
}) {
  const destroy = useSessions((st) => st.destroy);
  const ended = s.status === "terminated" || s.status === "failed";
  return (
    <li
      className={`group flex items-stretch rounded-md ${current ? "bg-zinc-100 dark:bg-zinc-800" : "hover:bg-zinc-50 dark:hover:bg-zinc-900"}`}
    >
      <button
        type="button"
        onClick={onOpen}
        aria-current={current ? "true" : undefined}
        data-session-id={s.session_id}
        className="min-w-0 flex-1 rounded-md px-2 py-2 text-left focus-visible:ring-2 focus-visible:ring-blue-400"
      >
        <span className="flex items-center gap-2 text-sm font-medium">
          <span aria-hidden className={`inline-block h-2 w-2 shrink-0 rounded-full ${STATUS_STYLE[s.status]}`} />
          <span className="truncate font-mono" title={s.session_id}>
            {shortId(s.session_id)}
          </span>
          <span className="ml-auto shrink-0 text-xs font-normal text-zinc-500">{s.status}</span>
        </span>
        <span className="mt-0.5 flex gap-2 text-xs text-zinc-500">
          {s.user_name && (
            <span className="truncate" title={`Owner: ${s.user_name}`}>
              {s.user_name}
            </span>
          )}
          <span>{timeAgo(s.last_active_at, now)}</span>
          <span title={`${s.message_count} messages`}>{s.message_count} msg</span>
          <span className="ml-auto">{formatCost(s.total_cost_usd)}</span>
        </span>
      </button>
      {!ended && (
        <AlertDialog.Root>
          <AlertDialog.Trigger asChild>
            <button
              type="button"
              aria-label={`End session ${shortId(s.session_id)}`}
              title="End session"
              className="rounded-md px-2 text-zinc-400 opacity-100 hover:text-red-600 focus-visible:ring-2 focus-visible:ring-blue-400 md:opacity-0 md:group-hover:opacity-100 md:focus:opacity-100"
            >
              ×
            </button>
          </AlertDialog.Trigger>
          <AlertDialog.Portal>
            <AlertDialog.Overlay className="fixed inset-0 bg-black/40" />
            <AlertDialog.Content className="fixed top-1/2 left-1/2 w-[min(24rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-5 shadow-xl dark:bg-zinc-900">
              <AlertDialog.Title className="font-semibold">End this session?</AlertDialog.Title>
              <AlertDialog.Description className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
                Its Claude Code process stops for good. The conversation stays in the list to
                read, and a new session can be started at any time.
              </AlertDialog.Description>
              <div className="mt-4 flex justify-end gap-2">
                <AlertDialog.Cancel className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm dark:border-zinc-700">
                  Cancel
                </AlertDialog.Cancel>
                <AlertDialog.Action
                  onClick={() => destroy(s.session_id)}
                  className="rounded-md bg-red-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-700"
                >
                  End session
                </AlertDialog.Action>
              </div>
            </AlertDialog.Content>
          </AlertDialog.Portal>
        </AlertDialog.Root>
      )}
    </li>
  );
}
