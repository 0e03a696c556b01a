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

/**
 * Scrolls the conversation to the message of a search hit and highlights it: the item of
 * stored message `seq` (`h-<seq>`, or the last before it: tool results join their card,
 * reply blocks one reply); in a conversation built from live events (other ids), the first
 * item holding every marked term.
 */
export function revealMessage(seq: number, terms: string[], timeoutMs = 10_000): void {
  const start = Date.now();
  const words = terms.map((t) => t.toLowerCase()).filter(Boolean);
  const tryOnce = () => {
    const items = [...document.querySelectorAll<HTMLElement>("[data-item-id]")];
    let best: HTMLElement | null = null;
    for (const el of items) {
      const id = el.dataset.itemId ?? "";
      if (id.startsWith("h-") && Number(id.slice(2)) <= seq) best = el;
    }
    if (!best && words.length > 0) {
      best = items.find((el) => words.every((w) => (el.textContent ?? "").toLowerCase().includes(w))) ?? null;
    }
    if (best) {
      const el = best;
      el.scrollIntoView({ block: "center" });
      el.setAttribute("data-highlight", "");
      setTimeout(() => el.removeAttribute("data-highlight"), 3000);
      return;
    }
    if (Date.now() - start < timeoutMs) requestAnimationFrame(tryOnce);
  };
  requestAnimationFrame(tryOnce);
}
