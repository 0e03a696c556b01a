import { useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { useCoarsePointer } from "../../../lib/use-coarse-pointer";
import { useSessions } from "../hooks/use-sessions";
import type { OptionsChange } from "../../../types/protocol";

/** How each permission mode reads in the picker. */
const MODE_LABELS: Record<string, string> = {
  default: "Ask before edits",
  acceptEdits: "Accept edits",
  plan: "Plan first",
  auto: "Auto",
  dontAsk: "Don't ask (deny)",
  bypassPermissions: "Bypass permissions",
  manual: "Manual",
};

const SELECT =
  "min-w-0 rounded border border-zinc-300 bg-transparent px-1.5 py-0.5 text-xs outline-none focus-visible:ring-2 focus-visible:ring-blue-500 disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-900";

type Props = {
  /** The open session, or null: the choice is for the next new session. */
  sessionId: string | null;
  disabled: boolean;
};

/**
 * The model / effort / permission-mode picker of the composer's toolbar (issue 15). For the
 * open session a change is sent at once (`set_session_options`) and the selects follow the
 * server's `session_options`; with no session open it sets what the next one is created with.
 */
export function SessionControls({ sessionId, disabled }: Props) {
  const { choices, summary, newOptions, setOptions, setNewOptions } = useSessions(
    useShallow((s) => ({
      choices: s.choices,
      summary: sessionId ? s.sessions.find((x) => x.session_id === sessionId) : undefined,
      newOptions: s.newOptions,
      setOptions: s.setOptions,
      setNewOptions: s.setNewOptions,
    })),
  );
  const touch = useCoarsePointer();
  const [open, setOpen] = useState(false);
  if (!choices) return null;
  const current = sessionId
    ? { model: summary?.model, effort: summary?.effort ?? null, permission_mode: summary?.permission_mode }
    : {
        model: newOptions.model ?? choices.default_model,
        effort: newOptions.effort ?? null,
        permission_mode: newOptions.permission_mode ?? choices.default_permission_mode,
      };
  const change = (c: OptionsChange) => (sessionId ? setOptions(sessionId, c) : setNewOptions(c));
  // A model the server no longer offers (or `default` of an old session) is still shown.
  const models = current.model && !choices.models.includes(current.model) ? [current.model, ...choices.models] : choices.models;
  const modes =
    current.permission_mode && !choices.permission_modes.includes(current.permission_mode)
      ? [current.permission_mode, ...choices.permission_modes]
      : choices.permission_modes;
  const off = disabled || (sessionId !== null && !summary);
  // On a phone: one 44 px button in the box's row; the selects open above it.
  const select = touch ? `${SELECT} min-h-11 text-sm` : SELECT;

  const group = (
    <div
      className={
        touch
          ? "absolute right-0 bottom-full z-10 mb-2 flex w-72 flex-col gap-2 rounded-md border border-zinc-300 bg-white p-3 text-sm shadow dark:border-zinc-700 dark:bg-zinc-900"
          : "flex min-w-0 flex-wrap items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400"
      }
      role="group"
      aria-label="Conversation settings"
    >
      <label className="flex items-center gap-1">
        <span>Model</span>
        <select className={select} value={current.model ?? ""} disabled={off} onChange={(e) => change({ model: e.target.value })}>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1">
        <span>Effort</span>
        <select className={select} value={current.effort ?? ""} disabled={off} onChange={(e) => e.target.value && change({ effort: e.target.value })}>
          {current.effort === null && <option value="">default</option>}
          {choices.efforts.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1">
        <span>Mode</span>
        <select
          className={select}
          value={current.permission_mode ?? ""}
          disabled={off}
          onChange={(e) => change({ permission_mode: e.target.value })}
        >
          {modes.map((m) => (
            <option key={m} value={m}>
              {MODE_LABELS[m] ?? m}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
  if (!touch) return group;
  return (
    <div className="relative shrink-0">
      <button
        type="button"
        aria-expanded={open}
        aria-label="Conversation settings"
        title={`${current.model ?? ""} · ${MODE_LABELS[current.permission_mode ?? ""] ?? current.permission_mode ?? ""}`}
        onClick={() => setOpen(!open)}
        className="h-11 w-11 rounded-md border border-zinc-400 text-lg focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-600"
      >
        <span aria-hidden>⚙</span>
      </button>
      {open && group}
    </div>
  );
}
