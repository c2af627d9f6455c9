import { CompiledMatcher, NO_MATCH, OverlayMatcher, type Matcher, type ResourceKind } from '@tizilim/shared';
import { ruleKey } from '@tizilim/shared/matcher/rule-key';

/**
 * The log entry of the live rule with exactly this kind and value, or -1. A matcher answers
 * "the most specific rule" only, and a check must list every rule that covers a name (the
 * exact one and each suffix above it), so each candidate is looked up by identity instead.
 *
 * The matcher has no such query of its own; this reads what its two concrete shapes expose
 * (a compiled build's `findRule`; an overlay's base, removed handles and added rules). A
 * matcher of another shape answers -1 for everything, and the caller must treat that as
 * "not known" — see ActiveRules, which refuses to load with one.
 */
export function matcherRuleEntry(matcher: Matcher, kind: ResourceKind, value: string): number {
  if (matcher instanceof CompiledMatcher) {
    const h = matcher.findRule(kind, value);
    return h === NO_MATCH ? -1 : matcher.entryOf(h);
  }
  if (matcher instanceof OverlayMatcher) {
    const key = ruleKey(kind, value);
    if (key === undefined) return -1;
    const added = matcher.adds.get(key);
    if (added) return added.entry;
    const h = matcher.base.findRule(kind, value);
    return h === NO_MATCH || matcher.removed.has(h) ? -1 : matcher.base.entryOf(h);
  }
  return -1;
}

/** Whether `matcherRuleEntry` can read this matcher. */
export function canFindRuleEntries(matcher: Matcher): boolean {
  return matcher instanceof CompiledMatcher || matcher instanceof OverlayMatcher;
}
