/**
 * What a tool call asks to do, in the form a person reads it best: a shell command as code,
 * an edit as a diff, a read or search as its paths and patterns, a fetch as a link, anything
 * else as formatted JSON. Pure: the permission request and tool card render the result.
 */

export type DiffLine = { op: " " | "-" | "+"; text: string };
export type Field = { label: string; value: string; code?: boolean };

export type ToolInputView =
  | { kind: "command"; command: string; description?: string }
  | { kind: "diff"; path: string; hunks: Array<{ lines: DiffLine[]; note?: string }> }
  | { kind: "fields"; fields: Field[] }
  | { kind: "link"; url: string; fields: Field[] }
  | { kind: "json"; text: string };

/** A sentence for the request: what Claude wants to do with `tool`. */
export function toolAction(tool: string): string {
  switch (tool) {
    case "Bash":
      return "run a command";
    case "Edit":
    case "MultiEdit":
    case "NotebookEdit":
      return "edit a file";
    case "Write":
      return "write a file";
    case "Read":
      return "read a file";
    case "Glob":
    case "Grep":
    case "LS":
      return "search files";
    case "WebFetch":
      return "fetch a web page";
    case "WebSearch":
      return "search the web";
    case "ExitPlanMode":
      return "start on its plan";
    default:
      return `use ${tool}`;
  }
}

const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);

function json(input: unknown): ToolInputView {
  let text: string;
  try {
    text = JSON.stringify(input, null, 2) ?? String(input);
  } catch {
    text = String(input);
  }
  return { kind: "json", text };
}

/** Label → value for the listed keys the input has (numbers and booleans as text). */
function fields(o: Record<string, unknown>, spec: Array<[key: string, label: string, code?: boolean]>): Field[] {
  const out: Field[] = [];
  for (const [key, label, code] of spec) {
    const v = o[key];
    if (typeof v === "string" && v !== "") out.push({ label, value: v, code });
    else if (typeof v === "number" || typeof v === "boolean") out.push({ label, value: String(v), code });
  }
  return out;
}

export function describeToolInput(tool: string, input: unknown): ToolInputView {
  if (!input || typeof input !== "object" || Array.isArray(input)) return json(input);
  const o = input as Record<string, unknown>;
  switch (tool) {
    case "Bash": {
      const command = str(o, "command");
      if (command === undefined) break;
      return { kind: "command", command, description: str(o, "description") };
    }
    case "Edit": {
      const path = str(o, "file_path");
      const before = str(o, "old_string");
      const after = str(o, "new_string");
      if (path === undefined || before === undefined || after === undefined) break;
      const note = o.replace_all === true ? "every occurrence" : undefined;
      return { kind: "diff", path, hunks: [{ lines: lineDiff(before, after), note }] };
    }
    case "MultiEdit": {
      const path = str(o, "file_path");
      if (path === undefined || !Array.isArray(o.edits)) break;
      const hunks = (o.edits as unknown[]).map((e) => {
        const edit = (e && typeof e === "object" ? e : {}) as Record<string, unknown>;
        return {
          lines: lineDiff(str(edit, "old_string") ?? "", str(edit, "new_string") ?? ""),
          note: edit.replace_all === true ? "every occurrence" : undefined,
        };
      });
      return { kind: "diff", path, hunks };
    }
    case "Write": {
      const path = str(o, "file_path");
      const content = str(o, "content");
      if (path === undefined || content === undefined) break;
      return { kind: "diff", path, hunks: [{ lines: lineDiff("", content), note: "new content" }] };
    }
    case "NotebookEdit": {
      const path = str(o, "notebook_path");
      if (path === undefined) break;
      const mode = str(o, "edit_mode");
      return {
        kind: "diff",
        path,
        hunks: [{ lines: lineDiff("", str(o, "new_source") ?? ""), note: mode ? `${mode} a cell` : undefined }],
      };
    }
    case "Read":
      if (str(o, "file_path") === undefined) break;
      return { kind: "fields", fields: fields(o, [["file_path", "File", true], ["offset", "From line"], ["limit", "Lines"]]) };
    case "Glob":
    case "Grep":
    case "LS": {
      const f = fields(o, [
        ["pattern", "Pattern", true],
        ["path", "In", true],
        ["glob", "Files", true],
        ["type", "Type", true],
        ["output_mode", "Shows"],
      ]);
      if (f.length === 0) break;
      return { kind: "fields", fields: f };
    }
    case "WebFetch": {
      const url = str(o, "url");
      if (url === undefined) break;
      return { kind: "link", url, fields: fields(o, [["prompt", "To find"]]) };
    }
    case "WebSearch":
      if (str(o, "query") === undefined) break;
      return { kind: "fields", fields: fields(o, [["query", "Search for"]]) };
  }
  return json(input);
}

/** A link is offered only for a web address (never `javascript:` and the like). */
export function isWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** Above this many line pairs the diff does not look for common lines (all old, then all new). */
const MAX_DIFF_CELLS = 250_000;

/**
 * A line diff of `before` → `after`: common lines kept (" "), the rest removed ("-") then
 * added ("+"), by the longest common subsequence.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === "" ? [] : before.split("\n");
  const b = after === "" ? [] : after.split("\n");
  // Common head and tail first: an edit usually changes a few lines in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle: DiffLine[] = [];
  if (x.length * y.length > MAX_DIFF_CELLS) {
    middle.push(...x.map((text) => ({ op: "-" as const, text })), ...y.map((text) => ({ op: "+" as const, text })));
  } else {
    // lcs[i][j]: the longest common subsequence of x[i..] and y[j..].
    const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        middle.push({ op: " ", text: x[i] });
        i++;
        j++;
      } else if (i < x.length && (j === y.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
        middle.push({ op: "-", text: x[i++] }); // removals before additions, as diffs read
      } else {
        middle.push({ op: "+", text: y[j++] });
      }
    }
  }
  const same = (lines: string[]) => lines.map((text) => ({ op: " " as const, text }));
  return [...same(a.slice(0, head)), ...middle, ...same(a.slice(a.length - tail))];
}
