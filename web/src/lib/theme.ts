/** Light and dark themes: the saved choice, else the system's (index.html applies it before the first paint). */
import { writeLocal } from "./storage";
const KEY = "csp.theme";

export type Theme = "light" | "dark";

export function currentTheme(): Theme {
  return document.documentElement.classList.contains("dark") ? "dark" : "light";
}

export function setTheme(theme: Theme) {
  document.documentElement.classList.toggle("dark", theme === "dark");
  writeLocal(KEY, theme);
}
