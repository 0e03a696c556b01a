/**
 * A search snippet from the server: HTML-escaped text with each matched term in
 * `<mark>…</mark>`. Turned into plain text parts here (never inserted as HTML).
 */
export type SnippetPart = { text: string; mark: boolean };

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m);

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const re = /<mark>(.*?)<\/mark>/gs;
  let at = 0;
  for (let m = re.exec(snippet); m; m = re.exec(snippet)) {
    if (m.index > at) parts.push({ text: unescape(snippet.slice(at, m.index)), mark: false });
    parts.push({ text: unescape(m[1] ?? ""), mark: true });
    at = m.index + m[0].length;
  }
  if (at < snippet.length) parts.push({ text: unescape(snippet.slice(at)), mark: false });
  return parts;
}

/** Scrolls the conversation to the stored message `seq` (or the item holding it) and highlights it. */
export function revealMessage(seq: number, timeoutMs = 10_000): void {
  const start = Date.now();
  const tryOnce = () => {
    const items = [...document.querySelectorAll<HTMLElement>("[data-item-id^='h-']")];
    // Tool results join their tool card, and reply blocks join one reply: the last item
    // at or before `seq` holds it.
    let best: HTMLElement | null = null;
    for (const el of items) {
      const n = Number(el.dataset.itemId?.slice(2));
      if (n <= seq) best = el;
    }
    if (best && items.length > 0) {
      best.scrollIntoView({ block: "center" });
      best.setAttribute("data-highlight", "");
      setTimeout(() => best?.removeAttribute("data-highlight"), 3000);
      return;
    }
    if (Date.now() - start < timeoutMs) requestAnimationFrame(tryOnce);
  };
  requestAnimationFrame(tryOnce);
}
