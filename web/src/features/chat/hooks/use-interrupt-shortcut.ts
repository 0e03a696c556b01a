import { useEffect } from "react";
import { useChat } from "./use-chat";

/** Ctrl+Shift+X stops the running reply, wherever the focus is. */
export function useInterruptShortcut() {
  const interrupt = useChat((s) => s.interrupt);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.shiftKey && (e.key === "X" || e.key === "x")) {
        e.preventDefault();
        interrupt();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [interrupt]);
}
