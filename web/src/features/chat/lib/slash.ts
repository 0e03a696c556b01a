import type { SlashCommand } from "../../../types/protocol";

/** The palette's element id, and its options' (the box points at the active one). */
export const PALETTE_ID = "slash-palette";
export const optionId = (i: number) => `slash-option-${i}`;

/** The most commands the palette lists at once. */
export const PALETTE_MAX = 8;

/**
 * The commands the palette offers for what is typed: only while the box holds a `/` and a
 * command name being typed (no space yet); names starting with it first, then names
 * containing it.
 */
export function matchCommands(text: string, commands: SlashCommand[]): SlashCommand[] {
  const m = /^\/(\S*)$/.exec(text);
  if (!m) return [];
  const q = m[1].toLowerCase();
  const starts = commands.filter((c) => c.name.toLowerCase().startsWith(q));
  const contains = commands.filter((c) => !c.name.toLowerCase().startsWith(q) && c.name.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, PALETTE_MAX);
}
