import type { Attachment, TextAttachment } from "../../../types/protocol";
import { attachmentBytes, attachmentLabel, humanSize, imageSrc } from "../lib/attachments";

/** A text file as a chip: its name and size. */
function FileChip({ file }: { file: TextAttachment }) {
  return (
    <span
      data-testid="file-chip"
      className="inline-flex h-8 max-w-60 items-center gap-1.5 rounded-md border border-zinc-300 bg-zinc-50 px-2 text-xs dark:border-zinc-700 dark:bg-zinc-900"
    >
      <span aria-hidden>📄</span>
      <span className="truncate font-mono" title={file.name}>
        {file.name}
      </span>
      <span className="shrink-0 text-zinc-600 dark:text-zinc-400">{humanSize(attachmentBytes(file))}</span>
    </span>
  );
}

/** The images (thumbnails) and text files (chips) about to be sent, each with a Remove button. */
export function AttachmentStrip({ items, onRemove }: { items: Attachment[]; onRemove: (i: number) => void }) {
  if (items.length === 0) return null;
  return (
    <ul aria-label="Attachments" className="mb-2 flex flex-wrap items-start gap-2">
      {items.map((a, i) => (
        <li key={i} className="relative">
          {a.kind === "image" ? (
            <img src={imageSrc(a)} alt={attachmentLabel(a, i)} className="h-16 w-16 rounded-md border border-zinc-300 object-cover dark:border-zinc-700" />
          ) : (
            <FileChip file={a} />
          )}
          <button
            type="button"
            onClick={() => onRemove(i)}
            aria-label={`Remove ${attachmentLabel(a, i)}`}
            className="absolute -top-2 -right-2 h-6 w-6 rounded-full bg-zinc-700 text-xs text-white hover:bg-zinc-900 focus-visible:ring-2 focus-visible:ring-blue-500"
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The images and text files of a sent message. */
export function SentAttachments({ items }: { items: Attachment[] }) {
  return (
    <div className="mb-1 flex max-w-[85%] flex-wrap items-start justify-end gap-2">
      {items.map((a, i) =>
        a.kind === "image" ? (
          <img key={i} src={imageSrc(a)} alt={attachmentLabel(a, i)} className="max-h-48 max-w-full rounded-md border border-zinc-300 object-contain dark:border-zinc-700" />
        ) : (
          <FileChip key={i} file={a} />
        ),
      )}
    </div>
  );
}
