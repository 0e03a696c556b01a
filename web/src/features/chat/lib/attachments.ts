import { IMAGE_TYPES, MAX_ATTACHMENTS, MAX_IMAGE_BYTES, MAX_MESSAGE_IMAGE_BYTES, type Attachment } from "../../../types/protocol";

const MB = 1024 * 1024;

/** Decoded size of base64 data. */
export const decodedBytes = (b64: string) => Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);

/** The `data:` URL that shows an attachment. */
export const imageSrc = (a: Attachment) => `data:${a.media_type};base64,${a.data_base64}`;

/** An attachment's accessible name (its alt text). */
export const attachmentLabel = (a: Attachment, i: number) => a.name || `Attached image ${i + 1}`;

/** Why `file` cannot be added to `current`, or null (the server checks again). */
export function checkImage(file: { name: string; type: string; size: number }, current: Attachment[]): string | null {
  if (!(IMAGE_TYPES as readonly string[]).includes(file.type)) {
    return `${file.name || "That file"} is not an image the model takes: attach a PNG, JPEG, GIF or WebP image.`;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    return `${file.name || "That image"} is ${(file.size / MB).toFixed(1)} MB; the limit is ${MAX_IMAGE_BYTES / MB} MB per image.`;
  }
  if (current.length >= MAX_ATTACHMENTS) return `At most ${MAX_ATTACHMENTS} images per message.`;
  const total = current.reduce((n, a) => n + decodedBytes(a.data_base64), 0) + file.size;
  if (total > MAX_MESSAGE_IMAGE_BYTES) return `The images would total ${(total / MB).toFixed(1)} MB; the limit is ${MAX_MESSAGE_IMAGE_BYTES / MB} MB per message.`;
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
