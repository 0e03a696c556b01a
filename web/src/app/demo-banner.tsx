/** Shown (in the page's banner) while the server answers with its offline demo model. */
export function DemoBanner() {
  return (
    <p
      role="note"
      className="bg-amber-100 px-3 py-1 text-center text-sm text-amber-950 dark:bg-amber-900 dark:text-amber-50"
    >
      <strong>Demo model</strong>
      <span className="hidden sm:inline">
        {" "}
        — no Anthropic API key is configured on the server, so replies come from a built-in
        demo, not Claude. Set <code>ANTHROPIC_API_KEY</code> and restart to talk to Claude.
      </span>
      <span className="sm:hidden"> — not Claude (no API key on the server)</span>
    </p>
  );
}
