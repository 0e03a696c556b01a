/**
 * The sessions the server knows (the sidebar's list, paged) and what a person does to them:
 * create, rename, archive, delete. Which session is open, and everything about its
 * conversation, is the chat store's.
 *
 * The list is pages of `ListedSession`s, newest activity first. `session_list` frames carry
 * the first page: it replaces the head of the list and keeps the pages loaded below it
 * (`loadMore`, over REST with the cursor the server gave).
 *
 * A message typed before any session exists waits here (`queuedText`) while its session is
 * created; `app/stores/route-frame.ts` hands it to the chat store once the session is ready.
 */
import { createStore, type StoreApi } from "zustand/vanilla";
import type {
  ClientFrame,
  ListedSession,
  OptionChoices,
  OptionsChange,
  Placement,
  ProjectList,
  SessionEvent,
  SessionPage,
  SessionStateFrame,
  SessionSummary,
} from "../../../types/protocol";
import { DEFAULT_ATTACHMENT_LIMITS, SUSPENDED_REASONS, type AttachmentLimits } from "../../../types/protocol";
import { readLocal, writeLocal } from "../../../lib/storage";

/** Where the sidebar's grouping choice and folded groups are remembered (localStorage). */
const GROUPED_KEY = "csp.sidebar.grouped";
const COLLAPSED_KEY = "csp.sidebar.collapsed";

/** The folded groups remembered, or none (a damaged value is forgotten). */
function readCollapsed(): string[] {
  try {
    const v: unknown = JSON.parse(readLocal(COLLAPSED_KEY) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/**
 * What a `create_session` says of where to work: the project, and the isolation chosen —
 * except a worktree for a project that is not a git repository (the server would refuse it),
 * which works in the project's directory instead.
 */
export function placementFor(chosen: Placement, projects: ProjectList | null, project?: string): Placement {
  const name = project ?? chosen.project;
  const info = projects?.projects.find((p) => (name === undefined ? p.default : p.name === name));
  const out: Placement = { ...chosen };
  if (name !== undefined) out.project = name;
  if (info && !info.git) {
    if (out.isolation === "worktree" || projects?.default_isolation === "worktree") out.isolation = "none";
  }
  return out;
}

/** Which sessions the list shows. */
export type ListFilter = "current" | "archived";

export type SessionsState = {
  sessions: ListedSession[];
  /** Where the next page starts; null when everything is loaded. */
  nextCursor: string | null;
  /** A page is being fetched. */
  loadingMore: boolean;
  filter: ListFilter;
  /** A `create_session` is on its way. */
  creating: boolean;
  /** Text typed before any session existed: sent once the new session is ready. */
  queuedText: string | null;
  /** The model / effort / mode chosen for the next new session (unset: the server's default). */
  newOptions: OptionsChange;
  /** What the server offers (`GET /api/v1/info`); null until known. */
  choices: OptionChoices | null;
  /** What one message may attach (`GET /api/v1/info`; the defaults until known). */
  attachmentLimits: AttachmentLimits;
  /** The project and isolation chosen for the next new session (unset: the server's default). */
  newPlacement: Placement;
  /** The projects the server offers (`GET /api/v1/projects`); null until known. */
  projects: ProjectList | null;
  /**
   * An admin's choice of whose sessions to list (a user id; the server filters, `?owner=`);
   * null: everyone's.
   */
  ownerFilter: string | null;
  /** The owners named in any page loaded so far (only admins are sent names): id → name. */
  owners: Record<string, string>;
  /** What each live session is doing now (`session_state`), by id. */
  states: Record<string, SessionStateFrame>;
  /** Only this project's sessions are listed (a project's name); null: every project's. */
  projectFilter: string | null;
  /** The list is grouped by project (when the server offers several); remembered. */
  grouped: boolean;
  /** The projects whose groups are folded; remembered. */
  collapsed: string[];
};

export type SessionsActions = {
  /** The first page (a `session_list` frame): replaces the head, keeps pages loaded below. */
  setFirstPage(sessions: ListedSession[], nextCursor: string | null): void;
  /** Fetches the next page, if there is one. */
  loadMore(): Promise<void>;
  /** Shows current or archived sessions (reloads from the first page). */
  setFilter(filter: ListFilter): Promise<void>;
  createSession(): void;
  /** Creates a session in `project` (with the isolation chosen for new sessions). */
  createSessionIn(project: string): void;
  /**
   * Lists only `project`'s sessions (null: every project's): the server filters
   * (`?project=`), so a rare project's sessions come without walking every page.
   */
  setProjectFilter(project: string | null): Promise<void>;
  setGrouped(grouped: boolean): void;
  /** Folds or unfolds a project's group. */
  setCollapsed(project: string, collapsed: boolean): void;
  /** Asks the server for its projects again (session counts, kept worktrees). */
  refreshProjects(): Promise<void>;
  /**
   * Removes the worktree session `id` kept in `project`, its uncommitted changes with it
   * (the branch stays), then lists the projects again; a refusal is shown with its message.
   */
  removeKeptWorktree(project: string, id: string): Promise<void>;
  /** No session is open: create one, and send `text` to it once it is ready. */
  queueFirstMessage(text: string): void;
  /** The server took a `create_session` (from this tab or another). */
  markCreating(): void;
  /** A create was lost (the connection dropped, or the server refused it). */
  cancelCreate(): void;
  /** Our create was answered with this session: it leads the list. */
  created(summary: SessionSummary): void;
  /** Hands over the text waiting for the new session (once). */
  takeQueuedText(): string | null;
  /** Keeps a session's summary current with its events (cost, status, preview, title). */
  applyEvent(e: SessionEvent): void;
  /** A session's live state (running, waiting for approval, …), from any session. */
  applyState(f: SessionStateFrame): void;
  destroy(id: string): void;
  setChoices(choices: OptionChoices | null): void;
  setAttachmentLimits(limits: AttachmentLimits | undefined): void;
  /** Chooses options for the next new session. */
  setNewOptions(change: OptionsChange): void;
  /** Chooses the project or isolation of the next new session. */
  setNewPlacement(change: Placement): void;
  setProjects(projects: ProjectList | null): void;
  /** Switches a session's options (the server answers with `session_options`). */
  setOptions(id: string, change: OptionsChange): void;
  rename(id: string, title: string): void;
  archive(id: string, archived: boolean): Promise<void>;
  /** Deletes ended sessions for good. */
  purge(ids: string[]): Promise<void>;
  /** Downloads a conversation (Markdown or JSON). */
  download(id: string, format: "md" | "json"): void;
  /** Lists only that user's sessions (reloads from the first page); null: everyone's. */
  setOwnerFilter(userId: string | null): Promise<void>;
  /**
   * Forks session `id` before its `userIndex`-th user message (0-based, in the order the
   * conversation shows them): the new session leads the list; its id, or null on failure.
   */
  fork(id: string, userIndex: number): Promise<string | null>;
};

export type SessionsStore = StoreApi<SessionsState & SessionsActions>;

/** The REST calls the list needs (bound to the API key by the app). */
export type SessionsApi = {
  list(o: { cursor?: string | null; status?: string; owner?: string | null; project?: string | null }): Promise<SessionPage>;
  patch(id: string, patch: { title?: string; archived?: boolean }): Promise<ListedSession>;
  purge(id: string): Promise<void>;
  download?(id: string, format: "md" | "json"): Promise<void>;
  /** The stored messages of a session (to find a user message's `seq`). */
  history?(id: string): Promise<Array<{ seq: number; kind: string }>>;
  fork?(id: string, beforeSeq: number): Promise<ListedSession>;
  /** `GET /api/v1/projects`. */
  projects?(): Promise<ProjectList>;
  /** `DELETE /api/v1/projects/{project}/worktrees/{id}?force=true`. */
  removeWorktree?(project: string, id: string): Promise<void>;
};

export type SessionsDeps = {
  send(frame: ClientFrame): boolean;
  /** Shows an error that is not about one turn (the app's notice banner). */
  notifyError(text: string): void;
  api?: SessionsApi;
};

/** A summary from an event, as a list row (keeps what the list knew about it). */
export function asListed(summary: SessionSummary, known?: ListedSession): ListedSession {
  return {
    title: null,
    preview: null,
    archived: false,
    forked_from: null,
    ...known,
    ...summary,
  };
}

/** The title the server gives a first message (src/db/details.rs): its first line, ~60 chars. */
export function titleFrom(text: string): string | null {
  const line = (text.replace(/\r/g, "").replace(/\t/g, " ").split("\n")[0] ?? "").trim();
  if (!line) return null;
  const chars = [...line];
  if (chars.length <= 60) return line;
  const head = chars.slice(0, 61).join("");
  const cut = head.slice(0, Math.max(0, head.lastIndexOf(" "))).trimEnd();
  return [...cut].length >= 20 ? `${cut}…` : `${chars.slice(0, 60).join("")}…`;
}

/** What a session is called in the list: its title, or "New session" and its short id. */
export const sessionName = (s: ListedSession) => s.title ?? `New session ${s.session_id.slice(0, 8)}`;

/** The preview a message gives: one line, its first 140 characters. */
export const previewFrom = (text: string) => [...text.replace(/[\r\n\t]/g, " ").trim()].slice(0, 140).join("") || null;

export function createSessionsStore(deps: SessionsDeps): SessionsStore {
  return createStore<SessionsState & SessionsActions>()((set, get) => {
    const patch = (id: string, fields: Partial<ListedSession>) => {
      set((s) => ({
        sessions: s.sessions.map((x) => (x.session_id === id ? { ...x, ...fields } : x)),
      }));
    };
    const status = () => (get().filter === "archived" ? "archived" : undefined);
    /** Remembers the owners a page names (the owner picker keeps them while filtering). */
    const ownersIn = (page: ListedSession[]) => {
      const known = get().owners;
      const fresh = page.filter((x) => x.user_name && known[x.user_id] !== x.user_name);
      if (fresh.length === 0) return known;
      const owners = { ...known };
      for (const x of fresh) owners[x.user_id] = x.user_name as string;
      return owners;
    };
    /** Loads the first page of what the list shows now (filter, owner and project). */
    const reload = async () => {
      const { filter, ownerFilter, projectFilter } = get();
      set({ sessions: [], nextCursor: null });
      if (!deps.api) return;
      try {
        const page = await deps.api.list({ status: status(), owner: ownerFilter, project: projectFilter });
        if (get().filter === filter && get().ownerFilter === ownerFilter && get().projectFilter === projectFilter) {
          set({ sessions: page.sessions, nextCursor: page.next_cursor, owners: ownersIn(page.sessions) });
        }
      } catch (e) {
        deps.notifyError(`Could not load the sessions: ${(e as Error).message}`);
      }
    };

    let projectsAsking = false;
    let projectsAgain = false;

    return {
      sessions: [],
      nextCursor: null,
      loadingMore: false,
      filter: "current",
      creating: false,
      queuedText: null,
      newOptions: {},
      choices: null,
      attachmentLimits: DEFAULT_ATTACHMENT_LIMITS,
      newPlacement: {},
      projects: null,
      ownerFilter: null,
      owners: {},
      states: {},
      projectFilter: null,
      grouped: readLocal(GROUPED_KEY) !== "off",
      collapsed: readCollapsed(),

      setFirstPage(page, nextCursor) {
        // The WebSocket's first page is everyone's current sessions: not what a filtered list shows.
        if (get().filter !== "current" || get().ownerFilter || get().projectFilter) return;
        set((s) => {
          const ids = new Set(page.map((x) => x.session_id));
          const last = page[page.length - 1];
          // Rows loaded below the first page stay (older than its last row), once each.
          const below =
            nextCursor && last
              ? s.sessions.filter((x) => !ids.has(x.session_id) && x.last_active_at < last.last_active_at)
              : [];
          return {
            sessions: [...page, ...below],
            nextCursor: below.length > 0 ? s.nextCursor : nextCursor,
            owners: ownersIn(page),
          };
        });
      },
      async loadMore() {
        const { nextCursor, loadingMore, filter, ownerFilter, projectFilter } = get();
        if (!deps.api || !nextCursor || loadingMore) return;
        set({ loadingMore: true });
        try {
          const page = await deps.api.list({ cursor: nextCursor, status: status(), owner: ownerFilter, project: projectFilter });
          // The list was switched (filter, owner or project) while this page was on its way.
          if (get().filter !== filter || get().ownerFilter !== ownerFilter || get().projectFilter !== projectFilter) return;
          set((s) => {
            const ids = new Set(s.sessions.map((x) => x.session_id));
            return {
              sessions: [...s.sessions, ...page.sessions.filter((x) => !ids.has(x.session_id))],
              nextCursor: page.next_cursor,
              owners: ownersIn(page.sessions),
            };
          });
        } catch (e) {
          deps.notifyError(`Could not load more sessions: ${(e as Error).message}`);
        } finally {
          set({ loadingMore: false });
        }
      },
      async setFilter(filter) {
        set({ filter });
        await reload();
      },
      createSession() {
        if (get().creating) return;
        const frame = { type: "create_session" as const, ...get().newOptions, ...placementFor(get().newPlacement, get().projects) };
        if (deps.send(frame)) set({ creating: true });
        else deps.notifyError("Not connected to the server: try again once it is back.");
      },
      createSessionIn(project) {
        if (get().creating) return;
        const frame = { type: "create_session" as const, ...get().newOptions, ...placementFor(get().newPlacement, get().projects, project) };
        if (deps.send(frame)) set({ creating: true });
        else deps.notifyError("Not connected to the server: try again once it is back.");
      },
      async setProjectFilter(project) {
        if (get().projectFilter === project) return;
        set({ projectFilter: project });
        await reload();
      },
      setGrouped(grouped) {
        writeLocal(GROUPED_KEY, grouped ? null : "off");
        set({ grouped });
      },
      setCollapsed(project, collapsed) {
        const rest = get().collapsed.filter((x) => x !== project);
        const next = collapsed ? [...rest, project] : rest;
        writeLocal(COLLAPSED_KEY, next.length > 0 ? JSON.stringify(next) : null);
        set({ collapsed: next });
      },
      async refreshProjects() {
        const ask = deps.api?.projects;
        if (!ask) return;
        // One request at a time; a call during one asks once more after it.
        if (projectsAsking) {
          projectsAgain = true;
          return;
        }
        projectsAsking = true;
        try {
          do {
            projectsAgain = false;
            try {
              set({ projects: await ask() });
            } catch {
              // An older server offers none; a passing failure keeps what is known.
            }
          } while (projectsAgain);
        } finally {
          projectsAsking = false;
        }
      },
      async removeKeptWorktree(project, id) {
        const remove = deps.api?.removeWorktree;
        if (!remove) return;
        try {
          await remove(project, id);
        } catch (e) {
          deps.notifyError(`Could not remove the worktree: ${(e as Error).message}`);
        }
        await get().refreshProjects();
      },
      queueFirstMessage(text) {
        set({ queuedText: text });
        get().createSession();
      },
      markCreating() {
        set({ creating: true });
      },
      cancelCreate() {
        // The typed text stays in the message box.
        if (get().creating) set({ creating: false, queuedText: null });
      },
      created(summary) {
        set((s) => {
          const known = s.sessions.find((x) => x.session_id === summary.session_id);
          return {
            creating: false,
            sessions: [asListed(summary, known), ...s.sessions.filter((x) => x.session_id !== summary.session_id)],
          };
        });
      },
      takeQueuedText() {
        const text = get().queuedText;
        if (text !== null) set({ queuedText: null });
        return text;
      },
      applyEvent(e) {
        const id = e.session_id;
        if (e.type === "response_complete") patch(id, { total_cost_usd: e.total_cost_usd });
        if (e.type === "message_received") {
          const row = get().sessions.find((x) => x.session_id === id);
          patch(id, {
            status: "active",
            preview: previewFrom(e.text),
            title: row?.title ?? titleFrom(e.text),
            last_active_at: new Date().toISOString(),
          });
        }
        if (e.type === "session_options") {
          patch(id, { model: e.model, effort: e.effort, permission_mode: e.permission_mode });
        }
        if (e.type === "session_ready") {
          const { model, effort, permission_mode } = e.session;
          patch(id, { model, effort, permission_mode });
        }
        if (e.type === "session_terminated") {
          patch(id, { status: SUSPENDED_REASONS.includes(e.reason) ? "suspended" : "terminated", is_resumable: e.resumable });
        }
      },
      applyState(f) {
        set((s) => ({ states: { ...s.states, [f.session_id]: f } }));
        // Stopped: the list's status says so too (until the next session_list).
        if (f.state === "suspended") patch(f.session_id, { status: "suspended" });
      },
      destroy(id) {
        deps.send({ type: "destroy_session", session_id: id });
      },
      setChoices(choices) {
        set({ choices });
      },
      setAttachmentLimits(limits) {
        set({ attachmentLimits: limits ?? DEFAULT_ATTACHMENT_LIMITS });
      },
      setNewOptions(change) {
        set((s) => ({ newOptions: { ...s.newOptions, ...change } }));
      },
      setNewPlacement(change) {
        set((s) => ({ newPlacement: { ...s.newPlacement, ...change } }));
      },
      setProjects(projects) {
        set({ projects });
      },
      setOptions(id, change) {
        if (!deps.send({ type: "set_session_options", session_id: id, ...change })) {
          deps.notifyError("Not connected to the server: try again once it is back.");
        }
      },
      rename(id, title) {
        const t = title.trim();
        if (!t) return;
        if (deps.send({ type: "rename_session", session_id: id, title: t })) patch(id, { title: t });
        else deps.notifyError("Not connected to the server: try again once it is back.");
      },
      async archive(id, archived) {
        if (!deps.api) return;
        try {
          await deps.api.patch(id, { archived });
          // It leaves the list it was in.
          set((s) => ({ sessions: s.sessions.filter((x) => x.session_id !== id) }));
        } catch (e) {
          deps.notifyError(`Could not ${archived ? "archive" : "restore"} the session: ${(e as Error).message}`);
        }
      },
      download(id, format) {
        deps.api?.download?.(id, format).catch((e: Error) => deps.notifyError(`Could not export the session: ${e.message}`));
      },
      async purge(ids) {
        if (!deps.api) return;
        for (const id of ids) {
          try {
            await deps.api.purge(id);
            set((s) => ({ sessions: s.sessions.filter((x) => x.session_id !== id) }));
          } catch (e) {
            deps.notifyError(`Could not delete the session: ${(e as Error).message}`);
          }
        }
      },
      async setOwnerFilter(userId) {
        if (get().ownerFilter === userId) return;
        set({ ownerFilter: userId });
        await reload();
      },
      async fork(id, userIndex) {
        const api = deps.api;
        if (!api?.fork || !api.history) return null;
        try {
          // The stored `seq` of that user message: the conversation shows every stored user
          // message in order, live ones included once stored.
          const users = (await api.history(id)).filter((m) => m.kind === "user");
          const target = users[userIndex];
          if (!target) throw new Error("that message is not stored yet; try again in a moment");
          const listed = await api.fork(id, target.seq);
          set((s) => ({ sessions: [listed, ...s.sessions.filter((x) => x.session_id !== listed.session_id)] }));
          return listed.session_id;
        } catch (e) {
          deps.notifyError(`Could not fork the session: ${(e as Error).message}`);
          return null;
        }
      },
    };
  });
}
