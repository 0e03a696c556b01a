import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../hooks/use-sessions";
import { sessionName } from "../stores/sessions-store";
import { RemoveKeptWorktree } from "./remove-kept-worktree";

/**
 * Where the next new session works (issue 17): the project, and whether it gets a git
 * worktree of its own. Shown only when the server offers more than one project or a git one.
 * Below it, the worktrees kept in the chosen project (sessions that ended with uncommitted
 * work there), each opening the session it came from.
 */
export function ProjectPicker({ onOpen }: { onOpen?(id: string): void }) {
  const { projects, placement, setPlacement, sessions } = useSessions(
    useShallow((s) => ({ projects: s.projects, placement: s.newPlacement, setPlacement: s.setNewPlacement, sessions: s.sessions })),
  );
  if (!projects || projects.projects.length === 0) return null;
  const list = projects.projects;
  if (list.length < 2 && !list.some((p) => p.git)) return null;
  const chosen = list.find((p) => p.name === placement.project) ?? list.find((p) => p.default) ?? list[0];
  const isolation = placement.isolation ?? projects.default_isolation;
  const kept = chosen.kept_worktrees;
  return (
    <>
      <div className="flex flex-wrap items-center justify-center gap-2 text-sm">
        <label className="flex items-center gap-1">
          <span>Project</span>
          <select
            aria-label="Project"
            value={chosen.name}
            onChange={(e) => setPlacement({ project: e.target.value })}
            className="rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900"
          >
            {list.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
                {p.branch ? ` (${p.branch}${p.dirty ? ", changed" : ""})` : ""}
              </option>
            ))}
          </select>
        </label>
        {chosen.git && (
          <label className="flex items-center gap-1">
            <span>Work in</span>
            <select
              aria-label="Isolation"
              value={isolation}
              onChange={(e) => setPlacement({ isolation: e.target.value as "none" | "worktree" })}
              className="rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900"
            >
              <option value="none">the project's checkout</option>
              <option value="worktree">a worktree of its own</option>
            </select>
          </label>
        )}
      </div>
      {kept.length > 0 && (
        <section aria-label={`Worktrees kept in ${chosen.name}`} className="max-w-md text-left text-xs">
          <p className="text-zinc-700 dark:text-zinc-300">
            Kept in {chosen.name}: {kept.length === 1 ? "a worktree" : `${kept.length} worktrees`} with uncommitted work from ended sessions.
          </p>
          <ul className="mt-1 space-y-1">
            {kept.map((w) => {
              const from = sessions.find((x) => x.session_id === w.session_id);
              const name = from ? sessionName(from) : `session ${w.session_id.slice(0, 8)}`;
              return (
                <li key={w.session_id} className="flex flex-wrap items-center gap-1">
                  <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">{w.branch ?? "no branch"}</code>
                  <span>from</span>
                  {onOpen ? (
                    <button type="button" className="min-h-6 text-blue-700 underline dark:text-blue-300" onClick={() => onOpen(w.session_id)}>
                      {name}
                    </button>
                  ) : (
                    <span>{name}</span>
                  )}
                  <RemoveKeptWorktree
                    project={chosen.name}
                    sessionId={w.session_id}
                    branch={w.branch}
                    className="min-h-6 rounded px-1 text-red-800 underline dark:text-red-300"
                  />
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </>
  );
}
