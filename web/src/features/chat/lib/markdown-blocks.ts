/**
 * Splits markdown into top-level blocks that render the same one by one as the whole text
 * does at once, so a streamed reply re-parses only its last block: every block before it is
 * finished and its rendering is kept (see `MarkdownView`). Without this, each frame of a
 * stream parsed the whole reply again, and a long reply slowed down as it grew.
 *
 * A block ends at a run of blank lines outside a fenced code block (or an HTML comment or
 * `<pre>`-like block, which blank lines do not end either), when the next line starts at the
 * margin: a paragraph, a heading, a quote, a table or a code fence. A next line that is
 * indented, or that is a list item after a block holding a list, continues the block (a
 * list's later items, an item's second paragraph, indented code): merging is always safe,
 * splitting only where CommonMark itself ends every open block.
 *
 * What the split cannot keep: a reference-style link or footnote whose definition is in
 * another block. `needsWholeParse` tells when a finished reply has definitions: it is then
 * rendered at once.
 *
 * Blocks are slices of the text (blank lines included), so they join back to it exactly; a
 * block's text never changes once a later block has begun, which is what lets React keep
 * its rendering.
 */

/** `blocks` join to `text`; all but the last are finished. */
export type Split = { text: string; blocks: string[] };

const EMPTY: Split = { text: "", blocks: [] };

const FENCE = /^ *(`{3,}|~{3,})/;
const LIST_ITEM = /^ *(?:[-*+]|\d{1,9}[.)])(?: |\t|$)/m;
const HTML_OPEN = /^ {0,3}(?:<!--|<(pre|script|style|textarea)(?:\s|>|$))/i;

type Open = { fence: string; indent: number } | { html: RegExp } | null;

/** The construct a line opens that only its own closing line ends (blank lines do not). */
function opens(line: string): Open {
  const fence = FENCE.exec(line);
  if (fence) return { fence: fence[1], indent: line.length - line.trimStart().length };
  const html = HTML_OPEN.exec(line);
  if (html) {
    const end = html[1] ? new RegExp(`</${html[1]}>`, "i") : /-->/;
    // Closed on its own line: nothing stays open.
    return end.test(line.slice(html[0].length)) ? null : { html: end };
  }
  return null;
}

function closes(open: Exclude<Open, null>, line: string): boolean {
  if ("fence" in open) {
    const m = /^( *)(`{3,}|~{3,}) *$/.exec(line);
    return !!m && m[1].length <= open.indent + 3 && m[2][0] === open.fence[0] && m[2].length >= open.fence.length;
  }
  return open.html.test(line);
}

/**
 * Splits `text`; given the split of an earlier, shorter version of the same stream, only the
 * part from its last block on is scanned again (a boundary is always outside any open
 * construct, so scanning can restart there).
 */
export function splitBlocks(text: string, previous: Split = EMPTY): Split {
  if (text === previous.text) return previous;
  let kept: string[] = [];
  let start = 0;
  if (previous.blocks.length > 1 && text.startsWith(previous.text)) {
    kept = previous.blocks.slice(0, -1);
    start = kept.reduce((n, b) => n + b.length, 0);
  }
  return { text, blocks: kept.concat(scan(text, start)) };
}

/** The blocks of `text` from `start`, a block boundary. */
function scan(text: string, start: number): string[] {
  const blocks: string[] = [];
  let blockStart = start;
  let open: Open = null;
  let blankRun = false;
  let pos = start;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    const line = text.slice(pos, nl < 0 ? text.length : nl);
    if (nl < 0) {
      // The line being written: split before it once its start tells (see `startsNewBlock`).
      if (!open && blankRun && pos > blockStart && line.trim() && startsNewBlock(line, text.slice(blockStart, pos), true)) {
        blocks.push(text.slice(blockStart, pos));
        blockStart = pos;
      }
      break;
    }
    if (open) {
      if (closes(open, line)) open = null;
    } else if (line.trim() === "") {
      blankRun = true;
    } else {
      if (blankRun && pos > blockStart && startsNewBlock(line, text.slice(blockStart, pos), false)) {
        blocks.push(text.slice(blockStart, pos));
        blockStart = pos;
      }
      blankRun = false;
      open = opens(line);
    }
    pos = nl + 1;
  }
  if (blockStart < text.length || blocks.length === 0) blocks.push(text.slice(blockStart));
  return blocks;
}

/**
 * After blank lines: does `line` begin a block of its own, or continue `previous`? For a line
 * still being written (`partial`) the answer is yes only once more characters cannot change
 * it ("1" may become a list item "1. ", "Hello" will not).
 */
function startsNewBlock(line: string, previous: string, partial: boolean): boolean {
  if (/^[ \t]/.test(line)) return false; // indented: a list item's next paragraph, indented code
  if (partial && /^(?:\d{1,9}[.)]?|[-*+])$/.test(line)) return false; // not decided yet
  if (LIST_ITEM.test(line) && LIST_ITEM.test(previous)) return false; // the list goes on
  return true;
}

/** Reference-style link or footnote definitions: only the whole text resolves them. */
export function needsWholeParse(text: string): boolean {
  return /^ {0,3}\[[^\]\n]+\]:/m.test(text);
}

/**
 * The heading levels a text uses (ATX `#` headings outside code fences), lowest first. The
 * view maps them onto consecutive levels from h2 (h1 is the page's), so the page's outline
 * never skips a level whatever the reply's markdown does.
 */
export function headingLevels(text: string): number[] {
  const levels = new Set<number>();
  let fence: string | null = null;
  for (const line of text.split("\n")) {
    const f = /^ *(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && line.trim() === f[1]) fence = null;
      continue;
    }
    if (f) fence = f[1];
    else {
      const h = /^ {0,3}(#{1,6})(?:[ \t]|$)/.exec(line);
      if (h) levels.add(h[1].length);
    }
  }
  return [...levels].sort((a, b) => a - b);
}

/** Heading levels of finished blocks (a block's text never changes): a stream's frame scans its last block only. */
const levelsOfBlock = new Map<string, number[]>();
const LEVELS_CACHED = 2_000;

/**
 * `headingLevels` of the text the blocks join to (each block starts outside any code fence,
 * so each can be scanned on its own); all but the last block's levels are remembered.
 */
export function headingLevelsOfBlocks(blocks: string[]): number[] {
  const levels = new Set<number>();
  blocks.forEach((block, i) => {
    let own = levelsOfBlock.get(block);
    if (!own) {
      own = headingLevels(block);
      if (i < blocks.length - 1) {
        if (levelsOfBlock.size >= LEVELS_CACHED) levelsOfBlock.clear();
        levelsOfBlock.set(block, own);
      }
    }
    for (const l of own) levels.add(l);
  });
  return [...levels].sort((a, b) => a - b);
}

/** The rendered level of markdown heading `level`, given the text's `headingLevels`. */
export function outlineLevel(level: number, used: number[]): number {
  const below = used.filter((l) => l < level).length;
  return Math.min(6, 2 + below);
}
