import { useEffect, useState } from "react";
import { fetchMe } from "../../../lib/rest";
import { refusalNotice } from "../lib/refusal";
import { forgetKey, loadKey, saveKey } from "../lib/saved-key";

type SingleSignOn = "checking" | "yes" | "no";

/**
 * The API key of this browser: the saved one, a newly accepted one, or none (the key screen
 * shows). Behind a single sign-on proxy the server knows the user without a key: with no
 * saved key, `GET /me` is asked once without one, and if it answers, the key is `""` (none
 * is sent; the proxy says who it is). Plain React state: only the app's root reads it.
 */
export function useApiKey() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [notice, setNotice] = useState<string | null>(null);
  const [sso, setSso] = useState<SingleSignOn>(() => (loadKey() ? "no" : "checking"));

  useEffect(() => {
    if (sso !== "checking") return;
    let live = true;
    fetchMe("").then(
      () => live && setSso("yes"),
      () => live && setSso("no"),
    );
    return () => {
      live = false;
    };
  }, [sso]);

  return {
    /** The key to send; `""` under single sign-on; null: ask for one. */
    key: sso === "yes" ? "" : key,
    /** Still finding out whether a proxy signs the user in. */
    checking: sso === "checking",
    /** Signed in by the proxy (there is nothing to sign out of here). */
    singleSignOn: sso === "yes",
    /** Why the key screen shows again (the key was refused or revoked), if it does. */
    notice,
    accept(k: string) {
      saveKey(k);
      setNotice(null);
      setKey(k);
    },
    /** `wasRefused`: the server no longer accepts the key; `reason`: its close reason. */
    signOut(wasRefused: boolean, reason?: string) {
      forgetKey();
      setNotice(wasRefused ? refusalNotice(reason) : null);
      setSso("no");
      setKey(null);
    },
  };
}
