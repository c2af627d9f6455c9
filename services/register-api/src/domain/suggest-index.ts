import type { ResourceKind, RuleMode } from '@tizilim/shared';
import { isSensitiveCategory } from './categories.js';
import { lowerBound, suggestKeys } from './suggest-prefix.js';

/** What the index is told of an open span (a subset of `OpenSpan`). */
export interface SuggestSource {
  seq: number;
  kind: ResourceKind;
  value: string;
  display: string;
  category: string;
  mode: RuleMode;
}

/** One candidate the index found: the span's entry and the resource it was filed under. */
export interface SuggestCandidate {
  seq: number;
  kind: ResourceKind;
  value: string;
}

/** A key the index holds, before it is sorted into the base. */
interface Item { key: string; value: string; kind: ResourceKind; seq: number }

/** Changes kept beside the sorted base before they are merged into it. */
const MIN_MERGE = 4096;

/**
 * Every open restriction of the in-memory copy, sorted by the keys a reader may type (see
 * `suggestKeys`), for type-ahead: a prefix is a binary search and a short walk, whatever the
 * size of the register. Never filed: exceptions (`allow`: they keep a resource reachable) and
 * URLs of sensitive categories (the public never sees them; the same rule as the public API).
 *
 * Built in one go by `add` then `seal` when the copy loads; afterwards spans opened by the log
 * go to a small side list (sorted when next asked) and closed ones to a set of dead seqs, both
 * merged into the base once they grow past an eighth of it, so no change costs a full rebuild.
 */
export class SuggestIndex {
  #keys: string[] = [];
  #values: string[] = [];
  #kinds: ResourceKind[] = [];
  #seqs = new Uint32Array(0);
  /** filed before `seal`, or since: the side list */
  #pending: Item[] = [];
  #pendingSorted = true;
  #sealed = false;
  readonly #dead = new Set<number>();

  /** Keys held (live and not yet merged out). */
  get size(): number {
    return this.#keys.length + this.#pending.length - this.#dead.size;
  }

  add(span: SuggestSource): void {
    if (span.mode === 'allow') return;
    if (span.kind === 'url' && isSensitiveCategory(span.category)) return;
    for (const key of suggestKeys(span.value, span.display)) this.#pending.push({ key, value: span.value, kind: span.kind, seq: span.seq });
    this.#pendingSorted = false;
    if (this.#sealed) this.#maybeMerge();
  }

  /** The span opened by `seq` is closed: its keys are found no more. */
  remove(seq: number): void {
    if (!this.#sealed) return;
    this.#dead.add(seq);
    this.#maybeMerge();
  }

  /** Sorts what was added while loading into the base; from now on changes are incremental. */
  seal(): void {
    const buckets = this.#buckets();
    for (const bucket of buckets) bucket.sort(byKey);
    this.#adopt(buckets);
  }

  /**
   * `seal` in slices, giving the event loop back between them: sorting a million keys takes
   * seconds of CPU, and requests must not wait that long behind it.
   */
  async sealInSlices(sliceItems = 20_000): Promise<void> {
    const buckets = this.#buckets();
    let done = 0;
    for (const bucket of buckets) {
      bucket.sort(byKey);
      done += bucket.length;
      if (done >= sliceItems) {
        done = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    this.#adopt(buckets);
  }

  /**
   * The loaded keys grouped by their first two UTF-16 units, groups in key order: sorting each
   * group alone needs fewer comparisons than one sort of all, and can be done a group at a time.
   */
  #buckets(): Item[][] {
    const groups = new Map<string, Item[]>();
    for (const item of this.#pending) {
      const head = item.key.slice(0, 2);
      const group = groups.get(head);
      if (group) group.push(item);
      else groups.set(head, [item]);
    }
    return [...groups.keys()].sort().map((head) => groups.get(head)!);
  }

  #adopt(sortedBuckets: Item[][]): void {
    this.#pending = sortedBuckets.flat();
    this.#pendingSorted = true;
    this.#merge();
    this.#sealed = true;
  }

  /**
   * Keys starting with `prefix`, in key order, each span once, handed to `accept` until it has
   * taken `limit` or `maxScan` keys were looked at: the work per call is bounded, however many
   * keys share a short prefix. `accept` says whether the candidate is shown (in force now, …).
   */
  find(prefix: string, limit: number, maxScan: number, accept: (c: SuggestCandidate) => boolean): number {
    this.#sortPending();
    const keys = this.#keys;
    const pending = this.#pending;
    let b = lowerBound(keys, prefix);
    let p = lowerBoundItems(pending, prefix);
    const seen = new Set<number>();
    let taken = 0;
    for (let scanned = 0; taken < limit && scanned < maxScan; scanned++) {
      const fromBase = b < keys.length && keys[b]!.startsWith(prefix);
      const fromPending = p < pending.length && pending[p]!.key.startsWith(prefix);
      if (!fromBase && !fromPending) break;
      let c: SuggestCandidate;
      if (fromBase && (!fromPending || keys[b]! <= pending[p]!.key)) {
        c = { seq: this.#seqs[b]!, kind: this.#kinds[b]!, value: this.#values[b]! };
        b++;
      } else {
        c = pending[p]!;
        p++;
      }
      if (this.#dead.has(c.seq) || seen.has(c.seq)) continue;
      seen.add(c.seq);
      if (accept(c)) taken++;
    }
    return taken;
  }

  #maybeMerge(): void {
    if (this.#pending.length + this.#dead.size > Math.max(MIN_MERGE, this.#keys.length / 8)) this.#merge();
  }

  #sortPending(): void {
    if (this.#pendingSorted) return;
    this.#pending.sort(byKey);
    this.#pendingSorted = true;
  }

  /** One pass over the base and the sorted side list, dropping dead seqs. */
  #merge(): void {
    this.#sortPending();
    const n = this.#keys.length + this.#pending.length;
    const keys: string[] = new Array(n);
    const values: string[] = new Array(n);
    const kinds: ResourceKind[] = new Array(n);
    const seqs = new Uint32Array(n);
    let w = 0;
    let b = 0;
    let p = 0;
    const pending = this.#pending;
    while (b < this.#keys.length || p < pending.length) {
      const takeBase = b < this.#keys.length && (p >= pending.length || this.#keys[b]! <= pending[p]!.key);
      const seq = takeBase ? this.#seqs[b]! : pending[p]!.seq;
      if (!this.#dead.has(seq)) {
        if (takeBase) { keys[w] = this.#keys[b]!; values[w] = this.#values[b]!; kinds[w] = this.#kinds[b]!; }
        else { keys[w] = pending[p]!.key; values[w] = pending[p]!.value; kinds[w] = pending[p]!.kind; }
        seqs[w] = seq;
        w++;
      }
      if (takeBase) b++;
      else p++;
    }
    keys.length = w;
    values.length = w;
    kinds.length = w;
    this.#keys = keys;
    this.#values = values;
    this.#kinds = kinds;
    this.#seqs = seqs.slice(0, w);
    this.#pending = [];
    this.#pendingSorted = true;
    this.#dead.clear();
  }
}

function byKey(x: Item, y: Item): number {
  return x.key < y.key ? -1 : x.key > y.key ? 1 : x.seq - y.seq;
}

function lowerBoundItems(items: readonly Item[], prefix: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.key < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
