import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { ConnectionState, ConnectionStore } from "../stores/connection-store";

/** The connection store of this signed-in app (provided by `app/stores/stores-provider.tsx`). */
export const ConnectionStoreContext = createContext<ConnectionStore | null>(null);

/** Selects from the connection store; return a primitive or use `useShallow`. */
export function useConnection<T>(selector: (s: ConnectionState) => T): T {
  const store = useContext(ConnectionStoreContext);
  if (!store) throw new Error("useConnection outside ConnectionStoreContext");
  return useStore(store, selector);
}
