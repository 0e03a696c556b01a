/** What the chat keeps for one session: its items, turn state and place in the event stream. */
import type { Attachment, SlashCommand } from "../../../types/protocol";
import type { Item } from "./items";

export type PermissionPrompt = {
  requestId: string;
  toolName: string;
  input: unknown;
  reason: string;
  /** What "Allow for this session" grants (`Bash(npm run *)`); empty: not offered. */
  sessionRules: string[];
};

export type SessionView = {
  id: string;
  /** Items of complete turns, from the server's stored history. */
  history: Item[];
  /** Items of the current (or last) turn, built from live events. */
  live: Item[];
  lastEventSeq: number;
  /** The `after_seq` sent with the last switch (to detect a restarted server). */
  requestedAfterSeq: number;
  historyLoaded: boolean;
  /** The next event is the first after a `session_history`. */
  afterHistory: boolean;
  /** A turn is running: send is disabled, Stop is shown. */
  running: boolean;
  /** Reply text is streaming (the typing cursor shows). */
  streaming: boolean;
  permission: PermissionPrompt | null;
  warning: { remainingSeconds: number; receivedAt: number } | null;
  terminated: { reason: string; resumable: boolean; message: string } | null;
  openedElsewhere: boolean;
  /** Another user's session, which an admin reads (from the stored history) but does not
   * open: only its owner writes in it. */
  readOnly: { owner: string } | null;
  /** Shown from the stored history without waking it (a suspended session): the next
   * message subscribes and wakes it. */
  dormant: boolean;
  restarting: boolean;
  lastCost: number | null;
  totalCost: number | null;
  /** The slash commands the session's CLI offers (from `session_ready`). */
  commands: SlashCommand[];
  /** How full the context was after the last turn that called the model. */
  context: { usedTokens: number; windowTokens: number } | null;
  /** The last text the user sent here (Retry sends it again). */
  lastUserText: string | null;
  /** The attachments that went with it (Retry sends them again too). */
  lastUserAttachments: Attachment[];
  /** The diff's totals from the last `changes_updated` (null: none since it opened), and a
   * counter that moves with each (the Changes panel refetches on it). */
  changes: { files: number; additions: number; deletions: number } | null;
  changesVersion: number;
};

export function emptyView(id: string): SessionView {
  return {
    id,
    history: [],
    live: [],
    lastEventSeq: 0,
    requestedAfterSeq: 0,
    historyLoaded: false,
    afterHistory: false,
    running: false,
    streaming: false,
    permission: null,
    warning: null,
    terminated: null,
    openedElsewhere: false,
    readOnly: null,
    dormant: false,
    restarting: false,
    lastCost: null,
    totalCost: null,
    context: null,
    commands: [],
    lastUserText: null,
    lastUserAttachments: [],
    changes: null,
    changesVersion: 0,
  };
}
