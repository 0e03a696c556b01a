/**
 * Notifications while the tab is hidden: a finished reply, a permission request, an error
 * or a session ending raises a browser notification (if allowed, and not turned off) and
 * counts in the tab title ("(2) Claude Code sessions"); showing the tab clears the count.
 * Clicking a notification brings the tab forward and opens that session.
 *
 * The browser is asked for permission on first use: the first message a person sends (a
 * click or key press, which browsers require for the prompt).
 */
import type { ServerFrame } from "../../types/protocol";

const SETTING = "csp.notifications";

/** Whether the person turned notifications off (they are on unless turned off). */
export function notificationsOff(): boolean {
  try {
    return localStorage.getItem(SETTING) === "off";
  } catch {
    return false;
  }
}

export function setNotificationsOff(off: boolean): void {
  try {
    localStorage.setItem(SETTING, off ? "off" : "on");
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

/** Asks for permission once, from a user gesture, unless turned off or already decided. */
export function askPermissionOnce(): void {
  if (typeof Notification === "undefined" || notificationsOff()) return;
  if (Notification.permission === "default") void Notification.requestPermission().catch(() => {});
}

/** What a frame is worth telling someone who is not looking, or null. */
export function noticeFor(frame: ServerFrame): string | null {
  switch (frame.type) {
    case "response_complete":
      return "Claude finished its reply.";
    case "permission_request":
      return `Claude asks to use ${frame.tool_name}.`;
    case "stream_error":
      return `The reply failed: ${frame.message}`;
    case "session_terminated":
      return frame.message || "The session ended.";
    default:
      return null;
  }
}

export type NotifierDeps = {
  /** The session's title, for the notification's heading. */
  titleOf(sessionId: string): string;
  /** Opens a session (a notification was clicked). */
  open(sessionId: string): void;
};

/** Watches frames; returns the function to call with each one. */
export function createNotifier(deps: NotifierDeps): (frame: ServerFrame) => void {
  const base = document.title;
  let unseen = 0;
  const showCount = () => {
    // The approval count ("(1) Waiting for approval · ", app/approval-alerts.tsx) leads
    // the title and stays: this count goes after it.
    const approvals = /^\(\d+\) Waiting for approval · /.exec(document.title)?.[0] ?? "";
    document.title = approvals + (unseen > 0 ? `(${unseen}) ${base}` : base);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      unseen = 0;
      showCount();
    }
  });
  return (frame) => {
    if (document.visibilityState !== "hidden" || !("session_id" in frame) || !frame.session_id) return;
    const body = noticeFor(frame);
    if (!body) return;
    unseen += 1;
    showCount();
    if (typeof Notification === "undefined" || notificationsOff() || Notification.permission !== "granted") return;
    const id = frame.session_id;
    const n = new Notification(deps.titleOf(id), { body, tag: `${id}-${frame.type}` });
    n.onclick = () => {
      window.focus();
      deps.open(id);
      n.close();
    };
  };
}
