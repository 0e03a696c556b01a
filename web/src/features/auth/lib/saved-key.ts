/** What the browser remembers: the API key and the last open session (localStorage; the key is never put in a URL). */
import { readLocal, writeLocal } from "../../../lib/storage";

const KEY = "csp.apiKey";
const SESSION = "csp.lastSession";

export const loadKey = () => readLocal(KEY);
export const saveKey = (key: string) => writeLocal(KEY, key);
export const forgetKey = () => writeLocal(KEY, null);

/** The session open when the page was left (reopened after a reload). */
export const loadLastSession = () => readLocal(SESSION);
export const saveLastSession = (id: string | null) => writeLocal(SESSION, id);
