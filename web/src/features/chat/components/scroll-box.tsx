import { useRef, type ReactNode } from "react";
import { useScrollableFocus } from "../../../lib/use-scrollable-focus";

/**
 * Preformatted text in a box that scrolls (long output, wide code): focusable while it
 * scrolls, so the keyboard can scroll it too, and named by `label`.
 */
export function ScrollBox({ label, className = "", children }: { label: string; className?: string; children: ReactNode }) {
  const ref = useRef<HTMLPreElement>(null);
  useScrollableFocus(ref);
  return (
    <pre ref={ref} role="group" aria-label={label} className={`overflow-auto rounded text-xs ${className}`}>
      {children}
    </pre>
  );
}
