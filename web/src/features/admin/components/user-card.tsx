import { useState, type FormEvent } from "react";
import { ConfirmDialog } from "../../../components/ui/confirm-dialog";
import { formatCost, timeAgo } from "../../../lib/format";
import type { KeyInfo, UserOverview } from "../../../types/protocol";
import type { Limits } from "../api/admin-api";

export type Defaults = { maxSessions: number | null; dailySpendUsd: number | null };

type Props = {
  user: UserOverview;
  defaults: Defaults;
  onNewKey(): void;
  onRevoke(key: KeyInfo): void;
  onDisable(): void;
  onLimits(limits: Limits): void;
};

const button =
  "min-h-8 rounded-md border border-zinc-400 px-2 py-1 text-xs font-medium hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-600 dark:hover:bg-zinc-800";

/** "" → null (the server's setting); otherwise a number. */
const parsed = (text: string): number | null | undefined => {
  if (!text.trim()) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
};

/** One user: keys (prefixes), live sessions, spend, quota overrides, and what an admin can do. */
export function UserCard({ user: u, defaults, onNewKey, onRevoke, onDisable, onLimits }: Props) {
  const [maxSessions, setMaxSessions] = useState(u.max_sessions?.toString() ?? "");
  const [daily, setDaily] = useState(u.daily_spend_limit_usd?.toString() ?? "");
  const [hint, setHint] = useState<string | null>(null);
  const [now] = useState(() => Date.now());
  const heading = `user-${u.user_id}`;

  function saveLimits(e: FormEvent) {
    e.preventDefault();
    const max = parsed(maxSessions);
    const usd = parsed(daily);
    if (max === undefined || usd === undefined) {
      setHint("Enter numbers, or leave a field empty for the server's setting.");
      return;
    }
    setHint(null);
    onLimits({ max_sessions: max, daily_spend_limit_usd: usd });
  }

  return (
    <li aria-labelledby={heading} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <div className="flex flex-wrap items-center gap-2">
        <h3 id={heading} className="font-medium">
          {u.name}
        </h3>
        <span className="rounded bg-zinc-200 px-1 text-xs dark:bg-zinc-700">{u.role}</span>
        {u.disabled && <span className="rounded bg-red-100 px-1 text-xs text-red-800 dark:bg-red-950 dark:text-red-200">disabled</span>}
        <span className="ml-auto text-xs text-zinc-600 dark:text-zinc-400">
          {u.live_sessions} live · today {formatCost(u.spend_today_usd)} · total {formatCost(u.spend_total_usd)}
        </span>
      </div>
      <ul aria-label={`Keys of ${u.name}`} className="mt-2 space-y-1 text-sm">
        {u.bootstrap && (
          <li className="text-zinc-600 dark:text-zinc-400">
            <span className="font-mono">CLAUDE_SDK_PATTERN_API_KEY</span> (the server's own key)
          </li>
        )}
        {u.keys.map((k) => (
          <li key={k.key_id} className="flex flex-wrap items-center gap-2">
            <span className="font-mono">{k.prefix}…</span>
            <span className="text-xs text-zinc-600 dark:text-zinc-400">
              {k.revoked_at ? "revoked" : k.last_used_at ? `used ${timeAgo(k.last_used_at, now)}` : "never used"}
            </span>
            {!k.revoked_at && (
              <span className="ml-auto">
                <ConfirmDialog
                  trigger={
                    <button type="button" className={button}>
                      Revoke {k.prefix}
                    </button>
                  }
                  title={`Revoke key ${k.prefix}…?`}
                  description={`It stops working at once: ${u.name}'s browsers using it are signed out.`}
                  confirmLabel="Revoke key"
                  destructive
                  onConfirm={() => onRevoke(k)}
                />
              </span>
            )}
          </li>
        ))}
      </ul>
      {!u.disabled && (
        <form onSubmit={saveLimits} className="mt-2 flex flex-wrap items-end gap-2 text-sm">
          <label className="flex flex-col text-xs">
            Live sessions
            <input
              value={maxSessions}
              onChange={(e) => setMaxSessions(e.target.value)}
              inputMode="numeric"
              placeholder={defaults.maxSessions === null ? "no limit" : `default ${defaults.maxSessions}`}
              className="w-28 rounded-md border border-zinc-400 bg-transparent px-2 py-1 dark:border-zinc-600"
            />
          </label>
          <label className="flex flex-col text-xs">
            Daily limit (USD)
            <input
              value={daily}
              onChange={(e) => setDaily(e.target.value)}
              inputMode="decimal"
              placeholder={defaults.dailySpendUsd === null ? "no limit" : `default ${defaults.dailySpendUsd}`}
              className="w-28 rounded-md border border-zinc-400 bg-transparent px-2 py-1 dark:border-zinc-600"
            />
          </label>
          <button type="submit" className={button}>
            Save limits
          </button>
          {hint && (
            <span role="alert" className="text-xs text-red-700 dark:text-red-400">
              {hint}
            </span>
          )}
        </form>
      )}
      {!u.disabled && (
        <div className="mt-2 flex flex-wrap gap-2">
          <button type="button" onClick={onNewKey} className={button}>
            New key for {u.name}
          </button>
          {!u.bootstrap && (
            <ConfirmDialog
              trigger={
                <button type="button" className={button}>
                  Disable {u.name}
                </button>
              }
              title={`Disable ${u.name}?`}
              description="Their keys stop working at once and their open browsers are signed out. Their sessions stay, owned by them."
              confirmLabel="Disable user"
              destructive
              onConfirm={onDisable}
            />
          )}
        </div>
      )}
    </li>
  );
}
