import { useEffect, useRef, useState } from "react";
import { copyText } from "../lib/copy-text";

/** "Copy", then "Copied" (or "Copy failed") for a moment; `label` names what is copied. */
export function CopyButton({ text, label, className = "" }: { text: () => string; label: string; className?: string }) {
  const [done, setDone] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  async function copy() {
    const ok = await copyText(text());
    setDone(ok ? "Copied" : "Copy failed");
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setDone(null), 1500);
  }
  return (
    <button
      type="button"
      onClick={copy}
      aria-label={done ?? label}
      className={`rounded px-1.5 py-0.5 hover:bg-zinc-200 focus-visible:ring-2 focus-visible:ring-blue-500 dark:hover:bg-zinc-800 ${className}`}
    >
      {done ?? "Copy"}
    </button>
  );
}
