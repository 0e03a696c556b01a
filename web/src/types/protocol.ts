/**
 * The wire contract with the server (docs/protocol.md), as zod schemas: each server frame is
 * validated on arrival, so a change on the server shows up as a parse failure in the tests
 * (which feed real recorded server frames through `parseServerFrame`) instead of as a
 * silently broken screen.
 */
import { z } from "zod";

// The page's Content-Security-Policy allows no eval: zod's JIT-compiled object parsers would
// need `new Function` (even its probe for it is reported as a violation).
z.config({ jitless: true });

export const SessionStatus = z.enum([
  "creating",
  "active",
  "idle",
  "suspended",
  "failed",
  "terminated",
]);
export type SessionStatus = z.infer<typeof SessionStatus>;

/**
 * `session_terminated` reasons after which the session is only suspended: its next message
 * resumes it (idle past the grace period; paused to stay under the server's memory budget; in
 * replica mode, the server running it went away or restarted: it continues on another one).
 */
export const SUSPENDED_REASONS: readonly string[] = ["idle", "memory_budget", "replica_lost"];

export const SessionSummary = z.object({
  session_id: z.string(),
  /** The owner: the user who created it. */
  user_id: z.string(),
  /** The owner's name: sent to admins only. */
  user_name: z.string().optional(),
  status: SessionStatus,
  created_at: z.string(),
  last_active_at: z.string(),
  message_count: z.number(),
  total_cost_usd: z.number(),
  is_resumable: z.boolean(),
  /** The conversation controls (docs/protocol.md, "Conversation controls"). */
  model: z.string(),
  /** null: the CLI's default effort. */
  effort: z.string().nullable(),
  permission_mode: z.string(),
  /** Its project (null: the default project, for sessions from before projects). */
  project: z.string().nullable().optional(),
  /** "worktree" when it works in a git worktree of its own (absent: the project's directory). */
  isolation: z.enum(["none", "worktree"]).optional(),
  /** Its worktree's branch (worktree sessions only). */
  branch: z.string().optional(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

/**
 * A session as the list shows it (`session_list`, `GET /sessions`, `PATCH /sessions/{id}`).
 * The finding fields default when absent (a server before them, recorded frames).
 */
export const ListedSession = SessionSummary.extend({
  /** From the first message, or a rename; null before the first message. */
  title: z.string().nullable().default(null),
  /** The start of the last user or assistant message. */
  preview: z.string().nullable().default(null),
  archived: z.boolean().default(false),
  forked_from: z.string().nullable().default(null),
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

/** A slash command the session's CLI offers (`session_ready.commands`). */
/** An image sent with a user message (base64 data, as on the wire). */
export const ImageAttachment = z.object({
  kind: z.literal("image"),
  media_type: z.string(),
  data_base64: z.string(),
  name: z.string().optional(),
});
export type ImageAttachment = z.infer<typeof ImageAttachment>;
/** A text or code file sent with a user message (the model gets it as a titled document). */
export const TextAttachment = z.object({ kind: z.literal("text"), name: z.string(), text: z.string() });
export type TextAttachment = z.infer<typeof TextAttachment>;
export const Attachment = z.discriminatedUnion("kind", [ImageAttachment, TextAttachment]);
export type Attachment = z.infer<typeof Attachment>;
export const SlashCommand = z.object({ name: z.string(), description: z.string(), argument_hint: z.string() });
export type SlashCommand = z.infer<typeof SlashCommand>;

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), session_id: z.string(), event_seq: z.number(), ...shape });

/** Session events: every one carries `session_id` and a gap-free `event_seq`. */
export const SessionEvent = z.discriminatedUnion("type", [
  event("session_ready", {
    session: SessionSummary,
    source: z.enum(["pre-warmed", "cold", "resumed"]),
    /** The composer's slash palette (absent on older servers). */
    commands: z.array(SlashCommand).optional(),
  }),
  event("context_compacted", { pre_tokens: z.number(), post_tokens: z.number() }),
  event("session_options", { model: z.string(), effort: z.string().nullable(), permission_mode: z.string() }),
  event("message_received", { seq: z.number(), text: z.string(), attachments: z.array(Attachment).optional() }),
  event("stream_delta", { text: z.string() }),
  event("stream_retracted", { text: z.string() }),
  event("tool_use", {
    tool_use_id: z.string(),
    name: z.string(),
    input: z.unknown(),
    /** A sub-agent's call: the `Agent`/`Task` call it runs under. */
    parent_tool_use_id: z.string().optional(),
  }),
  event("tool_result", {
    tool_use_id: z.string(),
    is_error: z.boolean(),
    content: z.string(),
    duration_ms: z.number().nullable(),
    parent_tool_use_id: z.string().optional(),
    /** Its permission was denied: show "Denied", not an error (absent on older servers). */
    denied: z.boolean().optional(),
  }),
  event("agent_text", { parent_tool_use_id: z.string(), text: z.string() }),
  event("permission_request", {
    request_id: z.string(),
    tool_name: z.string(),
    input: z.unknown(),
    reason: z.string(),
    /** The tool call it is about (absent on older servers). */
    tool_use_id: z.string().nullable().optional(),
    /** The CLI's permission suggestions, verbatim. */
    suggestions: z.array(z.unknown()).optional(),
    /** What "Allow for this session" grants (`Bash(npm run *)`); empty: not offered. */
    session_rules: z.array(z.string()).optional(),
  }),
  /** A permission request was answered, from this connection or another. */
  event("permission_answered", { request_id: z.string(), allow: z.boolean(), remember: z.boolean() }),
  event("permission_cancelled", { request_id: z.string() }),
  event("response_complete", {
    cost_usd: z.number(),
    total_cost_usd: z.number(),
    usage: z.unknown(),
    duration_ms: z.number(),
    num_turns: z.number(),
    /** How full the context is (null: no model call; absent on older servers). */
    context: z.object({ used_tokens: z.number(), window_tokens: z.number() }).nullish(),
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
  /** The session's diff changed (after a turn that ran an edit or shell tool): its totals. */
  event("changes_updated", { files: z.number(), additions: z.number(), deletions: z.number() }),
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type EventOf<T extends SessionEvent["type"]> = Extract<SessionEvent, { type: T }>;

/** What a session is doing now (`session_state`, sent to all the owner's connections). */
export const LiveState = z.enum(["running", "waiting_for_approval", "error", "idle", "suspended", "ended"]);
export type LiveState = z.infer<typeof LiveState>;

export const SessionStateFrame = z.object({
  type: z.literal("session_state"),
  session_id: z.string(),
  state: LiveState,
  /** The request it waits on (with `waiting_for_approval`). */
  permission: z.object({ request_id: z.string(), tool_name: z.string(), reason: z.string() }).optional(),
  /** Rules "Allow for this session" granted, each revocable. */
  allowed: z.array(z.string()),
});
export type SessionStateFrame = z.infer<typeof SessionStateFrame>;

/** Frames that are not session events. */
export const ControlFrame = z.discriminatedUnion("type", [
  SessionStateFrame,
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

/** A change of a session's conversation controls (unset fields keep theirs). */
export type OptionsChange = { model?: string; effort?: string; permission_mode?: string };

/** Where a new session works (issue 17): a project's name and the isolation. */
export type Placement = { project?: string; isolation?: "none" | "worktree" };

/** Frames the browser sends. */
export type ClientFrame =
  | ({ type: "create_session" } & OptionsChange & Placement)
  | ({ type: "set_session_options"; session_id: string } & OptionsChange)
  | { type: "switch_session"; session_id: string; after_seq: number }
  | { type: "user_message"; session_id: string; text: string; seq: number; attachments?: Attachment[] }
  | { type: "interrupt"; session_id: string }
  | {
      type: "permission_response";
      session_id: string;
      request_id: string;
      allow: boolean;
      message?: string;
      /** "Allow for this session" (with `allow`). */
      remember?: boolean;
      /** With `allow`: continue in this permission mode (approving a plan). */
      mode?: string;
    }
  | { type: "revoke_permission"; session_id: string; rule: string }
  | { type: "destroy_session"; session_id: string }
  | { type: "resume_session"; session_id: string }
  | { type: "rename_session"; session_id: string; title: string }
  /** Fork before the user message `before_seq` (absent: everything); the connection switches to the fork. */
  | { type: "fork_session"; session_id: string; before_seq?: number };

/** The values of each conversation control (`GET /api/v1/info`, `session_options`). */
export const OptionChoices = z.object({
  models: z.array(z.string()),
  default_model: z.string(),
  efforts: z.array(z.string()),
  permission_modes: z.array(z.string()),
  default_permission_mode: z.string(),
});
export type OptionChoices = z.infer<typeof OptionChoices>;

/** REST `GET /api/v1/info`. */
export const Info = z.object({
  version: z.string(),
  cli_version: z.string().nullable(),
  demo_model: z.boolean(),
  permission_mode: z.string(),
  /** What a session may choose (absent on older servers). */
  session_options: OptionChoices.optional(),
  limits: z.object({
    max_sessions: z.number(),
    max_session_rss_mb: z.number(),
    max_session_duration_seconds: z.number(),
    session_idle_timeout_seconds: z.number(),
    prewarm_pool_size: z.number(),
    max_sessions_per_user: z.number().nullable().optional(),
    daily_spend_limit_usd: z.number().nullable().optional(),
  }),
  /** What one message may attach (absent on older servers: the defaults below apply). */
  attachments: z
    .object({
      max_count: z.number(),
      max_image_bytes: z.number(),
      max_text_bytes: z.number(),
      max_total_bytes: z.number(),
      image_types: z.array(z.string()),
    })
    .optional(),
});
export type Info = z.infer<typeof Info>;
export type AttachmentLimits = NonNullable<Info["attachments"]>;

/** The longest message the server takes (characters, after trimming). */
/** The default attachment limits (docs/protocol.md, "Attachments"), until `GET /api/v1/info`
 * says what this server takes; the server checks them again. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  max_count: 5,
  max_image_bytes: 5 * 1024 * 1024,
  max_text_bytes: 256 * 1024,
  max_total_bytes: 10 * 1024 * 1024,
  image_types: [...IMAGE_TYPES],
};

export const MAX_MESSAGE_CHARS = 32_000;

/** The role of a user: admins manage users and see every session. */
export const Role = z.enum(["admin", "member"]);
export type Role = z.infer<typeof Role>;

/** REST `GET /api/v1/me`: who the key (or the proxy's header) belongs to. */
export const Me = z.object({ user_id: z.string(), name: z.string(), role: Role });
export type Me = z.infer<typeof Me>;

/** A user, as the admin routes show it. */
export const User = z.object({
  user_id: z.string(),
  name: z.string(),
  role: Role,
  created_at: z.string(),
  disabled: z.boolean(),
});
export type User = z.infer<typeof User>;

/** An API key without the key: its prefix identifies it. */
export const KeyInfo = z.object({
  key_id: z.string(),
  user_id: z.string(),
  prefix: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type KeyInfo = z.infer<typeof KeyInfo>;

/** One entry of REST `GET /api/v1/users`. */
export const UserOverview = User.extend({
  bootstrap: z.boolean(),
  keys: z.array(KeyInfo),
  live_sessions: z.number(),
  spend_today_usd: z.number(),
  spend_total_usd: z.number(),
  max_sessions: z.number().nullable(),
  daily_spend_limit_usd: z.number().nullable(),
});
export type UserOverview = z.infer<typeof UserOverview>;

/** REST `POST /api/v1/users`: the user and its first key, shown this once. */
export const UserCreated = z.object({ user: User, api_key: z.string() });
export type UserCreated = z.infer<typeof UserCreated>;

/** REST `POST /api/v1/users/{user_id}/keys`: the key, shown this once. */
export const KeyCreated = z.object({ key_id: z.string(), prefix: z.string(), api_key: z.string() });
export type KeyCreated = z.infer<typeof KeyCreated>;

/** The close reasons (code 1008) of a connection whose key was revoked or user disabled. */
export const REVOKED_REASON_PREFIX = "revoked:";

/** A worktree kept after its session ended with uncommitted changes. */
export const KeptWorktree = z.object({ session_id: z.string(), branch: z.string().nullable() });

/** One project of `GET /api/v1/projects` (issue 17). */
export const ProjectInfo = z.object({
  name: z.string(),
  path: z.string(),
  default: z.boolean(),
  git: z.boolean(),
  branch: z.string().nullable(),
  dirty: z.boolean(),
  session_count: z.number(),
  kept_worktrees: z.array(KeptWorktree),
});
export type ProjectInfo = z.infer<typeof ProjectInfo>;

export const ProjectList = z.object({
  projects: z.array(ProjectInfo),
  default_isolation: z.enum(["none", "worktree"]),
});
export type ProjectList = z.infer<typeof ProjectList>;

// ---- What changed, and @-mentions (issue 17; docs/protocol.md, "What changed") ----

/** One hunk of a file's unified diff; each line starts with " ", "+", "-" or "\\". */
export const DiffHunk = z.object({
  header: z.string(),
  old_start: z.number(),
  old_lines: z.number(),
  new_start: z.number(),
  new_lines: z.number(),
  lines: z.array(z.string()),
});
export type DiffHunk = z.infer<typeof DiffHunk>;

/** One changed file of `GET /api/v1/sessions/{id}/diff`. */
export const FileDiff = z.object({
  path: z.string(),
  old_path: z.string().optional(),
  status: z.enum(["added", "modified", "deleted", "renamed"]),
  additions: z.number(),
  deletions: z.number(),
  binary: z.boolean(),
  untracked: z.boolean(),
  hunks: z.array(DiffHunk),
  /** Some hunks are not here: `?file=<path>&hunk=<next_hunk>` has the rest. */
  truncated: z.boolean(),
  next_hunk: z.number().nullable(),
});
export type FileDiff = z.infer<typeof FileDiff>;

/** REST `GET /api/v1/sessions/{id}/diff`: totals over every file, and one page of files. */
export const DiffPage = z.object({
  base: z.string(),
  files_changed: z.number(),
  additions: z.number(),
  deletions: z.number(),
  files: z.array(FileDiff),
  next_cursor: z.string().nullable(),
});
export type DiffPage = z.infer<typeof DiffPage>;

/** REST `GET /api/v1/sessions/{id}/files`: the @-mention palette's matches, best first. */
export const FileMatches = z.object({
  files: z.array(z.object({ path: z.string() })),
  total: z.number(),
  capped: z.boolean(),
});
export type FileMatches = z.infer<typeof FileMatches>;
