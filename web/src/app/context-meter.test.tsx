import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { ContextMeter } from "./context-meter";

describe("ContextMeter", () => {
  it("shows how full the context is, and suggests /compact above 80 %", () => {
    const { rerender } = render(<ContextMeter usedTokens={120_000} windowTokens={1_000_000} />);
    expect(screen.getByRole("meter", { name: "Context 12% full" })).toHaveAttribute("value", "120000");
    expect(screen.getByText("12% of 1M")).toBeInTheDocument();
    expect(screen.queryByText(/send \/compact/)).toBeNull();
    rerender(<ContextMeter usedTokens={850_000} windowTokens={1_000_000} />);
    expect(screen.getByRole("meter", { name: "Context 85% full" })).toBeInTheDocument();
    expect(screen.getByText("nearly full: send /compact to summarize")).toBeInTheDocument();
  });
});
