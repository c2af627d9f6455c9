import type { MatchedRule } from './matcher-types.js';
import type { CompiledMatcher } from './compiled-matcher.js';
import { MatcherBuilder } from './matcher-builder.js';

/**
 * One fresh build of (base − removed + adds) done in slices on the event loop, so a compaction
 * at a million rules (about a second of work) never blocks queries for more than a slice.
 * The matcher that started it keeps answering meanwhile; the result is picked up by the next
 * applyChanges (overlay-matcher.ts), which returns a new matcher: the swap is the caller's one
 * assignment, so a query never sees half an update.
 */

/** Work per slice before yielding to the event loop. */
export const SLICE_MS = 4;
/** Rules re-added between checks of the clock. */
const RULES_PER_STEP = 1024;

/** One build of (base − removed + adds), in steps of a fraction of a millisecond. */
function* compactionSteps(base: CompiledMatcher, adds: ReadonlyMap<string, MatchedRule>, removed: ReadonlySet<number>): Generator<void, CompiledMatcher> {
  let addedBytes = 0;
  for (const r of adds.values()) addedBytes += r.value.length + 2;
  const b = new MatcherBuilder({ expectedRules: base.ruleCount - removed.size + adds.size, expectedNameBytes: base.domains.nameBytes + addedBytes });
  yield* b.prefault();
  const store = base.store;
  let n = 0;
  for (let h = 0; h < store.handleCount; h++) {
    if (!store.isLive(h) || removed.has(h)) continue;
    b.addFrom(base, h);
    if (++n % RULES_PER_STEP === 0) yield;
  }
  for (const r of adds.values()) {
    b.add(r);
    if (++n % RULES_PER_STEP === 0) yield;
  }
  return yield* b.buildSteps();
}

/** The same build done at once, for rule sets small enough that it takes a few milliseconds. */
export function compactNow(base: CompiledMatcher, adds: ReadonlyMap<string, MatchedRule>, removed: ReadonlySet<number>): CompiledMatcher {
  const steps = compactionSteps(base, adds, removed);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export class CompactionJob {
  readonly base: CompiledMatcher;
  /** The overlay state being compacted; the maps are never modified after this snapshot. */
  readonly adds: ReadonlyMap<string, MatchedRule>;
  readonly removed: ReadonlySet<number>;
  #steps: Generator<void, CompiledMatcher> | null;
  #result: CompiledMatcher | null = null;
  readonly #waiters: (() => void)[] = [];

  constructor(base: CompiledMatcher, adds: ReadonlyMap<string, MatchedRule>, removed: ReadonlySet<number>) {
    this.base = base;
    this.adds = adds;
    this.removed = removed;
    this.#steps = compactionSteps(base, adds, removed);
    this.#schedule();
  }

  /** The compacted matcher once done; null while running or if it failed (then callers compact themselves). */
  get result(): CompiledMatcher | null { return this.#result; }
  get settled(): boolean { return this.#steps === null; }

  /** Runs what is left now, synchronously (an overlay that outgrew even the pending limit). */
  finishNow(): CompiledMatcher | null {
    this.#run(Infinity);
    return this.#result;
  }

  whenSettled(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #schedule(): void {
    // Unref'd: a pending compaction alone must not keep a process alive.
    setImmediate(() => {
      this.#run(SLICE_MS);
      if (!this.settled) this.#schedule();
    }).unref();
  }

  #run(budgetMs: number): void {
    const steps = this.#steps;
    if (steps === null) return;
    const t0 = performance.now();
    try {
      for (;;) {
        const r = steps.next();
        if (r.done) { this.#result = r.value; break; }
        if (performance.now() - t0 >= budgetMs) return;
      }
    } catch {
      // Cannot happen for rules a matcher already held; the result stays null, and the
      // overlay then compacts at once as it always did.
    }
    this.#steps = null;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}
