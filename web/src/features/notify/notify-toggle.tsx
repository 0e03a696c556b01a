import { useState } from "react";
import { notificationsOff, setNotificationsOff } from "./notifier";

/** Turns notifications for hidden tabs on or off (remembered in this browser). */
export function NotifyToggle() {
  const [off, setOff] = useState(notificationsOff);
  return (
    <button
      type="button"
      aria-pressed={!off}
      title={off ? "Notifications are off" : "Notifications are on (when this tab is hidden)"}
      onClick={() => {
        setNotificationsOff(!off);
        setOff(!off);
      }}
      className="min-h-8 min-w-8 rounded-md px-2 py-1 text-sm hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:hover:bg-zinc-800"
    >
      <span aria-hidden>{off ? "🔕" : "🔔"}</span>
      <span className="sr-only">Notifications</span>
    </button>
  );
}
