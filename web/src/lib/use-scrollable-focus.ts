import { useLayoutEffect, type RefObject } from "react";

/**
 * Makes a box that scrolls (a wide code block, long tool output) reachable by keyboard, so it
 * can be scrolled with the arrow keys: `tabindex="0"` while its content overflows, none
 * otherwise (no empty tab stops). The box needs a role and a label of its own.
 */
export function useScrollableFocus(ref: RefObject<HTMLElement | null>) {
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (scrolls) el.tabIndex = 0;
      else el.removeAttribute("tabindex");
    };
    // A ResizeObserver reports every box it starts observing once the frame's layout is
    // done: measuring here would force a layout in the middle of a streaming reply's commit.
    if (typeof ResizeObserver === "undefined") {
      update();
      return;
    }
    const ro = new ResizeObserver(update);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, [ref]);
}
