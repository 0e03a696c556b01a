import { describe, expect, it } from "vitest";
import { describeToolInput, isWebUrl, lineDiff, toolAction } from "./tool-input";

const ops = (before: string, after: string) => lineDiff(before, after).map((l) => `${l.op}${l.text}`);

describe("lineDiff", () => {
  it("keeps common lines and marks the changed ones", () => {
    expect(ops("a\nb\nc", "a\nB\nc")).toEqual([" a", "-b", "+B", " c"]);
    expect(ops("a\nc", "a\nb\nc")).toEqual([" a", "+b", " c"]);
    expect(ops("", "new\nfile")).toEqual(["+new", "+file"]);
    expect(ops("gone", "")).toEqual(["-gone"]);
    expect(ops("x\ny\nz", "y\nz\nw")).toEqual(["-x", " y", " z", "+w"]);
  });

  it("falls back to all removed then all added for huge inputs", () => {
    const a = Array.from({ length: 600 }, (_, i) => `a${i}`).join("\n");
    const b = Array.from({ length: 600 }, (_, i) => `b${i}`).join("\n");
    const d = lineDiff(a, b);
    expect(d).toHaveLength(1200);
    expect(d[0].op).toBe("-");
    expect(d[1199].op).toBe("+");
  });
});

describe("describeToolInput", () => {
  it("shows a command as code with its description", () => {
    expect(describeToolInput("Bash", { command: "rm -rf build", description: "Clean" })).toEqual({
      kind: "command",
      command: "rm -rf build",
      description: "Clean",
    });
  });

  it("shows edits and writes as diffs of the file", () => {
    const edit = describeToolInput("Edit", { file_path: "/w/a.rs", old_string: "let x = 1;", new_string: "let x = 2;", replace_all: true });
    expect(edit).toEqual({
      kind: "diff",
      path: "/w/a.rs",
      hunks: [{ lines: [{ op: "-", text: "let x = 1;" }, { op: "+", text: "let x = 2;" }], note: "every occurrence" }],
    });
    const write = describeToolInput("Write", { file_path: "/w/new.txt", content: "hello\nworld" });
    expect(write).toMatchObject({ kind: "diff", path: "/w/new.txt", hunks: [{ lines: [{ op: "+", text: "hello" }, { op: "+", text: "world" }] }] });
    const multi = describeToolInput("MultiEdit", { file_path: "/w/b", edits: [{ old_string: "a", new_string: "b" }, { old_string: "c", new_string: "d" }] });
    expect(multi).toMatchObject({ kind: "diff", hunks: [{}, {}] });
  });

  it("shows reads and searches as paths and patterns, a fetch as a link", () => {
    expect(describeToolInput("Read", { file_path: "/w/a.rs", offset: 10 })).toEqual({
      kind: "fields",
      fields: [
        { label: "File", value: "/w/a.rs", code: true },
        { label: "From line", value: "10" },
      ],
    });
    expect(describeToolInput("Grep", { pattern: "fn main", path: "src" })).toMatchObject({
      kind: "fields",
      fields: [{ label: "Pattern", value: "fn main" }, { label: "In", value: "src" }],
    });
    expect(describeToolInput("WebFetch", { url: "https://example.com", prompt: "the title" })).toEqual({
      kind: "link",
      url: "https://example.com",
      fields: [{ label: "To find", value: "the title" }],
    });
  });

  it("falls back to formatted JSON for other tools and unexpected inputs", () => {
    expect(describeToolInput("mcp__x__y", { a: 1 })).toEqual({ kind: "json", text: '{\n  "a": 1\n}' });
    expect(describeToolInput("Bash", { cmd: "no command field" })).toMatchObject({ kind: "json" });
    expect(describeToolInput("Edit", null)).toEqual({ kind: "json", text: "null" });
  });

  it("words the request and links only web addresses", () => {
    expect(toolAction("Bash")).toBe("run a command");
    expect(toolAction("Custom")).toBe("use Custom");
    expect(isWebUrl("https://example.com/x")).toBe(true);
    expect(isWebUrl("javascript:alert(1)")).toBe(false);
    expect(isWebUrl("not a url")).toBe(false);
  });
});
