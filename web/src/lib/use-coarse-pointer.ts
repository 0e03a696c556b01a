import { useSyncExternalStore } from "react";

import { coarsePointerQuery } from "./focus";

function subscribe(onChange: () => void) {
  const mq = coarsePointerQuery();
  mq?.addEventListener("change", onChange);
  return () => mq?.removeEventListener("change", onChange);
}

const snapshot = () => coarsePointerQuery()?.matches ?? false;

/** Whether the primary pointer is a finger (a phone or tablet): kept current as it changes. */
export function useCoarsePointer(): boolean {
  return useSyncExternalStore(subscribe, snapshot, () => false);
}
