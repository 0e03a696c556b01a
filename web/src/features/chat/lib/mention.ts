/**
 * @-mentions in the message box: the `@word` being typed at the caret (what the palette
 * filters by), and the text once a file is picked. The CLI reads `@path` (or `@"path"` with
 * spaces) when `@` starts the text or follows whitespace, and reads that file into the turn.
 */

export const MENTION_PALETTE_ID = "mention-palette";
export const mentionOptionId = (i: number) => `mention-option-${i}`;

/** The mention being typed at `caret`: where its `@` is and what follows it. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  let start = caret;
  while (start > 0 && !/\s/.test(text[start - 1])) start--;
  if (text[start] !== "@") return null;
  const query = text.slice(start + 1, caret);
  if (query.includes("@") || query.startsWith('"')) return null;
  return { start, query };
}

/** `text` with the mention at `start..caret` replaced by `path` (and a space), and the caret after it. */
export function insertMention(text: string, start: number, caret: number, path: string): { text: string; caret: number } {
  const ref = /\s/.test(path) ? `@"${path}"` : `@${path}`;
  const after = text.slice(caret);
  const glue = after.startsWith(" ") ? "" : " ";
  const next = `${text.slice(0, start)}${ref}${glue}${after}`;
  return { text: next, caret: start + ref.length + 1 };
}
