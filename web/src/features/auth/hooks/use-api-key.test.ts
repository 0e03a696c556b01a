import { afterEach, describe, expect, it, vi } from "vitest";
import { act, renderHook } from "@testing-library/react";
import { useApiKey } from "./use-api-key";

const me = { user_id: "u1", name: "carol@example.com", role: "member" };

describe("useApiKey", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear();
  });

  it("behind a single sign-on proxy, signs in without a key", async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify(me), { status: 200 }));
    vi.stubGlobal("fetch", fetch);
    const { result } = renderHook(() => useApiKey());
    expect(result.current.checking).toBe(true);
    await vi.waitFor(() => expect(result.current.checking).toBe(false));
    expect(result.current.key).toBe("");
    expect(result.current.singleSignOn).toBe(true);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/me");
    expect(init.headers).toEqual({});
  });

  it("without a proxy, asks for a key; a revoked one comes back with the reason", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ error: "unauthorized", message: "Invalid API key" }), { status: 401 })),
    );
    const { result } = renderHook(() => useApiKey());
    await vi.waitFor(() => expect(result.current.checking).toBe(false));
    expect(result.current.key).toBeNull();
    act(() => result.current.accept("csp_key"));
    expect(result.current.key).toBe("csp_key");
    expect(localStorage.getItem("csp.apiKey")).toBe("csp_key");
    act(() => result.current.signOut(true, "revoked: this API key was revoked"));
    expect(result.current.key).toBeNull();
    expect(result.current.notice).toMatch(/revoked by an administrator/);
    expect(localStorage.getItem("csp.apiKey")).toBeNull();
  });

  it("with a saved key, asks nobody", () => {
    localStorage.setItem("csp.apiKey", "csp_saved");
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const { result } = renderHook(() => useApiKey());
    expect(result.current).toMatchObject({ key: "csp_saved", checking: false, singleSignOn: false });
    expect(fetch).not.toHaveBeenCalled();
  });
});
