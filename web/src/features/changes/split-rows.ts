import type { DiffHunk } from "../../types/protocol";

/** The two sides of a hunk, row by row: a run of removals faces the additions after it. */
export function splitRows(h: DiffHunk): Array<[string | null, string | null]> {
  const rows: Array<[string | null, string | null]> = [];
  let i = 0;
  while (i < h.lines.length) {
    const line = h.lines[i];
    if (line.startsWith("-") || line.startsWith("+")) {
      const minus: string[] = [];
      const plus: string[] = [];
      while (i < h.lines.length && h.lines[i].startsWith("-")) minus.push(h.lines[i++]);
      while (i < h.lines.length && h.lines[i].startsWith("+")) plus.push(h.lines[i++]);
      for (let k = 0; k < Math.max(minus.length, plus.length); k++) rows.push([minus[k] ?? null, plus[k] ?? null]);
      continue;
    }
    rows.push([line, line.startsWith("\\") ? null : line]);
    i++;
  }
  return rows;
}
