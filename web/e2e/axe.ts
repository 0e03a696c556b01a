// axe-core (pinned in package.json) run inside the page: every rule axe runs by default,
// plus WCAG 2.2's target size, in light and in dark; any violation of any impact fails.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { expect } from "vitest";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

type Violation = { id: string; impact: string | null; help: string; nodes: string[] };
type AxeWindow = Window & {
  axe?: {
    run(
      context: Document,
      options: object,
    ): Promise<{ violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }>;
  };
};

/** The violations axe finds in the page as it is now. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  // Evaluated, not added as a <script>: the page's Content-Security-Policy allows no inline
  // script (an added one would be blocked and reported as a violation).
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as AxeWindow).axe!;
    const result = await axe.run(document, {
      resultTypes: ["violations"],
      rules: { "target-size": { enabled: true } },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary ?? ""}`),
    }));
  });
}

/** Sets the theme the way the toggle does (the class on <html>). */
export async function setTheme(page: Page, theme: "light" | "dark"): Promise<void> {
  await page.evaluate((dark) => document.documentElement.classList.toggle("dark", dark), theme === "dark");
}

/** Runs axe on `screen` in light and in dark; fails listing every violation. Leaves the page light. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const found: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    for (const v of await axeViolations(page)) {
      found.push(`${screen} (${theme}): ${v.id} [${v.impact}] ${v.help}\n    ${v.nodes.join("\n    ")}`);
    }
  }
  await setTheme(page, "light");
  expect(found, found.join("\n")).toEqual([]);
}
