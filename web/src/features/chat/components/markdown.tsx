import { lazy, memo, Suspense } from "react";
import { loadMarkdownView } from "../lib/load-markdown";
import { plainText } from "../lib/plain-text";

const MarkdownView = lazy(loadMarkdownView);

/** Shown until the renderer has loaded (a component: nothing is computed while it is not shown). */
function PlainText({ text }: { text: string }) {
  return (
    <div data-testid="markdown-plain" className="whitespace-pre-wrap [overflow-wrap:anywhere]">
      {plainText(text)}
    </div>
  );
}

/**
 * Markdown as Claude writes it. Until the renderer has loaded (a first visit on a slow
 * link) the words show as plain text, never as raw markdown.
 */
export const Markdown = memo(function Markdown({ text, streaming = false }: { text: string; streaming?: boolean }) {
  return (
    <Suspense fallback={<PlainText text={text} />}>
      <MarkdownView text={text} streaming={streaming} />
    </Suspense>
  );
});
