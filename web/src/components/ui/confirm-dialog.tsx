import { useRef, type ReactNode } from "react";
import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { DIALOG_BOX, OVERLAY } from "./layers";

type Props = {
  /** The control that opens it (rendered as is: a `<button>`). */
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  /** Where focus goes after confirming (default: back to the trigger, Radix's rule). */
  onConfirmed?(): void;
  /** A red confirm button (the action cannot be undone). */
  destructive?: boolean;
};

const BUTTON = "rounded-md px-3 py-1.5 text-sm font-medium focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-1";

/**
 * "Are you sure?" for an action that cannot be taken back. Cancel has focus first; Escape
 * and Cancel return focus to the trigger. Stacks above whatever is open (see layers.ts).
 */
export function ConfirmDialog({ trigger, title, description, confirmLabel, onConfirm, onConfirmed, destructive = false }: Props) {
  const confirmed = useRef(false);
  return (
    <AlertDialog.Root>
      <AlertDialog.Trigger asChild>{trigger}</AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className={OVERLAY} />
        <AlertDialog.Content
          className={DIALOG_BOX}
          onCloseAutoFocus={(e) => {
            if (confirmed.current && onConfirmed) {
              e.preventDefault();
              onConfirmed();
            }
            confirmed.current = false;
          }}
        >
          <AlertDialog.Title className="font-semibold">{title}</AlertDialog.Title>
          <AlertDialog.Description className="mt-2 text-sm text-zinc-700 dark:text-zinc-300">{description}</AlertDialog.Description>
          <div className="mt-4 flex justify-end gap-2">
            <AlertDialog.Cancel className={`${BUTTON} border border-zinc-400 hover:bg-zinc-100 dark:border-zinc-600 dark:hover:bg-zinc-800`}>
              Cancel
            </AlertDialog.Cancel>
            <AlertDialog.Action
              onClick={() => {
                confirmed.current = true;
                onConfirm();
              }}
              className={`${BUTTON} text-white ${destructive ? "bg-red-700 hover:bg-red-800" : "bg-blue-600 hover:bg-blue-700"}`}
            >
              {confirmLabel}
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
