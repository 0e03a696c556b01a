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
 */

/** Waiting this much after a frame's cost keeps text to about a third of the main thread. */
const WAIT_PER_COST = 2;
/** Text never waits longer than this for the next update. */
export const MAX_WAIT_MS = 250;
/** A hidden tab's pace. */
const HIDDEN_MS = 100;

export type PacerEnv = {
  now(): number;
  frame(cb: () => void): void;
  /** Runs `cb` in the first task after the current one (and after the frame it caused). */
  afterFrame(cb: () => void): void;
  later(cb: () => void, ms: number): void;
  hidden(): boolean;
  /** `now()` of the last key press or tap (−∞ before any). */
  lastInput(): number;
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
};

export function createFramePacer(env: PacerEnv = browser): (fn: () => void) => void {
  let notBefore = 0;
  const run = (fn: () => void) => {
    const start = env.now();
    fn();
    env.afterFrame(() => {
      const end = env.now();
      notBefore = end + Math.min(MAX_WAIT_MS, WAIT_PER_COST * (end - start));
    });
  };
  return (fn) => {
    if (env.hidden()) {
      env.later(fn, HIDDEN_MS);
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
  };
}
