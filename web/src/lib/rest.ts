/**
 * REST calls. The key travels only in the `X-API-Key` header, never in a URL; the WebSocket
 * is opened with a single-use ticket fetched here. An empty key sends none: behind a
 * single sign-on proxy the proxy says who the user is.
 */
import { Info, Me, SessionSummary, StoredMessage } from "../types/protocol";

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

export async function fetchMe(key: string): Promise<Me> {
  return Me.parse(await call("/me", key));
}

export async function fetchTicket(key: string): Promise<string> {
  const body = (await call("/ws-ticket", key, { method: "POST" })) as { ticket: string };
  return body.ticket;
}

export async function fetchSessions(key: string): Promise<SessionSummary[]> {
  const body = (await call("/sessions", key)) as { sessions: unknown };
  return SessionSummary.array().parse(body.sessions);
}

export async function fetchMessages(key: string, id: string): Promise<StoredMessage[]> {
  const body = (await call(`/sessions/${encodeURIComponent(id)}/messages`, key)) as {
    messages: unknown;
  };
  return StoredMessage.array().parse(body.messages);
}
