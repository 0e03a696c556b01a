import { useCallback, useContext, useEffect, useRef, useState } from "react";
import { ChatStoreContext, useChat } from "./use-chat";

/** How long typing pauses before the open session's draft is written to the chat store. */
export const DRAFT_SAVE_MS = 300;

/**
 * The message box's text. It lives here, not in the chat store, so a key press renders the
 * composer alone: written to the store every time the store changes, it made every subscriber
 * of the store run again on each key (slow on a slow CPU). The store keeps each session's
 * draft (`drafts`) and gets it when it matters: a pause in typing, `save()` (sending), a switch
 * to another session and the box going away. A draft the store changes itself (the first
 * message, taken by the session it created) comes back into the box.
 */
export function useDraft() {
  const store = useContext(ChatStoreContext);
  if (!store) throw new Error("useDraft outside ChatStoreContext");
  const key = useChat((s) => s.currentId) ?? "";
  const [local, setLocal] = useState(() => ({ key, text: store.getState().drafts[key] ?? "" }));
  // Typed and not yet in the store.
  const pending = useRef<{ key: string; text: string } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const writing = useRef(false);

  // Another session opened: its draft (the previous one's is saved by the effect below).
  let current = local;
  if (local.key !== key) {
    current = { key, text: store.getState().drafts[key] ?? "" };
    setLocal(current);
  }

  const save = useCallback(() => {
    clearTimeout(timer.current);
    const p = pending.current;
    pending.current = null;
    if (!p) return;
    writing.current = true;
    try {
      store.getState().setDraft(p.text, p.key === "" ? null : p.key);
    } finally {
      writing.current = false;
    }
  }, [store]);

  // Saved when the session changes (the previous one's text) and when the box goes away.
  useEffect(() => save, [key, save]);

  // The store changed this draft itself: the box shows that.
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        const next = s.drafts[key] ?? "";
        if (writing.current || next === (prev.drafts[key] ?? "")) return;
        clearTimeout(timer.current);
        pending.current = null;
        setLocal({ key, text: next });
      }),
    [store, key],
  );

  const setText = useCallback(
    (text: string) => {
      setLocal({ key, text });
      pending.current = { key, text };
      clearTimeout(timer.current);
      timer.current = setTimeout(save, DRAFT_SAVE_MS);
    },
    [key, save],
  );

  return { text: current.text, setText, save };
}
