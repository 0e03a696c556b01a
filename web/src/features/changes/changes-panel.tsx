import { useCallback, useEffect, useState } from "react";
import * as Dialog from "@radix-ui/react-dialog";
import { LAYER, OVERLAY } from "../../components/ui/layers";
import { ApiError } from "../../lib/rest";
import { useCurrentViewValue } from "../chat/hooks/use-chat";
import type { DiffPage, FileDiff } from "../../types/protocol";
import { DiffHunks, type DiffLayout } from "./diff-view";
import type { WorkspaceApi } from "./workspace-api";

/** Files with more changed lines than this start collapsed. */
export const COLLAPSE_LINES = 400;

const STATUS_MARK: Record<FileDiff["status"], string> = { added: "A", modified: "M", deleted: "D", renamed: "R" };
const BUTTON =
  "min-h-8 rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 focus-visible:ring-2 focus-visible:ring-blue-500 dark:border-zinc-700 dark:hover:bg-zinc-800";

type Loaded = { page: DiffPage; files: FileDiff[] } | { error: string; notGit: boolean } | null;

/** The session's diff, loaded on open and again after each `changes_updated`. */
function useDiff(api: WorkspaceApi, id: string, open: boolean) {
  const version = useCurrentViewValue((v) => v?.changesVersion ?? 0);
  const [state, setState] = useState<Loaded>(null);
  useEffect(() => {
    let live = true;
    // Closed, only the count is shown: one file's worth is enough.
    api
      .diff(id, open ? {} : { limit: 1 })
      .then((page) => live && setState({ page, files: page.files }))
      .catch((e: unknown) => {
        if (!live) return;
        const notGit = e instanceof ApiError && e.code === "not_a_git_repository";
        setState({ error: e instanceof Error ? e.message : "The changes could not be loaded.", notGit });
      });
    return () => {
      live = false;
    };
  }, [api, id, open, version]);
  const more = useCallback(async () => {
    if (!state || !("page" in state) || !state.page.next_cursor) return;
    const next = await api.diff(id, { cursor: state.page.next_cursor });
    setState({ page: next, files: [...state.files, ...next.files] });
  }, [api, id, state]);
  const rest = useCallback(
    async (f: FileDiff) => {
      if (f.next_hunk === null) return;
      const got = await api.diff(id, { file: f.path, hunk: f.next_hunk });
      const g = got.files[0];
      if (!g) return;
      setState((s) =>
        s && "page" in s
          ? { ...s, files: s.files.map((x) => (x.path === f.path ? { ...g, hunks: [...x.hunks, ...g.hunks] } : x)) }
          : s,
      );
    },
    [api, id],
  );
  return { state, more, rest };
}

function FileBlock({ file, layout, onRest }: { file: FileDiff; layout: DiffLayout; onRest(f: FileDiff): void }) {
  const [open, setOpen] = useState(file.additions + file.deletions <= COLLAPSE_LINES && !(file.truncated && file.hunks.length === 0));
  return (
    <li className="rounded-md border border-zinc-200 dark:border-zinc-800" data-testid="changed-file">
      <button
        type="button"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        className="flex w-full items-center gap-2 px-2 py-1.5 text-left text-sm hover:bg-zinc-50 focus-visible:ring-2 focus-visible:ring-blue-500 dark:hover:bg-zinc-900"
      >
        <span aria-label={file.status} title={file.status} className="w-4 shrink-0 font-mono text-xs text-zinc-600 dark:text-zinc-400">
          {STATUS_MARK[file.status]}
        </span>
        <span className="min-w-0 flex-1 truncate font-mono text-xs">
          {file.old_path ? `${file.old_path} → ${file.path}` : file.path}
        </span>
        {file.binary ? (
          <span className="text-xs text-zinc-600 dark:text-zinc-400">binary</span>
        ) : (
          <span className="shrink-0 font-mono text-xs">
            <span className="text-green-700 dark:text-green-400">+{file.additions}</span>{" "}
            <span className="text-red-700 dark:text-red-400">−{file.deletions}</span>
          </span>
        )}
      </button>
      {open && (
        <div className="border-t border-zinc-200 dark:border-zinc-800">
          <DiffHunks file={file} layout={layout} />
          {file.truncated && file.next_hunk !== null && (
            <button type="button" className={`${BUTTON} m-2`} onClick={() => onRest(file)}>
              Show more of this file
            </button>
          )}
        </div>
      )}
    </li>
  );
}

/**
 * The "Changes" button of the open session (with its changed-file count) and the panel it
 * opens: the git diff of the session's directory, per file, unified or side by side, loaded
 * again after every turn that edited files. Hidden when the directory is not a git repository.
 */
export function ChangesButton({ api, id }: { api: WorkspaceApi; id: string }) {
  const [open, setOpen] = useState(false);
  const [layout, setLayout] = useState<DiffLayout>("unified");
  const { state, more, rest } = useDiff(api, id, open);
  if (state && "notGit" in state && state.notGit) return null;
  const count = state && "page" in state ? state.page.files_changed : null;
  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <button type="button" className={BUTTON}>
          Changes{count !== null ? ` · ${count}` : ""}
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className={OVERLAY} />
        <Dialog.Content
          aria-describedby={undefined}
          className={`fixed inset-y-0 right-0 ${LAYER} flex w-full flex-col bg-white text-zinc-900 shadow-xl sm:w-[min(56rem,92vw)] dark:bg-zinc-950 dark:text-zinc-100`}
        >
          <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 dark:border-zinc-800">
            <Dialog.Title className="font-semibold">Changes</Dialog.Title>
            {state && "page" in state && (
              <span className="text-xs text-zinc-600 dark:text-zinc-400">
                {state.page.files_changed} files ·{" "}
                <span className="text-green-700 dark:text-green-400">+{state.page.additions}</span>{" "}
                <span className="text-red-700 dark:text-red-400">−{state.page.deletions}</span>
              </span>
            )}
            <div className="ml-auto flex items-center gap-1" role="group" aria-label="Layout">
              <button type="button" aria-pressed={layout === "unified"} className={BUTTON} onClick={() => setLayout("unified")}>
                Unified
              </button>
              <button type="button" aria-pressed={layout === "split"} className={BUTTON} onClick={() => setLayout("split")}>
                Side by side
              </button>
              <Dialog.Close aria-label="Close the changes" className={BUTTON}>
                ✕
              </Dialog.Close>
            </div>
          </div>
          <div className="min-h-0 flex-1 overflow-auto p-2">
            {!state && <p className="text-sm">Loading…</p>}
            {state && "error" in state && (
              <p role="alert" className="text-sm text-red-700 dark:text-red-400">
                {state.error}
              </p>
            )}
            {state && "page" in state && state.files.length === 0 && <p className="text-sm">No changes.</p>}
            {state && "page" in state && (
              <ul className="flex flex-col gap-2">
                {state.files.map((f) => (
                  <FileBlock key={f.path} file={f} layout={layout} onRest={(x) => void rest(x)} />
                ))}
              </ul>
            )}
            {state && "page" in state && state.page.next_cursor && (
              <button type="button" className={`${BUTTON} mt-2`} onClick={() => void more()}>
                More files
              </button>
            )}
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
