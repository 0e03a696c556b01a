import { useState } from "react";
import { currentTheme, setTheme, type Theme } from "../lib/theme";

export function ThemeToggle() {
  const [theme, set] = useState<Theme>(() => currentTheme());
  const next: Theme = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      onClick={() => {
        setTheme(next);
        set(next);
      }}
      aria-label={`Switch to the ${next} theme`}
      title={`Switch to the ${next} theme`}
      className="min-h-8 min-w-8 rounded-md px-2 py-1 hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:hover:bg-zinc-800"
    >
      <span aria-hidden>{theme === "dark" ? "☀" : "☾"}</span>
    </button>
  );
}
