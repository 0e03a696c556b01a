import { useEffect, useRef, type KeyboardEvent } from "react";
import { observeElementRect, useVirtualizer } from "@tanstack/react-virtual";
import type { SidebarRow } from "../lib/sidebar-rows";
import { GroupHeader, KeptWorktreeRow } from "./group-rows";
import { SessionRow } from "./session-row";

/** A row's height before it is measured (title, time line, preview, action line), px. */
const ROW_ESTIMATE_PX = 96;
/** Space between rows, px. */
const ROW_GAP_PX = 4;
/** Rows kept in the DOM above and below the visible ones (Tab and screen readers reach them). */
const OVERSCAN = 6;
/**
 * The height a list without one is taken to have: the desktop column while hidden on a phone
 * (`display: none`) still lists its first rows — its current row included — as if a screen tall.
 */
const UNSIZED_HEIGHT_PX = 800;
/** How many rows before the end of what is loaded the next page is fetched. */
const LOAD_AHEAD_ROWS = 15;

type Props = {
  /** Sessions, and in a grouped list the projects' headers and kept worktrees (sidebar-rows.ts). */
  rows: SidebarRow[];
  /** More pages follow. */
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
  showOwners: boolean;
  currentId: string | null;
  now: number;
  selected: Set<string>;
  onSelect(id: string, on: boolean): void;
  onOpen(id: string): void;
  /** Folds or unfolds a project's group. */
  onToggleGroup?(project: string, collapsed: boolean): void;
  /** Starts a session in a project (a group's "+"). */
  onNewIn?(project: string): void;
  /** A session cannot be started now (not connected, or one is being created). */
  newDisabled?: boolean;
  /** Reaching the end of the rows fetches the next page (not when it ends in a folded group). */
  loadsAhead?: boolean;
};

/**
 * The sessions as a virtualized list: only the rows in view (and a few either side) are in
 * the DOM, each measured as it renders, so ten thousand sessions scroll like ten. The next
 * page is fetched while the last loaded rows are still a screen or so away. Arrow keys (and
 * Home/End) move between rows' buttons, scrolling the row into the DOM first — Tab alone would
 * stop at the last rendered row; ←/→ on a project's header fold and unfold its group.
 */
export function SessionList({
  rows,
  hasMore,
  loadingMore,
  loadMore,
  showOwners,
  currentId,
  now,
  selected,
  onSelect,
  onOpen,
  onToggleGroup,
  onNewIn,
  newDisabled = false,
  loadsAhead = true,
}: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  // The virtualizer's methods are not memoizable; the React Compiler lint knows this API.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE_PX,
    gap: ROW_GAP_PX,
    overscan: OVERSCAN,
    getItemKey: (i) => rows[i]?.key ?? i,
    observeElementRect: (instance, cb) =>
      observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : { width: rect.width, height: UNSIZED_HEIGHT_PX })),
    // Measuring a row re-renders in the next frame rather than synchronously inside React's
    // commit (which React 19 warns about).
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const grouped = rows[0]?.kind === "group";
  const lastShown = items.length > 0 ? items[items.length - 1].index : -1;

  useEffect(() => {
    if (loadsAhead && hasMore && !loadingMore && lastShown >= rows.length - LOAD_AHEAD_ROWS) loadMore();
  }, [loadsAhead, hasMore, loadingMore, lastShown, rows.length, loadMore]);

  /** Focuses the main button of row `index`, rendering it first if it is off screen. */
  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(rows.length - 1, index));
    const key = rows[target]?.key;
    if (!key) return;
    // Scrolled by hand to where the virtualizer says the row is ("auto": only as far as needed).
    const to = virtualizer.getOffsetForIndex(target, "auto");
    if (to && scroller.current) scroller.current.scrollTo({ top: to[0] });
    // The row renders once the list has scrolled to it: a few frames at most.
    const focusWhenThere = (framesLeft: number) => {
      // Looked up by the data, not a selector: a project's name may hold any character.
      const buttons = scroller.current?.querySelectorAll<HTMLElement>("button[data-row-key]") ?? [];
      const button = Array.from(buttons).find((b) => b.dataset.rowKey === key);
      if (button) button.focus();
      else if (framesLeft > 0) requestAnimationFrame(() => focusWhenThere(framesLeft - 1));
    };
    focusWhenThere(10);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const button = (e.target as HTMLElement).closest<HTMLElement>("button[data-row-key]");
    if (!button) return;
    const index = rows.findIndex((r) => r.key === button.dataset.rowKey);
    if (index < 0) return;
    const row = rows[index];
    if (row.kind === "group" && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      const fold = e.key === "ArrowLeft";
      if (fold !== row.collapsed) {
        e.preventDefault();
        onToggleGroup?.(row.project, fold);
      }
      return;
    }
    const to = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: rows.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    focusRow(to);
  };

  return (
    <div ref={scroller} className="min-h-0 flex-1 overflow-y-auto px-2 pb-3" data-testid="session-scroller" onKeyDown={onKeyDown}>
      <ul className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const row = rows[item.index];
          const slot = {
            index: item.index,
            start: item.start,
            // Unknown while more pages follow (-1, as ARIA says).
            setSize: hasMore ? -1 : rows.length,
            measure: virtualizer.measureElement,
          };
          if (row.kind === "group") {
            return (
              <GroupHeader
                key={item.key}
                row={row}
                slot={slot}
                more={hasMore}
                onToggle={(collapsed) => onToggleGroup?.(row.project, collapsed)}
                onNew={() => onNewIn?.(row.project)}
                newDisabled={newDisabled || !onNewIn}
              />
            );
          }
          if (row.kind === "kept") {
            return <KeptWorktreeRow key={item.key} row={row} slot={slot} onOpen={() => onOpen(row.worktree.session_id)} />;
          }
          const s = row.session;
          return (
            <SessionRow
              key={item.key}
              session={s}
              showOwner={showOwners}
              current={s.session_id === currentId}
              now={now}
              selected={selected.has(s.session_id)}
              onSelect={(on) => onSelect(s.session_id, on)}
              onOpen={() => onOpen(s.session_id)}
              slot={slot}
              inGroup={grouped}
            />
          );
        })}
      </ul>
      {hasMore && (
        <button type="button" onClick={loadMore} disabled={loadingMore} className="mt-2 w-full text-xs text-blue-700 underline disabled:no-underline disabled:opacity-70 dark:text-blue-300">
          {loadingMore ? "Loading more sessions…" : "Load more sessions"}
        </button>
      )}
    </div>
  );
}
