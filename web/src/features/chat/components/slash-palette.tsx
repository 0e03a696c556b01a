import type { SlashCommand } from "../../../types/protocol";
import { optionId, PALETTE_ID } from "../lib/slash";

/**
 * The slash-command palette above the message box: the session CLI's commands matching what
 * is typed, with their descriptions. The box keeps focus (it points here with
 * aria-activedescendant); arrows move, Enter or Tab picks, Escape closes.
 */
export function SlashPalette({ matches, active, onPick }: { matches: SlashCommand[]; active: number; onPick(c: SlashCommand): void }) {
  return (
    <ul
      id={PALETTE_ID}
      role="listbox"
      aria-label="Slash commands"
      className="mb-1 max-h-64 overflow-auto rounded-md border border-zinc-300 bg-white text-sm shadow dark:border-zinc-700 dark:bg-zinc-900"
    >
      {matches.map((c, i) => (
        <li
          key={c.name}
          id={optionId(i)}
          role="option"
          aria-selected={i === active}
          // Not a focus change: the box keeps focus and the text it holds.
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(c);
          }}
          className={`flex cursor-pointer gap-2 px-3 py-1.5 ${i === active ? "bg-blue-100 dark:bg-blue-950" : ""}`}
        >
          <span className="shrink-0 font-mono">/{c.name}</span>
          {c.argument_hint && <span className="shrink-0 font-mono text-xs text-zinc-500">{c.argument_hint}</span>}
          <span className="min-w-0 truncate text-zinc-600 dark:text-zinc-400">{c.description}</span>
        </li>
      ))}
    </ul>
  );
}
