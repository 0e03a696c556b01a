/** What the Changes panel and the @-mention palette ask the server (REST, with the key). */
import type { DiffOptions } from "../../lib/rest";
import type { DiffPage, FileMatches } from "../../types/protocol";

export type WorkspaceApi = {
  diff(sessionId: string, o?: DiffOptions): Promise<DiffPage>;
  files(sessionId: string, q: string): Promise<FileMatches>;
};
