/**
 * When streamed text is applied (the stores' `schedule`, used by the chat's delta buffer):
 * in the next animation frame, but spaced so that applying it takes at most about a third of
 * the main thread. A frame that applied text is timed from its start to the first task
 * after it (React's render, layout and paint all happen in between), and the next one waits
 * twice that long (at most `MAX_WAIT_MS`). A fast machine applies text every frame; a slow
 * one applies more text less often and stays responsive to typing and scrolling, instead of
 * spending every frame on the reply. A hidden tab has no frames: a timer then.
 *
 * A key press (or a tap) that came in since the frame was asked for gets that frame to
 * itself: the text waits one more frame, so what the person typed is painted without a
 * reply's render and layout in front of it (once per update: text is never starved).
 *
 * The streaming reply renders its text in the background, in slices a key press can
 * preempt (`useDeferredValue`): applying text then only starts its render. The cost of an
 * update runs until that render has committed and the frame after it (`rendering` /
 * `whenRendered`), and nothing more is applied before: text applied faster than it renders
 * would restart the background render each time and show nothing new.
 */
import { streamRender } from "../features/chat/lib/stream-render";

/** Waiting this much after a frame's cost keeps text to about a third of the main thread. */
const WAIT_PER_COST = 2;
/** Text never waits longer than this for the next update. */
export const MAX_WAIT_MS = 250;
/** A hidden tab's pace. */
const HIDDEN_MS = 100;
/** A background render that has not committed by then (a view gone mid-render) no longer holds text back. */
export const MAX_RENDER_WAIT_MS = 1_000;

export type PacerEnv = {
  now(): number;
  frame(cb: () => void): void;
  /** Runs `cb` in the first task after the current one (and after the frame it caused). */
  afterFrame(cb: () => void): void;
  later(cb: () => void, ms: number): void;
  hidden(): boolean;
  /** `now()` of the last key press or tap (−∞ before any). */
  lastInput(): number;
  /** Text applied is still being rendered in the background. */
  rendering(): boolean;
  /** Calls `cb` once that render has committed. */
  whenRendered(cb: () => void): void;
};

let lastInputAt = -Infinity;
if (typeof window !== "undefined") {
  const note = () => {
    lastInputAt = performance.now();
  };
  for (const type of ["keydown", "beforeinput", "pointerdown"]) {
    window.addEventListener(type, note, { capture: true, passive: true });
  }
}

const browser: PacerEnv = {
  now: () => performance.now(),
  frame: (cb) => requestAnimationFrame(() => cb()),
  afterFrame(cb) {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => cb();
    ch.port2.postMessage(null);
  },
  later: (cb, ms) => setTimeout(cb, ms),
  hidden: () => document.hidden,
  lastInput: () => lastInputAt,
  rendering: () => streamRender.busy(),
  whenRendered: (cb) => streamRender.whenRendered(cb),
};

export function createFramePacer(env: PacerEnv = browser): (fn: () => void) => void {
  let notBefore = 0;
  /** From an update until its cost is known: what is scheduled meanwhile waits. */
  let busy = false;
  let queued: Array<() => void> = [];

  const finish = (start: number) => {
    const end = env.now();
    notBefore = end + Math.min(MAX_WAIT_MS, WAIT_PER_COST * (end - start));
    busy = false;
    if (queued.length) {
      const fns = queued;
      queued = [];
      schedule(() => fns.forEach((fn) => fn()));
    }
  };

  const run = (fn: () => void) => {
    const start = env.now();
    busy = true;
    fn();
    env.afterFrame(() => {
      if (!env.rendering()) {
        finish(start);
        return;
      }
      // Rendered in the background: timed until the frame after it commits.
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        env.afterFrame(() => finish(start));
      };
      env.whenRendered(settle);
      env.later(settle, MAX_RENDER_WAIT_MS);
    });
  };

  function schedule(fn: () => void) {
    if (env.hidden()) {
      env.later(fn, HIDDEN_MS);
      return;
    }
    if (busy) {
      queued.push(fn);
      return;
    }
    const inFrame = () => {
      const asked = env.now();
      env.frame(() => {
        if (env.lastInput() >= asked) env.frame(() => run(fn));
        else run(fn);
      });
    };
    const wait = notBefore - env.now();
    if (wait > 0) env.later(inFrame, wait);
    else inFrame();
  }
  return schedule;
}
