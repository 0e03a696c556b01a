import { describe, expect, it } from "vitest";
import { listed } from "../../../test/stores";
import type { ProjectInfo } from "../../../types/protocol";
import { loadsAhead, sidebarRows, type RowOptions, type SidebarRow } from "./sidebar-rows";
import { placementFor } from "../stores/sessions-store";

function project(name: string, patch: Partial<ProjectInfo> = {}): ProjectInfo {
  return { name, path: name, default: false, git: true, branch: "main", dirty: false, session_count: 0, kept_worktrees: [], ...patch };
}

const PROJECTS = [project("home", { default: true }), project("alpha"), project("beta", { git: false, branch: null })];
const id = (k: number) => `00000000-0000-4000-8000-${String(k).padStart(12, "0")}`;
// Newest first: a beta, an alpha, one from before projects (the default), another alpha.
const SESSIONS = [listed(id(1), { project: "beta" }), listed(id(2), { project: "alpha" }), listed(id(3), { project: null }), listed(id(4), { project: "alpha" })];

const opts = (o: Partial<RowOptions> = {}): RowOptions => ({ projects: PROJECTS, grouped: true, projectFilter: null, collapsed: new Set(), showKept: true, ...o });
/** Rows as short strings: `# name count` for a header, `! branch` for a kept worktree, the id's number for a session. */
const shape = (rows: SidebarRow[]) =>
  rows.map((r) => (r.kind === "group" ? `# ${r.project} ${r.count}` : r.kind === "kept" ? `! ${r.worktree.branch}` : String(Number(r.session.session_id.slice(-12)))));

describe("sidebarRows", () => {
  it("groups by project in the server's order, sessions newest first in each, empty projects too", () => {
    expect(shape(sidebarRows(SESSIONS, opts()))).toEqual(["# home 1", "3", "# alpha 2", "2", "4", "# beta 1", "1"]);
  });

  it("lists flat (newest first) when not grouped, or when the server offers one project", () => {
    expect(shape(sidebarRows(SESSIONS, opts({ grouped: false })))).toEqual(["1", "2", "3", "4"]);
    expect(shape(sidebarRows(SESSIONS, opts({ projects: [project("home", { default: true })] })))).toEqual(["1", "2", "3", "4"]);
    expect(shape(sidebarRows(SESSIONS, opts({ projects: null })))).toEqual(["1", "2", "3", "4"]);
  });

  it("filters to one project, grouped or not (the default project takes sessions from before projects)", () => {
    expect(shape(sidebarRows(SESSIONS, opts({ grouped: false, projectFilter: "alpha" })))).toEqual(["2", "4"]);
    expect(shape(sidebarRows(SESSIONS, opts({ grouped: false, projectFilter: "home" })))).toEqual(["3"]);
    expect(shape(sidebarRows(SESSIONS, opts({ projectFilter: "alpha" })))).toEqual(["# alpha 2", "2", "4"]);
  });

  it("ignores a filter on a project the server no longer offers (it would hide everything)", () => {
    expect(shape(sidebarRows(SESSIONS, opts({ grouped: false, projectFilter: "gone" })))).toEqual(["1", "2", "3", "4"]);
  });

  it("folds a collapsed group to its header, keeping its count", () => {
    const rows = sidebarRows(SESSIONS, opts({ collapsed: new Set(["alpha"]) }));
    expect(shape(rows)).toEqual(["# home 1", "3", "# alpha 2", "# beta 1", "1"]);
    expect(rows.find((r) => r.kind === "group" && r.project === "alpha")).toMatchObject({ collapsed: true });
  });

  it("puts a project only sessions name (no longer offered) after the server's", () => {
    const rows = sidebarRows([...SESSIONS, listed(id(5), { project: "old" })], opts());
    expect(shape(rows).slice(-2)).toEqual(["# old 1", "5"]);
    expect(rows.find((r) => r.kind === "group" && r.project === "old")).toMatchObject({ info: null });
  });

  it("lists kept worktrees first in their group, with the session they came from when loaded", () => {
    const projects = [PROJECTS[0], project("alpha", { kept_worktrees: [{ session_id: id(4), branch: "claude/00000000" }, { session_id: id(9), branch: null }] })];
    const rows = sidebarRows(SESSIONS, opts({ projects }));
    expect(shape(rows)).toEqual(["# home 1", "3", "# alpha 2", "! claude/00000000", "! null", "2", "4", "# beta 1", "1"]);
    const kept = rows.filter((r) => r.kind === "kept");
    expect(kept[0]).toMatchObject({ from: { session_id: id(4) } });
    expect(kept[1]).toMatchObject({ from: null });
    // Not in the archived list, nor in a folded group.
    expect(sidebarRows(SESSIONS, opts({ projects, showKept: false })).some((r) => r.kind === "kept")).toBe(false);
    expect(sidebarRows(SESSIONS, opts({ projects, collapsed: new Set(["alpha"]) })).some((r) => r.kind === "kept")).toBe(false);
  });

  it("keys every row uniquely (a session and its kept worktree included)", () => {
    const projects = [PROJECTS[0], project("alpha", { kept_worktrees: [{ session_id: id(2), branch: "claude/x" }] })];
    const keys = sidebarRows(SESSIONS, opts({ projects })).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("loadsAhead", () => {
  it("loads the next page at the end of the rows, but not behind a folded last group", () => {
    expect(loadsAhead([])).toBe(true);
    expect(loadsAhead(sidebarRows(SESSIONS, opts()))).toBe(true);
    expect(loadsAhead(sidebarRows(SESSIONS, opts({ collapsed: new Set(["beta"]) })))).toBe(false);
  });
});

describe("placementFor", () => {
  const list = { projects: PROJECTS, default_isolation: "worktree" as const };
  it("starts in the project asked for, with the isolation chosen", () => {
    expect(placementFor({ project: "home", isolation: "worktree" }, list, "alpha")).toEqual({ project: "alpha", isolation: "worktree" });
    expect(placementFor({}, list)).toEqual({});
  });
  it("works in the directory of a project that is not a git repository", () => {
    expect(placementFor({ isolation: "worktree" }, list, "beta")).toEqual({ project: "beta", isolation: "none" });
    // The server's default is a worktree: said explicitly.
    expect(placementFor({}, list, "beta")).toEqual({ project: "beta", isolation: "none" });
    expect(placementFor({}, { ...list, default_isolation: "none" }, "beta")).toEqual({ project: "beta" });
  });
});
