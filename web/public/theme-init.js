// Applies the saved theme before the first paint (no flash of the wrong theme). A file of its
// own, not inline in index.html: the Content-Security-Policy allows no inline script.
try {
  const t = localStorage.getItem("csp.theme");
  const dark = t ? t === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.classList.toggle("dark", dark);
} catch {
  // storage blocked: the system's theme applies
}
