import { useState } from "react";
import * as Dialog from "@radix-ui/react-dialog";
import { LAYER, OVERLAY } from "../../../components/ui/layers";

export type ShownKey = { user: string; key: string };

/**
 * A key just made, shown this once with a Copy button: the server keeps only its hash, so
 * after this dialog closes nobody can see it again.
 */
export function NewKeyDialog({ shown, onClose }: { shown: ShownKey | null; onClose(): void }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown.key);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <Dialog.Root
      open={shown !== null}
      onOpenChange={(open) => {
        if (!open) {
          setCopied(false);
          onClose();
        }
      }}
    >
      <Dialog.Portal>
        <Dialog.Overlay className={OVERLAY} />
        <Dialog.Content className={`fixed top-1/2 left-1/2 ${LAYER} w-[min(32rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-5 text-zinc-900 shadow-xl dark:bg-zinc-900 dark:text-zinc-100`}>
          <Dialog.Title className="font-semibold">New key for {shown?.user}</Dialog.Title>
          <Dialog.Description className="mt-2 text-sm text-zinc-700 dark:text-zinc-300">
            Copy it now and give it to {shown?.user}: it is shown only this once. The server keeps
            only a hash of it.
          </Dialog.Description>
          <label htmlFor="new-key" className="mt-3 block text-sm font-medium">
            API key
          </label>
          <div className="mt-1 flex gap-2">
            <input
              id="new-key"
              readOnly
              value={shown?.key ?? ""}
              onFocus={(e) => e.currentTarget.select()}
              className="min-w-0 flex-1 rounded-md border border-zinc-400 bg-transparent px-2 py-1.5 font-mono text-xs dark:border-zinc-700"
            />
            <button
              type="button"
              onClick={() => void copy()}
              className="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-400"
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
          <div className="mt-4 flex justify-end">
            <Dialog.Close className="rounded-md border border-zinc-400 px-3 py-1.5 text-sm hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-600 dark:hover:bg-zinc-800">
              Done
            </Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
