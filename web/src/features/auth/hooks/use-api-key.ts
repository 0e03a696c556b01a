import { useState } from "react";
import { forgetKey, loadKey, saveKey } from "../lib/saved-key";

/**
 * The API key of this browser: the saved one, a newly accepted one, or none (the key screen
 * shows). Plain React state: only the app's root reads it.
 */
export function useApiKey() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [expired, setExpired] = useState(false);
  return {
    key,
    /** Why the key screen shows again (the saved key was refused), if it does. */
    notice: expired ? "The saved key is no longer accepted. Enter the current one." : null,
    accept(k: string) {
      saveKey(k);
      setExpired(false);
      setKey(k);
    },
    /** `wasRefused`: the server no longer accepts the key. */
    signOut(wasRefused: boolean) {
      forgetKey();
      setExpired(wasRefused);
      setKey(null);
    },
  };
}
