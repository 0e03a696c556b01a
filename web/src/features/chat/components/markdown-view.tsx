import { memo, useState, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import rehypeHighlight from "rehype-highlight";

/** Text of a rendered code block (highlighting splits it into spans). */
function textOf(node: ReactNode): string {
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(textOf).join("");
  if (node && typeof node === "object" && "props" in node) {
    return textOf((node as { props: { children?: ReactNode } }).props.children);
  }
  return "";
}

/**
 * Copies text: the Clipboard API where the page may use it (https, localhost), else the
 * older selection copy (a server reached over plain http on a LAN).
 */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}

function CodeBlock({ children }: { children?: ReactNode }) {
  const [copied, setCopied] = useState<string | null>(null);
  const code = textOf(children).replace(/\n$/, "");
  const child = Array.isArray(children) ? children[0] : children;
  const lang =
    child && typeof child === "object" && "props" in child
      ? /language-(\S+)/.exec((child as { props: { className?: string } }).props.className ?? "")?.[1]
      : undefined;
  async function copy() {
    const ok = await copyText(code);
    setCopied(ok ? "Copied" : "Copy failed");
    setTimeout(() => setCopied(null), 1500);
  }
  return (
    <div className="relative rounded-md border border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex items-center justify-between border-b border-zinc-200 px-3 py-1 text-xs text-zinc-500 dark:border-zinc-800">
        <span>{lang ?? "code"}</span>
        <button
          type="button"
          onClick={copy}
          className="rounded px-1.5 py-0.5 hover:bg-zinc-200 focus-visible:ring-2 focus-visible:ring-blue-400 dark:hover:bg-zinc-800"
        >
          {copied ?? "Copy"}
        </button>
      </div>
      <pre className="overflow-x-auto p-3 text-sm leading-relaxed">{children}</pre>
    </div>
  );
}

const components: Components = {
  pre: ({ children }) => <CodeBlock>{children}</CodeBlock>,
  a: ({ children, href }) => (
    <a href={href} target="_blank" rel="noreferrer noopener">
      {children}
    </a>
  ),
};

/** Markdown as Claude writes it: GitHub flavour, highlighted code with a copy button. */
const MarkdownView = memo(function MarkdownView({ text }: { text: string }) {
  return (
    <div className="prose-chat">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[[rehypeHighlight, { detect: false }]]} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
export default MarkdownView;
