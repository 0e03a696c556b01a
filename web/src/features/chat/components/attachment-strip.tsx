import type { Attachment } from "../../../types/protocol";
import { attachmentLabel, imageSrc } from "../lib/attachments";

/** Thumbnails of the images about to be sent, each with a Remove button. */
export function AttachmentStrip({ images, onRemove }: { images: Attachment[]; onRemove: (i: number) => void }) {
  if (images.length === 0) return null;
  return (
    <ul aria-label="Attached images" className="mb-2 flex flex-wrap gap-2">
      {images.map((a, i) => (
        <li key={i} className="relative">
          <img src={imageSrc(a)} alt={attachmentLabel(a, i)} className="h-16 w-16 rounded-md border border-zinc-300 object-cover dark:border-zinc-700" />
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

/** The images of a sent message. */
export function SentImages({ images }: { images: Attachment[] }) {
  return (
    <div className="mb-1 flex max-w-[85%] flex-wrap justify-end gap-2">
      {images.map((a, i) => (
        <img key={i} src={imageSrc(a)} alt={attachmentLabel(a, i)} className="max-h-48 max-w-full rounded-md border border-zinc-300 object-contain dark:border-zinc-700" />
      ))}
    </div>
  );
}
