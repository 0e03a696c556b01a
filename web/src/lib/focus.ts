/**
 * The one focus rule: after an action, focus goes where the person acts next.
 *
 * That is, in order: a pending permission request (its Deny button: answering it is what the
 * conversation waits for); else the message box; else, when the box cannot take text (the
 * session ended), the first action offered instead (`data-focus-next`, e.g. "Start new
 * session"); else the conversation. On a touch screen the message box is skipped: focusing
 * it would raise the on-screen keyboard over the reply the person is about to read.
 *
 * Called after signing in, answering a permission, Stop, creating, switching, resuming or
 * ending a session (see `focusNext` callers). Skip links use the ids below.
 */
export const MESSAGE_BOX_ID = "message";
export const CONVERSATION_ID = "conversation";

let coarse: { of: unknown; query: MediaQueryList | null } | null = null;
/** The `(pointer: coarse)` query (made once per `matchMedia`), or null where there is none. */
export function coarsePointerQuery(): MediaQueryList | null {
  const mm = typeof matchMedia === "function" ? matchMedia : null;
  if (coarse?.of !== mm) coarse = { of: mm, query: mm ? mm("(pointer: coarse)") : null };
  return coarse.query;
}

/** The primary pointer is coarse: a touch screen, where typing means an on-screen keyboard. */
export function isCoarsePointer(): boolean {
  return coarsePointerQuery()?.matches ?? false;
}

/** Where focus goes next, found now (exported for tests). */
export function nextFocusTarget(doc: Document = document): HTMLElement | null {
  const request = doc.querySelector<HTMLElement>("[data-permission-request] [data-default-action]");
  if (request) return request;
  const box = doc.getElementById(MESSAGE_BOX_ID) as HTMLTextAreaElement | null;
  if (box && !box.disabled && !isCoarsePointer()) return box;
  const action = doc.querySelector<HTMLElement>("[data-focus-next]:not(:disabled)");
  if (action) return action;
  return doc.getElementById(CONVERSATION_ID) ?? (box && !box.disabled ? box : null);
}

/** Moves focus by the rule above once the action's changes are on screen (the next frame). */
export function focusNext() {
  requestAnimationFrame(() => nextFocusTarget()?.focus());
}
