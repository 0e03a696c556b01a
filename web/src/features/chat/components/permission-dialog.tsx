import * as Dialog from "@radix-ui/react-dialog";
import { useChat, useCurrentView } from "../hooks/use-chat";

/**
 * A tool waits for approval: show what it wants to do and why; Allow or Deny. Focus starts
 * on Deny, so a stray Enter from the message box never approves anything.
 */
export function PermissionDialog() {
  const prompt = useCurrentView()?.permission;
  const answer = useChat((s) => s.answerPermission);
  const input = prompt ? JSON.stringify(prompt.input, null, 2) : "";
  return (
    <Dialog.Root open={!!prompt}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <Dialog.Content
          onEscapeKeyDown={(e) => e.preventDefault()}
          onPointerDownOutside={(e) => e.preventDefault()}
          className="fixed top-1/2 left-1/2 z-50 flex max-h-[90dvh] w-[min(32rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 flex-col gap-3 rounded-lg bg-white p-5 shadow-xl dark:bg-zinc-900"
        >
          <Dialog.Title className="font-semibold">Permission request</Dialog.Title>
          {prompt && (
            <>
              <Dialog.Description className="text-sm text-zinc-700 dark:text-zinc-300">
                Claude wants to use <strong className="font-mono">{prompt.toolName}</strong>.{" "}
                {prompt.reason}
              </Dialog.Description>
              <pre className="min-h-0 overflow-auto rounded bg-zinc-50 p-2 text-xs whitespace-pre-wrap dark:bg-zinc-950">{input}</pre>
              <div className="flex justify-end gap-2">
                <button
                  type="button"
                  onClick={() => answer(false)}
                  className="rounded-md border border-zinc-300 px-4 py-1.5 text-sm font-medium hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-400 dark:border-zinc-700 dark:hover:bg-zinc-800"
                >
                  Deny
                </button>
                <button
                  type="button"
                  onClick={() => answer(true)}
                  className="rounded-md bg-blue-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-400"
                >
                  Allow
                </button>
              </div>
            </>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
