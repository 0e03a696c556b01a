import type { ReactNode } from "react";
import { ChatStoreContext } from "../../features/chat/hooks/use-chat";
import { ConnectionStoreContext } from "../../features/connection/hooks/use-connection";
import { SessionsStoreContext } from "../../features/sessions/hooks/use-sessions";
import type { AppStores } from "./create-stores";
import { NoticeStoreContext } from "./notice-store";

/** Gives each feature its own store (features read only theirs: see web/README.md). */
export function StoresProvider({ stores, children }: { stores: AppStores; children: ReactNode }) {
  return (
    <ConnectionStoreContext.Provider value={stores.connection}>
      <SessionsStoreContext.Provider value={stores.sessions}>
        <ChatStoreContext.Provider value={stores.chat}>
          <NoticeStoreContext.Provider value={stores.notice}>{children}</NoticeStoreContext.Provider>
        </ChatStoreContext.Provider>
      </SessionsStoreContext.Provider>
    </ConnectionStoreContext.Provider>
  );
}
