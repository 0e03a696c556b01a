import type { DiffHunk, FileDiff } from "../../types/protocol";
import { splitRows } from "./split-rows";

export type DiffLayout = "unified" | "split";

const ROW = "whitespace-pre-wrap break-all px-2 font-mono text-xs leading-5";

function tone(line: string): string {
  if (line.startsWith("+")) return "bg-green-50 text-green-900 dark:bg-green-950/60 dark:text-green-200";
  if (line.startsWith("-")) return "bg-red-50 text-red-900 dark:bg-red-950/60 dark:text-red-200";
  if (line.startsWith("\\")) return "text-zinc-500";
  return "";
}

function Unified({ hunk }: { hunk: DiffHunk }) {
  return (
    <>
      {hunk.lines.map((l, i) => (
        <div key={i} className={`${ROW} ${tone(l)}`}>
          {l}
        </div>
      ))}
    </>
  );
}

function Split({ hunk }: { hunk: DiffHunk }) {
  return (
    <div className="grid grid-cols-2">
      {splitRows(hunk).map(([a, b], i) => (
        <div key={i} className="contents">
          <div className={`${ROW} border-r border-zinc-200 dark:border-zinc-800 ${a ? tone(a) : ""}`}>{a ?? ""}</div>
          <div className={`${ROW} ${b ? tone(b) : ""}`}>{b ?? ""}</div>
        </div>
      ))}
    </div>
  );
}

/** One file's hunks, unified or side by side. */
export function DiffHunks({ file, layout }: { file: FileDiff; layout: DiffLayout }) {
  if (file.binary) return <p className="px-2 py-1 text-xs text-zinc-600 dark:text-zinc-400">Binary file: not shown.</p>;
  if (file.hunks.length === 0 && !file.truncated)
    return <p className="px-2 py-1 text-xs text-zinc-600 dark:text-zinc-400">No line changes (mode or an empty file).</p>;
  return (
    <div className="overflow-x-auto">
      {file.hunks.map((h, i) => (
        <div key={`${h.header}-${i}`}>
          <div className={`${ROW} bg-zinc-100 text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400`}>{h.header}</div>
          {layout === "split" ? <Split hunk={h} /> : <Unified hunk={h} />}
        </div>
      ))}
    </div>
  );
}
