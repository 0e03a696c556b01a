/** The API key the browser remembers (localStorage; the key is never put in a URL). */
import { readLocal, writeLocal } from "../../../lib/storage";

const KEY = "csp.apiKey";

export const loadKey = () => readLocal(KEY);
export const saveKey = (key: string) => writeLocal(KEY, key);
export const forgetKey = () => writeLocal(KEY, null);
