import { useState } from "react";
import { KeyScreen } from "../features/auth/components/key-screen";
import { useApiKey } from "../features/auth/hooks/use-api-key";
import type { Info } from "../types/protocol";
import { ChatApp } from "./chat-app";

/** The key screen until a key is accepted, then the chat. */
export function App() {
  const auth = useApiKey();
  const [info, setInfo] = useState<Info | null>(null);

  if (!auth.key) {
    return (
      <KeyScreen
        notice={auth.notice}
        onAccepted={(k, i) => {
          setInfo(i);
          auth.accept(k);
        }}
      />
    );
  }
  return <ChatApp apiKey={auth.key} info={info} onInfo={setInfo} onSignOut={auth.signOut} />;
}
