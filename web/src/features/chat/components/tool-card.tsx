import { memo, useId, useState } from "react";
import { childToolCount } from "../stores/agent-items";
import { DENIED_MESSAGE, type ToolItem } from "../stores/items";
import { formatSeconds, summarizeInput } from "../../../lib/format";
import { ScrollBox } from "./scroll-box";
import { ToolInputView } from "./tool-input-view";

const TONE: Record<ToolItem["status"], string> = {
  running: "text-sky-700 dark:text-sky-300",
  done: "text-green-700 dark:text-green-400",
  error: "text-red-700 dark:text-red-400",
  // A denial is a decision, not a failure: neutral.
  denied: "text-zinc-700 dark:text-zinc-300",
};

const BOX = "bg-zinc-50 text-zinc-900 dark:bg-zinc-900 dark:text-zinc-100";

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
  const [agentOpen, setAgentOpen] = useState(false);
  const agentId = useId();
  const steps = childToolCount(item);
  const bodyId = useId();
  const state =
    item.status === "running"
      ? awaiting
        ? "Awaiting approval…"
        : "Executing…"
      : item.status === "error"
        ? "Error"
        : item.status === "denied"
          ? "Denied"
          : item.durationMs != null
            ? `Complete (${formatSeconds(item.durationMs)})`
            : "Complete";
  // Why it was denied, when a reason was given (the plain denial says nothing more).
  const deniedWhy =
    item.status === "denied" && item.content && item.content !== DENIED_MESSAGE
      ? item.content.replace(/^The user denied this request: /, "")
      : null;
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
        className="flex w-full min-w-0 items-center gap-2 px-3 py-2 text-left focus-visible:ring-2 focus-visible:ring-blue-500"
      >
        <span aria-hidden className="text-zinc-600 dark:text-zinc-400">{open ? "▾" : "▸"}</span>
        <span className="max-w-[45%] shrink-0 truncate font-mono font-semibold" title={item.name}>
          {item.name}
        </span>
        <span className="min-w-0 flex-1 truncate font-mono text-xs text-zinc-600 dark:text-zinc-400">{summarizeInput(item.input)}</span>
        {item.children?.length ? (
          <span data-testid="agent-count" className="shrink-0 rounded bg-zinc-100 px-1.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
            {steps} {steps === 1 ? "tool call" : "tool calls"}
          </span>
        ) : null}
        <span className={`shrink-0 text-xs font-medium ${TONE[item.status]}`} data-testid="tool-state">
          {state}
        </span>
      </button>
      {item.children?.length ? (
        <div className="border-t border-zinc-200 px-3 py-1.5 dark:border-zinc-800">
          <button
            type="button"
            aria-expanded={agentOpen}
            aria-controls={agentId}
            onClick={() => setAgentOpen(!agentOpen)}
            className="text-xs font-medium text-zinc-700 hover:underline focus-visible:ring-2 focus-visible:ring-blue-500 dark:text-zinc-300"
          >
            {agentOpen ? "Hide" : "Show"} what the sub-agent did ({steps} {steps === 1 ? "tool call" : "tool calls"})
          </button>
          {agentOpen && (
            <div id={agentId} data-testid="agent-steps" className="mt-1.5 space-y-1.5 border-l-2 border-zinc-200 pl-2 dark:border-zinc-700">
              {item.children.map((c) =>
                c.kind === "tool" ? (
                  <ToolCard key={c.id} item={c} />
                ) : (
                  <p key={c.id} className="text-xs whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">
                    {c.text}
                  </p>
                ),
              )}
            </div>
          )}
        </div>
      ) : null}
      {item.status === "error" && item.content && !open && (
        <p className="truncate px-3 pb-2 text-xs text-red-700 dark:text-red-400">{item.content}</p>
      )}
      {deniedWhy && !open && <p className="truncate px-3 pb-2 text-xs text-zinc-700 dark:text-zinc-300">{deniedWhy}</p>}
      {open && (
        <div id={bodyId} className="space-y-2 border-t border-zinc-200 px-3 py-2 dark:border-zinc-800">
          <section>
            <p className="text-xs font-medium text-zinc-600 dark:text-zinc-400">Input</p>
            <ToolInputView tool={item.name} input={item.input} />
          </section>
          {item.content !== undefined && (
            <section>
              <p className={`text-xs font-medium ${item.status === "error" ? "text-red-700 dark:text-red-400" : "text-zinc-600 dark:text-zinc-400"}`}>
                {item.status === "error" ? "Error" : item.status === "denied" ? "Denied" : "Output"}
              </p>
              <ScrollBox label="Output" className={`max-h-96 p-2 whitespace-pre-wrap ${BOX}`}>
                {item.content || "(no output)"}
              </ScrollBox>
            </section>
          )}
        </div>
      )}
    </div>
  );
});
