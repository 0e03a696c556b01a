import { memo, useDeferredValue, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import rehypeHighlight from "rehype-highlight";
import { useScrollableFocus } from "../../../lib/use-scrollable-focus";
import { headingLevelsOfBlocks, needsWholeParse, outlineLevel, splitBlocks, type Split } from "../lib/markdown-blocks";
import { streamRender } from "../lib/stream-render";
import { CopyButton } from "./copy-button";

/** Text of a rendered code block (highlighting splits it into spans). */
function textOf(node: ReactNode): string {
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(textOf).join("");
  if (node && typeof node === "object" && "props" in node) {
    return textOf((node as { props: { children?: ReactNode } }).props.children);
  }
  return "";
}

function CodeBlock({ children }: { children?: ReactNode }) {
  const pre = useRef<HTMLPreElement>(null);
  useScrollableFocus(pre);
  const child = Array.isArray(children) ? children[0] : children;
  const lang =
    child && typeof child === "object" && "props" in child
      ? /language-(\S+)/.exec((child as { props: { className?: string } }).props.className ?? "")?.[1]
      : undefined;
  return (
    <div className="code-block relative rounded-md border border-zinc-200 bg-zinc-50 text-zinc-900 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100">
      <div className="flex items-center justify-between border-b border-zinc-200 px-3 py-1 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
        <span>{lang ?? "code"}</span>
        <CopyButton text={() => textOf(children).replace(/\n$/, "")} label="Copy code" />
      </div>
      {/* Focusable while it scrolls sideways, so the keyboard can scroll it. */}
      <pre ref={pre} role="group" aria-label={lang ? `Code, ${lang}` : "Code"} className="overflow-x-auto p-3 text-sm leading-relaxed">
        {children}
      </pre>
    </div>
  );
}

/** A table in a box of its own that scrolls sideways when wide (focusable then, like code). */
function Table({ children }: { children?: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  useScrollableFocus(box);
  return (
    <div ref={box} role="group" aria-label="Table" className="max-w-full overflow-x-auto">
      <table>{children}</table>
    </div>
  );
}

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"] as const;

/** The components for a text using heading levels `used` (cached: one object per outline). */
const componentsByOutline = new Map<string, Components>();
function componentsFor(used: number[]): Components {
  const key = used.join(",");
  let c = componentsByOutline.get(key);
  if (!c) {
    c = {
      pre: ({ children }) => <CodeBlock>{children}</CodeBlock>,
      table: ({ children }) => <Table>{children}</Table>,
      a: ({ children, href }) => (
        <a href={href} target="_blank" rel="noreferrer noopener">
          {children}
        </a>
      ),
    };
    // Markdown's levels mapped onto the page's outline (h2 and down, none skipped); the
    // look follows the markdown level (`md-h*` classes in index.css).
    HEADINGS.forEach((tag, i) => {
      const Tag = `h${outlineLevel(i + 1, used)}` as (typeof HEADINGS)[number];
      c![tag] = ({ children }) => <Tag className={`md-h${i + 1}`}>{children}</Tag>;
    });
    componentsByOutline.set(key, c);
  }
  return c;
}

/**
 * The highlighter, built once: rehype-highlight registers every language it knows each time
 * it is attached, and react-markdown attaches its plugins on every render (of every block of
 * every frame of a stream), which was most of a streaming frame's time.
 */
const highlight = rehypeHighlight({ detect: false });
const remarkPlugins = [remarkGfm];
const rehypePlugins = [() => highlight];

/** One top-level block; kept as rendered while its text (and the text's outline) stays the same. */
const Block = memo(function Block({ text, components }: { text: string; components: Components }) {
  return (
    <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
      {text}
    </ReactMarkdown>
  );
});

/**
 * Blocks are grouped by this many into a box each (`md-chunk`) that the browser skips while
 * it is out of view (`content-visibility: auto` in index.css): no layout, paint or hit test
 * of the rest of a long reply each time anything on the page changes, such as a key in the
 * message box. Groups rather than single blocks: the browser checks every such box's
 * visibility on every frame, which for each block of a long reply cost about what it saved.
 */
export const BLOCKS_PER_CHUNK = 10;

const sameBlocks = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/** A group of consecutive blocks; kept as rendered while its blocks stay the same. */
const Chunk = memo(
  function Chunk({ blocks, components }: { blocks: string[]; components: Components }) {
    return (
      <div className="md-chunk">
        {blocks.map((block, i) => (
          <Block key={i} text={block} components={components} />
        ))}
      </div>
    );
  },
  (a, b) => a.components === b.components && sameBlocks(a.blocks, b.blocks),
);

/**
 * Markdown as Claude writes it: GitHub flavour, highlighted code with a copy button.
 *
 * The text is rendered block by block (`splitBlocks`, grouped in `Chunk`s): while a reply
 * streams, only its last block is parsed again on each frame, so a frame costs the same at the end of a long reply
 * as at its start. A finished text with reference-style definitions is rendered whole, so
 * its links resolve.
 */
const MarkdownView = memo(function MarkdownView({ text: latest, streaming = false }: { text: string; streaming?: boolean }) {
  // While it streams, the text is rendered in the background: React renders it in slices
  // between which a key press is handled (and painted) first, and the frame pacer applies
  // more text only once this has been rendered (`streamRender`). A finished text renders at once.
  const deferred = useDeferredValue(latest);
  const text = streaming ? deferred : latest;
  const self = useRef({});
  useLayoutEffect(() => {
    if (text !== latest) streamRender.pending(self.current);
    else streamRender.rendered(self.current);
  }, [text, latest]);
  useLayoutEffect(() => {
    const who = self.current;
    return () => streamRender.rendered(who);
  }, []);
  // The last split, kept so that the next one scans only from its last block on.
  const [split, setSplit] = useState<Split>(() => splitBlocks(text));
  let current = split;
  if (split.text !== text) {
    current = splitBlocks(text, split);
    setSplit(current);
  }
  const components = componentsFor(headingLevelsOfBlocks(current.blocks));
  if (!streaming && needsWholeParse(text)) {
    return (
      <div className="prose-chat">
        <Chunk blocks={[text]} components={components} />
      </div>
    );
  }
  const chunks: string[][] = [];
  for (let i = 0; i < current.blocks.length; i += BLOCKS_PER_CHUNK) chunks.push(current.blocks.slice(i, i + BLOCKS_PER_CHUNK));
  return (
    <div className="prose-chat">
      {chunks.map((blocks, i) => (
        <Chunk key={i} blocks={blocks} components={components} />
      ))}
    </div>
  );
});
export default MarkdownView;
