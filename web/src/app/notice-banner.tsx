import { useNotice } from "./stores/notice-store";

/** A message about the app as a whole (an error not tied to one turn, a server restart). */
export function NoticeBanner() {
  const notice = useNotice((s) => s.notice);
  const dismiss = useNotice((s) => s.dismiss);
  if (!notice) return null;
  return (
    <div
      role="alert"
      className={`flex items-start gap-2 border-b px-3 py-2 text-sm ${notice.tone === "error" ? "border-red-300 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100" : "border-sky-300 bg-sky-50 text-sky-900 dark:border-sky-900 dark:bg-sky-950 dark:text-sky-100"}`}
    >
      <span className="flex-1">{notice.text}</span>
      <button type="button" onClick={dismiss} aria-label="Dismiss" className="min-h-6 min-w-6 rounded px-1 focus-visible:ring-2 focus-visible:ring-blue-500">
        ✕
      </button>
    </div>
  );
}
