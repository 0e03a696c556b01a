import { describe, expect, it } from "vitest";
import { createFramePacer, MAX_RENDER_WAIT_MS, MAX_WAIT_MS, type PacerEnv } from "./frame-pacer";
import { createStreamRender } from "../features/chat/lib/stream-render";

/** A clock and queues the test advances by hand. */
function fakeEnv() {
  let t = 0;
  const frames: Array<() => void> = [];
  const after: Array<() => void> = [];
  const timers: Array<{ at: number; cb: () => void }> = [];
  let input = -Infinity;
  const render = createStreamRender();
  const env: PacerEnv = {
    now: () => t,
    frame: (cb) => frames.push(cb),
    afterFrame: (cb) => after.push(cb),
    later: (cb, ms) => timers.push({ at: t + ms, cb }),
    hidden: () => false,
    lastInput: () => input,
    rendering: () => render.busy(),
    whenRendered: (cb) => render.whenRendered(cb),
  };
  return {
    env,
    render,
    /** A frame whose callbacks take `cost` ms, then the task after it. */
    frame(cost: number) {
      frames.splice(0).forEach((cb) => cb());
      t += cost;
      after.splice(0).forEach((cb) => cb());
    },
    advance(ms: number) {
      t += ms;
      for (const timer of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.cb();
      }
    },
    pending: () => ({ frames: frames.length, timers: timers.length }),
    /** A key press now. */
    key() {
      input = t;
    },
  };
}

describe("the frame pacer", () => {
  it("applies in the next frame while frames are cheap", () => {
    const f = fakeEnv();
    const schedule = createFramePacer(f.env);
    const runs: number[] = [];
    schedule(() => runs.push(1));
    f.frame(2);
    schedule(() => runs.push(2));
    f.advance(14);
    expect(f.pending()).toEqual({ frames: 1, timers: 0 });
    f.frame(2);
    expect(runs).toEqual([1, 2]);
  });

  it("after a costly frame, waits twice its cost (capped) before the next", () => {
    const f = fakeEnv();
    const schedule = createFramePacer(f.env);
    const runs: number[] = [];
    schedule(() => runs.push(1));
    f.frame(30);
    schedule(() => runs.push(2));
    expect(f.pending()).toEqual({ frames: 0, timers: 1 });
    f.advance(59);
    expect(f.pending().frames).toBe(0);
    f.advance(1);
    f.frame(500);
    expect(runs).toEqual([1, 2]);
    schedule(() => runs.push(3));
    f.advance(MAX_WAIT_MS - 1);
    expect(f.pending().frames).toBe(0);
    f.advance(1);
    expect(f.pending().frames).toBe(1);
  });

  it("leaves the frame after a key press to the key: the text comes one frame later", () => {
    const f = fakeEnv();
    const schedule = createFramePacer(f.env);
    const runs: number[] = [];
    schedule(() => runs.push(1));
    f.advance(5);
    f.key();
    f.frame(1);
    expect(runs).toEqual([]);
    expect(f.pending().frames).toBe(1);
    // Typing on does not hold the text back any longer: one frame per update.
    f.key();
    f.frame(1);
    expect(runs).toEqual([1]);
  });

  it("times an update rendered in the background until it has committed, and applies nothing before", () => {
    const f = fakeEnv();
    const schedule = createFramePacer(f.env);
    const view = {};
    const runs: number[] = [];
    schedule(() => {
      runs.push(1);
      f.render.pending(view);
    });
    f.frame(5);
    // More text while the render goes on: it waits.
    schedule(() => runs.push(2));
    f.advance(40);
    expect(f.pending().frames).toBe(0);
    f.render.rendered(view);
    // Settled in the task after the frame that commits it: 5 + 40 (+ 0) ms, so 90 ms later.
    f.frame(0);
    expect(runs).toEqual([1]);
    f.advance(89);
    expect(f.pending().frames).toBe(0);
    f.advance(1);
    f.frame(1);
    expect(runs).toEqual([1, 2]);
  });

  it("does not wait for a background render that never commits longer than MAX_RENDER_WAIT_MS", () => {
    const f = fakeEnv();
    const schedule = createFramePacer(f.env);
    const runs: number[] = [];
    schedule(() => {
      runs.push(1);
      f.render.pending({});
    });
    f.frame(1);
    schedule(() => runs.push(2));
    f.advance(MAX_RENDER_WAIT_MS);
    f.frame(0);
    f.advance(MAX_WAIT_MS);
    f.frame(1);
    expect(runs).toEqual([1, 2]);
  });
});
