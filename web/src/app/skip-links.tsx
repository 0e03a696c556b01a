import type { MouseEvent } from "react";
import { CONVERSATION_ID, MESSAGE_BOX_ID } from "../lib/focus";

const LINK =
  "sr-only rounded-md bg-blue-700 px-3 py-2 text-sm font-medium text-white focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50";

/** Moves focus to the target itself (following the link alone only scrolls to it). */
function go(e: MouseEvent<HTMLAnchorElement>, id: string) {
  const target = document.getElementById(id);
  if (!target) return;
  e.preventDefault();
  target.focus();
}

/** The first stops of the Tab order: straight to the conversation or the message box. */
export function SkipLinks({ conversation }: { conversation: boolean }) {
  return (
    <>
      {conversation && (
        <a href={`#${CONVERSATION_ID}`} onClick={(e) => go(e, CONVERSATION_ID)} className={LINK}>
          Skip to conversation
        </a>
      )}
      <a href={`#${MESSAGE_BOX_ID}`} onClick={(e) => go(e, MESSAGE_BOX_ID)} className={LINK}>
        Skip to message box
      </a>
    </>
  );
}
