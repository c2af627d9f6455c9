import { MAX_LABELS, ROOT_HASH, textLabelHash, wireLabelHash } from './domain-name-hash.js';
import { textSuffixIs, writeName } from './domain-name-bytes.js';
import { DomainTable, MAX_LOAD, NAME, REC, RULES, homeSlot, tagOf } from './domain-table.js';
import { NO_RULES, RulePairs } from './name-rules.js';
import { addToFilter, filterShape } from './second-level-filter.js';
import { touchPages } from './prefault.js';

/** A name's bytes in the pool: length byte + wire form (one byte more than the text). */
const AVERAGE_POOL_BYTES = 32;
/** Below this load the finished table is laid out again, smaller (a builder that was not told its size). */
const MIN_FINAL_LOAD = 0.4;
const storedStarts = new Int32Array(MAX_LABELS + 1);

/** Whether two stored names (length byte, then wire form) are the same. */
function storedEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  const len = a[aOff]!;
  if (b[bOff] !== len) return false;
  for (let j = 1; j <= len; j++) if (a[aOff + j] !== b[bOff + j]) return false;
  return true;
}

/** The hash DomainTable looks a stored name up by, from its bytes. */
function storedHash(src: Uint8Array, off: number): { hash: number; second: number; labels: number } {
  const stop = off + 1 + src[off]!;
  let n = 0;
  for (let i = off + 1; i < stop; i += src[i]! + 1) storedStarts[n++] = i;
  let h = ROOT_HASH;
  let second = 0;
  for (let k = n - 1; k >= 0; k--) {
    h = wireLabelHash(src, storedStarts[k]!, src[storedStarts[k]!]!, h);
    if (k === n - 2) second = h;
  }
  return { hash: h, second, labels: n };
}

/**
 * Collects rule names straight into the lookup layout of DomainTable (tags, slot records,
 * name pool), so building writes each name once and allocates nothing it throws away: on
 * the machines measured, first touching fresh memory cost more than the hashing. A name is
 * known to the rule records by its pool offset, which never changes; slots move if the
 * table has to grow. Also gathers the distinct second-level suffixes for the filter.
 */
export class DomainTableBuilder {
  #tags: Uint8Array<ArrayBuffer>;
  #rec: Int32Array<ArrayBuffer>;
  #scale: number;
  #pool: Uint8Array<ArrayBuffer>;
  #poolLen = 0;
  #count = 0;
  readonly #pairs = new RulePairs();
  /** Second-level suffix hashes, 0 = empty (a real 0 is stored as 1: the filter may only gain bits). */
  #seconds = new Int32Array(1024);
  #secondCount = 0;
  #topLevel = false;

  /** `expectedNames` and `expectedPoolBytes` only size the first allocations. */
  constructor(expectedNames = 1024, expectedPoolBytes = 0) {
    const n = Math.max(64, Math.ceil(expectedNames));
    const cap = Math.ceil(n / MAX_LOAD) + 1;
    this.#tags = new Uint8Array(cap);
    this.#rec = new Int32Array(cap * REC);
    this.#scale = cap / 4294967296;
    this.#pool = new Uint8Array(Math.max(expectedPoolBytes, n * AVERAGE_POOL_BYTES));
  }

  get nodeCount(): number { return this.#count; }

  /**
   * Touches every page the presized arrays will use, a few hundred per step, so that the
   * inserts of a compaction that yields between steps do not each fault pages in at random.
   */
  *prefault(): Generator<void, void> {
    yield* touchPages(this.#tags);
    yield* touchPages(this.#rec);
    yield* touchPages(this.#pool);
  }

  /**
   * The slot of `name` (validated by validateRuleName, `end` from it), added as needed; valid
   * until the next insert.
   */
  insertName(name: string, end: number): number {
    let h = ROOT_HASH;
    let depth = 0;
    for (let labelEnd = end; labelEnd > 0; ) {
      let start = labelEnd - 1;
      while (start > 0 && name.charCodeAt(start - 1) !== 46) start--;
      h = textLabelHash(name, start, labelEnd, h);
      if (++depth === 2) this.#addSecond(h);
      labelEnd = start - 1;
    }
    const tags = this.#tags;
    const rec = this.#rec;
    const tag = tagOf(h);
    const cap = tags.length;
    let s = homeSlot(h, this.#scale);
    for (let t = tags[s]!; t !== 0; t = tags[s]!) {
      if (t === tag && textSuffixIs(this.#pool, rec[s * REC + NAME]!, name, 0, end)) return s;
      if (++s === cap) s = 0;
    }
    if (depth === 1) this.#topLevel = true;
    const off = this.#reserve(end + 2);
    this.#poolLen += writeName(this.#pool, off, name, end);
    return this.#add(s, tag, off);
  }

  /**
   * The same for a name as another table stores it (`src[off]` its length, then its lower-case
   * wire form), copied without a string: a compaction re-adds a million names this way.
   */
  insertStored(src: Uint8Array, off: number): number {
    const { hash, second, labels } = storedHash(src, off);
    if (labels >= 2) this.#addSecond(second);
    const tags = this.#tags;
    const rec = this.#rec;
    const tag = tagOf(hash);
    const cap = tags.length;
    let s = homeSlot(hash, this.#scale);
    for (let t = tags[s]!; t !== 0; t = tags[s]!) {
      if (t === tag && storedEquals(this.#pool, rec[s * REC + NAME]!, src, off)) return s;
      if (++s === cap) s = 0;
    }
    if (labels === 1) this.#topLevel = true;
    const bytes = src[off]! + 1;
    const at = this.#reserve(bytes);
    this.#pool.set(src.subarray(off, off + bytes), at);
    this.#poolLen += bytes;
    return this.#add(s, tag, at);
  }

  /** Where the name at `slot` is stored: how rule records refer to it, here and in the table. */
  nameAt(slot: number): number { return this.#rec[slot * REC + NAME]!; }

  /** Sets the exact or suffix rule of the name at `slot`; returns the handle it replaces, or -1. */
  setRule(slot: number, suffix: boolean, handle: number): number {
    const at = slot * REC + RULES;
    this.#rec[at] = this.#pairs.set(this.#rec[at]!, suffix, handle);
    return this.#pairs.replaced;
  }

  #add(slot: number, tag: number, off: number): number {
    this.#tags[slot] = tag;
    const r = slot * REC;
    this.#rec[r + RULES] = NO_RULES;
    this.#rec[r + NAME] = off;
    if (++this.#count <= this.#tags.length * MAX_LOAD) return slot;
    this.#relayout(this.#tags.length * 2);
    return this.#slotOfName(off);
  }

  /** The slot holding the name stored at `off` (after a relayout). */
  #slotOfName(off: number): number {
    const h = storedHash(this.#pool, off).hash;
    const cap = this.#tags.length;
    let s = homeSlot(h, this.#scale);
    while (this.#rec[s * REC + NAME] !== off || this.#tags[s] === 0) if (++s === cap) s = 0;
    return s;
  }

  #reserve(bytes: number): number {
    if (this.#poolLen + bytes > this.#pool.length) {
      const next = new Uint8Array(Math.max(this.#pool.length * 2, this.#poolLen + bytes));
      next.set(this.#pool.subarray(0, this.#poolLen));
      this.#pool = next;
    }
    return this.#poolLen;
  }

  /** Lays every name out again in a table of `cap` slots (growing, or shrinking once done). */
  #relayout(cap: number): void {
    const tags = new Uint8Array(cap);
    const rec = new Int32Array(cap * REC);
    const scale = cap / 4294967296;
    const oldRec = this.#rec;
    const oldTags = this.#tags;
    const pool = this.#pool;
    for (let old = 0; old < oldTags.length; old++) {
      if (oldTags[old] === 0) continue;
      const r = old * REC;
      const off = oldRec[r + NAME]!;
      const h = storedHash(pool, off).hash;
      let s = homeSlot(h, scale);
      while (tags[s] !== 0) if (++s === cap) s = 0;
      tags[s] = tagOf(h);
      const nr = s * REC;
      rec[nr + RULES] = oldRec[r + RULES]!;
      rec[nr + NAME] = off;
    }
    this.#tags = tags;
    this.#rec = rec;
    this.#scale = scale;
  }

  #addSecond(h: number): void {
    const key = h || 1;
    let set = this.#seconds;
    let mask = set.length - 1;
    let s = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
    for (; set[s] !== 0; s = (s + 1) & mask) if (set[s] === key) return;
    set[s] = key;
    if (++this.#secondCount * 2 <= set.length) return;
    const old = set;
    set = this.#seconds = new Int32Array(old.length * 2);
    mask = set.length - 1;
    for (const k of old) {
      if (k === 0) continue;
      let t = Math.imul(k, 0x9e3779b1) >>> 0 & mask;
      while (set[t] !== 0) t = (t + 1) & mask;
      set[t] = k;
    }
  }

  /**
   * The lookup table. Presized arrays are kept as they are, slack included: copying them
   * would cost more than the slack.
   */
  build(): DomainTable {
    const n = this.#count;
    if (n < this.#tags.length * MIN_FINAL_LOAD && this.#tags.length > 64) this.#relayout(Math.ceil(n / MAX_LOAD) + 1);
    const { words, shift } = filterShape(this.#secondCount);
    const filter = new Int32Array(words);
    for (const k of this.#seconds) if (k !== 0) addToFilter(filter, shift, k);
    // A 0 hash was stored as 1; mark both so the filter never answers "absent" for it.
    if (this.#seconds.includes(1)) addToFilter(filter, shift, 0);
    const used = this.#poolLen;
    const pool = this.#pool.length - used > (used >> 2) + 4096 ? this.#pool.slice(0, used) : this.#pool.subarray(0, used);
    const table = new DomainTable(this.#tags, this.#rec, pool, this.#pairs.toArray(), filter, shift, this.#topLevel, n);
    this.#release();
    return table;
  }

  // A builder kept by mistake after build() must not pin the table's memory twice.
  #release(): void {
    this.#tags = new Uint8Array(1);
    this.#rec = new Int32Array(REC);
    this.#pool = new Uint8Array(0);
    this.#seconds = new Int32Array(2);
    this.#count = this.#poolLen = this.#secondCount = 0;
  }
}
