/**
 * Whether streamed text that was applied is still being rendered. The streaming reply renders
 * its text in the background (`useDeferredValue` in `MarkdownView`: a key press preempts it),
 * so the store update that applied the text returns before the text is on screen. The frame
 * pacer waits for this before it applies more: text applied faster than it can be rendered
 * would restart the background render again and again, and show nothing new.
 */
export type StreamRender = {
  /** `who` (a streaming view) has text it has not rendered yet. */
  pending(who: object): void;
  /** `who` has rendered all its text (or is gone). */
  rendered(who: object): void;
  /** Some view has text it has not rendered yet. */
  busy(): boolean;
  /** Calls `cb` once, when no view has text left to render (now, if none has). */
  whenRendered(cb: () => void): void;
};

export function createStreamRender(): StreamRender {
  const waiting = new Set<object>();
  let listeners: Array<() => void> = [];
  const settle = () => {
    if (waiting.size) return;
    const run = listeners;
    listeners = [];
    for (const cb of run) cb();
  };
  return {
    pending(who) {
      waiting.add(who);
    },
    rendered(who) {
      waiting.delete(who);
      settle();
    },
    busy: () => waiting.size > 0,
    whenRendered(cb) {
      listeners.push(cb);
      settle();
    },
  };
}

/** The page's: the streaming views report to it, the app's frame pacer reads it. */
export const streamRender = createStreamRender();
