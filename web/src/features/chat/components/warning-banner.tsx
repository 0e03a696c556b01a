import { useEffect, useState } from "react";
import { useCurrentViewValue } from "../hooks/use-chat";
import { formatRemaining } from "../../../lib/format";

/** The session's duration-limit warning, counting down. */
export function WarningBanner() {
  const warning = useCurrentViewValue((v) => v?.warning);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!warning) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [warning]);
  if (!warning) return null;
  const left = warning.remainingSeconds - Math.max(0, (now - warning.receivedAt) / 1000);
  return (
    <div role="alert" className="border-b border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
      This session reaches its time limit in <strong>{formatRemaining(left)}</strong>. It will
      then close; you can resume it afterwards.
    </div>
  );
}
