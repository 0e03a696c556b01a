import { useEffect, useRef, type KeyboardEvent } from "react";
import { observeElementRect, useVirtualizer } from "@tanstack/react-virtual";
import type { ListedSession } from "../../../types/protocol";
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
  sessions: ListedSession[];
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
};

/**
 * The sessions as a virtualized list: only the rows in view (and a few either side) are in
 * the DOM, each measured as it renders, so ten thousand sessions scroll like ten. The next
 * page is fetched while the last loaded rows are still a screen or so away. Arrow keys (and
 * Home/End) move between rows' buttons, scrolling the row into the DOM first — Tab alone would
 * stop at the last rendered row.
 */
export function SessionList({ sessions, hasMore, loadingMore, loadMore, showOwners, currentId, now, selected, onSelect, onOpen }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  // The virtualizer's methods are not memoizable; the React Compiler lint knows this API.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: sessions.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE_PX,
    gap: ROW_GAP_PX,
    overscan: OVERSCAN,
    getItemKey: (i) => sessions[i]?.session_id ?? i,
    observeElementRect: (instance, cb) =>
      observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : { width: rect.width, height: UNSIZED_HEIGHT_PX })),
    // Measuring a row re-renders in the next frame rather than synchronously inside React's
    // commit (which React 19 warns about).
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.length > 0 ? items[items.length - 1].index : -1;

  useEffect(() => {
    if (hasMore && !loadingMore && lastShown >= sessions.length - LOAD_AHEAD_ROWS) loadMore();
  }, [hasMore, loadingMore, lastShown, sessions.length, loadMore]);

  /** Focuses the open button of row `index`, rendering it first if it is off screen. */
  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(sessions.length - 1, index));
    const id = sessions[target]?.session_id;
    if (!id) return;
    // Scrolled by hand to where the virtualizer says the row is ("auto": only as far as needed).
    const to = virtualizer.getOffsetForIndex(target, "auto");
    if (to && scroller.current) scroller.current.scrollTo({ top: to[0] });
    // The row renders once the list has scrolled to it: a few frames at most.
    const focusWhenThere = (framesLeft: number) => {
      const button = scroller.current?.querySelector<HTMLElement>(`button[data-session-id="${id}"]`);
      if (button) button.focus();
      else if (framesLeft > 0) requestAnimationFrame(() => focusWhenThere(framesLeft - 1));
    };
    focusWhenThere(10);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const button = (e.target as HTMLElement).closest<HTMLElement>("button[data-session-id]");
    if (!button) return;
    const index = sessions.findIndex((s) => s.session_id === button.dataset.sessionId);
    if (index < 0) return;
    const to = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: sessions.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    focusRow(to);
  };

  return (
    <div ref={scroller} className="min-h-0 flex-1 overflow-y-auto px-2 pb-3" data-testid="session-scroller" onKeyDown={onKeyDown}>
      <ul className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const s = sessions[item.index];
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
              slot={{
                index: item.index,
                start: item.start,
                // Unknown while more pages follow (-1, as ARIA says).
                setSize: hasMore ? -1 : sessions.length,
                measure: virtualizer.measureElement,
              }}
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
