import { useState, type FormEvent } from "react";
import type { Role } from "../../../types/protocol";
import { createKey, createUser, disableUser, revokeKey, setLimits } from "../api/admin-api";
import { useUsers } from "../hooks/use-users";
import { NewKeyDialog, type ShownKey } from "./new-key-dialog";
import { UserCard, type Defaults } from "./user-card";

type Props = {
  apiKey: string;
  /** The server's quotas (what an empty override means). */
  defaults: Defaults;
  /** This browser's key stopped working. */
  onUnauthorized(): void;
  onClose(): void;
};

/** Users, their keys (prefixes), live sessions and spend; add users, make and revoke keys. */
export function AdminPage({ apiKey, defaults, onUnauthorized, onClose }: Props) {
  const { users, error, reload, run } = useUsers(apiKey, onUnauthorized);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [shown, setShown] = useState<ShownKey | null>(null);

  async function add(e: FormEvent) {
    e.preventDefault();
    const made = await run(() => createUser(apiKey, name.trim(), role));
    if (!made) return;
    setName("");
    setShown({ user: made.user.name, key: made.api_key });
    await reload();
  }

  async function act<T>(what: () => Promise<T>, then?: (t: T) => void) {
    const done = await run(what);
    if (done !== null && then) then(done);
    await reload();
  }

  return (
    <section aria-labelledby="admin-title" className="min-h-0 flex-1 overflow-y-auto p-4">
      <div className="mx-auto max-w-3xl space-y-4">
        <div className="flex items-center gap-2">
          <h2 id="admin-title" className="text-lg font-semibold">
            Users and keys
          </h2>
          <button
            type="button"
            onClick={onClose}
            className="ml-auto rounded-md border border-zinc-400 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-600 dark:hover:bg-zinc-800"
          >
            Back to the chat
          </button>
        </div>
        <form onSubmit={add} aria-label="Add a user" className="flex flex-wrap items-end gap-2">
          <label className="flex flex-col text-sm">
            Name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={64}
              className="rounded-md border border-zinc-400 bg-transparent px-2 py-1.5 dark:border-zinc-600"
            />
          </label>
          <label className="flex flex-col text-sm">
            Role
            <select
              value={role}
              onChange={(e) => setRole(e.target.value as Role)}
              className="rounded-md border border-zinc-400 bg-transparent px-2 py-1.5 dark:border-zinc-600"
            >
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <button
            type="submit"
            className="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-500"
          >
            Add user
          </button>
        </form>
        {error && (
          <p role="alert" className="rounded-md bg-red-100 p-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
            {error}
          </p>
        )}
        {users === null ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Loading…</p>
        ) : (
          <ul aria-label="Users" className="space-y-3">
            {users.map((u) => (
              <UserCard
                key={u.user_id}
                user={u}
                defaults={defaults}
                onNewKey={() =>
                  void act(
                    () => createKey(apiKey, u.user_id),
                    (k) => setShown({ user: u.name, key: k.api_key }),
                  )
                }
                onRevoke={(k) => void act(() => revokeKey(apiKey, k.key_id))}
                onDisable={() => void act(() => disableUser(apiKey, u.user_id))}
                onLimits={(limits) => void act(() => setLimits(apiKey, u.user_id, limits))}
              />
            ))}
          </ul>
        )}
      </div>
      <NewKeyDialog shown={shown} onClose={() => setShown(null)} />
    </section>
  );
}
