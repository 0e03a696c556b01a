/** What the browser remembers: the API key and the last open session (localStorage; the key is never put in a URL). */
const KEY = "csp.apiKey";

export function loadKey(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveKey(key: string) {
  try {
    localStorage.setItem(KEY, key);
  } catch {
    // Private mode without storage: the key lasts for this page only.
  }
}

export function forgetKey() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing to forget
  }
}

const SESSION = "csp.lastSession";

/** The session open when the page was left (reopened after a reload). */
export function loadLastSession(): string | null {
  try {
    return localStorage.getItem(SESSION);
  } catch {
    return null;
  }
}

export function saveLastSession(id: string | null) {
  try {
    if (id) localStorage.setItem(SESSION, id);
    else localStorage.removeItem(SESSION);
  } catch {
    // not remembered
  }
}
