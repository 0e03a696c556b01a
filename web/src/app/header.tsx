import type { ReactNode } from "react";
import * as Dialog from "@radix-ui/react-dialog";
import { ConfirmDialog } from "../components/ui/confirm-dialog";
import { LAYER, OVERLAY } from "../components/ui/layers";
import { DemoBanner } from "./demo-banner";
import { ThemeToggle } from "./theme-toggle";
import { AccountBadge } from "../features/account/components/account-badge";
import type { Me } from "../types/protocol";

type Props = {
  /** The server answers with its demo model (a banner says so). */
  demo: boolean;
  drawerOpen: boolean;
  onDrawer(open: boolean): void;
  drawer: ReactNode;
  /** Where focus goes when the drawer closes: `true` when this handled it. */
  onDrawerClosed(): boolean;
  /** Who is signed in, once known. */
  me: Me | null;
  /** The admin page is shown. */
  adminOpen: boolean;
  /** Opens or closes the admin page (admins only). */
  onAdmin: (() => void) | null;
  /** Forgets the key (none behind a single sign-on proxy). */
  onSignOut: (() => void) | null;
  /** The search control (Ctrl/Cmd+K). */
  search?: ReactNode;
};

const ICON_BUTTON = "min-h-8 min-w-8 rounded-md px-2 py-1 hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:hover:bg-zinc-800";

/**
 * The page's banner: the demo notice, the session drawer on narrow screens, search, who is
 * signed in, the admin page (admins), theme, sign out.
 */
export function Header({ demo, drawerOpen, onDrawer, drawer, onDrawerClosed, me, adminOpen, onAdmin, onSignOut, search }: Props) {
  return (
    <header className="border-b border-zinc-200 dark:border-zinc-800">
      {demo && <DemoBanner />}
      <div className="flex items-center gap-2 px-3 py-1 sm:py-1.5">
        <Dialog.Root open={drawerOpen} onOpenChange={onDrawer}>
          <Dialog.Trigger asChild>
            <button type="button" aria-label="Open the session list" className={`${ICON_BUTTON} text-lg md:hidden`}>
              ☰
            </button>
          </Dialog.Trigger>
          <Dialog.Portal>
            <Dialog.Overlay className={`${OVERLAY} md:hidden`} />
            <Dialog.Content
              aria-describedby={undefined}
              onCloseAutoFocus={(e) => {
                if (onDrawerClosed()) e.preventDefault();
              }}
              className={`fixed inset-y-0 left-0 ${LAYER} flex w-[min(18rem,85vw)] flex-col bg-white text-zinc-900 shadow-xl md:hidden dark:bg-zinc-950 dark:text-zinc-100`}
            >
              <div className="flex items-center justify-between px-3 pt-3">
                <Dialog.Title className="font-semibold">Sessions</Dialog.Title>
                <Dialog.Close aria-label="Close the session list" className={ICON_BUTTON}>
                  ✕
                </Dialog.Close>
              </div>
              {drawer}
            </Dialog.Content>
          </Dialog.Portal>
        </Dialog.Root>
        <h1 className="truncate text-base font-semibold">Claude Code sessions</h1>
        <div className="ml-auto flex items-center gap-1">
          {search}
          <AccountBadge me={me} />
          {onAdmin && (
            <button
              type="button"
              onClick={onAdmin}
              aria-pressed={adminOpen}
              className={`${ICON_BUTTON} text-sm text-zinc-700 dark:text-zinc-300`}
            >
              {adminOpen ? "Chat" : "Admin"}
            </button>
          )}
          <ThemeToggle />
          {onSignOut && (
          <ConfirmDialog
            trigger={
              <button type="button" className={`${ICON_BUTTON} text-sm text-zinc-700 dark:text-zinc-300`}>
                Sign out
              </button>
            }
            title="Sign out?"
            description="This browser forgets the API key. Your sessions keep running on the server: sign in with the key again to get back to them."
            confirmLabel="Sign out"
            onConfirm={onSignOut}
          />
          )}
        </div>
      </div>
    </header>
  );
}
