import type { Query, UpstreamResult } from '../pipeline/types.js';
import { makeQuestionKey, questionKeyMatches } from './question-key.js';

interface Entry {
  key: Buffer;
  result: UpstreamResult;
  storedAt: number;
  expiresAt: number;
}

/**
 * Upstream answers in wire form, keyed by a numeric hash of the question so a lookup builds
 * no string. Expiry is checked on read; when full, the oldest insertions go first (a Map
 * iterates in insertion order), which costs nothing on hits, unlike true LRU.
 */
export class AnswerCache {
  readonly #entries = new Map<number, Entry>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The stored answer and its age in whole seconds, or undefined. */
  lookup(q: Query, now: number): { result: UpstreamResult; age: number } | undefined {
    const e = this.#entries.get(q.keyHash);
    if (e === undefined) return undefined;
    if (now >= e.expiresAt) {
      this.#entries.delete(q.keyHash);
      return undefined;
    }
    if (!questionKeyMatches(e.key, q)) return undefined;
    return { result: e.result, age: Math.floor((now - e.storedAt) / 1000) };
  }

  store(q: Query, result: UpstreamResult, now: number): void {
    if (result.cacheTtl <= 0 || this.maxEntries <= 0) return;
    if (!this.#entries.has(q.keyHash) && this.#entries.size >= this.maxEntries) {
      // Drop a slice rather than one, so a full cache does not pay this on every insert.
      let drop = Math.max(1, this.maxEntries >> 6);
      for (const k of this.#entries.keys()) {
        this.#entries.delete(k);
        if (--drop === 0) break;
      }
    }
    this.#entries.delete(q.keyHash); // re-insert at the end: it is the newest now
    this.#entries.set(q.keyHash, {
      key: makeQuestionKey(q), result, storedAt: now, expiresAt: now + result.cacheTtl * 1000,
    });
  }

  clear(): void {
    this.#entries.clear();
  }
}
