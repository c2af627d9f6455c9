import { NO_MATCH } from './matcher-types.js';
import { MAX_LABEL, MAX_LABELS, MAX_WIRE_NAME, ROOT_HASH, textLabelHash, validateRuleName, wireLabelHash } from './domain-name-hash.js';
import { nameText, textSuffixIs, wireSuffixIs } from './domain-name-bytes.js';
import { mayContain } from './second-level-filter.js';
import { exactOf, suffixOf } from './name-rules.js';

/**
 * The domain rules: one open-addressed table keyed by the whole lower-case name, one slot per
 * name that carries an exact rule, a suffix rule or both.
 *
 * A lookup hashes every suffix of the query in one right-to-left pass (domain-name-hash.ts),
 * then probes them deepest first: the first one found decides (its exact rule when it is the
 * whole name, else its suffix rule), which is "most specific wins". At a million rules the
 * table no longer fits in cache, so a trie walk paid one or two dependent cache misses per
 * label; here the probes do not depend on each other, so their lines are touched together up
 * front and the CPU overlaps the misses. Most queries are covered by no rule and stop at the
 * second-level filter without touching the table at all.
 *
 * Each slot has a one-byte tag (hash fingerprint, 0 = empty) in a separate array, so a probe
 * for an absent suffix usually reads one line of tags. The slot is `hash × capacity / 2^32`,
 * so the table is sized to the name count (load ≤ 0.75) rather than a power of two.
 */

/** Slot record: the name's rules (name-rules.ts), pool offset of the name. */
export const REC = 2;
export const RULES = 0;
export const NAME = 1;
export const MAX_LOAD = 0.75;

// Lookups call nothing that can re-enter them, so one set of scratch arrays serves every table.
const labelStarts = new Int32Array(MAX_LABELS + 1);
const suffixHashes = new Int32Array(MAX_LABELS + 1);
/** Written so the engine cannot drop the warming reads as dead code. */
let warmSink = 0;

/** Tag of a slot holding a name with this hash: never 0, which marks an empty slot. */
export function tagOf(h: number): number { return (h & 0xff) || 1; }

/** The slot a probe for this hash starts at. */
export function homeSlot(h: number, scale: number): number { return ((h >>> 0) * scale) | 0; }

function findWire(tags: Uint8Array, rec: Int32Array, pool: Uint8Array, scale: number, buf: Uint8Array, start: number, len: number, h: number): number {
  const tag = tagOf(h);
  const cap = tags.length;
  for (let s = homeSlot(h, scale); ; ) {
    const t = tags[s]!;
    if (t === 0) return -1;
    if (t === tag && wireSuffixIs(pool, rec[s * REC + NAME]!, buf, start, len)) return s;
    if (++s === cap) s = 0;
  }
}

function findText(tags: Uint8Array, rec: Int32Array, pool: Uint8Array, scale: number, name: string, start: number, end: number, h: number): number {
  const tag = tagOf(h);
  const cap = tags.length;
  for (let s = homeSlot(h, scale); ; ) {
    const t = tags[s]!;
    if (t === 0) return -1;
    if (t === tag && textSuffixIs(pool, rec[s * REC + NAME]!, name, start, end)) return s;
    if (++s === cap) s = 0;
  }
}

/**
 * Touches the first tag and record of each probe in `hashes[from..to]`: the probes do not
 * depend on each other, so neither do these reads, and their misses overlap. (Touching the
 * stored names too, through the records, measured no better.)
 */
function warm(tags: Uint8Array, rec: Int32Array, scale: number, hashes: Int32Array, from: number, to: number): number {
  let acc = 0;
  for (let k = from; k <= to; k++) {
    const s = homeSlot(hashes[k]!, scale);
    acc ^= tags[s]! ^ rec[s * REC + NAME]!;
  }
  return acc;
}

/** The immutable lookup form of the domain rules. */
export class DomainTable {
  readonly #tags: Uint8Array;
  readonly #rec: Int32Array;
  readonly #pool: Uint8Array;
  readonly #pairs: Int32Array;
  readonly #scale: number;
  readonly #filter: Int32Array;
  readonly #filterShift: number;
  /** Whether any name of one label (a TLD) carries a rule: only then is that level probed. */
  readonly #topLevel: boolean;
  /** Names held (each with an exact rule, a suffix rule or both). */
  readonly nodeCount: number;
  /**
   * Specificity of the last match: 2 × labels of the matched name, +1 for an exact rule.
   * Lets an overlay compare its own answer with its base's without allocating.
   */
  lastSpecificity = -1;

  constructor(tags: Uint8Array, rec: Int32Array, pool: Uint8Array, pairs: Int32Array, filter: Int32Array, filterShift: number, topLevel: boolean, nodeCount: number) {
    this.#tags = tags;
    this.#rec = rec;
    this.#pool = pool;
    this.#pairs = pairs;
    this.#scale = tags.length / 4294967296;
    this.#filter = filter;
    this.#filterShift = filterShift;
    this.#topLevel = topLevel;
    this.nodeCount = nodeCount;
  }

  /** Bytes of stored names: what a rebuild of the same names needs for them. */
  get nameBytes(): number { return this.#pool.length; }

  /** Bytes held by the typed arrays behind this table. */
  get byteSize(): number { return this.#tags.byteLength + this.#rec.byteLength + this.#pool.byteLength + this.#pairs.byteLength + this.#filter.byteLength; }

  /**
   * Most specific rule for a wire-format name; rules whose handles are in `removed` are
   * skipped as if absent. Malformed names (pointer or reserved label types, a label past
   * the buffer, longer than 255 octets) match nothing.
   */
  matchWire(buf: Uint8Array, offset: number, removed: ReadonlySet<number> | null): number {
    this.lastSpecificity = -1;
    const end = buf.length;
    if ((offset | 0) !== offset || offset < 0) return NO_MATCH;
    // Only length bytes are read here; label k = 0 is the leftmost.
    let n = 0;
    let i = offset;
    for (;;) {
      if (i >= end) return NO_MATCH;
      const len = buf[i]!;
      if (len === 0) break;
      if (len > MAX_LABEL) return NO_MATCH;
      labelStarts[n++] = i;
      i += len + 1;
      if (i - offset >= MAX_WIRE_NAME) return NO_MATCH;
    }
    if (n === 0) return NO_MATCH;
    const nameEnd = i;
    const tags = this.#tags;
    const rec = this.#rec;
    const pool = this.#pool;
    const scale = this.#scale;
    let start = labelStarts[n - 1]!;
    let h = wireLabelHash(buf, start, buf[start]!, ROOT_HASH);
    suffixHashes[n - 1] = h;
    if (n >= 2) {
      start = labelStarts[n - 2]!;
      h = wireLabelHash(buf, start, buf[start]!, h);
      if (mayContain(this.#filter, this.#filterShift, h)) {
        suffixHashes[n - 2] = h;
        for (let k = n - 3; k >= 0; k--) {
          start = labelStarts[k]!;
          h = wireLabelHash(buf, start, buf[start]!, h);
          suffixHashes[k] = h;
        }
        warmSink ^= warm(tags, rec, scale, suffixHashes, 0, n - 2);
        for (let k = 0; k <= n - 2; k++) {
          start = labelStarts[k]!;
          const s = findWire(tags, rec, pool, scale, buf, start, nameEnd - start, suffixHashes[k]!);
          if (s < 0) continue;
          const h2 = this.#answer(s, k === 0, (n - k) * 2, removed);
          if (h2 !== NO_MATCH) return h2;
        }
      }
    }
    if (!this.#topLevel) return NO_MATCH;
    start = labelStarts[n - 1]!;
    const s = findWire(tags, rec, pool, scale, buf, start, nameEnd - start, suffixHashes[n - 1]!);
    if (s < 0) return NO_MATCH;
    return this.#answer(s, n === 1, 2, removed);
  }

  /** The same for a text name: any ASCII case, optional trailing dot. */
  matchText(name: string, removed: ReadonlySet<number> | null): number {
    this.lastSpecificity = -1;
    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
    if (end === 0) return NO_MATCH;
    // Right to left: depth d (1 = the last label) starts at labelStarts[d]. A label too long
    // for any rule ends the suffixes worth looking at, as does the most labels a rule can have.
    let depth = 0;
    let whole = true;
    let h = ROOT_HASH;
    for (let labelEnd = end; ; ) {
      let start = labelEnd;
      while (start > 0 && name.charCodeAt(start - 1) !== 46) start--;
      if (labelEnd - start > MAX_LABEL || depth === MAX_LABELS) { whole = false; break; }
      h = textLabelHash(name, start, labelEnd, h);
      labelStarts[++depth] = start;
      suffixHashes[depth] = h;
      if (start === 0) break;
      labelEnd = start - 1;
    }
    if (depth === 0) return NO_MATCH;
    const tags = this.#tags;
    const rec = this.#rec;
    const pool = this.#pool;
    const scale = this.#scale;
    if (depth >= 2 && mayContain(this.#filter, this.#filterShift, suffixHashes[2]!)) {
      for (let d = depth; d >= 2; d--) {
        const s = findText(tags, rec, pool, scale, name, labelStarts[d]!, end, suffixHashes[d]!);
        if (s >= 0) {
          const h2 = this.#answer(s, whole && d === depth, d * 2, removed);
          if (h2 !== NO_MATCH) return h2;
        }
      }
    }
    if (!this.#topLevel) return NO_MATCH;
    const s = findText(tags, rec, pool, scale, name, labelStarts[1]!, end, suffixHashes[1]!);
    return s < 0 ? NO_MATCH : this.#answer(s, whole && depth === 1, 2, removed);
  }

  /** The exact rule at `slot` when `whole` and present, else its suffix rule; sets lastSpecificity. */
  #answer(slot: number, whole: boolean, spec: number, removed: ReadonlySet<number> | null): number {
    const word = this.#rec[slot * REC + RULES]!;
    if (whole) {
      const exact = exactOf(word, this.#pairs);
      if (exact >= 0 && (removed === null || !removed.has(exact))) {
        this.lastSpecificity = spec + 1;
        return exact;
      }
    }
    const suffix = suffixOf(word, this.#pairs);
    if (suffix >= 0 && (removed === null || !removed.has(suffix))) {
      this.lastSpecificity = spec;
      return suffix;
    }
    return NO_MATCH;
  }

  /** The rule stored for exactly this name and kind (cold path), or NO_MATCH. */
  find(name: string, suffix: boolean): number {
    const end = validateRuleName(name);
    if (end < 0) return NO_MATCH;
    let h = ROOT_HASH;
    for (let labelEnd = end; labelEnd > 0; ) {
      let start = labelEnd - 1;
      while (start > 0 && name.charCodeAt(start - 1) !== 46) start--;
      h = textLabelHash(name, start, labelEnd, h);
      labelEnd = start - 1;
    }
    const s = findText(this.#tags, this.#rec, this.#pool, this.#scale, name, 0, end, h);
    if (s < 0) return NO_MATCH;
    const word = this.#rec[s * REC + RULES]!;
    const handle = suffix ? suffixOf(word, this.#pairs) : exactOf(word, this.#pairs);
    return handle >= 0 ? handle : NO_MATCH;
  }

  /**
   * The names, each at the offset rule records keep (length byte, then wire form): a rebuild
   * copies them as they are.
   */
  get namePool(): Uint8Array { return this.#pool; }

  /** The name stored at `nameOffset` (cold path: block pages, logs). */
  nameOf(nameOffset: number): string {
    return nameText(this.#pool, nameOffset);
  }
}
