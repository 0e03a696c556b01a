/**
 * The rows of the session list (issue 17): the sessions as they are (newest activity first),
 * or filtered to one project, or grouped by project under a header per project (with the
 * worktrees its ended sessions left behind listed first). Pure: the sidebar renders whatever
 * this returns as the rows of one virtualized list, so headers scroll, measure and take the
 * keyboard like sessions do.
 */
import type { ListedSession, ProjectInfo } from "../../../types/protocol";

type KeptWorktree = ProjectInfo["kept_worktrees"][number];

export type GroupRow = {
  kind: "group";
  key: string;
  project: string;
  /** How many of the loaded sessions are in it. */
  count: number;
  collapsed: boolean;
  /** What the server says of it (null: a project the server no longer offers). */
  info: ProjectInfo | null;
};
export type SessionRowItem = { kind: "session"; key: string; session: ListedSession; project: string };
export type KeptRow = {
  kind: "kept";
  key: string;
  project: string;
  worktree: KeptWorktree;
  /** The session it came from, when that is among the loaded ones. */
  from: ListedSession | null;
};
export type SidebarRow = GroupRow | SessionRowItem | KeptRow;

export type RowOptions = {
  /** The server's projects (`GET /api/v1/projects`), in its order; null until known. */
  projects: ProjectInfo[] | null;
  /** Grouped by project (only offered with more than one project). */
  grouped: boolean;
  /** Only this project's sessions (null: every project's). */
  projectFilter: string | null;
  /** The projects whose groups are folded. */
  collapsed: ReadonlySet<string>;
  /** List kept worktrees under their project (the current sessions, not the archived). */
  showKept: boolean;
};

/** The name of the default project (what a session with `project: null` works in). */
export function defaultProjectName(projects: ProjectInfo[] | null): string {
  return projects?.find((p) => p.default)?.name ?? projects?.[0]?.name ?? "";
}

/** The project a session works in (`null`: sessions from before projects, the default). */
export function projectOf(s: ListedSession, fallback: string): string {
  return s.project ?? fallback;
}

/** Whether the list can be grouped or filtered by project: the server offers more than one. */
export function offersProjects(projects: ProjectInfo[] | null): boolean {
  return (projects?.length ?? 0) > 1;
}

/**
 * A session's row, made once per session object and project (the list's arrays are rebuilt
 * with every page, its sessions are not): a walk through ten thousand sessions allocates a
 * row per session, not per session per page.
 */
const sessionRows = new WeakMap<ListedSession, SessionRowItem>();
function sessionRow(s: ListedSession, project: string): SessionRowItem {
  const known = sessionRows.get(s);
  if (known && known.project === project) return known;
  const row: SessionRowItem = { kind: "session", key: s.session_id, session: s, project };
  sessionRows.set(s, row);
  return row;
}

/** The rows to render, in order. */
export function sidebarRows(sessions: ListedSession[], o: RowOptions): SidebarRow[] {
  const fallback = defaultProjectName(o.projects);
  const several = offersProjects(o.projects);
  // A filter on a project the server no longer offers would hide everything: ignored.
  const filter = several && o.projectFilter && o.projects?.some((p) => p.name === o.projectFilter) ? o.projectFilter : null;
  if (!several || !o.grouped) {
    const rows: SidebarRow[] = [];
    for (const s of sessions) {
      const project = projectOf(s, fallback);
      if (filter === null || project === filter) rows.push(sessionRow(s, project));
    }
    return rows;
  }

  // Grouped: the server's order of projects, then any project only sessions name.
  const bySession = new Map<string, ListedSession[]>();
  for (const s of sessions) {
    const project = projectOf(s, fallback);
    const list = bySession.get(project);
    if (list) list.push(s);
    else bySession.set(project, [s]);
  }
  const names = (o.projects ?? []).map((p) => p.name);
  for (const name of bySession.keys()) if (!names.includes(name)) names.push(name);
  const byId = o.showKept && o.projects?.some((p) => p.kept_worktrees.length > 0) ? new Map(sessions.map((s) => [s.session_id, s])) : null;
  const rows: SidebarRow[] = [];
  for (const name of names) {
    if (filter !== null && name !== filter) continue;
    const info = o.projects?.find((p) => p.name === name) ?? null;
    const list = bySession.get(name) ?? [];
    const collapsed = o.collapsed.has(name);
    rows.push({ kind: "group", key: `group:${name}`, project: name, count: list.length, collapsed, info });
    if (collapsed) continue;
    if (o.showKept) {
      for (const w of info?.kept_worktrees ?? []) rows.push({ kind: "kept", key: `kept:${w.session_id}`, project: name, worktree: w, from: byId?.get(w.session_id) ?? null });
    }
    for (const s of list) rows.push(sessionRow(s, name));
  }
  return rows;
}

/** Whether reaching the end of these rows should fetch the next page: not behind a folded group. */
export function loadsAhead(rows: SidebarRow[]): boolean {
  const last = rows[rows.length - 1];
  return !last || last.kind !== "group" || !last.collapsed;
}
