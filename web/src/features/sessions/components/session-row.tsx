import { useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { ConfirmDialog } from "../../../components/ui/confirm-dialog";
import { focusNext } from "../../../lib/focus";
import { formatCost, timeAgoLong } from "../../../lib/format";
import { MAX_TITLE_CHARS, type ListedSession, type LiveState, type SessionStatus } from "../../../types/protocol";
import { useSessions } from "../hooks/use-sessions";
import { sessionName } from "../stores/sessions-store";

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

/** Where a row sits in a virtualized list. */
export type RowSlot = {
  index: number;
  /** Its offset from the top of the list, px. */
  start: number;
  /** How many rows the list has (-1: not known yet, more pages follow). */
  setSize: number;
  /** Measures the rendered row (the virtualizer's `measureElement`). */
  measure(el: HTMLLIElement | null): void;
};

const ICON_BUTTON =
  "h-6 min-w-6 rounded-md px-1 text-sm text-zinc-600 hover:text-zinc-900 focus-visible:ring-2 focus-visible:ring-blue-500 dark:text-zinc-400 dark:hover:text-zinc-100";

/**
 * One session: title, preview, relative time, its live state (spinner while running, a badge
 * while waiting for approval; else the stored status), the owner (an admin's list of several
 * people's sessions) and cost (the id only in the tooltip); a check box for bulk actions;
 * rename (double-click or ✎), archive/restore, end or delete.
 */
export function SessionRow({
  session: s,
  showOwner,
  current,
  now,
  selected,
  onSelect,
  onOpen,
  slot,
  inGroup = false,
}: {
  session: ListedSession;
  /** Name the owner (an admin's list of several people's sessions). */
  showOwner: boolean;
  /** The session whose conversation is shown. */
  current: boolean;
  now: number;
  selected: boolean;
  onSelect(on: boolean): void;
  onOpen(): void;
  /** Its place in a virtualized list (positioned there, measured as it renders). */
  slot?: RowSlot;
  /** Listed under its project's header: only "worktree" is said of where it works. */
  inGroup?: boolean;
}) {
  const { destroy, rename, archive, purge, download } = useSessions(
    useShallow((st) => ({ destroy: st.destroy, rename: st.rename, archive: st.archive, purge: st.purge, download: st.download })),
  );
  const live = useSessions((st) => st.states[s.session_id]?.state);
  const projectCount = useSessions((st) => st.projects?.projects.length ?? 0);
  const row = useRef<HTMLButtonElement>(null);
  const [editing, setEditing] = useState(false);
  const ended = s.status === "terminated" || s.status === "failed";
  const name = sessionName(s);
  const when = timeAgoLong(s.last_active_at, now);
  const messages = `${s.message_count} ${s.message_count === 1 ? "message" : "messages"}`;
  const cost = formatCost(s.total_cost_usd);
  const owner = showOwner ? s.user_name : undefined;
  const state = live && s.status !== "terminated" ? live : null;
  const word = state ? LIVE_WORD[state] : STATUS_WORD[s.status];
  const dot = state ? LIVE_STYLE[state] : STATUS_STYLE[s.status];
  // Its project (and worktree), when the server has several or it has a worktree.
  const worktree = s.isolation === "worktree";
  const project = inGroup
    ? worktree
      ? "worktree"
      : ""
    : s.project && (projectCount > 1 || worktree)
      ? worktree
        ? `${s.project} (worktree)`
        : s.project
      : "";
  // The preview is raw message text: its markdown marks are not shown.
  const preview = s.preview?.replace(/[`*_#>|~]+/g, "").replace(/\s+/g, " ").trim() ?? "";
  return (
    <li
      data-session-row={s.session_id}
      ref={slot?.measure}
      data-index={slot?.index}
      aria-posinset={slot ? slot.index + 1 : undefined}
      aria-setsize={slot?.setSize}
      style={slot ? { position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${slot.start}px)` } : undefined}
      className={`group flex flex-wrap items-stretch gap-1 rounded-md ${current ? "bg-zinc-100 dark:bg-zinc-800" : "hover:bg-zinc-50 dark:hover:bg-zinc-900"}`}
    >
      <input
        type="checkbox"
        aria-label={`Select ${name}`}
        checked={selected}
        onChange={(e) => onSelect(e.target.checked)}
        className="ml-1 h-5 w-5 self-center"
      />
      {editing ? (
        <RenameBox
          initial={s.title ?? ""}
          onDone={(title) => {
            setEditing(false);
            if (title !== null && title !== s.title) rename(s.session_id, title);
            requestAnimationFrame(() => row.current?.focus());
          }}
        />
      ) : (
        <button
          ref={row}
          type="button"
          onClick={onOpen}
          onDoubleClick={() => setEditing(true)}
          aria-current={current ? "true" : undefined}
          // Says what the row shows, in order: "Fix the login bug, running, alice, 5 minutes ago,
          // 2 messages, $0.01, <preview>" (the owner only in an admin's list of several people's).
          aria-label={[name, word, project, owner, when, messages, cost, preview].filter(Boolean).join(", ")}
          data-state={state ?? s.status}
          data-session-id={s.session_id}
          data-row-key={s.session_id}
          title={s.session_id}
          className="min-w-0 flex-1 rounded-md px-1 py-2 text-left focus-visible:ring-2 focus-visible:ring-blue-500"
        >
          {/* The spaces between the parts are not laid out (flex), but keep the text's words apart. */}
          <span className="flex items-center gap-2 text-sm font-medium">
            {state === "running" ? (
              <span aria-hidden className="inline-block h-2.5 w-2.5 shrink-0 animate-spin rounded-full border-2 border-green-600 border-t-transparent motion-reduce:animate-none" />
            ) : (
              <span aria-hidden className={`inline-block h-2 w-2 shrink-0 rounded-full ${dot}`} />
            )}
            <span className="truncate" data-testid="session-title">
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
            {project && (
              <>
                <span className={`font-medium ${inGroup ? "shrink-0" : "truncate"}`} data-testid="session-project" title={s.branch ? `Branch: ${s.branch}` : undefined}>
                  {project}
                </span>{" "}
              </>
            )}
            {owner && (
              <>
                <span className="truncate" title={`Owner: ${owner}`}>
                  {owner}
                </span>{" "}
              </>
            )}
            <span>{when}</span> <span>{messages}</span> <span className="ml-auto">{cost}</span>
          </span>{" "}
          {preview && (
            <span className="mt-0.5 block truncate text-xs text-zinc-600 dark:text-zinc-400" data-testid="session-preview">
              {preview}
            </span>
          )}
        </button>
      )}
      <span className="flex w-full justify-end gap-1 px-1 pb-1 opacity-100 md:opacity-0 md:group-focus-within:opacity-100 md:group-hover:opacity-100">
        <button type="button" aria-label={`Rename ${name}`} title="Rename" className={ICON_BUTTON} onClick={() => setEditing(true)}>
          ✎
        </button>
        <button type="button" aria-label={`Download ${name} as Markdown`} title="Download as Markdown" className={ICON_BUTTON} onClick={() => download(s.session_id, "md")}>
          ⇩
        </button>
        <button type="button" aria-label={`Download ${name} as JSON`} title="Download as JSON" className={`${ICON_BUTTON} text-[10px]`} onClick={() => download(s.session_id, "json")}>
          {"{}"}
        </button>
        <button
          type="button"
          aria-label={`${s.archived ? "Restore" : "Archive"} ${name}`}
          title={s.archived ? "Restore" : "Archive"}
          className={ICON_BUTTON}
          onClick={() => void archive(s.session_id, !s.archived)}
        >
          {s.archived ? "↺" : "⌫"}
        </button>
        {ended ? (
          <ConfirmDialog
            trigger={
              <button type="button" aria-label={`Delete ${name}`} title="Delete for good" className={`${ICON_BUTTON} hover:text-red-700`}>
                🗑
              </button>
            }
            title="Delete this session for good?"
            description="Its messages, its search entries and Claude Code's transcript are removed. This cannot be undone."
            confirmLabel="Delete"
            destructive
            onConfirm={() => void purge([s.session_id])}
            onConfirmed={() => focusNext()}
          />
        ) : (
          <ConfirmDialog
            trigger={
              <button type="button" aria-label={`End session ${name}`} title="End session" className={`${ICON_BUTTON} text-lg hover:text-red-700`}>
                ×
              </button>
            }
            title="End this session?"
            description="Its Claude Code process stops for good. The conversation stays in the list to read, and a new session can be started at any time."
            confirmLabel="End session"
            destructive
            onConfirm={() => destroy(s.session_id)}
            onConfirmed={() => {
              const inDrawer = !!row.current?.closest('[role="dialog"]');
              if (current && !inDrawer) focusNext();
              else row.current?.focus();
            }}
          />
        )}
      </span>
    </li>
  );
}

/** The title being edited: Enter keeps it, Escape (or leaving it empty) cancels. */
function RenameBox({ initial, onDone }: { initial: string; onDone(title: string | null): void }) {
  const [value, setValue] = useState(initial);
  const done = useRef(false);
  const finish = (title: string | null) => {
    if (done.current) return;
    done.current = true;
    onDone(title);
  };
  return (
    <input
      // The box replaces the row's button; it takes focus as it appears.
      autoFocus
      aria-label="Session title"
      value={value}
      maxLength={MAX_TITLE_CHARS}
      onChange={(e) => setValue(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === "Enter") finish(value.trim() || null);
        if (e.key === "Escape") finish(null);
      }}
      onBlur={() => finish(value.trim() || null)}
      className="my-1 min-w-0 flex-1 rounded border border-zinc-300 bg-white px-1 text-sm dark:border-zinc-700 dark:bg-zinc-900"
    />
  );
}
