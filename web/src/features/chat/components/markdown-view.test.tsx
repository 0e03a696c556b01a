import { describe, expect, it } from "vitest";
import { act, render, screen } from "@testing-library/react";
import MarkdownView, { BLOCKS_PER_CHUNK } from "./markdown-view";
import { streamRender } from "../lib/stream-render";

describe("MarkdownView while a reply streams", () => {
  it("renders the latest text (in the background) and then reports nothing left to render", async () => {
    const { rerender } = render(<MarkdownView text={"## Part 1\n\nSome **bold"} streaming />);
    expect(screen.getByRole("heading", { name: "Part 1" })).toBeInTheDocument();
    await act(async () => {
      rerender(<MarkdownView text={"## Part 1\n\nSome **bold** text\n\n- a list"} streaming />);
    });
    expect(screen.getByText("bold").tagName).toBe("STRONG");
    expect(screen.getByRole("listitem")).toHaveTextContent("a list");
    expect(streamRender.busy()).toBe(false);
    let settled = false;
    streamRender.whenRendered(() => {
      settled = true;
    });
    expect(settled).toBe(true);
  });

  it("renders a finished text at once, and a view that goes away leaves nothing pending", () => {
    const { rerender, unmount } = render(<MarkdownView text="one" streaming />);
    rerender(<MarkdownView text="one two" />);
    expect(screen.getByText("one two")).toBeInTheDocument();
    unmount();
    expect(streamRender.busy()).toBe(false);
  });

  it("groups the blocks (the browser skips a group out of view) and keeps finished groups as they were", async () => {
    const paragraphs = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i}.`).join("\n\n");
    const count = BLOCKS_PER_CHUNK * 2 + 3;
    const { container, rerender } = render(<MarkdownView text={paragraphs(count)} streaming />);
    const chunks = () => [...container.querySelectorAll(".prose-chat > .md-chunk")];
    expect(chunks().map((c) => c.querySelectorAll("p").length)).toEqual([BLOCKS_PER_CHUNK, BLOCKS_PER_CHUNK, 3]);
    const first = chunks()[0].querySelector("p");
    await act(async () => {
      rerender(<MarkdownView text={paragraphs(count + BLOCKS_PER_CHUNK)} streaming />);
    });
    expect(chunks().map((c) => c.querySelectorAll("p").length)).toEqual([BLOCKS_PER_CHUNK, BLOCKS_PER_CHUNK, BLOCKS_PER_CHUNK, 3]);
    expect(chunks()[0].querySelector("p")).toBe(first);
    expect(container.textContent).toContain(`Paragraph ${count + BLOCKS_PER_CHUNK - 1}.`);
  });
});
