import { describeToolInput, isWebUrl, type DiffLine, type Field } from "../lib/tool-input";
import { todosOf } from "../stores/agent-items";
import { Markdown } from "./markdown";
import { TodoList } from "./todo-list";
import { ScrollBox } from "./scroll-box";

const BOX = "bg-zinc-50 text-zinc-900 dark:bg-zinc-900 dark:text-zinc-100";

const LINE: Record<DiffLine["op"], { cls: string; sign: string; said: string }> = {
  "-": { cls: "bg-red-50 text-red-900 dark:bg-red-950 dark:text-red-100", sign: "-", said: "Removed: " },
  "+": { cls: "bg-green-50 text-green-900 dark:bg-green-950 dark:text-green-100", sign: "+", said: "Added: " },
  " ": { cls: "", sign: " ", said: "" },
};

function Fields({ fields }: { fields: Field[] }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
      {fields.map((f) => (
        <div key={f.label} className="contents">
          <dt className="text-zinc-600 dark:text-zinc-400">{f.label}</dt>
          <dd className={`min-w-0 [overflow-wrap:anywhere] ${f.code ? "font-mono text-xs leading-5" : ""}`}>{f.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A tool's input as a person reads it best (see `describeToolInput`). */
export function ToolInputView({ tool, input }: { tool: string; input: unknown }) {
  const plan = (input as { plan?: unknown } | null)?.plan;
  if (tool === "ExitPlanMode" && typeof plan === "string") return <Markdown text={plan} />;
  const todos = todosOf(tool, input);
  if (todos) return <TodoList todos={todos} />;
  const view = describeToolInput(tool, input);
  switch (view.kind) {
    case "command":
      return (
        <div className="space-y-1">
          {view.description && <p className="text-sm text-zinc-700 dark:text-zinc-300">{view.description}</p>}
          <ScrollBox label="Command" className={`max-h-64 p-2 font-mono whitespace-pre-wrap [overflow-wrap:anywhere] ${BOX}`}>
            {view.command}
          </ScrollBox>
        </div>
      );
    case "diff":
      return (
        <div className="space-y-1">
          <p className="font-mono text-xs [overflow-wrap:anywhere]">{view.path}</p>
          {view.hunks.map((h, i) => (
            <div key={i}>
              {h.note && <p className="text-xs text-zinc-600 dark:text-zinc-400">{h.note}</p>}
              <ScrollBox label={`Changes to ${view.path}`} className={`max-h-80 py-1 font-mono ${BOX}`}>
                {h.lines.map((l, j) => (
                  <span key={j} className={`block px-2 whitespace-pre ${LINE[l.op].cls}`}>
                    <span className="sr-only">{LINE[l.op].said}</span>
                    <span aria-hidden className="inline-block w-3 select-none">
                      {LINE[l.op].sign}
                    </span>
                    {l.text || " "}
                  </span>
                ))}
              </ScrollBox>
            </div>
          ))}
        </div>
      );
    case "fields":
      return <Fields fields={view.fields} />;
    case "link":
      return (
        <div className="space-y-1 text-sm">
          {isWebUrl(view.url) ? (
            <a href={view.url} target="_blank" rel="noreferrer noopener" className="text-blue-700 underline [overflow-wrap:anywhere] dark:text-blue-300">
              {view.url}
            </a>
          ) : (
            <p className="font-mono text-xs [overflow-wrap:anywhere]">{view.url}</p>
          )}
          <Fields fields={view.fields} />
        </div>
      );
    case "json":
      return (
        <ScrollBox label="Input" className={`max-h-64 p-2 whitespace-pre-wrap [overflow-wrap:anywhere] ${BOX}`}>
          {view.text}
        </ScrollBox>
      );
  }
}
