import { lazy, memo, Suspense } from "react";

/** The markdown renderer and highlighter load after the app shell (a separate chunk). */
const MarkdownView = lazy(() => import("./markdown-view"));

/** Markdown as Claude writes it; plain text until the renderer has loaded. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<div className="whitespace-pre-wrap [overflow-wrap:anywhere]">{text}</div>}>
      <MarkdownView text={text} />
    </Suspense>
  );
});
