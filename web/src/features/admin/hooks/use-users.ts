import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../../../lib/rest";
import type { UserOverview } from "../../../types/protocol";
import { fetchUsers } from "../api/admin-api";

/**
 * The users of the admin page, loaded when it opens and again after each change. A 401
 * means this browser's key no longer works: `onUnauthorized` takes the app to the key screen.
 */
export function useUsers(apiKey: string, onUnauthorized: () => void) {
  const [users, setUsers] = useState<UserOverview[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  /** Runs an admin call; a failure shows on the page (a 401 signs out). */
  const run = useCallback(
    async <T,>(what: () => Promise<T>): Promise<T | null> => {
      try {
        const result = await what();
        setError(null);
        return result;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) onUnauthorized();
        else setError(e instanceof Error ? e.message : "Something went wrong.");
        return null;
      }
    },
    [onUnauthorized],
  );

  const reload = useCallback(async () => {
    const loaded = await run(() => fetchUsers(apiKey));
    if (loaded) setUsers(loaded);
  }, [apiKey, run]);

  useEffect(() => {
    let live = true;
    fetchUsers(apiKey).then(
      (loaded) => live && setUsers(loaded),
      (e) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 401) onUnauthorized();
        else setError(e instanceof Error ? e.message : "The users could not be loaded.");
      },
    );
    return () => {
      live = false;
    };
  }, [apiKey, onUnauthorized]);

  return { users, error, reload, run };
}
