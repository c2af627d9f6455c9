import {
  MatcherBuilder, NO_MATCH, applyChanges, buildMatcher, whenCompacted,
  type FeedChange, type FeedRule, type Matcher, type RuleChange,
} from '@tizilim/shared';

/**
 * The live rules of one process. `matcher` is replaced by one assignment, so a query reads
 * either the old or the new set, never half of one; updates are built beside it first.
 */
export class RuleSet {
  matcher: Matcher = buildMatcher([]);
  version = -1;
  loaded = false;
  /** Rules from the register the matcher could not hold (malformed values); exported as a metric. */
  rejectedRules = 0;
  /** Exceptions (mode allow) in force, by rule key: a metric, and what an operator checks after a restoration. */
  readonly #exceptions = new Set<string>();
  /** Suspensions with an end, so expired ones can be dropped without the register. */
  readonly #ending = new Map<string, FeedRule>();
  #nextExpiry = Infinity;
  readonly #listeners = new Set<() => void>();

  replace(rules: Iterable<FeedRule>, version: number): void {
    // Streamed into the builder: a million-rule snapshot is never held twice.
    const ending = new Map<string, FeedRule>();
    const exceptions: string[] = [];
    const b = new MatcherBuilder();
    for (const r of rules) {
      // One rule the matcher cannot hold must not cost the whole snapshot: skip and count it.
      try {
        b.add(r);
      } catch {
        this.rejectedRules++;
        continue;
      }
      if (r.until !== undefined) ending.set(ruleKey(r), r);
      if (r.mode === 'allow') exceptions.push(ruleKey(r));
    }
    const m = b.build();
    this.#exceptions.clear();
    for (const k of exceptions) this.#exceptions.add(k);
    this.#ending.clear();
    for (const [k, r] of ending) this.#ending.set(k, r);
    this.#recomputeExpiry();
    this.matcher = m;
    this.version = version;
    this.loaded = true;
    this.#emit();
  }

  /** Applies a change batch; changes at or below the current version were seen already. */
  apply(changes: readonly FeedChange[], to: number): void {
    const fresh: RuleChange[] = [];
    for (const c of changes) {
      if (c.seq <= this.version) continue;
      const rule: FeedRule = { id: c.id, kind: c.kind, value: c.value, mode: c.mode, entry: c.entry };
      if (c.until !== undefined) rule.until = c.until;
      fresh.push({ op: c.op, rule });
      const key = ruleKey(rule);
      if (c.op === 'add' && rule.until !== undefined) this.#ending.set(key, rule);
      else this.#ending.delete(key);
      if (c.op === 'add' && rule.mode === 'allow') this.#exceptions.add(key);
      else this.#exceptions.delete(key);
    }
    if (fresh.length > 0) this.#use(applyFiltered(this.matcher, fresh, () => this.rejectedRules++));
    this.#recomputeExpiry();
    if (to > this.version) this.version = to;
    this.#emit();
  }

  /**
   * A lapsed suspension must stop blocking even when the register is unreachable. The
   * query path already ignores it (see isEnforced); removing it here also lets a broader
   * rule it shadowed take over.
   */
  expire(now: number): void {
    if (now < this.#nextExpiry) return;
    const gone: RuleChange[] = [];
    for (const [k, r] of this.#ending) {
      if (Date.parse(r.until!) <= now) { gone.push({ op: 'remove', rule: r }); this.#ending.delete(k); }
    }
    if (gone.length > 0) this.#use(applyChanges(this.matcher, gone));
    this.#recomputeExpiry();
    if (gone.length > 0) this.#emit();
  }

  /**
   * A large matcher compacts its overlay in the background; its fresh build replaces the
   * overlay as soon as it is done rather than at the next change, so the old build's memory
   * comes back without waiting for the register. Same rules either way: no change event.
   */
  #use(m: Matcher): void {
    this.matcher = m;
    whenCompacted(m).then((c) => { if (this.matcher === m && c !== m) this.matcher = c; }, () => undefined);
  }

  /** Exceptions (rules with mode allow) in the rule set. */
  get exceptionCount(): number {
    return this.#exceptions.size;
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(): void {
    for (const fn of this.#listeners) fn();
  }

  #recomputeExpiry(): void {
    let next = Infinity;
    for (const r of this.#ending.values()) {
      const t = Date.parse(r.until!);
      if (t < next) next = t;
    }
    this.#nextExpiry = Number.isNaN(next) ? Infinity : next;
  }
}

/** True when the rule behind `handle` blocks at `now` (a suspension past its end does not). */
/**
 * applyChanges refuses a whole batch when one rule is malformed (nothing changes then); a
 * feed page must still apply, so the batch is retried one change at a time without the bad one.
 */
function applyFiltered(m: Matcher, changes: readonly RuleChange[], onRejected: () => void): Matcher {
  try {
    return applyChanges(m, changes);
  } catch {
    let current = m;
    for (const c of changes) {
      try {
        current = applyChanges(current, [c]);
      } catch {
        onRejected();
      }
    }
    return current;
  }
}

/**
 * The matcher answers the most specific rule; when that is an exception (`allow`) the name is
 * let through even though a wider rule covers it.
 */
export function isEnforced(m: Matcher, handle: number, now: number): boolean {
  if (handle === NO_MATCH || m.modeOf(handle) === 'allow') return false;
  const until = m.untilOf(handle);
  return until === 0 || until > now;
}

export function ruleKey(r: { kind: string; value: string }): string {
  return `${r.kind} ${r.value}`;
}
