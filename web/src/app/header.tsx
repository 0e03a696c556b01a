import type { ReactNode } from "react";
import * as Dialog from "@radix-ui/react-dialog";
import { ThemeToggle } from "./theme-toggle";
import { AccountBadge } from "../features/account/components/account-badge";
import { useCurrentView } from "../features/chat/hooks/use-chat";
import type { Me } from "../types/protocol";

type Props = {
  drawerOpen: boolean;
  onDrawer(open: boolean): void;
  drawer: ReactNode;
  /** Who is signed in, once known. */
  me: Me | null;
  /** The admin page is shown. */
  adminOpen: boolean;
  /** Opens or closes the admin page (admins only). */
  onAdmin: (() => void) | null;
  /** Forgets the key (none behind a single sign-on proxy). */
  onSignOut: (() => void) | null;
};

/** Top bar: the session drawer on narrow screens, who is signed in, admin, theme, sign out. */
export function Header({ drawerOpen, onDrawer, drawer, me, adminOpen, onAdmin, onSignOut }: Props) {
  const view = useCurrentView();
  return (
    <header className="flex items-center gap-2 border-b border-zinc-200 px-3 py-2 dark:border-zinc-800">
      <Dialog.Root open={drawerOpen} onOpenChange={onDrawer}>
        <Dialog.Trigger asChild>
          <button
            type="button"
            aria-label="Open the session list"
            className="rounded-md px-2 py-1 text-lg md:hidden focus-visible:ring-2 focus-visible:ring-blue-400"
          >
            ☰
          </button>
        </Dialog.Trigger>
        <Dialog.Portal>
          <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40 md:hidden" />
          <Dialog.Content
            aria-describedby={undefined}
            className="fixed inset-y-0 left-0 z-50 flex w-[min(18rem,85vw)] flex-col bg-white shadow-xl md:hidden dark:bg-zinc-950"
          >
            <div className="flex items-center justify-between px-3 pt-3">
              <Dialog.Title className="font-semibold">Sessions</Dialog.Title>
              <Dialog.Close
                aria-label="Close the session list"
                className="rounded-md px-2 py-1 focus-visible:ring-2 focus-visible:ring-blue-400"
              >
                ✕
              </Dialog.Close>
            </div>
            {drawer}
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
      <h1 className="truncate text-base font-semibold">
        Claude Code<span className="hidden sm:inline">{view ? " session" : " sessions"}</span>
      </h1>
      <div className="ml-auto flex items-center gap-1">
        <AccountBadge me={me} />
        {onAdmin && (
          <button
            type="button"
            onClick={onAdmin}
            aria-pressed={adminOpen}
            className="rounded-md px-2 py-1 text-sm text-zinc-600 hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-400 dark:text-zinc-300 dark:hover:bg-zinc-800"
          >
            {adminOpen ? "Chat" : "Admin"}
          </button>
        )}
        <ThemeToggle />
        {onSignOut && (
          <button
            type="button"
            onClick={onSignOut}
            className="rounded-md px-2 py-1 text-sm text-zinc-600 hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-400 dark:text-zinc-300 dark:hover:bg-zinc-800"
          >
            Sign out
          </button>
        )}
      </div>
    </header>
  );
}
