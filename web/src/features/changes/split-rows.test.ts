import { describe, expect, it } from "vitest";
import { splitRows } from "./split-rows";

describe("side by side", () => {
  it("faces removals with the additions after them", () => {
    const rows = splitRows({ header: "@@", old_start: 1, old_lines: 3, new_start: 1, new_lines: 3, lines: [" a", "-b", "-c", "+B", " d", "+e"] });
    expect(rows).toEqual([
      [" a", " a"],
      ["-b", "+B"],
      ["-c", null],
      [" d", " d"],
      [null, "+e"],
    ]);
  });
});
