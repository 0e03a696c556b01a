import { describe, expect, it } from "vitest";
import { act, render, screen } from "@testing-library/react";
import MarkdownView from "./markdown-view";
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
});
