// Ends a Vitest run with one plain line, `<label>: N passed, N failed[, N skipped]`, that CI
// logs (and people) can read without knowing Vitest's own output.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  private readonly label: string;
  constructor(label = "vitest") {
    this.label = label;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failed += 1;
        else skipped += 1;
      }
      if (m.state() === "failed" && ![...m.children.allTests()].length) failed += 1;
    }
    const tail = skipped ? `, ${skipped} skipped` : "";
    process.stdout.write(`\n${this.label}: ${passed} passed, ${failed} failed${tail}\n`);
  }
}
