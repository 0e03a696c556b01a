import { describe, expect, it } from "vitest";
import { snippetParts } from "./snippet";

describe("search snippets", () => {
  it("marks matched terms and unescapes the rest, never as HTML", () => {
    expect(snippetParts("a &lt;b&gt; <mark>kestrel</mark> &amp; <mark>x&quot;y</mark>!")).toEqual([
      { text: "a <b> ", mark: false },
      { text: "kestrel", mark: true },
      { text: " & ", mark: false },
      { text: 'x"y', mark: true },
      { text: "!", mark: false },
    ]);
    expect(snippetParts("")).toEqual([]);
    expect(snippetParts("<img src=x onerror=alert(1)>")).toEqual([{ text: "<img src=x onerror=alert(1)>", mark: false }]);
  });
});
