import { memo, useLayoutEffect, useRef, useState } from "react";
import { useChat } from "../hooks/use-chat";
import type { SessionView } from "../stores/session-view";
import type { Item } from "../stores/items";
import { Markdown } from "./markdown";
import { ToolCard } from "./tool-card";

/** How close to the bottom (px) still counts as "following" the output. */
const FOLLOW_SLACK = 48;

/** The conversation; follows new output unless the reader scrolled up (keyed by session). */
export function MessageList({ view, onNewSession }: { view: SessionView; onNewSession(): void }) {
  const box = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const [behind, setBehind] = useState(false);
  const retry = useChat((s) => s.retry);
  const items = [...view.history, ...view.live];
  const last = items[items.length - 1];
  // The tool a pending permission request is about: its card says so instead of "Executing…".
  const awaiting = view.permission
    ? [...view.live].reverse().find((it) => it.kind === "tool" && it.status === "running")?.id
    : undefined;

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
  }, [view.history, view.live, view.running, last]);

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

  return (
    <div className="relative min-h-0 flex-1">
      <div
        ref={box}
        onScroll={onScroll}
        role="log"
        aria-label="Conversation"
        aria-live="off"
        className="h-full overflow-x-hidden overflow-y-auto px-3 py-4 md:px-6"
      >
        <div ref={content} className="mx-auto flex max-w-3xl flex-col gap-3">
          {!view.historyLoaded && items.length === 0 && (
            <p className="text-sm text-zinc-500">Loading the conversation…</p>
          )}
          {view.historyLoaded && items.length === 0 && !view.running && (
            <p className="text-sm text-zinc-500">The session is ready. Ask Claude anything about your workspace.</p>
          )}
          {items.map((item) => (
            <ItemView
              key={item.id}
              item={item}
              streaming={view.streaming && item === last}
              awaiting={item.id === awaiting}
              onRetry={retry}
              onNewSession={onNewSession}
            />
          ))}
          {view.running && !view.streaming && last?.kind !== "tool" && (
            <p data-testid="thinking" className="text-sm text-zinc-500">
              Claude is thinking<span className="typing-cursor">…</span>
            </p>
          )}
        </div>
      </div>
      {/* Announced to screen readers instead of every streamed token. */}
      <p className="sr-only" aria-live="polite">
        {view.permission ? "Claude asks permission to use a tool." : view.running ? "Claude is replying." : view.live.length ? "Reply finished." : ""}
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

const ItemView = memo(function ItemView({
  item,
  streaming,
  awaiting,
  onRetry,
  onNewSession,
}: {
  item: Item;
  streaming: boolean;
  awaiting: boolean;
  onRetry(): void;
  onNewSession(): void;
}) {
  switch (item.kind) {
    case "user":
      return (
        <div data-role="user" data-state={item.state} className="flex flex-col items-end">
          <div className="max-w-[85%] rounded-2xl bg-blue-600 px-4 py-2 whitespace-pre-wrap text-white [overflow-wrap:anywhere]">
            {item.text}
          </div>
          {item.state === "sending" && <span className="mt-0.5 text-xs text-zinc-500">Sending…</span>}
          {item.state === "failed" && (
            <span role="alert" className="mt-0.5 text-xs text-red-700 dark:text-red-400">
              Not sent: {item.error}
            </span>
          )}
        </div>
      );
    case "assistant":
      return (
        <div data-role="assistant" data-streaming={streaming || undefined} className="min-w-0">
          <Markdown text={item.text} />
          {streaming && (
            <span data-testid="typing-cursor" aria-hidden className="typing-cursor ml-0.5 inline-block h-4 w-2 translate-y-0.5 bg-zinc-700 dark:bg-zinc-300" />
          )}
        </div>
      );
    case "tool":
      return <ToolCard item={item} awaiting={awaiting} />;
    case "notice":
      return (
        <p
          data-role="notice"
          className={`text-center text-sm ${item.tone === "warning" ? "text-amber-700 dark:text-amber-300" : "text-zinc-500"}`}
        >
          {item.text}
        </p>
      );
    case "error":
      return (
        <div data-role="error" role="alert" className="rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100">
          <p>{item.message}</p>
          {item.action === "retry" && (
            <button type="button" onClick={onRetry} className="mt-2 rounded-md bg-red-600 px-3 py-1 text-xs font-medium text-white hover:bg-red-700">
              Retry
            </button>
          )}
          {item.action === "new_session" && (
            <button type="button" onClick={onNewSession} className="mt-2 rounded-md bg-red-600 px-3 py-1 text-xs font-medium text-white hover:bg-red-700">
              Start new session
            </button>
          )}
        </div>
      );
  }
});
