import { useEffect, useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../hooks/use-sessions";
import { SessionRow } from "./session-row";
import type { ListedSession } from "../../../types/protocol";

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

/** How close to the end of the list (px) the next page is fetched. */
const LOAD_AHEAD_PX = 400;

/** The owners named in the list (only admins are sent owners' names), by name. */
function ownersOf(sessions: ListedSession[]): Array<{ id: string; name: string }> {
  const byId = new Map<string, string>();
  for (const s of sessions) if (s.user_name) byId.set(s.user_id, s.user_name);
  return [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The sessions the server lists (a member's own; an admin's: everyone's, with the owner's
 * name and a filter by owner — over the rows loaded — once they are more than one person's),
 * newest activity first, a page at a time (the next page loads as the list scrolls near its
 * end); "New session"; current or archived; bulk archive and delete.
 */
export function Sidebar({ currentId, connected, onOpen, onPicked }: Props) {
  const { sessions: all, creating, createSession, nextCursor, loadMore, filter, setFilter, archive, purge, ownerFilter, setOwnerFilter } = useSessions(
    useShallow((s) => ({
      sessions: s.sessions,
      creating: s.creating,
      createSession: s.createSession,
      nextCursor: s.nextCursor,
      loadMore: s.loadMore,
      filter: s.filter,
      setFilter: s.setFilter,
      archive: s.archive,
      purge: s.purge,
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
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const chosen = sessions.filter((s) => selected.has(s.session_id));
  const endedChosen = chosen.filter((s) => s.status === "terminated" || s.status === "failed");

  return (
    <nav aria-label="Sessions" className="flex min-h-0 flex-1 flex-col">
      <div className="space-y-2 p-3">
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
        <div className="flex items-center gap-2 text-xs">
          <label className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={filter === "archived"}
              onChange={(e) => {
                setSelected(new Set());
                void setFilter(e.target.checked ? "archived" : "current");
              }}
            />
            Show archived
          </label>
        </div>
        {chosen.length > 0 && (
          <div role="group" aria-label="Selected sessions" className="flex flex-wrap items-center gap-2 text-xs">
            <span>{chosen.length} selected</span>
            <button
              type="button"
              className="rounded border border-zinc-300 px-2 py-0.5 dark:border-zinc-700"
              onClick={() => {
                for (const s of chosen) void archive(s.session_id, filter !== "archived");
                setSelected(new Set());
              }}
            >
              {filter === "archived" ? "Restore" : "Archive"}
            </button>
            <button
              type="button"
              disabled={endedChosen.length === 0}
              title="Only ended sessions can be deleted"
              className="rounded border border-red-300 px-2 py-0.5 text-red-700 disabled:opacity-50 dark:border-red-800 dark:text-red-300"
              onClick={() => {
                if (!window.confirm(`Delete ${endedChosen.length} ended session(s) for good?`)) return;
                void purge(endedChosen.map((s) => s.session_id));
                setSelected(new Set());
              }}
            >
              Delete ended
            </button>
          </div>
        )}
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
      <div
        className="min-h-0 flex-1 overflow-y-auto px-2 pb-3"
        data-testid="session-scroller"
        onScroll={(e) => {
          const el = e.currentTarget;
          if (nextCursor && el.scrollHeight - el.scrollTop - el.clientHeight < LOAD_AHEAD_PX) void loadMore();
        }}
      >
        {sessions.length === 0 ? (
          <p className="px-2 text-sm text-zinc-600 dark:text-zinc-400">{filter === "archived" ? "No archived sessions." : "No sessions yet."}</p>
        ) : (
          <ul className="space-y-1">
            {sessions.map((s) => (
              <SessionRow
                key={s.session_id}
                session={s}
                showOwner={showOwners}
                current={s.session_id === currentId}
                now={now}
                selected={selected.has(s.session_id)}
                onSelect={(on) =>
                  setSelected((prev) => {
                    const next = new Set(prev);
                    if (on) next.add(s.session_id);
                    else next.delete(s.session_id);
                    return next;
                  })
                }
                onOpen={() => {
                  onOpen(s.session_id);
                  onPicked();
                }}
              />
            ))}
          </ul>
        )}
        {nextCursor && (
          <button type="button" onClick={() => void loadMore()} className="mt-2 w-full text-xs text-blue-700 underline dark:text-blue-300">
            Load more sessions
          </button>
        )}
      </div>
    </nav>
  );
}
