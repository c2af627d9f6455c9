import { NO_MATCH, type Matcher, type MatchedRule, type RuleChange, type RuleMode } from './matcher-types.js';
import { CompiledMatcher } from './compiled-matcher.js';
import { MatcherBuilder } from './matcher-builder.js';
import { normaliseHost } from './url-rules.js';
import { ruleKey } from './rule-key.js';
import { CompactionJob, compactNow } from './compaction-job.js';
import { rebase } from './overlay-rebase.js';

/**
 * A large immutable base plus a small rebuilt-per-update top matcher holding the rules added
 * since, and the set of base rules removed or replaced since. Applying a change costs in
 * proportion to the overlay, not the base; once the overlay outgrows OVERLAY_LIMIT (or a
 * quarter of the base), everything is compacted into one fresh build. A small build is done
 * at once; a large one (about a second at a million rules) runs as a CompactionJob in slices
 * on the event loop while this overlay keeps growing and answering, and the first change
 * after it finishes moves the overlay onto the result.
 *
 * Every query asks both and keeps the more specific answer, the top winning ties, which is
 * what one build of the combined rules would answer.
 */

/** Keeps the per-update rebuild of the top matcher to a few milliseconds. */
export const OVERLAY_LIMIT = 4096;
/** Rebuilds up to this many rules are cheap enough (a few milliseconds) to do at once. */
export const SYNC_COMPACT_RULES = 8192;
/**
 * While a compaction runs, the overlay may grow to this many times its limit; past that (a
 * flood of changes that leaves the slices no time) the rest of the compaction is done at once.
 */
const PENDING_GROWTH = 4;

export class OverlayMatcher implements Matcher {
  readonly #base: CompiledMatcher;
  readonly #top: CompiledMatcher;
  readonly #removed: ReadonlySet<number> | null;
  /** Top handles are numbered after the base's. */
  readonly #offset: number;
  readonly #adds: ReadonlyMap<string, MatchedRule>;
  readonly #removedAll: ReadonlySet<number>;
  readonly #compaction: CompactionJob | null;

  constructor(base: CompiledMatcher, adds: ReadonlyMap<string, MatchedRule>, removed: ReadonlySet<number>, compaction: CompactionJob | null = null) {
    this.#compaction = compaction;
    this.#base = base;
    this.#adds = adds;
    this.#removedAll = removed;
    this.#removed = removed.size === 0 ? null : removed;
    const b = new MatcherBuilder({ expectedRules: adds.size });
    for (const r of adds.values()) b.add(r);
    this.#top = b.build();
    this.#offset = base.handleCount;
  }

  get base(): CompiledMatcher { return this.#base; }
  get adds(): ReadonlyMap<string, MatchedRule> { return this.#adds; }
  get removed(): ReadonlySet<number> { return this.#removedAll; }
  /** The background compaction of an earlier state of this overlay, running or done; null for none. */
  get compaction(): CompactionJob | null { return this.#compaction; }
  get overlaySize(): number { return this.#adds.size + this.#removedAll.size; }
  get ruleCount(): number { return this.#base.ruleCount - this.#removedAll.size + this.#top.ruleCount; }

  matchWireName(buf: Uint8Array, offset: number): number {
    const domains = this.#base.domains;
    const b = domains.matchWire(buf, offset, this.#removed);
    const top = this.#top.domains;
    if (top.nodeCount === 0) return b;
    const bSpec = domains.lastSpecificity;
    const t = top.matchWire(buf, offset, null);
    return t !== NO_MATCH && top.lastSpecificity >= bSpec ? t + this.#offset : b;
  }

  matchHost(host: string): number {
    const domains = this.#base.domains;
    const b = domains.matchText(host, this.#removed);
    const top = this.#top.domains;
    if (top.nodeCount === 0) return b;
    const bSpec = domains.lastSpecificity;
    const t = top.matchText(host, null);
    return t !== NO_MATCH && top.lastSpecificity >= bSpec ? t + this.#offset : b;
  }

  matchIp(addr: Uint8Array): number {
    const b = this.#base.ipMatch(addr, this.#removed);
    const bRank = addr.length === 4 ? this.#base.cidr4.lastRank : this.#base.cidr6.lastRank;
    const t = this.#top.ipMatch(addr, null);
    const tRank = addr.length === 4 ? this.#top.cidr4.lastRank : this.#top.cidr6.lastRank;
    return t !== NO_MATCH && tRank >= bRank ? t + this.#offset : b;
  }

  matchUrl(host: string, path: string): number {
    if (this.#base.urls.size + this.#top.urls.size > 0) {
      const name = normaliseHost(host);
      const b = this.#base.urls.match(name, path, this.#removed);
      const bLen = this.#base.urls.lastPathLength;
      const t = this.#top.urls.match(name, path, null);
      if (t !== NO_MATCH && this.#top.urls.lastPathLength >= bLen) return t + this.#offset;
      if (b !== NO_MATCH) return b;
    }
    return this.matchHost(host);
  }

  entryOf(handle: number): number {
    return handle < this.#offset ? this.#base.store.entry[handle]! : this.#top.store.entry[handle - this.#offset]!;
  }
  modeOf(handle: number): RuleMode {
    return handle < this.#offset ? this.#base.store.modeOf(handle) : this.#top.store.modeOf(handle - this.#offset);
  }
  untilOf(handle: number): number {
    return handle < this.#offset ? this.#base.store.untilOf(handle) : this.#top.store.untilOf(handle - this.#offset);
  }
  ruleOf(handle: number): MatchedRule {
    return handle < this.#offset ? this.#base.ruleOf(handle) : this.#top.ruleOf(handle - this.#offset);
  }

  /** Every live rule (cold path). */
  *liveRules(): Generator<MatchedRule> {
    yield* this.#base.liveRules(this.#removedAll);
    yield* this.#adds.values();
  }
}

function withoutId(rule: RuleChange['rule']): MatchedRule {
  const { kind, value, mode, entry } = rule;
  return rule.until === undefined ? { kind, value, mode, entry } : { kind, value, mode, entry, until: rule.until };
}

/**
 * `changes` applied over a compiled or overlay matcher, in order. Throws a TypeError for an
 * added rule no matcher can hold; `from` is never modified either way.
 */
export function applyChangesToFast(from: CompiledMatcher | OverlayMatcher, changes: readonly RuleChange[]): Matcher {
  const base = from instanceof OverlayMatcher ? from.base : from;
  const adds = new Map(from instanceof OverlayMatcher ? from.adds : []);
  const removed = new Set(from instanceof OverlayMatcher ? from.removed : []);
  for (const { op, rule } of changes) {
    const key = ruleKey(rule.kind, rule.value);
    if (key === undefined) {
      if (op === 'add') throw new TypeError(`rule ${rule.kind} ${rule.value}: not a value a matcher can hold`);
      continue;
    }
    // Both an add (replacing) and a remove hide the base's rule of that identity.
    const inBase = base.findRule(rule.kind, rule.value);
    if (inBase !== NO_MATCH) removed.add(inBase);
    if (op === 'add') adds.set(key, withoutId(rule));
    else adds.delete(key);
  }
  return settle(base, adds, removed, from instanceof OverlayMatcher ? from.compaction : null);
}

/** The matcher for an overlay state: onto a finished compaction, compacted, or as it is. */
function settle(base: CompiledMatcher, adds: Map<string, MatchedRule>, removed: Set<number>, job: CompactionJob | null): Matcher {
  if (job !== null && job.settled) {
    const result = job.result;
    if (result === null) return compact(base, adds, removed);
    ({ adds, removed } = rebase(job, result, adds, removed));
    base = result;
    job = null;
  }
  const size = adds.size + removed.size;
  const limit = Math.min(OVERLAY_LIMIT, Math.max(64, base.ruleCount >> 2));
  if (size > limit) {
    if (base.ruleCount + adds.size <= SYNC_COMPACT_RULES) return compact(base, adds, removed);
    if (job === null) {
      job = new CompactionJob(base, adds, removed);
    } else if (size > limit * PENDING_GROWTH) {
      job.finishNow();
      return settle(base, adds, removed, job);
    }
  }
  return new OverlayMatcher(base, adds, removed, job);
}

const compact = compactNow;

/** One fresh build of everything an overlay matcher holds, done now. */
export function compactMatcher(m: CompiledMatcher | OverlayMatcher): CompiledMatcher {
  return m instanceof OverlayMatcher ? compact(m.base, m.adds, m.removed) : m;
}

/**
 * Resolves once the background compaction `m` depends on (if any) has finished, with `m`
 * moved onto its result: the same rules, answered from a fresh build, `m` itself unchanged.
 * A caller that wants the fresh build (and the old one's memory back) without waiting for
 * its next change assigns the result in place of `m`.
 */
export async function whenCompacted(m: Matcher): Promise<Matcher> {
  if (!(m instanceof OverlayMatcher) || m.compaction === null) return m;
  await m.compaction.whenSettled();
  return settle(m.base, new Map(m.adds), new Set(m.removed), m.compaction);
}
