import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { askPermissionOnce } from "../../notify/notifier";
import { focusNext, MESSAGE_BOX_ID } from "../../../lib/focus";
import { useCoarsePointer } from "../../../lib/use-coarse-pointer";
import { useChat, useCurrentViewValue } from "../hooks/use-chat";
import { useDraft } from "../hooks/use-draft";
import { charCount, validateMessage } from "../lib/validate-message";
import { DEFAULT_ATTACHMENT_LIMITS, MAX_MESSAGE_CHARS, type Attachment, type AttachmentLimits, type SlashCommand } from "../../../types/protocol";
import { checkFile, fileKind, readImage, readText } from "../lib/attachments";
import { AttachmentStrip } from "./attachment-strip";
import { matchCommands, optionId, PALETTE_ID } from "../lib/slash";
import { SlashPalette } from "./slash-palette";
import { MentionPalette } from "./mention-palette";
import { insertMention, MENTION_PALETTE_ID, mentionAt, mentionOptionId } from "../lib/mention";
import type { WorkspaceApi } from "../../changes/workspace-api";

type Props = {
  /** The WebSocket is open (messages can go out). */
  connected: boolean;
  /** A new session is being created (its first message waits for it). */
  creating: boolean;
  /** What one message may attach (the server's, from `GET /api/v1/info`). */
  attachmentLimits?: AttachmentLimits;
  /** Starts a new session (what `/clear` typed here does). */
  onNewSession?: () => void;
  /** The toolbar under the box (the model / mode picker, passed in by the app). */
  toolbar?: ReactNode;
  /** The session directory's files, for the @-mention palette (none: no palette). */
  workspace?: WorkspaceApi;
};

const ACTION = "w-20 shrink-0 rounded-md px-3 py-2 text-sm font-medium text-white focus-visible:ring-2 focus-visible:ring-offset-1";

/**
 * The message box. With a keyboard, Enter sends and Shift+Enter starts a new line; on a touch
 * screen Enter is a new line and the Send button sends (a phone keyboard has no Shift+Enter).
 * It stays editable while a reply streams; sending waits until the turn ends, and meanwhile
 * Stop takes Send's place (same size: the box keeps its width).
 */
export function Composer({ connected, creating, toolbar, attachmentLimits: limits = DEFAULT_ATTACHMENT_LIMITS, onNewSession, workspace }: Props) {
  // Fields, not the view: the box does not render again with every streamed frame.
  const running = useCurrentViewValue((v) => v?.running ?? false);
  const ended = useCurrentViewValue((v) => !!v?.terminated || !!v?.openedElsewhere || !!v?.readOnly);
  const hasView = useCurrentViewValue((v) => v !== undefined);
  const sendMessage = useChat((s) => s.sendMessage);
  const interrupt = useChat((s) => s.interrupt);
  const currentId = useChat((s) => s.currentId);
  // The text is the composer's own while typing (a key renders this box alone); the store
  // keeps each session's draft, so switching sessions keeps each one's text.
  const { text, setText, save: saveDraft } = useDraft();
  const setDraft = useChat((s) => s.setDraft);
  const [hint, setHint] = useState<string | null>(null);
  const commands = useCurrentViewValue((v) => v?.commands);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const matches = dismissed ? [] : matchCommands(text, commands ?? []);
  const paletteOpen = matches.length > 0;
  const pick = (c: SlashCommand) => {
    setText(`/${c.name} `);
    setActive(0);
  };
  const touch = useCoarsePointer();
  // Images and text files to send with the next message (paste, drop, or the Attach button).
  const [images, setImages] = useState<Attachment[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);

  /** Adds files, refusing (with the reason shown) those that break a limit or are not text. */
  async function addFiles(files: File[]) {
    let next = images;
    for (const file of files) {
      const problem = checkFile(file, next, limits);
      if (problem) {
        setHint(problem);
        break;
      }
      try {
        const read = fileKind(file, limits) === "image" ? await readImage(file) : await readText(file);
        if (typeof read === "string") {
          setHint(read);
          break;
        }
        next = [...next, read];
      } catch {
        setHint(`${file.name || "That file"} could not be read.`);
        break;
      }
    }
    if (next !== images) {
      setImages(next);
      if (next.length === images.length + files.length) setHint(null);
    }
  }

  // The @-mention palette: the files matching the `@word` at the caret.
  const box = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [pendingCaret, setPendingCaret] = useState<number | null>(null);
  const [mentionPaths, setMentionPaths] = useState<string[]>([]);
  const [mentionDismissed, setMentionDismissed] = useState(false);
  const mention = workspace && currentId && !paletteOpen ? mentionAt(text, caret) : null;
  const mentionQuery = mention?.query ?? null;
  useEffect(() => {
    if (mentionQuery === null || !workspace || !currentId) return;
    let live = true;
    workspace
      .files(currentId, mentionQuery)
      .then((m) => live && setMentionPaths(m.files.map((f) => f.path)))
      .catch(() => live && setMentionPaths([]));
    return () => {
      live = false;
    };
  }, [mentionQuery, workspace, currentId]);
  const mentionOpen = mention !== null && !mentionDismissed && mentionPaths.length > 0;
  const pickMention = (path: string) => {
    if (!mention) return;
    const next = insertMention(text, mention.start, caret, path);
    setText(next.text);
    setCaret(next.caret);
    setPendingCaret(next.caret);
    setActive(0);
    setMentionPaths([]);
  };
  useEffect(() => {
    if (pendingCaret === null || !box.current) return;
    box.current.setSelectionRange(pendingCaret, pendingCaret);
    setPendingCaret(null);
  }, [pendingCaret]);

  // Signed in, or a session just opened (new, picked, created for the first message):
  // focus goes where the person acts next (usually here).
  useEffect(() => {
    focusNext();
  }, [currentId]);
  // The session ended while focus was here, or already lost (the box is disabled now): on to
  // what comes next ("Start new session").
  useEffect(() => {
    const active = document.activeElement;
    if (ended && (!active || active === document.body || active.id === MESSAGE_BOX_ID)) focusNext();
  }, [ended]);

  const count = charCount(text.trim());
  const tooLong = count > MAX_MESSAGE_CHARS;
  const canSend = connected && !running && !creating && !ended && (text.trim().length > 0 || images.length > 0) && !tooLong;

  function send() {
    const problem = images.length && !text.trim() ? null : validateMessage(text);
    if (problem) {
      setHint(problem);
      return;
    }
    if (!canSend) return;
    if (onNewSession && /^\/clear(\s|$)/.test(text.trim())) {
      // The CLI's /clear would carry on under a conversation id the server does not follow
      // (the server refuses it): a new session is what it means here.
      setText("");
      saveDraft();
      onNewSession();
      setDraft("", null);
      setHint("/clear started a new session; the previous conversation stays in the list.");
      return;
    }
    const hadSession = currentId !== null;
    // The first message is the moment to ask whether to notify (browsers want a gesture).
    askPermissionOnce();
    const error = sendMessage(text, images);
    if (error) setHint(error);
    else {
      // Before any session the text stays until the new session has taken it.
      if (hadSession) setText("");
      setImages([]);
      setHint(null);
    }
    saveDraft();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (mentionOpen && !e.nativeEvent.isComposing) {
      const i = Math.min(active, mentionPaths.length - 1);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setActive((i + (e.key === "ArrowDown" ? 1 : mentionPaths.length - 1)) % mentionPaths.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pickMention(mentionPaths[i]);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        setMentionDismissed(true);
        return;
      }
    }
    if (paletteOpen && !e.nativeEvent.isComposing) {
      const i = Math.min(active, matches.length - 1);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setActive((i + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(matches[i]);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        setDismissed(true);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing && !touch) {
      e.preventDefault();
      send();
    }
  }

  const status = !connected
    ? "Not connected: messages can be sent once the connection is back."
    : running
      ? touch
        ? "Claude is replying…"
        : "Claude is replying… (Stop, Escape or Ctrl+Shift+X)"
      : null;

  return (
    <form
      className="border-t border-zinc-200 px-3 pt-2 pb-1 sm:pt-3 dark:border-zinc-800"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      onDragOver={(e) => {
        if (!ended && e.dataTransfer.types.includes("Files")) e.preventDefault();
      }}
      onDrop={(e) => {
        if (ended || e.dataTransfer.files.length === 0) return;
        e.preventDefault();
        void addFiles([...e.dataTransfer.files]);
      }}
    >
      <label htmlFor={MESSAGE_BOX_ID} className="sr-only">
        Message
      </label>
      {paletteOpen && <SlashPalette matches={matches} active={Math.min(active, matches.length - 1)} onPick={pick} />}
      <AttachmentStrip items={images} onRemove={(i) => setImages(images.filter((_, j) => j !== i))} />
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        data-testid="attach-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = "";
          void addFiles(files);
        }}
      />
      {mentionOpen && <MentionPalette paths={mentionPaths} active={Math.min(active, mentionPaths.length - 1)} onPick={pickMention} />}
      <div className="flex items-end gap-2">
        <button
          type="button"
          onClick={() => fileInput.current?.click()}
          disabled={ended}
          aria-label="Attach files"
          title="Attach images (PNG, JPEG, GIF or WebP) or text and code files; you can also paste or drop them"
          className="flex h-11 w-11 shrink-0 items-center justify-center rounded-md border border-zinc-400 text-lg hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 disabled:opacity-50 dark:border-zinc-600 dark:hover:bg-zinc-800"
        >
          <span aria-hidden>📎</span>
        </button>
        <textarea
          id={MESSAGE_BOX_ID}
          ref={box}
          rows={touch ? 1 : 2}
          value={text}
          aria-autocomplete="list"
          aria-controls={paletteOpen ? PALETTE_ID : mentionOpen ? MENTION_PALETTE_ID : undefined}
          aria-activedescendant={
            paletteOpen
              ? optionId(Math.min(active, matches.length - 1))
              : mentionOpen
                ? mentionOptionId(Math.min(active, mentionPaths.length - 1))
                : undefined
          }
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            setMentionDismissed(false);
            setDismissed(false);
            setActive(0);
            if (hint) setHint(null);
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            const files = [...e.clipboardData.files];
            if (files.length === 0) return; // plain text pastes as usual
            e.preventDefault();
            void addFiles(files);
          }}
          disabled={ended}
          enterKeyHint={touch ? "enter" : "send"}
          placeholder={
            !hasView
              ? "Write a message to start a new session…"
              : touch
                ? "Message Claude…"
                : "Message Claude… (Enter to send, Shift+Enter for a new line)"
          }
          aria-describedby="composer-hint"
          aria-invalid={tooLong || undefined}
          className="max-h-64 min-h-11 min-w-0 flex-1 resize-y rounded-md border border-zinc-400 bg-transparent px-3 py-2 outline-none placeholder:text-zinc-600 focus:ring-2 focus:ring-blue-500 disabled:opacity-60 dark:border-zinc-600 dark:placeholder:text-zinc-400"
        />
        {touch && toolbar}
        {running ? (
          <button
            type="button"
            onClick={() => {
              interrupt();
              focusNext();
            }}
            className={`${ACTION} bg-red-700 hover:bg-red-800 focus-visible:ring-red-500`}
            title="Stop the reply (Escape, or Ctrl+Shift+X)"
          >
            Stop
          </button>
        ) : (
          <button
            type="submit"
            disabled={!canSend}
            className={`${ACTION} bg-blue-600 hover:bg-blue-700 focus-visible:ring-blue-500 disabled:opacity-50`}
          >
            Send
          </button>
        )}
      </div>
      {!touch && toolbar && <div className="mt-1.5">{toolbar}</div>}
      <div id="composer-hint" className="mt-1 flex min-h-4 gap-2 text-xs empty:hidden">
        {hint ? (
          <span role="alert" className="text-red-700 dark:text-red-400">
            {hint}
          </span>
        ) : tooLong ? (
          <span role="alert" className="text-red-700 dark:text-red-400">
            Too long to send: {count.toLocaleString("en-US")} of {MAX_MESSAGE_CHARS.toLocaleString("en-US")} characters. Shorten it first.
          </span>
        ) : (
          status && <span className="text-zinc-600 dark:text-zinc-400">{status}</span>
        )}
        {count > MAX_MESSAGE_CHARS * 0.9 && !tooLong && (
          <span className="ml-auto text-zinc-600 dark:text-zinc-400">
            {count.toLocaleString("en-US")} / {MAX_MESSAGE_CHARS.toLocaleString("en-US")}
          </span>
        )}
      </div>
    </form>
  );
}
