import { describe, expect, it } from "vitest";
import { createStreamRender } from "./stream-render";

describe("stream render", () => {
  it("is settled when every view has rendered its text, and calls back once", () => {
    const r = createStreamRender();
    const a = {};
    const b = {};
    let calls = 0;
    r.pending(a);
    r.pending(b);
    r.whenRendered(() => calls++);
    r.rendered(a);
    expect(r.busy()).toBe(true);
    expect(calls).toBe(0);
    r.rendered(b);
    expect(r.busy()).toBe(false);
    expect(calls).toBe(1);
    r.pending(a);
    r.rendered(a);
    expect(calls).toBe(1);
  });

  it("calls back at once when nothing is pending", () => {
    const r = createStreamRender();
    let called = false;
    r.whenRendered(() => {
      called = true;
    });
    expect(called).toBe(true);
  });
});
