import type { Todo } from "../stores/agent-items";

const MARK: Record<Todo["status"], { icon: string; said: string; cls: string }> = {
  pending: { icon: "○", said: "pending", cls: "text-zinc-600 dark:text-zinc-400" },
  in_progress: { icon: "◐", said: "in progress", cls: "font-medium text-sky-700 dark:text-sky-300" },
  completed: { icon: "●", said: "done", cls: "text-green-700 line-through dark:text-green-400" },
};

/** A `TodoWrite` list: each entry with its state (pending / in progress / done). */
export function TodoList({ todos }: { todos: Todo[] }) {
  return (
    <ul className="space-y-0.5 text-sm">
      {todos.map((t, i) => (
        <li key={i} data-todo-status={t.status} className={`flex gap-2 ${MARK[t.status].cls}`}>
          <span aria-hidden>{MARK[t.status].icon}</span>
          <span>
            {t.status === "in_progress" && t.activeForm ? t.activeForm : t.content}
            <span className="sr-only"> ({MARK[t.status].said})</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The agent's current todo list, kept at the end of the conversation while it works. */
export function TodoPanel({ todos }: { todos: Todo[] }) {
  const done = todos.filter((t) => t.status === "completed").length;
  return (
    <section aria-label="Todo list" data-testid="todo-panel" className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <h2 className="mb-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
        Todo list · {done} of {todos.length} done
      </h2>
      <TodoList todos={todos} />
    </section>
  );
}
