import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useChat, useCurrentView } from "../hooks/use-chat";
import { charCount, validateMessage } from "../lib/validate-message";
import { MAX_MESSAGE_CHARS } from "../../../types/protocol";

type Props = {
  /** The WebSocket is open (messages can go out). */
  connected: boolean;
  /** A new session is being created (its first message waits for it). */
  creating: boolean;
};

/**
 * The message box. Enter sends, Shift+Enter starts a new line. It stays editable while a
 * reply streams; sending waits until the turn ends (Stop ends it early).
 */
export function Composer({ connected, creating }: Props) {
  const view = useCurrentView();
  const sendMessage = useChat((s) => s.sendMessage);
  const interrupt = useChat((s) => s.interrupt);
  const currentId = useChat((s) => s.currentId);
  // The draft lives in the store, per session: switching sessions keeps each one's text.
  const text = useChat((s) => s.drafts[s.currentId ?? ""] ?? "");
  const setText = useChat((s) => s.setDraft);
  const [hint, setHint] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  // A session just opened (new, picked, or created for the first message): type away.
  useEffect(() => {
    if (currentId) box.current?.focus();
  }, [currentId]);

  const running = view?.running ?? false;
  const ended = !!view?.terminated || !!view?.openedElsewhere || !!view?.readOnly;
  const count = charCount(text.trim());
  const tooLong = count > MAX_MESSAGE_CHARS;
  const canSend = connected && !running && !creating && !ended && text.trim().length > 0 && !tooLong;

  function send() {
    const problem = validateMessage(text);
    if (problem) {
      setHint(problem);
      return;
    }
    if (!canSend) return;
    const hadSession = currentId !== null;
    const error = sendMessage(text);
    if (error) setHint(error);
    else {
      // Before any session the text stays until the new session has taken it.
      if (hadSession) setText("");
      setHint(null);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  }

  const status = !connected
    ? "Not connected: messages can be sent once the connection is back."
    : running
      ? "Claude is replying… (Stop, or Ctrl+Shift+X)"
      : null;

  return (
    <form
      className="border-t border-zinc-200 p-3 dark:border-zinc-800"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label htmlFor="message" className="sr-only">
        Message
      </label>
      <div className="flex items-end gap-2">
        <textarea
          ref={box}
          id="message"
          rows={2}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (hint) setHint(null);
          }}
          onKeyDown={onKeyDown}
          disabled={ended}
          placeholder={view ? "Message Claude… (Enter to send, Shift+Enter for a new line)" : "Write a message to start a new session…"}
          aria-describedby="composer-hint"
          aria-invalid={tooLong || undefined}
          className="max-h-64 min-h-[2.75rem] min-w-0 flex-1 resize-y rounded-md border border-zinc-300 bg-transparent px-3 py-2 outline-none focus:ring-2 focus:ring-blue-500 disabled:opacity-60 dark:border-zinc-700"
        />
        {running ? (
          <button
            type="button"
            onClick={interrupt}
            className="rounded-md bg-red-600 px-4 py-2 text-sm font-medium text-white hover:bg-red-700 focus-visible:ring-2 focus-visible:ring-red-400"
            title="Stop the reply (Ctrl+Shift+X)"
          >
            Stop
          </button>
        ) : null}
        <button
          type="submit"
          disabled={!canSend}
          className="rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-400 disabled:opacity-50"
        >
          Send
        </button>
      </div>
      <div id="composer-hint" className="mt-1 flex min-h-4 gap-2 text-xs">
        {hint ? (
          <span role="alert" className="text-red-700 dark:text-red-400">
            {hint}
          </span>
        ) : tooLong ? (
          <span role="alert" className="text-red-700 dark:text-red-400">
            Too long to send: {count.toLocaleString("en-US")} of {MAX_MESSAGE_CHARS.toLocaleString("en-US")} characters. Shorten it first.
          </span>
        ) : (
          status && <span className="text-zinc-500">{status}</span>
        )}
        {count > MAX_MESSAGE_CHARS * 0.9 && !tooLong && (
          <span className="ml-auto text-zinc-500">
            {count.toLocaleString("en-US")} / {MAX_MESSAGE_CHARS.toLocaleString("en-US")}
          </span>
        )}
      </div>
    </form>
  );
}
