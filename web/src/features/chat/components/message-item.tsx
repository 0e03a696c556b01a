import { memo } from "react";
import { SentAttachments } from "./attachment-strip";
import { formatClock } from "../../../lib/format";
import type { Item } from "../stores/items";
import type { Attachment } from "../../../types/protocol";
import { CopyButton } from "./copy-button";
import { Markdown } from "./markdown";
import { ToolCard } from "./tool-card";

/** The time a message was sent or begun, and Copy (its text as written: markdown). */
function MessageFooter({ at, text, who, align }: { at?: string; text: string; who: string; align: "start" | "end" }) {
  const when = at ? formatClock(at) : "";
  return (
    <div className={`mt-0.5 flex items-center gap-1 text-xs text-zinc-600 dark:text-zinc-400 ${align === "end" ? "justify-end" : ""}`}>
      {when && at && (
        <time dateTime={at} title={new Date(at).toLocaleString()}>
          {when}
        </time>
      )}
      <CopyButton text={() => text} label={`Copy ${who}`} />
    </div>
  );
}

/** One entry of the conversation. */
export const MessageItem = memo(function MessageItem({
  item,
  streaming,
  awaiting,
  onRetry,
  onNewSession,
  onResend,
  onFork,
}: {
  item: Item;
  /** The reply being written: the cursor shows, its footer waits for the end. */
  streaming: boolean;
  /** A permission request for this tool call is open. */
  awaiting: boolean;
  onRetry(): void;
  onNewSession(): void;
  /** Sends a message that did not go out again, with its attachments. */
  onResend?(text: string, attachments: Attachment[]): unknown;
  /** "Fork from here": a new session with everything before this (user) message. */
  onFork?(): void;
}) {
  switch (item.kind) {
    case "user":
      return (
        <div data-role="user" data-state={item.state} className="group relative flex flex-col items-end">
          {onFork && item.state === "sent" && (
            <button
              type="button"
              onClick={onFork}
              title="A new session with the conversation before this message"
              className="absolute -top-2 left-0 rounded-md border border-zinc-300 bg-white px-2 py-0.5 text-xs text-zinc-700 opacity-0 shadow-sm group-focus-within:opacity-100 group-hover:opacity-100 focus-visible:opacity-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-300"
            >
              Fork from here
            </button>
          )}
          {item.attachments?.length ? <SentAttachments items={item.attachments} /> : null}
          {item.text && <div className="prose-user max-w-[85%] min-w-0 rounded-2xl bg-zinc-100 px-4 py-2 dark:bg-zinc-800">
            <Markdown text={item.text} />
          </div>}
          {item.state === "sending" && <span className="mt-0.5 text-xs text-zinc-600 dark:text-zinc-400">Sending…</span>}
          {item.state === "failed" && (
            <span role="alert" className="mt-0.5 text-xs text-red-700 dark:text-red-400">
              Not sent: {item.error}
            </span>
          )}
          {item.state === "failed" && onResend && (
            <button
              type="button"
              onClick={() => onResend(item.text, item.attachments ?? [])}
              className="mt-1 rounded-md border border-zinc-400 px-2 py-0.5 text-xs hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-600 dark:hover:bg-zinc-800"
            >
              Send again
            </button>
          )}
          {item.state === "sent" && <MessageFooter at={item.at} text={item.text} who="message" align="end" />}
        </div>
      );
    case "assistant":
      return (
        <div className="min-w-0">
          <div data-role="assistant" data-streaming={streaming || undefined}>
            <Markdown text={item.text} streaming={streaming} />
            {streaming && (
              <span data-testid="typing-cursor" aria-hidden className="typing-cursor ml-0.5 inline-block h-4 w-2 translate-y-0.5 bg-zinc-700 dark:bg-zinc-300" />
            )}
          </div>
          {!streaming && <MessageFooter at={item.at} text={item.text} who="reply" align="start" />}
        </div>
      );
    case "tool":
      return <ToolCard item={item} awaiting={awaiting} />;
    case "notice":
      return (
        <p
          data-role="notice"
          className={`text-center text-sm ${item.tone === "warning" ? "text-amber-800 dark:text-amber-300" : "text-zinc-600 dark:text-zinc-400"}`}
        >
          {item.text}
        </p>
      );
    case "error":
      return (
        <div data-role="error" role="alert" className="rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100">
          <p>{item.message}</p>
          {item.action === "retry" && (
            <button type="button" onClick={onRetry} className="mt-2 rounded-md bg-red-700 px-3 py-1 text-xs font-medium text-white hover:bg-red-800">
              Retry
            </button>
          )}
          {item.action === "new_session" && (
            <button type="button" onClick={onNewSession} className="mt-2 rounded-md bg-red-700 px-3 py-1 text-xs font-medium text-white hover:bg-red-800">
              Start new session
            </button>
          )}
        </div>
      );
  }
});
