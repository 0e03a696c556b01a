import { useChat } from "../features/chat/hooks/use-chat";
import { useConnection } from "../features/connection/hooks/use-connection";
import { Sidebar } from "../features/sessions/components/sidebar";

/** The session list, told which session is open and how to open another. */
export function SessionsPane({ onPicked }: { onPicked(): void }) {
  const currentId = useChat((s) => s.currentId);
  const openSession = useChat((s) => s.switchSession);
  const connected = useConnection((s) => s.status === "connected");
  return <Sidebar currentId={currentId} connected={connected} onOpen={openSession} onPicked={onPicked} />;
}
