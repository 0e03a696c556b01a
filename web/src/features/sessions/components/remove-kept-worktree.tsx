import { ConfirmDialog } from "../../../components/ui/confirm-dialog";
import { useSessions } from "../hooks/use-sessions";

/**
 * Removes a kept worktree after a confirmation: a kept worktree always holds uncommitted
 * changes (that is why it was kept), and removing it discards them; its branch stays.
 */
export function RemoveKeptWorktree({ project, sessionId, branch, className }: { project: string; sessionId: string; branch: string | null; className: string }) {
  const remove = useSessions((s) => s.removeKeptWorktree);
  const name = branch ?? `the worktree of session ${sessionId.slice(0, 8)}`;
  return (
    <ConfirmDialog
      trigger={
        <button type="button" aria-label={`Remove kept worktree ${name}`} title="Remove this worktree" className={className}>
          Remove
        </button>
      }
      title="Remove this kept worktree?"
      description={
        <>
          Its uncommitted changes will be discarded; this cannot be undone. The branch <code>{name}</code> stays, with what was
          committed on it.
        </>
      }
      confirmLabel="Remove worktree"
      destructive
      onConfirm={() => void remove(project, sessionId)}
    />
  );
}
