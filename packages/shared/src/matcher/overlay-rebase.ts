import { NO_MATCH, type MatchedRule } from './matcher-types.js';
import type { CompiledMatcher } from './compiled-matcher.js';
import type { CompactionJob } from './compaction-job.js';

/**
 * An overlay state (adds, removed over `job.base`) moved onto the job's compacted result,
 * which already holds the job's snapshot of that state: what is left is what changed since.
 * Rules in the adds maps are never mutated, so "changed" is "a different object".
 */
export function rebase(job: CompactionJob, result: CompiledMatcher, adds: ReadonlyMap<string, MatchedRule>, removed: ReadonlySet<number>): { adds: Map<string, MatchedRule>; removed: Set<number> } {
  const nextAdds = new Map<string, MatchedRule>();
  const nextRemoved = new Set<number>();
  const hide = (rule: MatchedRule): void => {
    const h = result.findRule(rule.kind, rule.value);
    if (h !== NO_MATCH) nextRemoved.add(h);
  };
  // Added or replaced since the snapshot: shadows whatever the result holds under that key.
  for (const [key, rule] of adds) {
    if (job.adds.get(key) !== rule) { nextAdds.set(key, rule); hide(rule); }
  }
  // Added before the snapshot, removed since.
  for (const [key, rule] of job.adds) if (!adds.has(key)) hide(rule);
  // Base rules removed since the snapshot: the result still has them.
  for (const h of removed) if (!job.removed.has(h)) hide(job.base.ruleOf(h));
  return { adds: nextAdds, removed: nextRemoved };
}
