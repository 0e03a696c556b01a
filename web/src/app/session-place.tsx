import { useShallow } from "zustand/react/shallow";
import { CopyButton } from "../features/chat/components/copy-button";
import { useSessions } from "../features/sessions/hooks/use-sessions";
import { defaultProjectName } from "../features/sessions/lib/sidebar-rows";

/**
 * Where the open session works (issue 17): its project (the tooltip gives the project's path
 * under the workspace root) and, for a session in a worktree of its own, the worktree's branch
 * with a button to copy it. Nothing while the session is not among those listed.
 */
export function SessionPlace({ id }: { id: string }) {
  const { session, projects } = useSessions(
    useShallow((s) => ({ session: s.sessions.find((x) => x.session_id === id), projects: s.projects?.projects ?? null })),
  );
  if (!session) return null;
  const name = session.project ?? (defaultProjectName(projects) || null);
  if (!name) return null;
  const info = projects?.find((p) => p.name === name);
  const worktree = session.isolation === "worktree";
  const where = info ? `${info.path}${info.default ? " (the default project)" : ""}` : name;
  const tip = worktree
    ? `Works in a git worktree of its own on branch ${session.branch ?? "?"}, made from ${where}`
    : `Works in ${where}${info?.branch ? ` on branch ${info.branch}` : ""}`;
  return (
    <div role="group" aria-label="Where this session works" className="flex min-w-0 items-center gap-2 text-xs text-zinc-700 dark:text-zinc-300">
      <span className="truncate font-medium" title={tip} data-testid="session-place-project">
        <span className="sr-only">Project </span>
        {name}
      </span>
      <span className="sr-only">{tip}</span>
      {worktree && session.branch && (
        <span className="flex min-w-0 items-center gap-1">
          <span className="shrink-0 text-zinc-600 dark:text-zinc-400">worktree</span>
          <code className="truncate rounded bg-zinc-100 px-1 dark:bg-zinc-800" title={tip} data-testid="session-place-branch">
            {session.branch}
          </code>
          <CopyButton text={() => session.branch ?? ""} label={`Copy branch name ${session.branch}`} className="text-xs" />
        </span>
      )}
    </div>
  );
}
