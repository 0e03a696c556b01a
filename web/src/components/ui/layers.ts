/**
 * One rule for everything that opens above the page (the session drawer, confirmation
 * dialogs): each is portalled to `<body>` in the order it opens, and all of them share one
 * z-layer, so the one opened last is on top. A dialog opened from inside the drawer (End
 * session on a phone) therefore stacks above the drawer, and Radix gives pointer and focus
 * only to the top one; closing it returns to the drawer. Nothing sets its own z-index.
 */
export const LAYER = "z-50";
/** The dimmed backdrop under a layer. */
export const OVERLAY = `fixed inset-0 ${LAYER} bg-black/50`;
/** A centred dialog box. */
export const DIALOG_BOX = `fixed top-1/2 left-1/2 ${LAYER} w-[min(24rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-5 text-zinc-900 shadow-xl dark:bg-zinc-900 dark:text-zinc-100`;
