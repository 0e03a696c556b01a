import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { StoresProvider } from "../app/stores/stores-provider";
import type { ServerFrame } from "../types/protocol";
import { storesHarness, summary } from "./stores";

export const SID = "33333333-3333-4333-8333-333333333333";

/** Connected stores with one open session; frames apply synchronously. */
export function chatHarness() {
  const h = storesHarness({ schedule: (fn) => fn() });
  let seq = 0;
  h.connection().setStatus("connected");
  h.sessions().createSession();
  h.recv({ type: "session_ready", session_id: SID, event_seq: ++seq, session: summary(SID), source: "pre-warmed" });
  const event = (body: Record<string, unknown>) => h.recv({ session_id: SID, event_seq: ++seq, ...body } as ServerFrame);
  const mount = (ui: ReactElement) => render(<StoresProvider stores={h.stores}>{ui}</StoresProvider>);
  return { ...h, event, mount };
}
