import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { focusNext } from "../../../lib/focus";
import { ruleLabel } from "../lib/rule-label";
import { toolAction } from "../lib/tool-input";
import type { PermissionDecision } from "../stores/chat-store";
import type { PermissionPrompt } from "../stores/session-view";
import { ToolInputView } from "./tool-input-view";

type Props = {
  prompt: PermissionPrompt;
  onAnswer(decision: PermissionDecision): void;
  /** The server takes "Allow for this session" (offered where the request says what it grants). */
  allowForSession: boolean;
};

/** Someone is writing in a text field: focus is not taken from them. */
function isTyping(el: Element | null): boolean {
  return (el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement) && el.value.trim() !== "";
}

const BUTTON = "rounded-md px-4 py-1.5 text-sm font-medium focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1";

/**
 * A tool waits for approval, shown in the conversation (Stop stays at hand): what it wants to
 * do, rendered for the tool, and Deny (with an optional reason Claude is told) or Allow.
 *
 * Focus: it moves to Deny when the request arrives, so a keyboard user is on it and a stray
 * Enter never approves anything, unless the person is typing in a text field (then the
 * request is announced and focus stays: their next key would otherwise land on a button).
 * Escape while focus is in it denies. After answering, focus goes on by the app's rule.
 */
export function PermissionRequest({ prompt, onAnswer, allowForSession }: Props) {
  const [reason, setReason] = useState("");
  const deny = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const whyId = useId();
  const reasonId = useId();
  const rememberId = useId();
  const remember = allowForSession && prompt.sessionRules.length > 0;

  useEffect(() => {
    if (!isTyping(document.activeElement)) deny.current?.focus();
  }, [prompt.requestId]);

  function answer(decision: PermissionDecision) {
    onAnswer(decision);
    focusNext();
  }

  function onKeyDown(e: KeyboardEvent<HTMLElement>) {
    if (e.key === "Escape" && !e.nativeEvent.isComposing) {
      e.preventDefault();
      e.stopPropagation();
      answer({ allow: false, reason });
    }
  }

  return (
    <section
      data-permission-request
      role="group"
      aria-labelledby={titleId}
      aria-describedby={prompt.reason ? whyId : undefined}
      onKeyDown={onKeyDown}
      className="space-y-3 rounded-lg border-2 border-amber-500 bg-amber-50 p-3 dark:border-amber-600 dark:bg-zinc-900"
    >
      <div>
        <h2 id={titleId} className="font-semibold">
          Claude wants to {toolAction(prompt.toolName)} <span className="font-mono text-sm font-normal">({prompt.toolName})</span>
        </h2>
        {prompt.reason && (
          <p id={whyId} className="text-sm text-zinc-700 dark:text-zinc-300">
            {prompt.reason}
          </p>
        )}
      </div>
      <ToolInputView tool={prompt.toolName} input={prompt.input} />
      {remember && (
        <p id={rememberId} className="text-xs text-zinc-700 dark:text-zinc-300">
          “Allow for this session” also allows {prompt.sessionRules.map(ruleLabel).join(", ")} until the session ends, without asking.
        </p>
      )}
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-40 flex-1">
          <label htmlFor={reasonId} className="block text-xs text-zinc-700 dark:text-zinc-300">
            Reason, if you deny (optional, Claude is told)
          </label>
          <input
            id={reasonId}
            type="text"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.nativeEvent.isComposing) {
                e.preventDefault();
                answer({ allow: false, reason });
              }
            }}
            className="mt-0.5 w-full rounded-md border border-zinc-400 bg-white px-2 py-1 text-sm outline-none focus:ring-2 focus:ring-blue-500 dark:border-zinc-600 dark:bg-zinc-950"
          />
        </div>
        <div className="flex gap-2">
          <button
            ref={deny}
            type="button"
            data-default-action
            onClick={() => answer({ allow: false, reason })}
            className={`${BUTTON} border border-zinc-400 bg-white hover:bg-zinc-100 dark:border-zinc-600 dark:bg-zinc-950 dark:hover:bg-zinc-800`}
          >
            Deny
          </button>
          {remember && (
            <button
              type="button"
              aria-describedby={rememberId}
              onClick={() => answer({ allow: true, scope: "session" })}
              className={`${BUTTON} border border-blue-600 text-blue-700 hover:bg-blue-50 dark:text-blue-300 dark:hover:bg-zinc-800`}
            >
              Allow for this session
            </button>
          )}
          <button type="button" onClick={() => answer({ allow: true })} className={`${BUTTON} bg-blue-600 text-white hover:bg-blue-700`}>
            Allow
          </button>
        </div>
      </div>
    </section>
  );
}
