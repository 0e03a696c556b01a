/** The markdown renderer and highlighter: a chunk of their own, preloaded by index.html. */
export const loadMarkdownView = () => import("../components/markdown-view");

/** Starts loading the renderer now (the app calls it once signed in). */
export function preloadMarkdown() {
  void loadMarkdownView();
}
