import { useState } from "react";
import { KeyScreen } from "../features/auth/components/key-screen";
import { useApiKey } from "../features/auth/hooks/use-api-key";
import type { Info } from "../types/protocol";
import { ChatApp } from "./chat-app";

/**
 * The key screen until a key is accepted (or a single sign-on proxy says who the user is),
 * then the chat. A key the server stops accepting (refused, revoked, its user disabled)
 * brings the key screen back, saying why.
 */
export function App() {
  const auth = useApiKey();
  const [info, setInfo] = useState<Info | null>(null);

  if (auth.checking) return null;
  if (auth.key === null) {
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
  return (
    <ChatApp
      key={auth.key}
      apiKey={auth.key}
      singleSignOn={auth.singleSignOn}
      info={info}
      onInfo={setInfo}
      onSignOut={auth.signOut}
    />
  );
}
