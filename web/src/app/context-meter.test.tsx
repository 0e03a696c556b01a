import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { StoresProvider } from "./stores/stores-provider";
import { StatusBar } from "./status-bar";
import { chatHarness } from "../test/harness";

describe("the context meter", () => {
  it("appears after a turn, moves with the next, and suggests /compact above 80 %", async () => {
    const h = chatHarness();
    render(
      <StoresProvider stores={h.stores}>
        <StatusBar onReconnect={() => {}} />
      </StoresProvider>,
    );
    expect(screen.queryByTestId("context-meter")).toBeNull();
    const done = (used: number) => ({
      type: "response_complete",
      cost_usd: 0,
      total_cost_usd: 0,
      usage: {},
      duration_ms: 1,
      num_turns: 1,
      context: { used_tokens: used, window_tokens: 1_000_000 },
    });
    h.chat().sendMessage("hi");
    h.event({ type: "message_received", seq: 1, text: "hi" });
    h.event(done(140_000));
    expect(await screen.findByTestId("context-meter")).toHaveTextContent("14% of 1M");
    expect(screen.queryByText(/compact/)).toBeNull();
    h.chat().sendMessage("more");
    h.event({ type: "message_received", seq: 2, text: "more" });
    h.event(done(850_000));
    expect(await screen.findByText(/send \/compact/)).toBeInTheDocument();
    expect(screen.getByTestId("context-meter")).toHaveTextContent("85% of 1M");
  });
});
