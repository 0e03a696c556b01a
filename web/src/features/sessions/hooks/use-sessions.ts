import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { SessionsActions, SessionsState, SessionsStore } from "../stores/sessions-store";

/** The sessions store of this signed-in app (provided by `app/stores/stores-provider.tsx`). */
export const SessionsStoreContext = createContext<SessionsStore | null>(null);

/** Selects from the sessions store; return a stable value (a field, or `useShallow`). */
export function useSessions<T>(selector: (s: SessionsState & SessionsActions) => T): T {
  const store = useContext(SessionsStoreContext);
  if (!store) throw new Error("useSessions outside SessionsStoreContext");
  return useStore(store, selector);
}
