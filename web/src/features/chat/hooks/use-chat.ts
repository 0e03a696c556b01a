import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { ChatActions, ChatState, ChatStore } from "../stores/chat-store";
import type { SessionView } from "../stores/session-view";

/** The chat store of this signed-in app (provided by `app/stores/stores-provider.tsx`). */
export const ChatStoreContext = createContext<ChatStore | null>(null);

/** Selects from the chat store; return a stable value (a field, or `useShallow`). */
export function useChat<T>(selector: (s: ChatState & ChatActions) => T): T {
  const store = useContext(ChatStoreContext);
  if (!store) throw new Error("useChat outside ChatStoreContext");
  return useStore(store, selector);
}

/** The open session's view, if any (renders on every change of it: streamed text included). */
export function useCurrentView() {
  return useChat((s) => (s.currentId ? s.views[s.currentId] : undefined));
}

/**
 * One value from the open session's view: renders only when that value changes, not with
 * each frame of a streaming reply. Return a primitive or a field.
 */
export function useCurrentViewValue<T>(select: (v: SessionView | undefined) => T): T {
  return useChat((s) => select(s.currentId ? s.views[s.currentId] : undefined));
}
