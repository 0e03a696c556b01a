/**
 * The wire contract with the server (docs/protocol.md), as zod schemas: each server frame is
 * validated on arrival, so a change on the server shows up as a parse failure in the tests
 * (which feed real recorded server frames through `parseServerFrame`) instead of as a
 * silently broken screen.
 */
import { z } from "zod";

export const SessionStatus = z.enum([
  "creating",
  "active",
  "idle",
  "suspended",
  "failed",
  "terminated",
]);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const SessionSummary = z.object({
  session_id: z.string(),
  status: SessionStatus,
  created_at: z.string(),
  last_active_at: z.string(),
  message_count: z.number(),
  total_cost_usd: z.number(),
  is_resumable: z.boolean(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

/** A session as the list shows it (`session_list`, `GET /sessions`, `PATCH /sessions/{id}`). */
export const ListedSession = SessionSummary.extend({
  /** From the first message, or a rename; null before the first message. */
  title: z.string().nullable(),
  /** The start of the last user or assistant message. */
  preview: z.string().nullable(),
  archived: z.boolean(),
  forked_from: z.string().nullable(),
});
export type ListedSession = z.infer<typeof ListedSession>;

/** `GET /api/v1/sessions`: one page. */
export const SessionPage = z.object({
  sessions: z.array(ListedSession),
  next_cursor: z.string().nullable(),
});
export type SessionPage = z.infer<typeof SessionPage>;

/** `GET /api/v1/search`: matching messages, best first. */
export const SearchHit = z.object({
  session_id: z.string(),
  title: z.string().nullable(),
  seq: z.number(),
  role: z.enum(["user", "assistant", "tool_use", "tool_result", "error", "notice"]),
  /** HTML-escaped text; matched terms in `<mark>…</mark>`. */
  snippet: z.string(),
  created_at: z.string(),
});
export type SearchHit = z.infer<typeof SearchHit>;

/** The longest title (characters, after trimming). */
export const MAX_TITLE_CHARS = 200;

export const SuggestedAction = z.enum(["retry", "new_session", "wait", "none"]);
export type SuggestedAction = z.infer<typeof SuggestedAction>;

/** A stored message, as in `session_history` and `GET /sessions/{id}/messages`. */
export const StoredMessage = z.object({
  seq: z.number(),
  kind: z.enum(["user", "assistant", "tool_use", "tool_result", "error", "notice"]),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
export type StoredMessage = z.infer<typeof StoredMessage>;

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), session_id: z.string(), event_seq: z.number(), ...shape });

/** Session events: every one carries `session_id` and a gap-free `event_seq`. */
export const SessionEvent = z.discriminatedUnion("type", [
  event("session_ready", {
    session: SessionSummary,
    source: z.enum(["pre-warmed", "cold", "resumed"]),
  }),
  event("message_received", { seq: z.number(), text: z.string() }),
  event("stream_delta", { text: z.string() }),
  event("stream_retracted", { text: z.string() }),
  event("tool_use", { tool_use_id: z.string(), name: z.string(), input: z.unknown() }),
  event("tool_result", {
    tool_use_id: z.string(),
    is_error: z.boolean(),
    content: z.string(),
    duration_ms: z.number().nullable(),
  }),
  event("permission_request", {
    request_id: z.string(),
    tool_name: z.string(),
    input: z.unknown(),
    reason: z.string(),
  }),
  event("permission_cancelled", { request_id: z.string() }),
  event("response_complete", {
    cost_usd: z.number(),
    total_cost_usd: z.number(),
    usage: z.unknown(),
    duration_ms: z.number(),
    num_turns: z.number(),
  }),
  event("stream_retrying", {
    attempt: z.number(),
    max_retries: z.number(),
    delay_ms: z.number(),
    message: z.string(),
  }),
  event("stream_error", {
    code: z.string(),
    message: z.string(),
    suggested_action: SuggestedAction,
    partial_preserved: z.boolean(),
  }),
  event("stream_interrupted", {}),
  event("session_warning", { kind: z.string(), remaining_seconds: z.number() }),
  event("session_restarting", { reason: z.string(), message: z.string() }),
  event("session_terminated", {
    reason: z.string(),
    resumable: z.boolean(),
    message: z.string(),
  }),
  event("session_opened_elsewhere", { message: z.string() }),
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type EventOf<T extends SessionEvent["type"]> = Extract<SessionEvent, { type: T }>;

/** Frames that are not session events. */
export const ControlFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("session_list"),
    sessions: z.array(ListedSession),
    /** More pages: `GET /api/v1/sessions?cursor=…` (absent on older servers). */
    next_cursor: z.string().nullable().optional(),
  }),
  z.object({ type: z.literal("session_creating") }),
  z.object({
    type: z.literal("session_history"),
    session_id: z.string(),
    messages: z.array(StoredMessage),
    /** The session's latest event_seq when the history was taken (absent on older servers). */
    last_event_seq: z.number().optional(),
    /** A reply is being written (absent on older servers). */
    turn_running: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("error"),
    code: z.string(),
    message: z.string(),
    session_id: z.string().optional(),
  }),
  z.object({
    type: z.literal("server_shutting_down"),
    /** Says the time left too, for a person. */
    message: z.string(),
    /** How long a reply being written still has to finish (absent on older servers); the connection closes after it. */
    grace_seconds: z.number().optional(),
  }),
]);
export type ControlFrame = z.infer<typeof ControlFrame>;

export type ServerFrame = SessionEvent | ControlFrame;

const SESSION_EVENT_TYPES = new Set<string>(SessionEvent.options.map((o) => o.shape.type.value));

export type ParseResult = { ok: true; frame: ServerFrame } | { ok: false; error: string };

/** Parses one WebSocket text frame from the server. */
export function parseServerFrame(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== "string") return { ok: false, error: "no type" };
  const schema = SESSION_EVENT_TYPES.has(type) ? SessionEvent : ControlFrame;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, error: `${type}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}` };
  }
  return { ok: true, frame: parsed.data };
}

export function isSessionEvent(frame: ServerFrame): frame is SessionEvent {
  return SESSION_EVENT_TYPES.has(frame.type);
}

/** Frames the browser sends. */
export type ClientFrame =
  | { type: "create_session" }
  | { type: "switch_session"; session_id: string; after_seq: number }
  | { type: "user_message"; session_id: string; text: string; seq: number }
  | { type: "interrupt"; session_id: string }
  | {
      type: "permission_response";
      session_id: string;
      request_id: string;
      allow: boolean;
      message?: string;
    }
  | { type: "destroy_session"; session_id: string }
  | { type: "resume_session"; session_id: string }
  | { type: "rename_session"; session_id: string; title: string };

/** REST `GET /api/v1/info`. */
export const Info = z.object({
  version: z.string(),
  cli_version: z.string().nullable(),
  demo_model: z.boolean(),
  permission_mode: z.string(),
  limits: z.object({
    max_sessions: z.number(),
    max_session_rss_mb: z.number(),
    max_session_duration_seconds: z.number(),
    session_idle_timeout_seconds: z.number(),
    prewarm_pool_size: z.number(),
  }),
});
export type Info = z.infer<typeof Info>;

/** The longest message the server takes (characters, after trimming). */
export const MAX_MESSAGE_CHARS = 32_000;
