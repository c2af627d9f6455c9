import type { FeedRule, Matcher, MatchedRule, RuleChange } from './matcher-types.js';
import { ReferenceMatcher, applyChangesToReference } from './reference-matcher.js';
import { CompiledMatcher } from './compiled-matcher.js';
import { MatcherBuilder } from './matcher-builder.js';
import { OverlayMatcher, applyChangesToFast, compactMatcher, whenCompacted } from './overlay-matcher.js';

export * from './matcher-types.js';
export { ReferenceMatcher } from './reference-matcher.js';
export { parseIpText } from './ip-text.js';
export { MatcherBuilder, CompiledMatcher, OverlayMatcher, compactMatcher, whenCompacted };

/** Builds a matcher from a full rule set (a snapshot). Later duplicates (kind+value) win. */
export function buildMatcher(rules: Iterable<FeedRule | MatchedRule>): Matcher {
  const b = new MatcherBuilder();
  for (const r of rules) b.add(r);
  return b.build();
}

/**
 * A new matcher with the changes applied; `base` stays usable and unchanged. Cheap for small
 * batches (an overlay over the base). When the overlay grows, a small rule set is rebuilt at
 * once and a large one in the background, in slices of a few milliseconds; a later call
 * (even with no changes) returns a matcher on the rebuilt base. See whenCompacted.
 */
export function applyChanges(base: Matcher, changes: readonly RuleChange[]): Matcher {
  if (base instanceof CompiledMatcher || base instanceof OverlayMatcher) return applyChangesToFast(base, changes);
  if (base instanceof ReferenceMatcher) return applyChangesToReference(base, changes);
  throw new TypeError('applyChanges: base was not made by buildMatcher');
}
