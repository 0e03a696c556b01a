import { useEffect, useState } from "react";
import { useChat, useCurrentView } from "../features/chat/hooks/use-chat";
import { formatRemaining } from "../lib/format";

/** Shown while the server answers with its offline demo model. */
export function DemoBanner() {
  return (
    <div
      role="note"
      className="bg-amber-100 px-3 py-1.5 text-center text-sm text-amber-950 dark:bg-amber-900 dark:text-amber-50"
    >
      <strong>Demo model</strong>
      <span className="hidden sm:inline">
        {" "}
        — no Anthropic API key is configured on the server, so replies come from a built-in
        demo, not Claude. Set <code>ANTHROPIC_API_KEY</code> and restart to talk to Claude.
      </span>
      <span className="sm:hidden"> — not Claude: set ANTHROPIC_API_KEY on the server.</span>
    </div>
  );
}

/** The session's duration-limit warning, counting down. */
export function WarningBanner() {
  const warning = useCurrentView()?.warning;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!warning) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [warning]);
  if (!warning) return null;
  const left = warning.remainingSeconds - Math.max(0, (now - warning.receivedAt) / 1000);
  return (
    <div role="alert" className="border-b border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
      This session reaches its time limit in <strong>{formatRemaining(left)}</strong>. It will
      then close; you can resume it afterwards.
    </div>
  );
}

/** A message about the app as a whole (an error not tied to one turn, a server restart). */
export function NoticeBanner() {
  const notice = useChat((s) => s.notice);
  const dismiss = useChat((s) => s.dismissNotice);
  if (!notice) return null;
  return (
    <div
      role="alert"
      className={`flex items-start gap-2 border-b px-3 py-2 text-sm ${notice.tone === "error" ? "border-red-300 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100" : "border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-900 dark:bg-sky-950 dark:text-sky-100"}`}
    >
      <span className="flex-1">{notice.text}</span>
      <button type="button" onClick={dismiss} aria-label="Dismiss" className="px-1">
        ✕
      </button>
    </div>
  );
}
