import type { Query, UpstreamResult } from '../pipeline/types.js';
import { questionKey } from './question-key.js';

interface Entry {
  result: UpstreamResult;
  storedAt: number;
  expiresAt: number;
}

/** Entries the expiry sweep looks at per clock tick (10 ms): a 100k cache is walked in ~16 s. */
const SWEEP_PER_TICK = 64;

/**
 * Upstream answers in wire form, keyed by the question as a string (question-key.ts). When
 * full, the oldest insertions go first (a Map iterates in insertion order), which costs nothing
 * on hits, unlike true LRU. Expired entries are dropped on read and by an incremental sweep, so
 * names asked once do not stay until the cache is full.
 *
 * Nothing kept here may be a view into shared memory: a 60-byte slice of a pooled 8 KiB slab (or
 * of a 64 KiB socket read) keeps the whole of it alive for as long as the entry lives, which
 * showed as the gateway's RSS growing while its V8 heap stayed flat. Stored answers are copied
 * into buffers of their own.
 */
export class AnswerCache {
  readonly #entries = new Map<string, Entry>();
  #sweep: Iterator<[string, Entry]> | undefined;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The stored answer and its age in whole seconds, or undefined. Sets q.cacheKey, which the
   * later stages (dedup) reuse.
   */
  lookup(q: Query, now: number): { result: UpstreamResult; age: number } | undefined {
    const key = questionKey(q);
    q.cacheKey = key;
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (now >= e.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return { result: e.result, age: Math.floor((now - e.storedAt) / 1000) };
  }

  store(q: Query, result: UpstreamResult, now: number): void {
    if (result.cacheTtl <= 0 || this.maxEntries <= 0) return;
    const key = q.cacheKey !== '' ? q.cacheKey : questionKey(q);
    if (!this.#entries.has(key) && this.#entries.size >= this.maxEntries) {
      // Drop a slice rather than one, so a full cache does not pay this on every insert.
      let drop = Math.max(1, this.maxEntries >> 6);
      for (const k of this.#entries.keys()) {
        this.#entries.delete(k);
        if (--drop === 0) break;
      }
    }
    result.wire = ownedCopy(result.wire);
    this.#entries.delete(key); // re-insert at the end: it is the newest now
    this.#entries.set(key, { result, storedAt: now, expiresAt: now + result.cacheTtl * 1000 });
  }

  /**
   * Drops expired entries, looking at no more than `budget` of them; the next call goes on
   * where this one stopped (a Map iterator survives deletes and inserts), and starts over at
   * the end. Returns how many were dropped.
   */
  sweepExpired(now: number, budget = SWEEP_PER_TICK): number {
    let dropped = 0;
    for (let seen = 0; seen < budget; seen++) {
      this.#sweep ??= this.#entries.entries();
      const step = this.#sweep.next();
      if (step.done) {
        this.#sweep = undefined;
        break;
      }
      const [key, e] = step.value;
      if (now >= e.expiresAt) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.#entries.clear();
    this.#sweep = undefined;
  }
}

/** The bytes in a buffer of their own, unless they already are one (a UDP datagram is). */
function ownedCopy(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}
