import type { FeedRule, Matcher, MatchedRule, RuleChange } from './matcher-types.js';
import { ReferenceMatcher, applyChangesToReference } from './reference-matcher.js';
import { CompiledMatcher } from './compiled-matcher.js';
import { MatcherBuilder } from './matcher-builder.js';
import { OverlayMatcher, applyChangesToFast, compactMatcher } from './overlay-matcher.js';

export * from './matcher-types.js';
export { ReferenceMatcher } from './reference-matcher.js';
export { parseIpText } from './ip-text.js';
export { MatcherBuilder, CompiledMatcher, OverlayMatcher, compactMatcher };

/** Builds a matcher from a full rule set (a snapshot). Later duplicates (kind+value) win. */
export function buildMatcher(rules: Iterable<FeedRule | MatchedRule>): Matcher {
  const b = new MatcherBuilder();
  for (const r of rules) b.add(r);
  return b.build();
}

/**
 * A new matcher with the changes applied; `base` stays usable and unchanged. Cheap for small
 * batches (an overlay over the base), an occasional full rebuild when the overlay grows.
 */
export function applyChanges(base: Matcher, changes: readonly RuleChange[]): Matcher {
  if (base instanceof CompiledMatcher || base instanceof OverlayMatcher) return applyChangesToFast(base, changes);
  if (base instanceof ReferenceMatcher) return applyChangesToReference(base, changes);
  throw new TypeError('applyChanges: base was not made by buildMatcher');
}
