import { useShallow } from "zustand/react/shallow";
import { useSessions } from "../hooks/use-sessions";

/**
 * Where the next new session works (issue 17): the project, and whether it gets a git
 * worktree of its own. Shown only when the server offers more than one project or a git one.
 */
export function ProjectPicker() {
  const { projects, placement, setPlacement } = useSessions(
    useShallow((s) => ({ projects: s.projects, placement: s.newPlacement, setPlacement: s.setNewPlacement })),
  );
  if (!projects || projects.projects.length === 0) return null;
  const list = projects.projects;
  if (list.length < 2 && !list.some((p) => p.git)) return null;
  const chosen = list.find((p) => p.name === placement.project) ?? list.find((p) => p.default) ?? list[0];
  const isolation = placement.isolation ?? projects.default_isolation;
  return (
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
  );
}
