import { MENTION_PALETTE_ID, mentionOptionId } from "../lib/mention";

/**
 * The @-mention palette above the message box: the session directory's files best matching
 * what follows `@`. As the slash palette, the box keeps focus: arrows move, Enter or Tab
 * picks, Escape closes.
 */
export function MentionPalette({ paths, active, onPick }: { paths: string[]; active: number; onPick(path: string): void }) {
  return (
    <ul
      id={MENTION_PALETTE_ID}
      role="listbox"
      aria-label="Files"
      className="mb-1 max-h-64 overflow-auto rounded-md border border-zinc-300 bg-white text-sm shadow dark:border-zinc-700 dark:bg-zinc-900"
    >
      {paths.map((p, i) => (
        <li
          key={p}
          id={mentionOptionId(i)}
          role="option"
          aria-selected={i === active}
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(p);
          }}
          className={`cursor-pointer truncate px-3 py-1.5 font-mono text-xs ${i === active ? "bg-blue-100 dark:bg-blue-950" : ""}`}
        >
          {p}
        </li>
      ))}
    </ul>
  );
}
