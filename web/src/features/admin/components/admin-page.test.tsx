import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { AdminPage } from "./admin-page";

const KEY = "csp_" + "a".repeat(64);
const NEW_KEY = "csp_" + "b".repeat(64);

const user = (name: string, extra: Record<string, unknown> = {}) => ({
  user_id: `${name}-id`,
  name,
  role: "member",
  created_at: "2026-12-01T10:00:00.000000Z",
  disabled: false,
  bootstrap: false,
  keys: [
    {
      key_id: `${name}-key`,
      user_id: `${name}-id`,
      prefix: `csp_${name.slice(0, 4).padEnd(8, "0")}`,
      created_at: "2026-12-01T10:00:00.000000Z",
      last_used_at: null,
      revoked_at: null,
    },
  ],
  live_sessions: 1,
  spend_today_usd: 0.5,
  spend_total_usd: 2,
  max_sessions: null,
  daily_spend_limit_usd: null,
  ...extra,
});

type Call = { url: string; method: string; body?: unknown };

function server(users: unknown[]) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? "GET";
    calls.push({ url, method, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
    if (url === "/api/v1/users" && method === "GET") return json(200, { users });
    if (url === "/api/v1/users" && method === "POST") {
      return json(201, { user: { ...user("bob"), keys: undefined }, api_key: NEW_KEY });
    }
    if (url.startsWith("/api/v1/keys/") && method === "DELETE") {
      return json(200, { ...user("alice").keys[0], revoked_at: "2026-12-01T11:00:00.000000Z" });
    }
    return json(404, { error: "not_found", message: "?" });
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

const defaults = { maxSessions: null, dailySpendUsd: 5 };

describe("AdminPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists users with their keys' prefixes, live sessions and spend", async () => {
    server([user("admin", { role: "admin", bootstrap: true, keys: [] }), user("alice")]);
    render(<AdminPage apiKey={KEY} defaults={defaults} onUnauthorized={() => {}} onClose={() => {}} />);
    const alice = await screen.findByRole("listitem", { name: "alice" });
    expect(within(alice).getByText("csp_alic0000…")).toBeInTheDocument();
    expect(within(alice).getByText(/1 live · today \$0.5000 · total \$2.00/)).toBeInTheDocument();
    const admin = screen.getByRole("listitem", { name: "admin" });
    expect(within(admin).getByText("CLAUDE_SDK_PATTERN_API_KEY")).toBeInTheDocument();
    expect(within(admin).queryByRole("button", { name: /Disable/ })).toBeNull();
    expect(within(alice).getByLabelText("Daily limit (USD)")).toHaveAttribute("placeholder", "default 5");
  });

  it("adds a user and shows the new key once", async () => {
    const calls = server([user("alice")]);
    render(<AdminPage apiKey={KEY} defaults={defaults} onUnauthorized={() => {}} onClose={() => {}} />);
    await screen.findByRole("listitem", { name: "alice" });
    await userEvent.type(screen.getByLabelText("Name"), "bob");
    await userEvent.click(screen.getByRole("button", { name: "Add user" }));
    const dialog = await screen.findByRole("dialog", { name: "New key for bob" });
    expect(within(dialog).getByLabelText("API key")).toHaveValue(NEW_KEY);
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "bob", role: "member" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    expect(screen.queryByDisplayValue(NEW_KEY)).toBeNull();
  });

  it("revokes a key after asking", async () => {
    const calls = server([user("alice")]);
    render(<AdminPage apiKey={KEY} defaults={defaults} onUnauthorized={() => {}} onClose={() => {}} />);
    await userEvent.click(await screen.findByRole("button", { name: "Revoke csp_alic0000" }));
    await userEvent.click(await screen.findByRole("button", { name: "Revoke key" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/v1/keys/alice-key")).toBe(true));
  });

  it("goes back to the key screen when its key is refused", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ error: "unauthorized", message: "Invalid API key" }), { status: 401 })),
    );
    const onUnauthorized = vi.fn();
    render(<AdminPage apiKey={KEY} defaults={defaults} onUnauthorized={onUnauthorized} onClose={() => {}} />);
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalled());
  });
});
