/**
 * A sub-agent's work (issue 15): its tool calls, their results and its text arrive with the
 * `parent_tool_use_id` of the `Agent`/`Task` call it runs under, and are kept as that tool
 * card's `children` — live (these helpers, immutably) and from history (`items.ts`).
 */
import type { AssistantItem, Item, ToolItem } from "./items";

export type ChildItem = ToolItem | AssistantItem;

/** Adds `child` under the tool call `parentId` (searched in `items` and their children); false if it is not there. */
export function addChild(items: Item[], parentId: string, child: ChildItem): boolean {
  return replaceTool(items, parentId, (p) => ({ ...p, children: [...(p.children ?? []), child] }));
}

/** Replaces the tool item `toolUseId` (wherever it is nested) with `update(item)`; false if it is not there. */
export function replaceTool(items: Item[], toolUseId: string, update: (t: ToolItem) => ToolItem): boolean {
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.kind !== "tool") continue;
    if (it.toolUseId === toolUseId) {
      items[i] = update(it);
      return true;
    }
    if (it.children?.length) {
      const children = [...it.children] as Item[];
      if (replaceTool(children, toolUseId, update)) {
        items[i] = { ...it, children: children as ChildItem[] };
        return true;
      }
    }
  }
  return false;
}

/** How many tool calls a sub-agent made so far (its card's live count). */
export function childToolCount(t: ToolItem): number {
  return (t.children ?? []).filter((c) => c.kind === "tool").length;
}

/** One entry of a `TodoWrite` list. */
export type Todo = { content: string; status: "pending" | "in_progress" | "completed"; activeForm?: string };

/** The todos of a `TodoWrite` input, or null when it is not one. */
export function todosOf(name: string, input: unknown): Todo[] | null {
  if (name !== "TodoWrite") return null;
  const list = (input as { todos?: unknown } | null)?.todos;
  if (!Array.isArray(list)) return null;
  return list
    .filter((t): t is Record<string, unknown> => typeof t === "object" && t !== null)
    .map((t) => ({
      content: typeof t.content === "string" ? t.content : "",
      status: t.status === "completed" || t.status === "in_progress" ? t.status : "pending",
      activeForm: typeof t.activeForm === "string" ? t.activeForm : undefined,
    }));
}

/** The latest todo list of a conversation (the last `TodoWrite` call, sub-agents' included). */
export function latestTodos(items: Item[]): Todo[] | null {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.kind !== "tool") continue;
    const nested = it.children ? latestTodos(it.children) : null;
    if (nested) return nested;
    const todos = todosOf(it.name, it.input);
    if (todos) return todos;
  }
  return null;
}
