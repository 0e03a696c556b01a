import type { Me } from "../../../types/protocol";

/** Who is signed in: the user's name, and "admin" for an administrator. */
export function AccountBadge({ me }: { me: Me | null }) {
  if (!me) return null;
  return (
    <span
      className="hidden max-w-[12rem] truncate text-sm text-zinc-600 sm:inline dark:text-zinc-300"
      title={`Signed in as ${me.name} (${me.role})`}
      data-testid="account"
    >
      <span className="sr-only">Signed in as </span>
      {me.name}
      {me.role === "admin" && (
        <span className="ml-1 rounded bg-zinc-200 px-1 text-xs text-zinc-700 dark:bg-zinc-700 dark:text-zinc-200">admin</span>
      )}
    </span>
  );
}
