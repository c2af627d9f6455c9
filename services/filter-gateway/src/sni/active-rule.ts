import { NO_MATCH, type Matcher } from '@tizilim/shared';

/**
 * Whether a match handle blocks now. A suspension whose end has passed no longer blocks even
 * before the feed removes it, so a gateway that lost the register does not over-block. An
 * exception (`allow`), the most specific rule on what was asked, never blocks.
 */
export function blocksNow(matcher: Matcher, handle: number, now: number): boolean {
  if (handle === NO_MATCH || matcher.modeOf(handle) === 'allow') return false;
  const until = matcher.untilOf(handle);
  return until === 0 || until > now;
}
