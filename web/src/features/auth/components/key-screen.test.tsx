import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { KeyScreen } from "./key-screen";

const info = {
  version: "0.1.0",
  cli_version: "2.1.331",
  demo_model: true,
  permission_mode: "default",
  limits: { max_sessions: 10, max_session_rss_mb: 2048, max_session_duration_seconds: 14400, session_idle_timeout_seconds: 1800, prewarm_pool_size: 2 },
};

describe("KeyScreen", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows an error for a wrong key and accepts the right one", async () => {
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
      const key = (init?.headers as Record<string, string>)["X-API-Key"];
      return key === "right-key-0123456789"
        ? new Response(JSON.stringify(info), { status: 200 })
        : new Response(JSON.stringify({ error: "unauthorized", message: "Invalid API key" }), { status: 401 });
    });
    vi.stubGlobal("fetch", fetch);
    const onAccepted = vi.fn();
    render(<KeyScreen notice={null} onAccepted={onAccepted} />);
    const input = screen.getByLabelText("API key");
    await userEvent.type(input, "wrong{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("That key was not accepted");
    expect(onAccepted).not.toHaveBeenCalled();
    await userEvent.clear(input);
    await userEvent.type(input, "right-key-0123456789{Enter}");
    await vi.waitFor(() => expect(onAccepted).toHaveBeenCalledWith("right-key-0123456789", info));
    // The key went in a header, never in the URL.
    for (const [url] of fetch.mock.calls) expect(url).not.toContain("key");
  });
});
