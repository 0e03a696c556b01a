import { MAX_MESSAGE_CHARS } from "../../../types/protocol";

/** Characters as the server counts them (Unicode scalar values). */
export const charCount = (text: string) => Array.from(text).length;

/** Why `text` cannot be sent (empty, too long), or null. */
export function validateMessage(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed) return "Type a message first.";
  const n = charCount(trimmed);
  if (n > MAX_MESSAGE_CHARS) {
    return `This message is ${n.toLocaleString("en-US")} characters; the limit is ${MAX_MESSAGE_CHARS.toLocaleString("en-US")}. Shorten it or attach less text.`;
  }
  return null;
}
