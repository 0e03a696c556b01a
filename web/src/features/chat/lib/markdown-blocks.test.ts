import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { headingLevels, headingLevelsOfBlocks, needsWholeParse, outlineLevel, splitBlocks, type Split } from "./markdown-blocks";

const html = (md: string) => renderToStaticMarkup(createElement(ReactMarkdown, { remarkPlugins: [remarkGfm] }, md));
const byBlocks = (md: string) => splitBlocks(md).blocks.map(html).join("");
/** Whitespace between tags differs by where a block ends; what is rendered must not. */
const norm = (s: string) => s.replace(/\s*(<[^>]+>)\s*/g, "$1").trim();

const SAMPLES: Record<string, string> = {
  paragraphs: "One line.\nStill one paragraph.\n\nTwo.\n\n\nThree after two blank lines.\n",
  headings: "# Title\nText under it.\n\n## Part\n\nMore.\n\nSetext\n======\n\n---\n\nAfter a rule.",
  "fence with blank lines": "Before:\n\n```rust\nfn a() {}\n\n\nfn b() {}\n```\n\nAfter.\n",
  "tilde fence and a longer closing fence": "~~~\none\n\n```\nnot the end\n```\n\ntwo\n~~~~\n\nend",
  "loose list": "- one\n\n- two\n\n  second paragraph of two\n\n- three\n\nAfter the list.",
  "ordered list going on after blank lines": "1. open\n2. check\n\n3. write\n\n10. later\n\nDone.",
  "list after a paragraph": "Intro:\n- a\n- b\n\n- c\n\nOutro.",
  "fence inside a list item": "- step:\n\n  ```sh\n  ls\n\n  pwd\n  ```\n\n- next\n\nEnd.",
  "indented code with a blank line": "Para.\n\n    code 1\n\n    code 2\n\nPara again.",
  quotes: "> a quote\n> goes on\n\n> another quote\n\nText.",
  table: "| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter the table.",
  "html comment with blank lines": "Text.\n\n<!-- a\n\ncomment -->\n\nMore text.",
  "task list and emphasis": "- [x] done **bold**\n- [ ] todo *it*\n\nA [link](https://example.com) and `code`.",
};

describe("splitBlocks", () => {
  for (const [name, md] of Object.entries(SAMPLES)) {
    it(`renders the same block by block as at once: ${name}`, () => {
      const { blocks } = splitBlocks(md);
      expect(blocks.join("")).toBe(md);
      expect(norm(byBlocks(md))).toBe(norm(html(md)));
    });
  }

  it("splits where a new block starts, not inside fences or lists", () => {
    expect(splitBlocks("a\n\nb\n\n```\nx\n\ny\n```\n\nc").blocks).toEqual(["a\n\n", "b\n\n", "```\nx\n\ny\n```\n\n", "c"]);
    expect(splitBlocks("- a\n\n- b\n\nc").blocks).toEqual(["- a\n\n- b\n\n", "c"]);
    expect(splitBlocks("- a\n\n  more\n\nc").blocks).toEqual(["- a\n\n  more\n\n", "c"]);
  });

  it("streams: finished blocks never change, and only the last block is scanned again", () => {
    const md = Object.values(SAMPLES).join("\n\n");
    let split: Split = { text: "", blocks: [] };
    const finished = new Map<number, string>();
    // Any chunking: one character at a time covers every place a delta can end.
    for (let i = 1; i <= md.length; i++) {
      split = splitBlocks(md.slice(0, i), split);
      expect(split.blocks.join("")).toBe(md.slice(0, i));
      split.blocks.slice(0, -1).forEach((b, k) => {
        if (finished.has(k)) expect(b, `block ${k} changed at ${i}`).toBe(finished.get(k));
        finished.set(k, b);
      });
    }
    expect(split.blocks).toEqual(splitBlocks(md).blocks);
    expect(norm(byBlocks(md))).toBe(norm(html(md)));
  });

  it("waits for a line's first characters when they may start a list item", () => {
    const list = splitBlocks("- a\n\n1");
    expect(list.blocks).toEqual(["- a\n\n1"]);
    expect(splitBlocks("- a\n\n1. b", list).blocks).toEqual(["- a\n\n1. b"]);
    expect(splitBlocks("- a\n\n1999 was", list).blocks).toEqual(["- a\n\n", "1999 was"]);
    expect(splitBlocks("Para\n\nNext wo").blocks).toEqual(["Para\n\n", "Next wo"]);
  });

  it("keeps the earlier split when the text is the same", () => {
    const a = splitBlocks("x\n\ny");
    expect(splitBlocks("x\n\ny", a)).toBe(a);
  });
});

describe("needsWholeParse", () => {
  it("is true only with reference definitions or footnotes", () => {
    expect(needsWholeParse("See [the docs][d].\n\n[d]: https://example.com")).toBe(true);
    expect(needsWholeParse("A note[^1].\n\n[^1]: The note.")).toBe(true);
    expect(needsWholeParse("A [link](https://example.com) and [brackets] here.")).toBe(false);
  });
});

describe("headingLevels and outlineLevel", () => {
  it("maps the levels a text uses onto consecutive levels from h2", () => {
    const used = headingLevels("## A\n\n#### B\n\n```\n# not a heading\n```\n\n##no space\n");
    expect(used).toEqual([2, 4]);
    expect([2, 4].map((l) => outlineLevel(l, used))).toEqual([2, 3]);
    expect(outlineLevel(1, [1, 2, 3, 4, 5, 6])).toBe(2);
    expect(outlineLevel(6, [1, 2, 3, 4, 5, 6])).toBe(6);
    // A setext heading (not found by the scan) still lands in order.
    expect(outlineLevel(2, [1, 3])).toBe(3);
  });
});

describe("headingLevelsOfBlocks", () => {
  it("gives what headingLevels gives for the whole text, fences and all", () => {
    const text = "## A\n\n```\n# not a heading\n\n# still code\n```\n\n#### B\n\ntext\n\n### C";
    const split = splitBlocks(text);
    expect(split.blocks.length).toBeGreaterThan(2);
    expect(headingLevelsOfBlocks(split.blocks)).toEqual(headingLevels(text));
    expect(headingLevelsOfBlocks(split.blocks)).toEqual([2, 3, 4]);
  });
});
