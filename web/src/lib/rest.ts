/**
 * REST calls. The key travels only in the `X-API-Key` header, never in a URL; the WebSocket
 * is opened with a single-use ticket fetched here. An empty key sends none: behind a
 * single sign-on proxy the proxy says who the user is.
 */
import { DiffPage, FileMatches, Info, ListedSession, Me, ProjectList, SearchHit, SessionPage, StoredMessage } from "../types/protocol";

/** A failed REST call, with the server's stable error code when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function call(path: string, key: string, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      ...init,
      headers: { ...(key ? { "X-API-Key": key } : {}), ...(init.headers ?? {}) },
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached.");
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = body as { error?: string; message?: string } | null;
    throw new ApiError(
      res.status,
      err?.error ?? "http_error",
      err?.message ?? `The server answered ${res.status}.`,
    );
  }
  return body;
}

export async function fetchInfo(key: string): Promise<Info> {
  return Info.parse(await call("/info", key));
}

/** `GET /api/v1/projects` (issue 17). */
export async function fetchProjects(key: string): Promise<ProjectList> {
  return ProjectList.parse(await call("/projects", key));
}

export async function fetchMe(key: string): Promise<Me> {
  return Me.parse(await call("/me", key));
}

export async function fetchTicket(key: string): Promise<string> {
  const body = (await call("/ws-ticket", key, { method: "POST" })) as { ticket: string };
  return body.ticket;
}

export type ListOptions = {
  cursor?: string | null;
  status?: string;
  q?: string;
  limit?: number;
  owner?: string | null;
  /** Only this project's sessions (the server filters). */
  project?: string | null;
};

/** One page of the session list (newest activity first). */
export async function fetchSessions(key: string, o: ListOptions = {}): Promise<SessionPage> {
  const params = new URLSearchParams();
  if (o.cursor) params.set("cursor", o.cursor);
  if (o.status) params.set("status", o.status);
  if (o.q) params.set("q", o.q);
  if (o.limit) params.set("limit", String(o.limit));
  if (o.owner) params.set("owner", o.owner);
  if (o.project) params.set("project", o.project);
  const qs = params.toString();
  return SessionPage.parse(await call(`/sessions${qs ? `?${qs}` : ""}`, key));
}

/** Renames or (un)archives a session. */
export async function patchSession(
  key: string,
  id: string,
  patch: { title?: string; archived?: boolean },
): Promise<ListedSession> {
  const body = await call(`/sessions/${encodeURIComponent(id)}`, key, {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(patch),
  });
  return ListedSession.parse(body);
}

/** Forks a session before its user message `beforeSeq` (absent: all of it): the new session. */
export async function forkSession(key: string, id: string, beforeSeq?: number): Promise<ListedSession> {
  const body = await call(`/sessions/${encodeURIComponent(id)}/fork`, key, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(beforeSeq === undefined ? {} : { before_seq: beforeSeq }),
  });
  return ListedSession.parse(body);
}

/** Deletes an ended session for good (its messages and transcript too). */
export async function purgeSession(key: string, id: string): Promise<void> {
  await call(`/sessions/${encodeURIComponent(id)}?purge=true`, key, { method: "DELETE" });
}

/**
 * Removes the worktree a session kept in `project`, uncommitted changes and all (`force`);
 * its branch stays. Refused (`session_live`) while the session runs.
 */
export async function removeKeptWorktree(key: string, project: string, id: string): Promise<void> {
  await call(`/projects/${encodeURIComponent(project)}/worktrees/${encodeURIComponent(id)}?force=true`, key, { method: "DELETE" });
}

/** Downloads a conversation as Markdown or JSON (the server names the file). */
export async function downloadExport(key: string, id: string, format: "md" | "json"): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`/api/v1/sessions/${encodeURIComponent(id)}/export?format=${format}`, {
      headers: key ? { "X-API-Key": key } : {},
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached.");
  }
  if (!res.ok) throw new ApiError(res.status, "http_error", `The server answered ${res.status}.`);
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? `session.${format}`;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Full-text search over every stored message. */
export async function searchMessages(key: string, q: string, limit = 20): Promise<SearchHit[]> {
  const params = new URLSearchParams({ q, limit: String(limit) });
  const body = (await call(`/search?${params.toString()}`, key)) as { hits: unknown };
  return SearchHit.array().parse(body.hits);
}

export async function fetchMessages(key: string, id: string): Promise<StoredMessage[]> {
  const body = (await call(`/sessions/${encodeURIComponent(id)}/messages`, key)) as {
    messages: unknown;
  };
  return StoredMessage.array().parse(body.messages);
}

export type DiffOptions = { cursor?: string | null; limit?: number; file?: string; hunk?: number };

/** A session's diff (`GET /sessions/{id}/diff`): totals, and one page of files. */
export async function fetchDiff(key: string, id: string, o: DiffOptions = {}): Promise<DiffPage> {
  const params = new URLSearchParams();
  if (o.cursor) params.set("cursor", o.cursor);
  if (o.limit) params.set("limit", String(o.limit));
  if (o.file) params.set("file", o.file);
  if (o.hunk) params.set("hunk", String(o.hunk));
  const qs = params.toString();
  return DiffPage.parse(await call(`/sessions/${encodeURIComponent(id)}/diff${qs ? `?${qs}` : ""}`, key));
}

/** The session directory's files best matching `q` (the @-mention palette). */
export async function fetchMentionFiles(key: string, id: string, q: string, limit = 20): Promise<FileMatches> {
  const params = new URLSearchParams({ q, limit: String(limit) });
  return FileMatches.parse(await call(`/sessions/${encodeURIComponent(id)}/files?${params.toString()}`, key));
}
