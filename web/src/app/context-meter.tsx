/** Above this share of the window the meter suggests `/compact`. */
export const COMPACT_SUGGESTED_AT = 0.8;

const kTokens = (n: number) => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(n % 1_000_000 ? 1 : 0)}M` : `${Math.round(n / 1000)}k`);

/** How full the open session's context is (after its last turn), with a hint to compact. */
export function ContextMeter({ usedTokens, windowTokens }: { usedTokens: number; windowTokens: number }) {
  const share = windowTokens > 0 ? Math.min(usedTokens / windowTokens, 1) : 0;
  const percent = Math.round(share * 100);
  const full = share >= COMPACT_SUGGESTED_AT;
  return (
    <span className="flex items-center gap-1.5" data-testid="context-meter">
      <span>Context</span>
      <meter
        min={0}
        max={windowTokens}
        value={usedTokens}
        high={windowTokens * COMPACT_SUGGESTED_AT}
        optimum={0}
        aria-label={`Context ${percent}% full`}
        className="h-2 w-16"
      />
      <span title={`${usedTokens.toLocaleString("en-US")} of ${windowTokens.toLocaleString("en-US")} tokens`}>
        {percent}% of {kTokens(windowTokens)}
      </span>
      {full && <span className="font-medium text-amber-700 dark:text-amber-400">nearly full: send /compact to summarize</span>}
    </span>
  );
}
