import type { Attachment, AttachmentLimits, ImageAttachment } from "../../../types/protocol";

/** Decoded size of base64 data. */
export const decodedBytes = (b64: string) => Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);

/** The bytes an attachment counts for against the limits (decoded image, UTF-8 text). */
export const attachmentBytes = (a: Attachment) => (a.kind === "image" ? decodedBytes(a.data_base64) : new TextEncoder().encode(a.text).length);

/** A size for a person, as the server words it: "5 MB", "256 KB", "1.5 MB", "300 bytes". */
export function humanSize(bytes: number): string {
  const MB = 1024 * 1024;
  if (bytes >= MB) return bytes % MB === 0 ? `${bytes / MB} MB` : `${(bytes / MB).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** The `data:` URL that shows an image attachment. */
export const imageSrc = (a: ImageAttachment) => `data:${a.media_type};base64,${a.data_base64}`;

/** An attachment's accessible name (an image's alt text, a file's name). */
export const attachmentLabel = (a: Attachment, i: number) => a.name || `Attached image ${i + 1}`;

/** What a picked file becomes: an image the model takes, a text file, or neither. */
export function fileKind(file: { name: string; type: string }, limits: AttachmentLimits): "image" | "text" | "refused" {
  if (limits.image_types.includes(file.type)) return "image";
  // Other images (SVG, BMP, TIFF…) and audio, video, archives: not taken.
  if (/^(image|audio|video|font)\//.test(file.type) || /zip|pdf|octet-stream|x-tar|x-7z|msword|officedocument/.test(file.type)) return "refused";
  return "text";
}

/** Why `file` cannot be added to `current`, or null (the server checks again). */
export function checkFile(file: { name: string; type: string; size: number }, current: Attachment[], limits: AttachmentLimits): string | null {
  const kind = fileKind(file, limits);
  const name = file.name || "That file";
  if (kind === "refused") {
    return `${name} is not an image the model takes (PNG, JPEG, GIF or WebP) nor a text file.`;
  }
  if (kind === "image" && file.size > limits.max_image_bytes) {
    return `${name} is ${humanSize(file.size)}; the limit for an image is ${humanSize(limits.max_image_bytes)}.`;
  }
  if (kind === "text" && file.size > limits.max_text_bytes) {
    return `${name} is ${humanSize(file.size)}; the limit for a text file is ${humanSize(limits.max_text_bytes)}.`;
  }
  if (current.length >= limits.max_count) return `At most ${limits.max_count} files per message.`;
  const total = current.reduce((n, a) => n + attachmentBytes(a), 0) + file.size;
  if (total > limits.max_total_bytes) {
    return `The attachments would total ${humanSize(total)}; the limit is ${humanSize(limits.max_total_bytes)} per message.`;
  }
  return null;
}

/** Reads an image file into an attachment (base64, without the `data:` prefix). */
export async function readImage(file: File): Promise<Attachment> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(file);
  });
  const data = url.slice(url.indexOf(",") + 1);
  return { kind: "image", media_type: file.type, data_base64: data, ...(file.name ? { name: file.name } : {}) };
}

/** Control characters a text file may not hold (all but tab, LF, FF, CR), as the server checks. */
// eslint-disable-next-line no-control-regex
const BINARY = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f]/;

/** Reads a text file (UTF-8) into an attachment; an error to show when it is not text. */
export async function readText(file: File): Promise<Attachment | string> {
  const bytes = new Uint8Array(
    await new Promise<ArrayBuffer>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as ArrayBuffer);
      reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
      reader.readAsArrayBuffer(file);
    }),
  );
  const name = file.name || "pasted.txt";
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `${name} is not a text file (it is not UTF-8 text): attach text or code.`;
  }
  if (BINARY.test(text)) return `${name} is not a text file (it holds control characters): attach text or code.`;
  if (!text.trim()) return `${name} is empty.`;
  return { kind: "text", name, text };
}
