import type { ReactNode } from "react";
import { sessionName } from "../stores/sessions-store";
import type { GroupRow, KeptRow } from "../lib/sidebar-rows";
import type { RowSlot } from "./session-row";
import { RemoveKeptWorktree } from "./remove-kept-worktree";

/** Where a row of the virtualized list sits (as `SessionRow` places itself). */
function Slotted({ slot, children, className }: { slot: RowSlot; children: ReactNode; className: string }) {
  const { index, start, setSize, measure } = slot;
  return (
    <li
      ref={measure}
      data-index={index}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${start}px)` }}
      className={className}
    >
      {children}
    </li>
  );
}

/**
 * A project's header in the grouped list: folds and unfolds its sessions (Enter, Space, or
 * ←/→), says how many of the loaded sessions are in it, and starts a new session there.
 */
export function GroupHeader({
  row,
  slot,
  more,
  onToggle,
  onNew,
  newDisabled,
}: {
  row: GroupRow;
  slot: RowSlot;
  /** More pages follow: the count is of the sessions loaded so far. */
  more: boolean;
  onToggle(collapsed: boolean): void;
  onNew(): void;
  newDisabled: boolean;
}) {
  const count = `${row.count}${more ? "+" : ""}`;
  const kept = row.info?.kept_worktrees.length ?? 0;
  const branch = row.info?.branch ? `${row.info.branch}${row.info.dirty ? ", changed" : ""}` : null;
  // Its name is a screen-reader-only text that holds what is shown ("Project alpha, 2 sessions,
  // 1 kept worktree, on main"; the shown parts are hidden from it): an aria-label would not
  // contain the visible text as it is laid out.
  const name = [
    `Project ${row.project}`,
    `${count} ${row.count === 1 && !more ? "session" : "sessions"}`,
    kept > 0 ? `${kept} kept ${kept === 1 ? "worktree" : "worktrees"}` : null,
    branch ? `on ${branch}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <Slotted slot={slot} className="flex items-center gap-1 border-b border-zinc-200 pt-2 dark:border-zinc-800">
      <button
        type="button"
        data-row-key={row.key}
        data-group={row.project}
        aria-expanded={!row.collapsed}
          title={row.info ? `${row.info.path}${branch ? ` · ${branch}` : ""}` : undefined}
        onClick={() => onToggle(!row.collapsed)}
        className="flex min-h-8 min-w-0 flex-1 items-center gap-1.5 rounded-md px-1 text-left text-xs font-semibold tracking-wide text-zinc-700 uppercase hover:bg-zinc-50 focus-visible:ring-2 focus-visible:ring-blue-500 dark:text-zinc-300 dark:hover:bg-zinc-900"
      >
        <span aria-hidden className="inline-block w-3 shrink-0 text-center">
          {row.collapsed ? "▸" : "▾"}
        </span>
        <span className="sr-only">{name}</span>
        <span aria-hidden className="truncate normal-case" data-testid="group-name">
          {row.project}
        </span>
        <span aria-hidden className="shrink-0 rounded-full bg-zinc-200 px-1.5 text-[11px] font-medium text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200" data-testid="group-count">
          {count}
        </span>
        {kept > 0 && (
          <span aria-hidden className="shrink-0 rounded-full bg-amber-100 px-1.5 text-[11px] font-medium text-amber-900 normal-case dark:bg-amber-900 dark:text-amber-100">
            {kept} kept
          </span>
        )}
      </button>
      <button
        type="button"
        aria-label={`New session in ${row.project}`}
        title={`New session in ${row.project}`}
        disabled={newDisabled}
        onClick={onNew}
        className="h-8 min-w-8 shrink-0 rounded-md text-base text-zinc-700 hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 disabled:opacity-50 dark:text-zinc-300 dark:hover:bg-zinc-800"
      >
        +
      </button>
    </Slotted>
  );
}

/**
 * A worktree an ended session left with uncommitted work in it (the server keeps it): its
 * branch and the session it came from, which it opens.
 */
export function KeptWorktreeRow({ row, slot, onOpen }: { row: KeptRow; slot: RowSlot; onOpen(): void }) {
  const from = row.from ? sessionName(row.from) : `session ${row.worktree.session_id.slice(0, 8)}`;
  const branch = row.worktree.branch ?? "no branch";
  return (
    <Slotted slot={slot} className="flex items-stretch gap-1 pl-4">
      <button
        type="button"
        data-row-key={row.key}
        data-kept={row.worktree.session_id}
        onClick={onOpen}
        title="Its session ended with uncommitted changes in the worktree: the server keeps it."
        className="flex min-w-0 flex-1 flex-col rounded-md border border-dashed border-amber-400 px-2 py-1 text-left text-xs hover:bg-amber-50 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-amber-700 dark:hover:bg-amber-950"
      >
        <span className="sr-only">{`Kept worktree on ${branch}, uncommitted work from ${from}`}</span>
        <span aria-hidden className="flex min-w-0 items-center gap-1 font-medium text-amber-900 dark:text-amber-200">
          <span className="shrink-0">Kept worktree</span>
          <code className="truncate" data-testid="kept-branch">
            {branch}
          </code>
        </span>
        <span aria-hidden className="truncate text-zinc-700 dark:text-zinc-300">
          from {from}
        </span>
      </button>
      <RemoveKeptWorktree
        project={row.project}
        sessionId={row.worktree.session_id}
        branch={row.worktree.branch}
        className="shrink-0 rounded-md px-2 text-xs text-red-800 hover:bg-red-50 focus-visible:ring-2 focus-visible:ring-blue-500 dark:text-red-300 dark:hover:bg-red-950"
      />
    </Slotted>
  );
}
