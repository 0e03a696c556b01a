import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ToolCard } from "./tool-card";
import type { ToolItem } from "../stores/items";

const base: ToolItem = {
  kind: "tool",
  id: "t",
  toolUseId: "toolu_1",
  name: "Bash",
  input: { command: "ls -la", description: "List" },
  status: "running",
};

describe("ToolCard", () => {
  it("shows Executing…, then Complete with the duration; opens to input and output", async () => {
    const { rerender } = render(<ToolCard item={base} />);
    expect(screen.getByText("Bash")).toBeInTheDocument();
    expect(screen.getByText("ls -la")).toBeInTheDocument();
    expect(screen.getByTestId("tool-state")).toHaveTextContent("Executing…");
    rerender(<ToolCard item={{ ...base, status: "done", content: "a.txt\nb.txt", durationMs: 1234 }} />);
    expect(screen.getByTestId("tool-state")).toHaveTextContent("Complete (1.2s)");
    const toggle = screen.getByRole("button", { expanded: false });
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByText("Output")).toBeInTheDocument();
    expect(screen.getByText(/a\.txt/)).toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Command" })).toHaveTextContent("ls -la");
    await userEvent.click(toggle);
    expect(screen.queryByText("Output")).toBeNull();
  });

  it("shows Error in red with the reason", () => {
    render(<ToolCard item={{ ...base, status: "error", content: "Permission denied", durationMs: 10 }} />);
    expect(screen.getByTestId("tool-state")).toHaveTextContent("Error");
    expect(screen.getByTestId("tool-state").className).toMatch(/text-red/);
    expect(screen.getAllByText("Permission denied").length).toBeGreaterThan(0);
  });

  it("shows a denial as Denied, not as an error, with the reason given", () => {
    render(<ToolCard item={{ ...base, status: "denied", content: "The user denied this request: too risky", durationMs: 10 }} />);
    expect(screen.getByTestId("tool-state")).toHaveTextContent("Denied");
    expect(screen.getByTestId("tool-state").className).not.toMatch(/text-red/);
    expect(screen.getByText("too risky")).toBeInTheDocument();
    expect(screen.queryByText("Error")).toBeNull();
  });

  it("says when it waits for approval", () => {
    render(<ToolCard item={base} awaiting />);
    expect(screen.getByTestId("tool-state")).toHaveTextContent("Awaiting approval…");
  });
});
