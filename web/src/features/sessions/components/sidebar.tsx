import { useCallback, useEffect, useMemo, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../hooks/use-sessions";
import { loadsAhead, offersProjects, sidebarRows } from "../lib/sidebar-rows";
import { SessionList } from "./session-list";

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

/** The owners named in the pages loaded (only admins are sent owners' names), by name. */
function ownersOf(known: Record<string, string>): Array<{ id: string; name: string }> {
  return Object.entries(known)
    .map(([id, name]) => ({ id, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The sessions the server lists (a member's own; an admin's: everyone's, with the owner's
 * name and a filter by owner — the server's `?owner=` — once they are more than one person's),
 * newest activity first, a page at a time in a virtualized list (the next page loads as the
 * list scrolls near its end); "New session"; current or archived; bulk archive and delete.
 * When the server offers several projects: grouped by project (a header per project, folded
 * or not, with a "+" for a new session there and the worktrees kept in it) or not, and
 * filtered to one project or not.
 */
export function Sidebar({ currentId, connected, onOpen, onPicked }: Props) {
  const {
    sessions,
    creating,
    createSession,
    nextCursor,
    loadingMore,
    loadMore,
    filter,
    setFilter,
    archive,
    purge,
    ownerFilter,
    setOwnerFilter,
    known,
    projects,
    projectFilter,
    setProjectFilter,
    grouped,
    setGrouped,
    collapsed,
    setCollapsed,
    createSessionIn,
  } = useSessions(
    useShallow((s) => ({
      sessions: s.sessions,
      creating: s.creating,
      createSession: s.createSession,
      nextCursor: s.nextCursor,
      loadingMore: s.loadingMore,
      loadMore: s.loadMore,
      filter: s.filter,
      setFilter: s.setFilter,
      archive: s.archive,
      purge: s.purge,
      ownerFilter: s.ownerFilter,
      setOwnerFilter: s.setOwnerFilter,
      known: s.owners,
      projects: s.projects?.projects ?? null,
      projectFilter: s.projectFilter,
      setProjectFilter: s.setProjectFilter,
      grouped: s.grouped,
      setGrouped: s.setGrouped,
      collapsed: s.collapsed,
      setCollapsed: s.setCollapsed,
      createSessionIn: s.createSessionIn,
    })),
  );
  const several = offersProjects(projects);
  const folded = useMemo(() => new Set(collapsed), [collapsed]);
  const rows = useMemo(
    () => sidebarRows(sessions, { projects, grouped, projectFilter, collapsed: folded, showKept: filter === "current" }),
    [sessions, projects, grouped, projectFilter, folded, filter],
  );
  const owners = useMemo(() => ownersOf(known), [known]);
  // Only the sessions of more than one person need their owner named (the picker stays while
  // it filters by one).
  const showOwners = owners.length > 1;
  const now = useNow();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const more = useCallback(() => void loadMore(), [loadMore]);
  const select = useCallback(
    (id: string, on: boolean) =>
      setSelected((prev) => {
        const next = new Set(prev);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    [],
  );
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
          {several && (
            <label className="flex items-center gap-1">
              <input type="checkbox" checked={grouped} onChange={(e) => setGrouped(e.target.checked)} />
              Group by project
            </label>
          )}
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
      {several && projects && (
        <div className="px-3 pb-2">
          <label className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
            Filter by project
            <select
              value={projectFilter ?? ""}
              onChange={(e) => {
                setSelected(new Set());
                setProjectFilter(e.target.value || null);
              }}
              className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-transparent px-2 py-1 text-sm dark:border-zinc-700"
            >
              <option value="">All projects</option>
              {projects.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {showOwners && (
        <div className="px-3 pb-2">
          <label className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
            Owner
            <select
              value={ownerFilter ?? ""}
              onChange={(e) => {
                setSelected(new Set());
                void setOwnerFilter(e.target.value || null);
              }}
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
      {rows.length === 0 && !(projectFilter && nextCursor) ? (
        <p className="px-5 text-sm text-zinc-600 dark:text-zinc-400">
          {filter === "archived" ? "No archived sessions" : "No sessions yet"}
          {several && projectFilter ? ` in ${projectFilter}.` : "."}
        </p>
      ) : (
        <SessionList
          rows={rows}
          hasMore={nextCursor !== null}
          loadingMore={loadingMore}
          loadMore={more}
          showOwners={showOwners}
          currentId={currentId}
          now={now}
          selected={selected}
          onSelect={select}
          onToggleGroup={setCollapsed}
          onNewIn={(project) => {
            createSessionIn(project);
            onPicked();
          }}
          newDisabled={creating || !connected}
          loadsAhead={loadsAhead(rows)}
          onOpen={(id) => {
            onOpen(id);
            onPicked();
          }}
        />
      )}
    </nav>
  );
}
