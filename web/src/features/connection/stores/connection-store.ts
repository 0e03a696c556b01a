/**
 * How the WebSocket to the server is doing. Only the WebSocket client (`api/ws-client.ts`)
 * sets it; what other stores do when it changes is wired in `app/stores/create-stores.ts`.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

export type ConnectionState = {
  status: ConnectionStatus;
  setStatus(status: ConnectionStatus): void;
};

export type ConnectionStore = StoreApi<ConnectionState>;

export function createConnectionStore(): ConnectionStore {
  return createStore<ConnectionState>()((set) => ({
    status: "connecting",
    setStatus(status) {
      set({ status });
    },
  }));
}
