/** The session open when the page was left, reopened after a reload (localStorage). */
import { readLocal, writeLocal } from "../../../lib/storage";

const SESSION = "csp.lastSession";

export const loadLastSession = () => readLocal(SESSION);
export const saveLastSession = (id: string | null) => writeLocal(SESSION, id);
