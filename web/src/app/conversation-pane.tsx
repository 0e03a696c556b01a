import { useShallow } from "zustand/react/shallow";
import { Composer } from "../features/chat/components/composer";
import { MessageList } from "../features/chat/components/message-list";
import { PermissionDialog } from "../features/chat/components/permission-dialog";
import { OpenedElsewhere, ReadOnly, SessionEnded } from "../features/chat/components/session-ended";
import { WarningBanner } from "../features/chat/components/warning-banner";
import { useCurrentView } from "../features/chat/hooks/use-chat";
import { useInterruptShortcut } from "../features/chat/hooks/use-interrupt-shortcut";
import { useConnection } from "../features/connection/hooks/use-connection";
import { StartPage } from "../features/sessions/components/start-page";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { NoticeBanner } from "./notice-banner";

/** The open session: banners, the conversation, what ended it, the message box. */
export function ConversationPane({ onReconnect }: { onReconnect(): void }) {
  const view = useCurrentView();
  const status = useConnection((s) => s.status);
  const { creating, createSession } = useSessions(
    useShallow((s) => ({ creating: s.creating, createSession: s.createSession })),
  );
  useInterruptShortcut();

  return (
    <>
      <NoticeBanner />
      <WarningBanner />
      {view ? (
        <MessageList key={view.id} view={view} onNewSession={createSession} />
      ) : (
        <StartPage
          connected={status === "connected"}
          onReconnect={status === "disconnected" ? onReconnect : null}
        />
      )}
      {view?.readOnly && <ReadOnly owner={view.readOnly.owner} />}
      {view?.terminated && !view.readOnly && (
        <SessionEnded view={view} creating={creating} onNewSession={createSession} />
      )}
      {view?.openedElsewhere && <OpenedElsewhere id={view.id} />}
      <Composer connected={status === "connected"} creating={creating} />
      <PermissionDialog />
    </>
  );
}
