import { memo, useId, useState } from "react";
import type { ToolItem } from "../stores/items";
import { formatSeconds, summarizeInput } from "../../../lib/format";

function pretty(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

/** One tool call: name, what it was given, and how it went; opens to show input and output. */
export const ToolCard = memo(function ToolCard({
  item,
  awaiting = false,
}: {
  item: ToolItem;
  /** A permission request for this call is open. */
  awaiting?: boolean;
}) {
  const [open, setOpen] = useState(item.status === "error");
  const bodyId = useId();
  const state =
    item.status === "running"
      ? awaiting
        ? "Awaiting approval…"
        : "Executing…"
      : item.status === "error"
        ? "Error"
        : item.durationMs != null
          ? `Complete (${formatSeconds(item.durationMs)})`
          : "Complete";
  const tone =
    item.status === "running"
      ? "text-sky-700 dark:text-sky-300"
      : item.status === "error"
        ? "text-red-700 dark:text-red-400"
        : "text-green-700 dark:text-green-400";
  return (
    <div
      data-role="tool"
      data-status={item.status}
      className={`rounded-lg border text-sm ${item.status === "error" ? "border-red-300 dark:border-red-900" : "border-zinc-200 dark:border-zinc-800"}`}
    >
      <button
        type="button"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen(!open)}
        className="flex w-full min-w-0 items-center gap-2 px-3 py-2 text-left focus-visible:ring-2 focus-visible:ring-blue-400"
      >
        <span aria-hidden className="text-zinc-400">{open ? "▾" : "▸"}</span>
        <span className="max-w-[45%] shrink-0 truncate font-mono font-semibold" title={item.name}>
          {item.name}
        </span>
        <span className="min-w-0 flex-1 truncate font-mono text-xs text-zinc-500">{summarizeInput(item.input)}</span>
        <span className={`shrink-0 text-xs font-medium ${tone}`} data-testid="tool-state">
          {state}
        </span>
      </button>
      {item.status === "error" && item.content && !open && (
        <p className="truncate px-3 pb-2 text-xs text-red-700 dark:text-red-400">{item.content}</p>
      )}
      {open && (
        <div id={bodyId} className="space-y-2 border-t border-zinc-200 px-3 py-2 dark:border-zinc-800">
          <section>
            <h4 className="text-xs font-medium text-zinc-500">Input</h4>
            <pre className="max-h-64 overflow-auto rounded bg-zinc-50 p-2 text-xs whitespace-pre-wrap dark:bg-zinc-900">{pretty(item.input)}</pre>
          </section>
          {item.content !== undefined && (
            <section>
              <h4 className={`text-xs font-medium ${item.status === "error" ? "text-red-700 dark:text-red-400" : "text-zinc-500"}`}>
                {item.status === "error" ? "Error" : "Output"}
              </h4>
              <pre className="max-h-96 overflow-auto rounded bg-zinc-50 p-2 text-xs whitespace-pre-wrap dark:bg-zinc-900">{item.content || "(no output)"}</pre>
            </section>
          )}
        </div>
      )}
    </div>
  );
});
