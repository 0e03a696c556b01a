import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { ChatActions, ChatState, ChatStore } from "../stores/chat-store";

export const ChatContext = createContext<ChatStore | null>(null);

/** Selects from the chat store of the surrounding `ChatContext`. */
export function useChat<T>(selector: (s: ChatState & ChatActions) => T): T {
  const store = useContext(ChatContext);
  if (!store) throw new Error("useChat outside ChatContext");
  return useStore(store, selector);
}

/** The current session's view, if any. */
export function useCurrentView() {
  return useChat((s) => (s.currentId ? s.views[s.currentId] : undefined));
}
