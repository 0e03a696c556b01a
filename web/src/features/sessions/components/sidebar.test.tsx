import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StoresProvider } from "../../../app/stores/stores-provider";
import { listed, storesHarness } from "../../../test/stores";
import type { SessionsApi } from "../stores/sessions-store";
import type { ListedSession, ProjectInfo } from "../../../types/protocol";
import { Sidebar } from "./sidebar";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";
const C = "33333333-3333-4333-8333-333333333333";

/**
 * jsdom lays nothing out and does not scroll: here the list scrolls in a 600 px box, every row
 * is 80 px tall, the content is tall enough to scroll anywhere, and `scrollTo` moves `scrollTop` and fires `scroll` as a browser would.
 */
const VIEWPORT_PX = 600;
const ROW_PX = 80;
const layout: Array<[object, string, PropertyDescriptor | undefined]> = [];
beforeAll(() => {
  const tops = new WeakMap<Element, number>();
  const stubs: Array<[object, string, PropertyDescriptor]> = [
    [Element.prototype, "clientHeight", { get: () => VIEWPORT_PX }],
    [HTMLElement.prototype, "offsetHeight", { get: () => ROW_PX }],
    // Room to scroll (the virtualizer never scrolls past the content's height).
    [Element.prototype, "scrollHeight", { get: () => 1_000_000 }],
    [
      Element.prototype,
      "scrollTop",
      {
        get(this: Element) {
          return tops.get(this) ?? 0;
        },
        set(this: Element, v: number) {
          tops.set(this, v);
        },
      },
    ],
    [
      Element.prototype,
      "scrollTo",
      {
        value(this: Element, o: ScrollToOptions) {
          tops.set(this, o.top ?? 0);
          this.dispatchEvent(new Event("scroll"));
        },
      },
    ],
  ];
  for (const [proto, prop, d] of stubs) {
    layout.push([proto, prop, Object.getOwnPropertyDescriptor(proto, prop)]);
    Object.defineProperty(proto, prop, { configurable: true, ...d });
  }
});
afterAll(() => {
  for (const [proto, prop, d] of layout) {
    if (d) Object.defineProperty(proto, prop, d);
    else delete (proto as Record<string, unknown>)[prop];
  }
});

/** `n` sessions, newest first, ids numbered from `from`. */
function many(n: number, from = 0): ListedSession[] {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i;
    const id = `00000000-0000-4000-8000-${String(k).padStart(12, "0")}`;
    return listed(id, { title: `Session ${k}`, last_active_at: new Date(Date.UTC(2026, 10, 1) - k * 1000).toISOString() });
  });
}

function mount(sessions: ListedSession[], o: { nextCursor?: string | null; api?: Partial<SessionsApi> } = {}) {
  const api: SessionsApi = {
    list: vi.fn(async () => ({ sessions: [], next_cursor: null })),
    patch: vi.fn(),
    purge: vi.fn(),
    ...o.api,
  };
  const h = storesHarness({ sessionsApi: api });
  h.connection().setStatus("connected");
  h.recv({ type: "session_list", sessions, next_cursor: o.nextCursor ?? null });
  render(
    <StoresProvider stores={h.stores}>
      <Sidebar currentId={null} connected onOpen={() => {}} onPicked={() => {}} />
    </StoresProvider>,
  );
  return { h, api };
}

const rows = () => within(screen.getByRole("navigation", { name: "Sessions" })).queryAllByRole("listitem");

describe("Sidebar", () => {
  it("shows an admin each session's owner and asks the server for one owner's sessions", async () => {
    const alice = [listed(A, { user_id: "u-alice", user_name: "alice" }), listed(C, { user_id: "u-alice", user_name: "alice" })];
    const { api } = mount([alice[0], listed(B, { user_id: "u-bob", user_name: "bob" }), alice[1]], {
      api: { list: vi.fn(async (q) => ({ sessions: q.owner === "u-alice" ? alice : [], next_cursor: null })) },
    });
    expect(rows()).toHaveLength(3);
    expect(within(rows()[1]).getByText("bob")).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Owner"), "alice");
    expect(api.list).toHaveBeenLastCalledWith({ status: undefined, owner: "u-alice", project: null });
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(screen.getByRole("list")).queryByText("bob")).toBeNull();
    // The picker still offers everyone it has seen.
    expect(within(screen.getByLabelText("Owner")).getByRole("option", { name: "bob" })).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Owner"), "Everyone");
    expect(api.list).toHaveBeenLastCalledWith({ status: undefined, owner: null, project: null });
  });

  it("shows a member no owner filter (their list is theirs)", () => {
    mount([listed(A), listed(B)]);
    expect(rows()).toHaveLength(2);
    expect(screen.queryByLabelText("Owner")).toBeNull();
  });

  it("names no owner while every session listed is one person's (an admin alone)", () => {
    mount([listed(A, { user_id: "u-admin", user_name: "admin" }), listed(B, { user_id: "u-admin", user_name: "admin" })]);
    expect(rows()).toHaveLength(2);
    expect(screen.queryByLabelText("Owner")).toBeNull();
    expect(within(screen.getByRole("list")).queryByText("admin")).toBeNull();
  });

  it("keeps only a window of many sessions in the DOM and loads the next page as it scrolls", async () => {
    const list = vi.fn(async () => ({ sessions: many(200, 200), next_cursor: null }));
    mount(many(200), { nextCursor: "c1", api: { list } });
    // 600 px of 80 px rows: a screenful and a few either side, not 200.
    expect(rows().length).toBeGreaterThan(5);
    expect(rows().length).toBeLessThan(30);
    expect(rows()[0]).toHaveAttribute("aria-posinset", "1");
    expect(rows()[0]).toHaveAttribute("aria-setsize", "-1");
    expect(list).not.toHaveBeenCalled();

    const scroller = screen.getByTestId("session-scroller");
    await act(async () => {
      // To the end of the 200 rows loaded (however tall they were taken to be).
      scroller.scrollTop = 200 * 200;
      fireEvent.scroll(scroller);
    });
    await waitFor(() => expect(list).toHaveBeenCalledWith({ cursor: "c1", status: undefined, owner: null, project: null }));
    // The second page's rows render where the first page's were.
    await waitFor(() => expect(screen.getAllByRole("button", { name: /^Session 3\d\d,/ }).length).toBeGreaterThan(0));
    expect(screen.queryByRole("button", { name: /^Session 0,/ })).toBeNull();
    expect(rows().length).toBeLessThan(30);
  });

  it("moves between rows with the arrow keys, rendering rows off screen", async () => {
    mount(many(100));
    const first = screen.getByRole("button", { name: /^Session 0,/ });
    first.focus();
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("button", { name: /^Session 1,/ })).toHaveFocus();
    await userEvent.keyboard("{End}");
    await waitFor(() => expect(screen.getByRole("button", { name: /^Session 99,/ })).toHaveFocus());
    await userEvent.keyboard("{Home}");
    await waitFor(() => expect(screen.getByRole("button", { name: /^Session 0,/ })).toHaveFocus());
  });
});

describe("Sidebar by project", () => {
  const project = (name: string, patch: Partial<ProjectInfo> = {}): ProjectInfo => ({
    name,
    path: name,
    default: false,
    git: true,
    branch: "main",
    dirty: false,
    session_count: 0,
    kept_worktrees: [],
    ...patch,
  });
  function mountProjects(sessions: ListedSession[], projects: ProjectInfo[]) {
    localStorage.clear();
    // As the server filters `?project=` (the default project's sessions may have none).
    const inProject = (s: ListedSession, name: string) => (s.project ?? projects.find((p) => p.default)?.name) === name;
    const list = vi.fn(async (q: { project?: string | null }) => ({
      sessions: q.project ? sessions.filter((s) => inProject(s, q.project as string)) : sessions,
      next_cursor: null,
    }));
    const m = mount([], { api: { list } });
    act(() => {
      m.h.stores.sessions.getState().setProjects({ projects, default_isolation: "none" });
      m.h.recv({ type: "session_list", sessions, next_cursor: null });
    });
    return m;
  }
  const sessions = () => [listed(A, { title: "Fix alpha", project: "alpha" }), listed(B, { title: "Old one", project: null }), listed(C, { title: "Beta work", project: "beta" })];
  const projects = () => [project("home", { default: true }), project("alpha", { kept_worktrees: [{ session_id: "9".repeat(8) + A.slice(8), branch: "claude/99999999" }] }), project("beta")];

  it("groups by project under headers with counts; a header folds its group, ←/→ too", async () => {
    mountProjects(sessions(), projects());
    const header = screen.getByRole("button", { name: /^Project alpha, 1 session, 1 kept worktree/ });
    expect(header).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByRole("button", { name: /^Project home, 1 session/ })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /^Kept worktree on claude\/99999999/ })).toBeInTheDocument();
    await userEvent.click(header);
    expect(header).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("button", { name: /^Fix alpha,/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Kept worktree/ })).toBeNull();
    header.focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(header).toHaveAttribute("aria-expanded", "true");
    // Down from the header: its kept worktree, then its session.
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("button", { name: /^Kept worktree/ })).toHaveFocus();
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("button", { name: /^Fix alpha,/ })).toHaveFocus();
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("button", { name: /^Project beta/ })).toHaveFocus();
    await userEvent.keyboard("{ArrowLeft}");
    expect(screen.getByRole("button", { name: /^Project beta/ })).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("button", { name: /^Beta work,/ })).toBeNull();
    // Remembered across reloads.
    expect(JSON.parse(localStorage.getItem("csp.sidebar.collapsed") ?? "[]")).toEqual(["beta"]);
  });

  it("starts a new session in a group's project", async () => {
    const { h } = mountProjects(sessions(), projects());
    await userEvent.click(screen.getByRole("button", { name: "New session in beta" }));
    expect(h.sent.at(-1)).toMatchObject({ type: "create_session", project: "beta" });
  });

  it("filters to one project (asking the server), and lists flat when grouping is off", async () => {
    const { api } = mountProjects(sessions(), projects());
    await userEvent.selectOptions(screen.getByLabelText("Filter by project"), "alpha");
    expect(api.list).toHaveBeenLastCalledWith(expect.objectContaining({ project: "alpha" }));
    expect(screen.getByRole("button", { name: /^Fix alpha,/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Beta work,/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Project home/ })).toBeNull();
    await userEvent.click(screen.getByRole("checkbox", { name: "Group by project" }));
    expect(screen.queryByRole("button", { name: /^Project / })).toBeNull();
    expect(rows()).toHaveLength(1);
    await userEvent.selectOptions(screen.getByLabelText("Filter by project"), "All projects");
    expect(rows()).toHaveLength(3);
    expect(localStorage.getItem("csp.sidebar.grouped")).toBe("off");
  });

  it("offers neither grouping nor the filter with one project", () => {
    mountProjects(sessions(), [project("home", { default: true })]);
    expect(screen.queryByLabelText("Filter by project")).toBeNull();
    expect(screen.queryByRole("checkbox", { name: "Group by project" })).toBeNull();
    expect(rows()).toHaveLength(3);
  });
});
