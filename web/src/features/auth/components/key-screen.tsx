import { useState, type FormEvent } from "react";
import { ApiError, fetchInfo } from "../../../lib/rest";
import type { Info } from "../../../types/protocol";

type Props = {
  notice: string | null;
  onAccepted(key: string, info: Info): void;
};

/** First visit: ask for the server's API key and check it before remembering it. */
export function KeyScreen({ notice, onAccepted }: Props) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setError("Enter the API key.");
      return;
    }
    setChecking(true);
    setError(null);
    try {
      onAccepted(k, await fetchInfo(k));
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That key was not accepted. Check it and try again."
          : err instanceof Error
            ? err.message
            : "The server could not be reached.",
      );
    } finally {
      setChecking(false);
    }
  }

  return (
    <main className="flex min-h-full items-center justify-center p-4">
      <form
        onSubmit={submit}
        className="w-full max-w-sm space-y-4 rounded-xl border border-zinc-200 p-6 shadow-sm dark:border-zinc-800"
        aria-labelledby="key-title"
      >
        <h1 id="key-title" className="text-xl font-semibold">
          Claude Code sessions
        </h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Enter this server's API key. <code>make run</code> prints it (it is kept in{" "}
          <code>data/api-key</code>).
        </p>
        {notice && (
          <p className="rounded-md bg-amber-100 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
            {notice}
          </p>
        )}
        <div className="space-y-1">
          <label htmlFor="api-key" className="block text-sm font-medium">
            API key
          </label>
          <input
            id="api-key"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "key-error" : undefined}
            className="w-full rounded-md border border-zinc-300 bg-transparent px-3 py-2 outline-none focus:ring-2 focus:ring-blue-500 dark:border-zinc-700"
          />
        </div>
        {error && (
          <p id="key-error" role="alert" className="text-sm text-red-700 dark:text-red-400">
            {error}
          </p>
        )}
        <button
          type="submit"
          disabled={checking}
          className="w-full rounded-md bg-blue-600 px-3 py-2 font-medium text-white hover:bg-blue-700 focus-visible:ring-2 focus-visible:ring-blue-400 disabled:opacity-60"
        >
          {checking ? "Checking…" : "Continue"}
        </button>
      </form>
    </main>
  );
}
