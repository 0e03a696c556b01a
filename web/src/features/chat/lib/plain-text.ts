/**
 * Markdown as plain text, for the moment before the markdown renderer has loaded (a slow
 * link, a first visit): what a person reads then has no `##`, `**`, backticks or fences,
 * only the words, with list items as "•" lines and code on lines of its own. Small and
 * forgiving on purpose: it is shown for a moment and then replaced by the real rendering.
 */
export function plainText(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && line.trim() === f[1]) fence = null;
      else out.push(line);
      continue;
    }
    if (f) {
      fence = f[1];
      continue;
    }
    // Table delimiter rows and thematic breaks carry no words.
    if (/^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line) || /^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      continue;
    }
    let l = line
      .replace(/^(\s*)>\s?/, "$1") // quote
      .replace(/^\s{0,3}#{1,6}\s+/, "") // heading
      .replace(/\s+#+\s*$/, "") // closing hashes of a heading
      .replace(/^(\s*)[-*+]\s+\[[ xX]\]\s+/, "$1• ") // task list
      .replace(/^(\s*)[-*+]\s+/, "$1• "); // bullet
    if (/^\s*\|.*\|\s*$/.test(l)) {
      l = l
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => c.trim())
        .join("   ");
    }
    out.push(inline(l));
  }
  return out.join("\n");
}

function inline(s: string): string {
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1") // image: its alt text
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1") // link: its text
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, "$1") // reference link
    .replace(/`+([^`]+)`+/g, "$1") // inline code
    .replace(/(\*\*|__)(?=\S)([^\n]*?\S)\1/g, "$2") // strong
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, "$1$2") // emphasis
    .replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g, "$1$2")
    .replace(/~~(?=\S)([^\n]*?\S)~~/g, "$1"); // strikethrough
}
