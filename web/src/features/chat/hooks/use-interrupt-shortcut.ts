import { useEffect } from "react";
import { useChat } from "./use-chat";

/** A dialog or the drawer is open: Escape is theirs (it closes them). */
const layerOpen = () => !!document.querySelector('[role="dialog"], [role="alertdialog"]');

/**
 * Stops the running reply from anywhere: Ctrl+Shift+X, or Escape when no dialog is open and
 * nothing else took the key (a permission request takes it as Deny, a dialog to close).
 */
export function useInterruptShortcut() {
  const interrupt = useChat((s) => s.interrupt);
  const running = useChat((s) => (s.currentId ? (s.views[s.currentId]?.running ?? false) : false));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.shiftKey && (e.key === "X" || e.key === "x")) {
        e.preventDefault();
        interrupt();
      } else if (e.key === "Escape" && running && !e.defaultPrevented && !e.isComposing && !layerOpen()) {
        e.preventDefault();
        interrupt();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [interrupt, running]);
}
