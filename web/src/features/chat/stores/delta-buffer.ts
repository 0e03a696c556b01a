/**
 * Streamed text waits here until the next frame (`schedule`), so a fast stream costs one
 * render per frame, not one per token. Text is kept per session with the `event_seq` of its
 * last delta, which counts as applied for de-duplication.
 */
export type DeltaBuffer = {
  add(id: string, text: string, seq: number): void;
  /** Applies one session's buffered text now (before its next non-delta event). */
  flushSession(id: string): void;
  /** Applies every session's buffered text now. */
  flush(): void;
  /** The seq of the session's last buffered delta, or 0. */
  lastSeq(id: string): number;
  /** Forgets a session's buffered text (its event sequence starts over). */
  drop(id: string): void;
};

export function createDeltaBuffer(
  schedule: (fn: () => void) => void,
  apply: (id: string, text: string, seq: number) => void,
): DeltaBuffer {
  const pending = new Map<string, { text: string; seq: number }>();
  let scheduled = false;

  const flushSession = (id: string) => {
    const buf = pending.get(id);
    if (!buf) return;
    pending.delete(id);
    apply(id, buf.text, buf.seq);
  };

  const flush = () => {
    scheduled = false;
    for (const id of [...pending.keys()]) flushSession(id);
  };

  return {
    add(id, text, seq) {
      const buf = pending.get(id);
      pending.set(id, { text: (buf?.text ?? "") + text, seq });
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flushSession,
    flush,
    lastSeq: (id) => pending.get(id)?.seq ?? 0,
    drop(id) {
      pending.delete(id);
    },
  };
}
