import { describe, expect, it } from "vitest";
import { plainText } from "./plain-text";

describe("plainText", () => {
  it("shows the words of markdown without its syntax", () => {
    const md = [
      "*Demo model — set `ANTHROPIC_API_KEY`.*",
      "",
      "## You said",
      "",
      "> hello **there**",
      "",
      "- run a [command](https://example.com)",
      "- [x] done __now__",
      "1. first",
      "",
      "| a | b |",
      "|---|:--:|",
      "| 1 | 2 |",
      "",
      "---",
      "",
      "```rust",
      "fn main() { let x = 2 * 3 * 4; }",
      "```",
      "~~gone~~ ![logo](x.png)",
    ].join("\n");
    const text = plainText(md);
    for (const syntax of ["##", "**", "__", "```", "`", "](", "> ", "|---", "~~"]) {
      expect(text, syntax).not.toContain(syntax);
    }
    expect(text.split("\n")).toEqual([
      "Demo model — set ANTHROPIC_API_KEY.",
      "",
      "You said",
      "",
      "hello there",
      "",
      "• run a command",
      "• done now",
      "1. first",
      "",
      "a   b",
      "1   2",
      "",
      "",
      "fn main() { let x = 2 * 3 * 4; }",
      "gone logo",
    ]);
  });

  it("keeps text that only looks like syntax", () => {
    expect(plainText("2 * 3 * 4 and snake_case_name")).toBe("2 * 3 * 4 and snake_case_name");
  });
});
