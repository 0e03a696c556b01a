import { useEffect, useId, useRef, useState } from "react";
import { focusNext } from "../../../lib/focus";
import { keepPlanningMessage } from "../lib/plan";
import type { PermissionDecision } from "../stores/chat-store";
import type { PermissionPrompt } from "../stores/session-view";
import { Markdown } from "./markdown";

/** The modes a person may continue in after approving a plan, the first preselected. */
const CONTINUE_IN: Array<{ mode: string; label: string }> = [
  { mode: "acceptEdits", label: "Accept edits" },
  { mode: "default", label: "Ask before edits" },
  { mode: "auto", label: "Auto" },
];

const BUTTON = "rounded-md px-4 py-1.5 text-sm font-medium focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1";

type Props = {
  prompt: PermissionPrompt;
  onAnswer(decision: PermissionDecision): void;
};

/**
 * Claude, in plan mode, presents its plan (`ExitPlanMode`): the plan as markdown, "Approve
 * and run" in a chosen permission mode, or "Keep planning" with optional feedback that is
 * sent back to Claude as is. Focus starts on "Keep planning" (a stray Enter approves nothing).
 */
export function PlanApproval({ prompt, onAnswer }: Props) {
  const [mode, setMode] = useState(CONTINUE_IN[0].mode);
  const [feedback, setFeedback] = useState("");
  const keep = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const modeId = useId();
  const feedbackId = useId();
  const input = (prompt.input ?? {}) as { plan?: unknown };
  const plan = typeof input.plan === "string" ? input.plan : null;

  useEffect(() => {
    keep.current?.focus();
  }, [prompt.requestId]);

  function answer(decision: PermissionDecision) {
    onAnswer(decision);
    focusNext();
  }

  return (
    <section
      data-plan-approval
      role="group"
      aria-labelledby={titleId}
      className="space-y-3 rounded-lg border-2 border-blue-500 bg-blue-50 p-3 dark:border-blue-600 dark:bg-zinc-900"
    >
      <h2 id={titleId} className="font-semibold">
        Claude's plan
      </h2>
      <div data-testid="plan" className="max-h-96 overflow-auto rounded-md bg-white p-3 dark:bg-zinc-950">
        {plan ? <Markdown text={plan} /> : <p className="text-sm">Claude presented the plan in its message above.</p>}
      </div>
      <div className="flex flex-wrap items-end gap-2">
        <label htmlFor={modeId} className="text-sm">
          Then continue in
        </label>
        <select
          id={modeId}
          value={mode}
          onChange={(e) => setMode(e.target.value)}
          className="rounded border border-zinc-400 bg-white px-2 py-1 text-sm dark:border-zinc-600 dark:bg-zinc-950"
        >
          {CONTINUE_IN.map((m) => (
            <option key={m.mode} value={m.mode}>
              {m.label}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => answer({ allow: true, mode })} className={`${BUTTON} bg-blue-600 text-white hover:bg-blue-700`}>
          Approve and run
        </button>
      </div>
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-40 flex-1">
          <label htmlFor={feedbackId} className="block text-xs text-zinc-700 dark:text-zinc-300">
            What should change? (optional, Claude is told)
          </label>
          <textarea
            id={feedbackId}
            rows={2}
            value={feedback}
            onChange={(e) => setFeedback(e.target.value)}
            className="mt-0.5 w-full rounded-md border border-zinc-400 bg-white px-2 py-1 text-sm outline-none focus:ring-2 focus:ring-blue-500 dark:border-zinc-600 dark:bg-zinc-950"
          />
        </div>
        <button
          ref={keep}
          type="button"
          data-default-action
          onClick={() => answer({ allow: false, message: keepPlanningMessage(feedback) })}
          className={`${BUTTON} border border-zinc-400 bg-white hover:bg-zinc-100 dark:border-zinc-600 dark:bg-zinc-950 dark:hover:bg-zinc-800`}
        >
          Keep planning
        </button>
      </div>
    </section>
  );
}
