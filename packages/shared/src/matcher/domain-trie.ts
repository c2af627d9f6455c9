import { NO_MATCH } from './matcher-types.js';

/**
 * Reversed-label trie of domain rules, with no JS object per node.
 *
 * A node is identified by (parent node, label bytes). The final trie keeps the nodes in the
 * slots of one open-addressed hash table keyed by that pair, so finding a child is one probe
 * sequence, and the node's fields are where the probe lands. Each slot has a one-byte tag
 * (hash fingerprint, 0 = empty) in a separate array: a miss, the common case for a resolver,
 * usually scans one cache line of tags and never touches the node records or label bytes.
 *
 * A node's label (lower case) is packed into its record: length and up to 11 bytes in three
 * 32-bit words. A hit then costs one record read per level instead of a record read plus a
 * separate label read (measured: twice the hit rate at 1M rules). Longer labels keep their
 * first 7 bytes inline and the rest in a byte pool.
 *
 * The slot is `hash × capacity / 2^32` rather than `hash & mask`, so the table can be sized
 * to the node count (load ≤ 0.75) instead of the next power of two: up to half the memory.
 */

export const ROOT = -1;
const NO_RULE = -1;
/** RFC 1035: a name is at most 255 octets on the wire, length bytes and final zero included. */
const MAX_WIRE_NAME = 255;
const MAX_LABEL = 63;
/** Text names: 253 characters without the trailing dot is the longest that fits the wire limit. */
const MAX_TEXT_NAME = 253;
/** Node record: parent slot, exact rule handle, suffix rule handle, label words W0–W2. */
const REC = 6;
const PARENT = 0;
const EXACT = 1;
const SUFFIX = 2;
/** Label length | byte 0 << 8 | byte 1 << 16 | byte 2 << 24. */
const W0 = 3;
/** Bytes 3–6, little-endian. */
const W1 = 4;
/** Bytes 7–10 when the label has at most 11 bytes; otherwise the pool offset of bytes 7 on. */
const W2 = 5;
const INLINE = 11;
const MAX_LOAD = 0.75;

const LOWER = new Uint8Array(256);
for (let b = 0; b < 256; b++) LOWER[b] = b >= 65 && b <= 90 ? b + 32 : b;

// The walk calls nothing that can re-enter it, so one scratch array serves every trie.
const labelStarts = new Int32Array(128);

/**
 * A child is hashed from its parent's path hash and its own label, so a node's hash depends
 * on its name alone: the builder and the final layout share it, and growth never re-reads
 * label bytes.
 */
const ROOT_HASH = 0;
function labelSeed(parentHash: number): number {
  return Math.imul(parentHash ^ 0x2545f491, 0x9e3779b1) ^ 0x811c9dc5;
}

/** Per character: FNV-1a step `h = Math.imul(h ^ c, 0x01000193)` on the lower-case code. */
function labelFinish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

/** Bounds of a text name without its optional trailing dot, or -1 when it cannot be a rule. */
export function validateRuleName(name: string): number {
  let end = name.length;
  if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
  if (end === 0 || end > MAX_TEXT_NAME) return -1;
  let labelLen = 0;
  for (let i = 0; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return -1;
      labelLen = 0;
    } else {
      // Rules are A-labels; anything else could never be asked for on the wire.
      if (c > 0x7e || c <= 0x20) return -1;
      if (++labelLen > MAX_LABEL) return -1;
    }
  }
  return labelLen === 0 ? -1 : end;
}

/** Byte `j` of a builder pool label at `off` (length byte first); 0 past its end, as packed. */
function poolByte(src: Uint8Array, off: number, len: number, j: number): number {
  return j < len ? src[off + 1 + j]! : 0;
}

function packWord(src: Uint8Array, off: number, len: number, from: number): number {
  return poolByte(src, off, len, from) | (poolByte(src, off, len, from + 1) << 8) | (poolByte(src, off, len, from + 2) << 16) | (poolByte(src, off, len, from + 3) << 24);
}

/** Builder node record: path hash, parent, pool offset of the label, exact rule, suffix rule. */
const BREC = 5;

/** Streams rule names into a growable trie; `build()` lays it out for lookups. */
export class DomainTrieBuilder {
  #nodes: Int32Array<ArrayBuffer>;
  #count = 0;
  #pool: Uint8Array<ArrayBuffer>;
  #poolLen = 0;
  /** Dense node ids by hash; power of two, at most half full. */
  #table: Int32Array<ArrayBuffer>;

  /** `expectedNodes` only sizes the first allocation. */
  constructor(expectedNodes = 1024) {
    const n = Math.max(1024, Math.ceil(expectedNodes));
    this.#nodes = new Int32Array(n * BREC);
    this.#pool = new Uint8Array(n * 8);
    let size = 2048;
    while (size < n * 2) size *= 2;
    this.#table = new Int32Array(size).fill(-1);
  }

  get nodeCount(): number { return this.#count; }

  /** The node for `name` (validated by validateRuleName, `end` from it), created as needed. */
  insertName(name: string, end: number): number {
    let node = ROOT;
    let pathHash = ROOT_HASH;
    let labelEnd = end;
    while (labelEnd > 0) {
      let start = labelEnd - 1;
      while (start > 0 && name.charCodeAt(start - 1) !== 46) start--;
      let h = labelSeed(pathHash);
      for (let i = start; i < labelEnd; i++) {
        const c = name.charCodeAt(i);
        h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
      }
      pathHash = labelFinish(h);
      node = this.#child(node, pathHash, name, start, labelEnd);
      labelEnd = start - 1;
    }
    return node;
  }

  /** Sets a node's exact or suffix rule; returns the handle it replaces, or -1. */
  setRule(node: number, suffix: boolean, handle: number): number {
    const at = node * BREC + (suffix ? 4 : 3);
    const previous = this.#nodes[at]!;
    this.#nodes[at] = handle;
    return previous;
  }

  #child(parent: number, h: number, name: string, start: number, end: number): number {
    const table = this.#table;
    const nodes = this.#nodes;
    const mask = table.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const node = table[s]!;
      if (node < 0) break;
      const r = node * BREC;
      if (nodes[r] === h && nodes[r + 1] === parent && this.#labelEqualsText(nodes[r + 2]!, name, start, end)) return node;
    }
    const node = this.#newNode(h, parent, name, start, end);
    if (this.#count * 2 > table.length) this.#rehash(table.length * 2);
    else this.#place(node, h);
    return node;
  }

  #labelEqualsText(off: number, name: string, start: number, end: number): boolean {
    const pool = this.#pool;
    if (pool[off] !== end - start) return false;
    for (let i = start, j = off + 1; i < end; i++, j++) {
      const c = name.charCodeAt(i);
      if (pool[j] !== (c >= 65 && c <= 90 ? c + 32 : c)) return false;
    }
    return true;
  }

  #newNode(h: number, parent: number, name: string, start: number, end: number): number {
    if ((this.#count + 1) * BREC > this.#nodes.length) {
      const next = new Int32Array(this.#nodes.length * 2);
      next.set(this.#nodes);
      this.#nodes = next;
    }
    const len = end - start;
    if (this.#poolLen + len + 1 > this.#pool.length) {
      const next = new Uint8Array(Math.max(this.#pool.length * 2, this.#poolLen + len + 1));
      next.set(this.#pool);
      this.#pool = next;
    }
    const off = this.#poolLen;
    const pool = this.#pool;
    pool[off] = len;
    for (let i = start, j = off + 1; i < end; i++, j++) {
      const c = name.charCodeAt(i);
      pool[j] = c >= 65 && c <= 90 ? c + 32 : c;
    }
    this.#poolLen += len + 1;
    const node = this.#count++;
    const r = node * BREC;
    const nodes = this.#nodes;
    nodes[r] = h;
    nodes[r + 1] = parent;
    nodes[r + 2] = off;
    nodes[r + 3] = NO_RULE;
    nodes[r + 4] = NO_RULE;
    return node;
  }

  #place(node: number, h: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let s = h & mask;
    while (table[s]! >= 0) s = (s + 1) & mask;
    table[s] = node;
  }

  #rehash(size: number): void {
    this.#table = new Int32Array(size).fill(-1);
    for (let node = 0; node < this.#count; node++) this.#place(node, this.#nodes[node * BREC]!);
  }

  /**
   * The lookup layout, and where each builder node went (dense id → slot), so rule records
   * that point at nodes can follow. Parents precede children in dense order, so one pass
   * can translate every parent id; hashes hang on paths, not ids, and carry over as they are.
   */
  build(): { trie: DomainTrie; slotOf: Int32Array } {
    const n = this.#count;
    const cap = Math.max(8, Math.ceil(n / MAX_LOAD) + 1);
    const scale = cap / 4294967296;
    const tags = new Uint8Array(cap);
    const rec = new Int32Array(cap * REC);
    const src = this.#pool;
    let tailBytes = 0;
    for (let node = 0; node < n; node++) {
      const len = src[this.#nodes[node * BREC + 2]!]!;
      if (len > INLINE) tailBytes += len - 7;
    }
    const pool = new Uint8Array(tailBytes);
    let poolLen = 0;
    const slotOf = new Int32Array(n);
    const nodes = this.#nodes;
    for (let node = 0; node < n; node++) {
      const b = node * BREC;
      const h = nodes[b]!;
      const oldParent = nodes[b + 1]!;
      let s = ((h >>> 0) * scale) | 0;
      while (tags[s] !== 0) if (++s === cap) s = 0;
      tags[s] = (h & 0xff) || 1;
      const r = s * REC;
      rec[r + PARENT] = oldParent === ROOT ? ROOT : slotOf[oldParent]!;
      rec[r + EXACT] = nodes[b + 3]!;
      rec[r + SUFFIX] = nodes[b + 4]!;
      const off = nodes[b + 2]!;
      const len = src[off]!;
      rec[r + W0] = len | (poolByte(src, off, len, 0) << 8) | (poolByte(src, off, len, 1) << 16) | (poolByte(src, off, len, 2) << 24);
      rec[r + W1] = packWord(src, off, len, 3);
      if (len <= INLINE) {
        rec[r + W2] = packWord(src, off, len, 7);
      } else {
        rec[r + W2] = poolLen;
        pool.set(src.subarray(off + 8, off + 1 + len), poolLen);
        poolLen += len - 7;
      }
      slotOf[node] = s;
    }
    this.#release();
    return { trie: new DomainTrie(tags, rec, pool, cap, n), slotOf };
  }

  // A builder kept by mistake after build() must not pin twice the matcher's memory.
  #release(): void {
    this.#nodes = new Int32Array(0);
    this.#table = new Int32Array(1).fill(-1);
    this.#pool = new Uint8Array(0);
    this.#count = this.#poolLen = 0;
  }
}

// No closures below: under tsx/esbuild's keepNames every inner function is re-named on each
// call, which cost 5x the lookup rate when these helpers had one.

/** Lower-case byte `j` of a wire label whose bytes start at `b`; 0 past its end, as packed. */
function wireByte(buf: Uint8Array, b: number, len: number, j: number): number {
  return j < len ? LOWER[buf[b + j]!]! : 0;
}

function wireWord(buf: Uint8Array, b: number, len: number, from: number): number {
  return wireByte(buf, b, len, from) | (wireByte(buf, b, len, from + 1) << 8) | (wireByte(buf, b, len, from + 2) << 16) | (wireByte(buf, b, len, from + 3) << 24);
}

/** Whether the wire label of `len` bytes after `start` equals the record's label. */
function wireLabelIs(rec: Int32Array, r: number, pool: Uint8Array, buf: Uint8Array, start: number, len: number): boolean {
  const b = start + 1;
  if (rec[r + W0] !== (len | (wireByte(buf, b, len, 0) << 8) | (wireByte(buf, b, len, 1) << 16) | (wireByte(buf, b, len, 2) << 24))) return false;
  if (rec[r + W1] !== wireWord(buf, b, len, 3)) return false;
  if (len <= INLINE) return rec[r + W2] === wireWord(buf, b, len, 7);
  const off = rec[r + W2]! - 7;
  for (let j = 7; j < len; j++) if (pool[off + j] !== LOWER[buf[b + j]!]) return false;
  return true;
}

/**
 * Lower-case code of character `j` of a text label; 0 past its end, as packed; 0x100 for
 * anything beyond ASCII, which fits no byte lane and so never equals a rule's byte.
 */
function textByte(name: string, start: number, len: number, j: number): number {
  if (j >= len) return 0;
  const c = name.charCodeAt(start + j);
  return c >= 65 && c <= 90 ? c + 32 : c > 0x7f ? 0x100 : c;
}

/** Compares lane by lane, so a 0x100 never aliases into a neighbouring byte. */
function textWordIs(word: number, name: string, start: number, len: number, from: number, lanes: number, shift: number): boolean {
  for (let k = 0; k < lanes; k++) if (textByte(name, start, len, from + k) !== ((word >>> (8 * (k + shift))) & 0xff)) return false;
  return true;
}

/** The same as wireLabelIs for a text label. */
function textLabelIs(rec: Int32Array, r: number, pool: Uint8Array, name: string, start: number, len: number): boolean {
  const w0 = rec[r + W0]!;
  if ((w0 & 0xff) !== len) return false;
  if (!textWordIs(w0, name, start, len, 0, 3, 1) || !textWordIs(rec[r + W1]!, name, start, len, 3, 4, 0)) return false;
  const w2 = rec[r + W2]!;
  if (len <= INLINE) return textWordIs(w2, name, start, len, 7, 4, 0);
  for (let j = 7; j < len; j++) if (pool[w2 + j - 7] !== textByte(name, start, len, j)) return false;
  return true;
}

/** The immutable lookup form of the trie. */
export class DomainTrie {
  readonly #tags: Uint8Array;
  readonly #rec: Int32Array;
  readonly #pool: Uint8Array;
  readonly #cap: number;
  readonly #scale: number;
  readonly nodeCount: number;
  /**
   * Specificity of the last match: 2 × labels of the matched name, +1 for an exact rule.
   * Lets an overlay compare its own answer with its base's without allocating.
   */
  lastSpecificity = -1;

  constructor(tags: Uint8Array, rec: Int32Array, pool: Uint8Array, cap: number, nodeCount: number) {
    this.#tags = tags;
    this.#rec = rec;
    this.#pool = pool;
    this.#cap = cap;
    this.#scale = cap / 4294967296;
    this.nodeCount = nodeCount;
  }

  /** Bytes held by the typed arrays behind this trie. */
  get byteSize(): number { return this.#tags.byteLength + this.#rec.byteLength + this.#pool.byteLength; }

  /**
   * Most specific rule for a wire-format name; rules whose handles are in `removed` are
   * skipped as if absent. Malformed names (pointer or reserved label types, a label past
   * the buffer, longer than 255 octets) match nothing.
   */
  matchWire(buf: Uint8Array, offset: number, removed: ReadonlySet<number> | null): number {
    this.lastSpecificity = -1;
    const end = buf.length;
    if ((offset | 0) !== offset || offset < 0) return NO_MATCH;
    // Labels arrive leftmost first and the trie is keyed rightmost first, so find the label
    // boundaries before walking. Only length bytes are read here.
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

    const tags = this.#tags;
    const rec = this.#rec;
    const pool = this.#pool;
    const cap = this.#cap;
    const scale = this.#scale;
    let node = ROOT;
    let pathHash = ROOT_HASH;
    let best = NO_MATCH;
    let bestSpec = -1;
    for (let k = n - 1; k >= 0; k--) {
      const start = labelStarts[k]!;
      const len = buf[start]!;
      const stop = start + 1 + len;
      let h = labelSeed(pathHash);
      for (let j = start + 1; j < stop; j++) h = Math.imul(h ^ LOWER[buf[j]!]!, 0x01000193);
      h = labelFinish(h);
      const tag = (h & 0xff) || 1;
      let s = ((h >>> 0) * scale) | 0;
      let found = -1;
      for (;;) {
        const t = tags[s]!;
        if (t === 0) break;
        if (t === tag) {
          const r = s * REC;
          if (rec[r + PARENT] === node && wireLabelIs(rec, r, pool, buf, start, len)) { found = s; break; }
        }
        if (++s === cap) s = 0;
      }
      if (found < 0) {
        this.lastSpecificity = bestSpec;
        return best;
      }
      node = found;
      pathHash = h;
      const suffix = rec[node * REC + SUFFIX]!;
      if (suffix >= 0 && (removed === null || !removed.has(suffix))) {
        best = suffix;
        bestSpec = (n - k) * 2;
      }
    }
    const exact = rec[node * REC + EXACT]!;
    if (exact >= 0 && (removed === null || !removed.has(exact))) {
      this.lastSpecificity = n * 2 + 1;
      return exact;
    }
    this.lastSpecificity = bestSpec;
    return best;
  }

  /** The same for a text name: any ASCII case, optional trailing dot. */
  matchText(name: string, removed: ReadonlySet<number> | null): number {
    this.lastSpecificity = -1;
    let labelEnd = name.length;
    if (labelEnd > 0 && name.charCodeAt(labelEnd - 1) === 46) labelEnd--;
    if (labelEnd === 0) return NO_MATCH;
    const tags = this.#tags;
    const rec = this.#rec;
    const pool = this.#pool;
    const cap = this.#cap;
    const scale = this.#scale;
    let node = ROOT;
    let pathHash = ROOT_HASH;
    let best = NO_MATCH;
    let bestSpec = -1;
    let depth = 0;
    // Text names are walked right to left directly: the dots are the label boundaries.
    while (labelEnd >= 0) {
      let start = labelEnd;
      while (start > 0 && name.charCodeAt(start - 1) !== 46) start--;
      const len = labelEnd - start;
      if (len > MAX_LABEL) { // no node has such a label: spare hashing a huge string
        this.lastSpecificity = bestSpec;
        return best;
      }
      let h = labelSeed(pathHash);
      for (let j = start; j < labelEnd; j++) {
        const c = name.charCodeAt(j);
        h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
      }
      h = labelFinish(h);
      const tag = (h & 0xff) || 1;
      let s = ((h >>> 0) * scale) | 0;
      let found = -1;
      for (;;) {
        const t = tags[s]!;
        if (t === 0) break;
        if (t === tag) {
          const r = s * REC;
          if (rec[r + PARENT] === node && textLabelIs(rec, r, pool, name, start, len)) { found = s; break; }
        }
        if (++s === cap) s = 0;
      }
      if (found < 0) {
        this.lastSpecificity = bestSpec;
        return best;
      }
      node = found;
      pathHash = h;
      depth++;
      const suffix = rec[node * REC + SUFFIX]!;
      if (suffix >= 0 && (removed === null || !removed.has(suffix))) {
        best = suffix;
        bestSpec = depth * 2;
      }
      labelEnd = start - 1;
    }
    const exact = rec[node * REC + EXACT]!;
    if (exact >= 0 && (removed === null || !removed.has(exact))) {
      this.lastSpecificity = depth * 2 + 1;
      return exact;
    }
    this.lastSpecificity = bestSpec;
    return best;
  }

  /** The rule stored for exactly this name and kind (cold path), or NO_MATCH. */
  find(name: string, suffix: boolean): number {
    const end = validateRuleName(name);
    if (end < 0) return NO_MATCH;
    const lower = name.slice(0, end).toLowerCase();
    // A wire walk of the name would also find shorter suffix rules; check the name's own node.
    const node = this.#nodeOf(lower);
    if (node < 0) return NO_MATCH;
    const h = this.#rec[node * REC + (suffix ? SUFFIX : EXACT)]!;
    return h >= 0 ? h : NO_MATCH;
  }

  #nodeOf(lowerName: string): number {
    let node = ROOT;
    let pathHash = ROOT_HASH;
    let labelEnd = lowerName.length;
    while (labelEnd > 0) {
      let start = labelEnd - 1;
      while (start > 0 && lowerName.charCodeAt(start - 1) !== 46) start--;
      let h = labelSeed(pathHash);
      for (let j = start; j < labelEnd; j++) h = Math.imul(h ^ lowerName.charCodeAt(j), 0x01000193);
      pathHash = labelFinish(h);
      node = this.#childOfText(node, pathHash, lowerName, start, labelEnd);
      if (node < 0) return -1;
      labelEnd = start - 1;
    }
    return node;
  }

  #childOfText(parent: number, h: number, name: string, start: number, end: number): number {
    const tag = (h & 0xff) || 1;
    for (let s = ((h >>> 0) * this.#scale) | 0; this.#tags[s] !== 0; s = s + 1 === this.#cap ? 0 : s + 1) {
      if (this.#tags[s] !== tag || this.#rec[s * REC + PARENT] !== parent) continue;
      if (this.#labelText(s) === name.slice(start, end)) return s;
    }
    return -1;
  }

  #labelText(slot: number): string {
    const r = slot * REC;
    const rec = this.#rec;
    const len = rec[r + W0]! & 0xff;
    const codes: number[] = [];
    for (let j = 0; j < len; j++) {
      if (j < 3) codes.push((rec[r + W0]! >>> (8 * (j + 1))) & 0xff);
      else if (j < 7) codes.push((rec[r + W1]! >>> (8 * (j - 3))) & 0xff);
      else if (len <= INLINE) codes.push((rec[r + W2]! >>> (8 * (j - 7))) & 0xff);
      else codes.push(this.#pool[rec[r + W2]! + j - 7]!);
    }
    return String.fromCharCode(...codes);
  }

  /** The name a node stands for (cold path: block pages, logs, compaction). */
  nameOf(node: number): string {
    const labels: string[] = [];
    for (let s = node; s !== ROOT; s = this.#rec[s * REC + PARENT]!) labels.push(this.#labelText(s));
    return labels.join('.');
  }
}
