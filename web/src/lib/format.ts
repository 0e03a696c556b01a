/** Small formatting helpers shared by the views. */

/** `$0.0123`; tiny amounts keep 4 decimals, larger ones 2. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "–";
  if (usd === 0) return "$0.00";
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** `Complete (1.2s)` style durations. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** "just now", "5 min ago", "3 h ago", or a date. */
export function timeAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return new Date(t).toLocaleDateString();
}

/** `12m 30s` for a countdown. */
export function formatRemaining(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** The first 8 characters of a UUID (the whole id goes in a title attribute). */
export const shortId = (id: string) => id.slice(0, 8);

/** A one-line summary of a tool's input: the command, path or pattern a person recognises. */
export function summarizeInput(input: unknown): string {
  if (input && typeof input === "object") {
    const o = input as Record<string, unknown>;
    for (const k of ["command", "file_path", "path", "pattern", "url", "query", "description", "prompt"]) {
      if (typeof o[k] === "string" && o[k]) return oneLine(o[k] as string);
    }
    return oneLine(JSON.stringify(input));
  }
  return input === undefined ? "" : oneLine(String(input));
}

function oneLine(s: string, max = 120): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "14:05" today, "24 Nov, 14:05" another day (the person's locale and time zone). */
export function formatClock(iso: string, now = Date.now()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "";
  const time = t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (t.toDateString() === new Date(now).toDateString()) return time;
  return `${t.toLocaleDateString(undefined, { day: "numeric", month: "short" })}, ${time}`;
}

/** "just now", "5 minutes ago", "3 hours ago", or a date: `timeAgo` in words, for screen readers. */
export function timeAgoLong(iso: string, now = Date.now()): string {
  const short = timeAgo(iso, now);
  return short.replace(/^(\d+) min ago$/, (_, n) => `${n} minute${n === "1" ? "" : "s"} ago`).replace(/^(\d+) h ago$/, (_, n) => `${n} hour${n === "1" ? "" : "s"} ago`);
}
