import { describe, expect, it } from "vitest";
import { insertMention, mentionAt } from "./mention";

describe("mentions", () => {
  it("finds the @word at the caret only at a word start", () => {
    expect(mentionAt("look at @src/ma", 15)).toEqual({ start: 8, query: "src/ma" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionAt("mail me@x", 9)).toBeNull();
    expect(mentionAt("look at @src and", 16)).toBeNull();
  });

  it("inserts the path as the CLI reads it", () => {
    expect(insertMention("see @ma", 4, 7, "src/main.rs")).toEqual({ text: "see @src/main.rs ", caret: 17 });
    expect(insertMention("@x then", 0, 2, "a b.txt").text).toBe('@"a b.txt" then');
  });
});
