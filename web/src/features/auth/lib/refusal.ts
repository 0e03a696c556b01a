/** What the key screen says when the server stopped accepting this browser's key. */
const BY_REASON: Record<string, string> = {
  "revoked: this API key was revoked": "This key was revoked by an administrator. Enter another key.",
  "revoked: this user was disabled":
    "Your user was disabled by an administrator: its keys no longer work. Ask an administrator if you need access again.",
};

/** The notice for a refused key; `reason` is the server's close reason, if it gave one. */
export function refusalNotice(reason?: string): string {
  return (reason && BY_REASON[reason]) || "The saved key is no longer accepted. Enter the current one.";
}
