import { useConnection } from "../hooks/use-connection";
import type { ConnectionStatus as Status } from "../stores/connection-store";

const LABEL: Record<Status, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected",
};

const DOT: Record<Status, string> = {
  connecting: "bg-sky-500",
  connected: "bg-green-500",
  reconnecting: "bg-amber-500",
  disconnected: "bg-red-500",
};

/** The connection's state, and "Reconnect now" once retries have gone on for a while. */
export function ConnectionStatus({ onReconnect }: { onReconnect(): void }) {
  const status = useConnection((s) => s.status);
  return (
    <>
      <span role="status" aria-label="Connection" className="flex items-center gap-1.5">
        <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${DOT[status]}`} />
        {LABEL[status]}
      </span>
      {status === "disconnected" && (
        <button type="button" onClick={onReconnect} className="underline">
          Reconnect now
        </button>
      )}
    </>
  );
}
