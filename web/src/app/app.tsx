import { useState } from "react";
import { KeyScreen } from "../features/auth/components/key-screen";
import { ChatApp } from "./chat-app";
import { forgetKey, loadKey, saveKey } from "../features/auth/lib/saved-key";
import type { Info } from "../types/protocol";

/** The key screen until a key is accepted, then the chat. */
export function App() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [info, setInfo] = useState<Info | null>(null);
  const [expired, setExpired] = useState(false);

  if (!key) {
    return (
      <KeyScreen
        notice={expired ? "The saved key is no longer accepted. Enter the current one." : null}
        onAccepted={(k, i) => {
          saveKey(k);
          setInfo(i);
          setExpired(false);
          setKey(k);
        }}
      />
    );
  }
  return (
    <ChatApp
      apiKey={key}
      info={info}
      onInfo={setInfo}
      onSignOut={(wasRefused) => {
        forgetKey();
        setExpired(wasRefused);
        setKey(null);
      }}
    />
  );
}
