/**
 * A permission rule as a person reads it: `Bash(npm run *)` → `Bash commands starting with
 * "npm run"`, `Bash(make test)` → `the Bash command "make test"`, `Edit` → `every Edit`,
 * anything else as written.
 */
export function ruleLabel(rule: string): string {
  const m = /^([^()]+)\((.*)\)$/.exec(rule);
  if (!m) return `every ${rule}`;
  const [, tool, content] = m;
  if (tool === "Bash") {
    return content.endsWith(" *") ? `Bash commands starting with "${content.slice(0, -2)}"` : `the Bash command "${content}"`;
  }
  return `${tool} ${content}`;
}
