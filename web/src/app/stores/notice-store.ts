/**
 * The app-wide notice at the top of the conversation: an error not tied to one turn, or that
 * the server is restarting. Features raise errors through the `notifyError` function they are
 * given (see create-stores.ts); they never import this store.
 */
import { createContext, useContext } from "react";
import { createStore, type StoreApi } from "zustand/vanilla";
import { useStore } from "zustand";

export type Notice = { text: string; tone: "info" | "error" };

export type NoticeState = {
  notice: Notice | null;
  show(notice: Notice): void;
  dismiss(): void;
  /** Back online: a "server is restarting" notice is over (an error stays). */
  clearInfo(): void;
};

export type NoticeStore = StoreApi<NoticeState>;

export function createNoticeStore(): NoticeStore {
  return createStore<NoticeState>()((set, get) => ({
    notice: null,
    show(notice) {
      set({ notice });
    },
    dismiss() {
      set({ notice: null });
    },
    clearInfo() {
      if (get().notice?.tone === "info") set({ notice: null });
    },
  }));
}

export const NoticeStoreContext = createContext<NoticeStore | null>(null);

export function useNotice<T>(selector: (s: NoticeState) => T): T {
  const store = useContext(NoticeStoreContext);
  if (!store) throw new Error("useNotice outside NoticeStoreContext");
  return useStore(store, selector);
}
