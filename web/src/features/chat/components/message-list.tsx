import { useLayoutEffect, useRef, useState } from "react";
import { CONVERSATION_ID } from "../../../lib/focus";
import { useChat } from "../hooks/use-chat";
import { emptyView } from "../stores/session-view";
import { toolAction } from "../lib/tool-input";
import { awaitedTool } from "../stores/view-reducer";
import { MessageItem } from "./message-item";
import { PermissionRequest } from "./permission-request";
import { PlanApproval } from "./plan-approval";
import { TodoPanel } from "./todo-list";
import { latestTodos } from "../stores/agent-items";

/** How close to the bottom (px) still counts as "following" the output. */
const FOLLOW_SLACK = 48;

/**
 * The conversation, with a pending permission request at its end; follows new output unless
 * the reader scrolled up (keyed by session). Focusable (it scrolls), and the target of the
 * "Skip to conversation" link.
 */
export function MessageList({
  id,
  onNewSession,
  onFork,
}: {
  id: string;
  onNewSession(): void;
  /** "Fork from here" on the `userIndex`-th stored user message (0-based). */
  onFork?(userIndex: number): void;
}) {
  const view = useChat((s) => s.views[id]) ?? emptyView(id);
  const box = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const [behind, setBehind] = useState(false);
  const retry = useChat((s) => s.retry);
  const resend = useChat((s) => s.sendMessage);
  const answerPermission = useChat((s) => s.answerPermission);
  const allowForSession = useChat((s) => s.canAllowForSession);

  const items = [...view.history, ...view.live];
  const todos = latestTodos(items);
  const last = items[items.length - 1];
  // The tool a pending permission request is about: its card says so instead of "Executing…".
  const awaiting = awaitedTool(view)?.id;

  /** Where the last scroll left the box: a smaller scrollTop since is the reader scrolling up. */
  const lastTop = useRef(0);
  const stick = (el: HTMLDivElement) => {
    el.scrollTop = el.scrollHeight;
    lastTop.current = el.scrollTop;
  };

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    // Sending a message brings the reader back to the end of the conversation.
    if (last?.kind === "user" && last.state === "sending") follow.current = true;
    if (follow.current) {
      stick(el);
      setBehind(false);
    } else setBehind(true);
  }, [view.history, view.live, view.running, view.permission, last]);

  // Keep following when sizes change without new items: a narrower window, the markdown
  // renderer arriving, highlighted code.
  useLayoutEffect(() => {
    const el = box.current;
    const inner = content.current;
    if (!el || !inner || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (follow.current) stick(el);
    });
    ro.observe(el);
    ro.observe(inner);
    return () => ro.disconnect();
  }, []);

  function onScroll() {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_SLACK;
    if (atBottom) {
      follow.current = true;
      setBehind(false);
    } else if (el.scrollTop < lastTop.current - 1) {
      // Only the reader scrolls up; content growing under a scroll we made is not that.
      follow.current = false;
    }
    lastTop.current = el.scrollTop;
  }

  function jump() {
    const el = box.current;
    if (!el) return;
    follow.current = true;
    setBehind(false);
    stick(el);
  }

  const announcement = view.permission
    ? `Claude asks permission to ${toolAction(view.permission.toolName)}.`
    : view.running
      ? "Claude is replying."
      : view.live.length
        ? "Reply finished."
        : "";

  // Each user message's place among the user messages (the stored ones, in order).
  let userOrdinal = 0;
  return (
    <div className="relative min-h-0 flex-1">
      <div
        ref={box}
        id={CONVERSATION_ID}
        onScroll={onScroll}
        role="log"
        aria-label="Conversation"
        aria-live="off"
        tabIndex={0}
        className="h-full overflow-x-hidden overflow-y-auto px-3 py-4 outline-none focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-inset md:px-6"
      >
        <div ref={content} className="mx-auto flex max-w-3xl flex-col gap-3">
          {!view.historyLoaded && items.length === 0 && (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading the conversation…</p>
          )}
          {view.historyLoaded && items.length === 0 && !view.running && (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">The session is ready. Ask Claude anything about your workspace.</p>
          )}
          {items.map((item) => {
            const userIndex = item.kind === "user" && item.state === "sent" ? userOrdinal++ : -1;
            return (
              // `data-item-id` (`h-<seq>` for stored messages): a search result scrolls to it.
              <div key={item.id} data-item-id={item.id} className="rounded-lg transition-shadow data-[highlight]:ring-2 data-[highlight]:ring-amber-400">
                <MessageItem
                  item={item}
                  streaming={view.streaming && item === last}
                  awaiting={item.id === awaiting}
                  onRetry={retry}
                  onResend={resend}
                  onNewSession={onNewSession}
                  onFork={onFork && userIndex >= 0 && !view.running ? () => onFork(userIndex) : undefined}
                />
              </div>
            );
          })}
          {view.running && !view.streaming && !view.permission && last?.kind !== "tool" && (
            <p data-testid="thinking" className="text-sm text-zinc-600 dark:text-zinc-400">
              Claude is thinking<span className="typing-cursor">…</span>
            </p>
          )}
          {todos && <TodoPanel todos={todos} />}
          {view.permission?.toolName === "ExitPlanMode" ? (
            <PlanApproval key={view.permission.requestId} prompt={view.permission} onAnswer={answerPermission} />
          ) : view.permission && (
            <PermissionRequest
              key={view.permission.requestId}
              prompt={view.permission}
              onAnswer={answerPermission}
              allowForSession={allowForSession}
            />
          )}
        </div>
      </div>
      {/* Announced to screen readers instead of every streamed token. */}
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      {behind && (
        <button
          type="button"
          onClick={jump}
          className="absolute bottom-3 left-1/2 -translate-x-1/2 rounded-full bg-zinc-800 px-3 py-1 text-xs text-white shadow dark:bg-zinc-200 dark:text-zinc-900"
        >
          ↓ New output
        </button>
      )}
    </div>
  );
}
