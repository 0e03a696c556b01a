import { useEffect, useRef, useState } from "react";
import * as Dialog from "@radix-ui/react-dialog";
import { LAYER, OVERLAY } from "../../../components/ui/layers";
import { timeAgo } from "../../../lib/format";
import type { SearchHit } from "../../../types/protocol";
import { revealMessage, snippetParts } from "../lib/snippet";

const ROLE_WORD: Record<SearchHit["role"], string> = {
  user: "You",
  assistant: "Claude",
  tool_use: "Tool call",
  tool_result: "Tool output",
  error: "Error",
  notice: "Notice",
};

/** Waits this long after the last key before searching. */
const DEBOUNCE_MS = 200;

/**
 * Full-text search over every conversation (Ctrl/Cmd+K). A result opens its session
 * scrolled to the message, highlighted.
 */
export function SearchDialog({ search, onOpen }: { search(q: string): Promise<SearchHit[]>; onOpen(sessionId: string): void }) {
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const text = q.trim();
    const n = ++asked.current;
    if (!text) return;
    const t = setTimeout(() => {
      setBusy(true);
      search(text)
        .then((h) => {
          if (asked.current !== n) return;
          setHits(h);
          setError(null);
        })
        .catch((e: Error) => {
          if (asked.current === n) setError(e.message);
        })
        .finally(() => {
          if (asked.current === n) setBusy(false);
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [q, search]);

  const pick = (hit: SearchHit) => {
    setOpen(false);
    onOpen(hit.session_id);
    revealMessage(
      hit.seq,
      snippetParts(hit.snippet)
        .filter((p) => p.mark)
        .map((p) => p.text),
    );
  };
  const shown = q.trim() ? hits : [];

  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <button
          type="button"
          aria-keyshortcuts="Control+K Meta+K"
          className="min-h-8 rounded-md px-2 py-1 text-sm text-zinc-700 hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          Search <kbd className="text-xs text-zinc-600 dark:text-zinc-400">Ctrl K</kbd>
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className={OVERLAY} />
        <Dialog.Content
          aria-describedby={undefined}
          className={`fixed top-16 left-1/2 ${LAYER} flex max-h-[70vh] w-[min(40rem,calc(100vw-2rem))] -translate-x-1/2 flex-col rounded-lg bg-white p-3 text-zinc-900 shadow-xl dark:bg-zinc-900 dark:text-zinc-100`}
        >
          <Dialog.Title className="sr-only">Search conversations</Dialog.Title>
          <input
            type="search"
            aria-label="Search conversations"
            placeholder="Search every conversation…"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && shown[0]) pick(shown[0]);
            }}
            className="w-full rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-950"
          />
          <p className="sr-only" aria-live="polite">
            {busy ? "Searching" : q.trim() ? `${shown.length} results` : ""}
          </p>
          {error && <p className="mt-2 text-sm text-red-700 dark:text-red-300">{error}</p>}
          <ul aria-label="Search results" className="mt-2 min-h-0 flex-1 space-y-1 overflow-y-auto">
            {shown.map((h) => (
              <li key={`${h.session_id}-${h.seq}`}>
                <button
                  type="button"
                  onClick={() => pick(h)}
                  className="w-full rounded-md px-2 py-1.5 text-left hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:hover:bg-zinc-800"
                >
                  <span className="flex gap-2 text-xs text-zinc-600 dark:text-zinc-400">
                    <span className="truncate font-medium">{h.title ?? h.session_id.slice(0, 8)}</span> <span>{ROLE_WORD[h.role]}</span>{" "}
                    <span className="ml-auto shrink-0">{timeAgo(h.created_at)}</span>
                  </span>{" "}
                  <span className="block text-sm" data-testid="search-snippet">
                    {snippetParts(h.snippet).map((p, i) =>
                      p.mark ? (
                        <mark key={i} className="rounded bg-amber-200 px-0.5 text-zinc-900">
                          {p.text}
                        </mark>
                      ) : (
                        <span key={i}>{p.text}</span>
                      ),
                    )}
                  </span>
                </button>
              </li>
            ))}
            {q.trim() && !busy && !error && shown.length === 0 && <li className="px-2 text-sm text-zinc-600 dark:text-zinc-400">No matches.</li>}
          </ul>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
