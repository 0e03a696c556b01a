import { useRef } from "react";
import { useShallow } from "zustand/react/shallow";
import { Composer } from "../features/chat/components/composer";
import { MessageList } from "../features/chat/components/message-list";
import { OpenedElsewhere, ReadOnly, SessionEnded } from "../features/chat/components/session-ended";
import { SessionPermissions } from "./session-permissions";
import { WarningBanner } from "../features/chat/components/warning-banner";
import { useChat, useCurrentViewValue } from "../features/chat/hooks/use-chat";
import { useInterruptShortcut } from "../features/chat/hooks/use-interrupt-shortcut";
import { useConnection } from "../features/connection/hooks/use-connection";
import { SessionControls } from "../features/sessions/components/session-controls";
import { SessionPlace } from "./session-place";
import { StartPage } from "../features/sessions/components/start-page";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { NoticeBanner } from "./notice-banner";
import { ChangesButton } from "../features/changes/changes-panel";
import type { WorkspaceApi } from "../features/changes/workspace-api";

/** The open session: banners, the conversation, what ended it, the message box. */
export function ConversationPane({ onReconnect, workspace }: { onReconnect(): void; workspace?: WorkspaceApi }) {
  // Not the view itself: this pane (and the message box in it) does not render again with
  // each frame of a streaming reply; the message list does.
  const id = useCurrentViewValue((v) => v?.id);
  const ended = useCurrentViewValue((v) => !!v?.terminated);
  const elsewhere = useCurrentViewValue((v) => !!v?.openedElsewhere);
  const readOnlyOwner = useCurrentViewValue((v) => v?.readOnly?.owner ?? null);
  const status = useConnection((s) => s.status);
  const { creating, createSession, attachmentLimits, fork } = useSessions(
    useShallow((s) => ({ creating: s.creating, createSession: s.createSession, attachmentLimits: s.attachmentLimits, fork: s.fork })),
  );
  const switchSession = useChat((s) => s.switchSession);
  // The Changes button only where there can be a diff: the session's project is a git
  // repository (unknown project or list: asked anyway; the panel hides itself on a 409).
  const gitProject = useSessions((s) => {
    const project = s.sessions.find((x) => x.session_id === id)?.project;
    const known = s.projects?.projects.find((p) => p.name === project);
    return known ? known.git : true;
  });
  const forking = useRef(false);
  // "Fork from here": the new session opens once the server has made it.
  const onFork = (userIndex: number) => {
    if (!id || forking.current) return;
    forking.current = true;
    void fork(id, userIndex).then((forked) => {
      forking.current = false;
      if (forked) switchSession(forked);
    });
  };
  useInterruptShortcut();

  return (
    <>
      <NoticeBanner />
      <WarningBanner />
      {id && (
        <div className="flex min-h-9 items-center justify-end gap-2 border-b border-zinc-200 px-3 py-1 empty:hidden dark:border-zinc-800">
          <SessionPlace id={id} />
          {workspace && gitProject && readOnlyOwner === null && (
            <span className="ml-auto shrink-0">
              <ChangesButton key={id} api={workspace} id={id} />
            </span>
          )}
        </div>
      )}
      {id && <SessionPermissions id={id} />}
      {id ? (
        <MessageList key={id} id={id} onNewSession={createSession} onFork={readOnlyOwner === null ? onFork : undefined} />
      ) : (
        <StartPage
          connected={status === "connected"}
          onReconnect={status === "disconnected" ? onReconnect : null}
          onOpen={switchSession}
        />
      )}
      {id && readOnlyOwner !== null && <ReadOnly owner={readOnlyOwner} />}
      {id && ended && readOnlyOwner === null && (
        <SessionEnded id={id} creating={creating} onNewSession={createSession} />
      )}
      {id && elsewhere && <OpenedElsewhere id={id} />}
      <Composer
        connected={status === "connected"}
        creating={creating}
        attachmentLimits={attachmentLimits}
        onNewSession={createSession}
        workspace={workspace}
        toolbar={<SessionControls sessionId={id ?? null} disabled={status !== "connected" || ended || elsewhere || creating} />}
      />
    </>
  );
}
