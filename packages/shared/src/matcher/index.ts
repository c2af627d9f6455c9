import type { FeedRule, Matcher, MatchedRule, RuleChange } from './matcher-types.js';
import { ReferenceMatcher, applyChangesToReference } from './reference-matcher.js';

export * from './matcher-types.js';
export { ReferenceMatcher, parseIpText } from './reference-matcher.js';

/** Builds a matcher from a full rule set (a snapshot). */
export function buildMatcher(rules: Iterable<FeedRule | MatchedRule>): Matcher {
  return new ReferenceMatcher(rules);
}

/** A new matcher with the changes applied; `base` stays usable and unchanged. */
export function applyChanges(base: Matcher, changes: readonly RuleChange[]): Matcher {
  return applyChangesToReference(base as ReferenceMatcher, changes);
}
