import { NO_MATCH } from './matcher-types.js';
import { IntList } from './int-list.js';

/**
 * Longest-prefix match over the `ip` and `cidr` rules of one address family.
 *
 * One open-addressed table keyed by (rank, masked address words), probed once per distinct
 * rank present, longest first. Registers hold few distinct prefix lengths, so that is a
 * handful of probes and no per-bit tree walk. The rank of a `cidr` rule is its prefix length;
 * an `ip` rule ranks one above the full length, so it wins over a host-length `cidr` rule of
 * the same address (the way an exact domain rule wins over a suffix rule).
 */

// The lookup calls nothing that can re-enter it, so scratch arrays serve every table.
const masked = new Int32Array(4);
const addrWords = new Int32Array(4);

function maskFor(rankBits: number, word: number): number {
  const bits = rankBits - word * 32;
  if (bits >= 32) return -1;
  if (bits <= 0) return 0;
  return -1 << (32 - bits);
}

function hashKey(rank: number, words: Int32Array, wordCount: number): number {
  let h = Math.imul(rank + 1, 0x9e3779b1);
  for (let i = 0; i < wordCount; i++) {
    h = Math.imul(h ^ words[i]!, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Address bytes as big-endian 32-bit words. */
function wordsOf(bytes: Uint8Array, out: Int32Array): void {
  for (let i = 0, b = 0; b < bytes.length; i++, b += 4) {
    out[i] = (bytes[b]! << 24) | (bytes[b + 1]! << 16) | (bytes[b + 2]! << 8) | bytes[b + 3]!;
  }
}

export class CidrTableBuilder {
  readonly #wordCount: 1 | 4;
  readonly #words = new IntList();
  readonly #ranks = new IntList();
  readonly #handles = new IntList();

  constructor(addressBytes: 4 | 16) {
    this.#wordCount = addressBytes === 4 ? 1 : 4;
  }

  get fullBits(): number { return this.#wordCount * 32; }

  /** `prefix` = the CIDR length, or fullBits + 1 for an `ip` rule. */
  add(bytes: Uint8Array, rank: number, handle: number): void {
    const w = new Int32Array(4);
    wordsOf(bytes, w);
    for (let i = 0; i < this.#wordCount; i++) this.#words.push(w[i]! & maskFor(rank, i));
    this.#ranks.push(rank);
    this.#handles.push(handle);
  }

  /** Later rules replace earlier ones with the same key; `replaced` hears of each loser. */
  build(replaced: (handle: number) => void): CidrTable {
    const n = this.#ranks.length;
    const wc = this.#wordCount;
    let cap = 8;
    while (cap < n * 2) cap *= 2;
    const keys = new Int32Array(cap * wc);
    const ranks = new Uint8Array(cap);
    const handles = new Int32Array(cap);
    const present = new Set<number>();
    const key = new Int32Array(4);
    for (let i = 0; i < n; i++) {
      const rank = this.#ranks.get(i);
      for (let w = 0; w < wc; w++) key[w] = this.#words.get(i * wc + w);
      let s = hashKey(rank, key, wc) & (cap - 1);
      for (; ranks[s] !== 0; s = (s + 1) & (cap - 1)) {
        if (ranks[s] === rank + 1 && sameKey(keys, s * wc, key, wc)) {
          replaced(handles[s]!);
          break;
        }
      }
      ranks[s] = rank + 1;
      keys.set(key.subarray(0, wc), s * wc);
      handles[s] = this.#handles.get(i);
      present.add(rank);
    }
    const order = Uint8Array.from([...present].sort((a, b) => b - a));
    return new CidrTable(wc, keys, ranks, handles, order);
  }
}

function sameKey(keys: Int32Array, at: number, key: Int32Array, wordCount: number): boolean {
  for (let w = 0; w < wordCount; w++) if (keys[at + w] !== key[w]) return false;
  return true;
}

export class CidrTable {
  /** Rank of the last match (see the module comment), for overlays to compare answers. */
  lastRank = -1;

  constructor(
    readonly wordCount: number,
    readonly keys: Int32Array,
    /** rank + 1 per slot; 0 = empty. */
    readonly ranks: Uint8Array,
    readonly handles: Int32Array,
    /** Distinct ranks present, longest first. */
    readonly order: Uint8Array,
  ) {}

  get byteSize(): number { return this.keys.byteLength + this.ranks.byteLength + this.handles.byteLength; }

  /** Longest-prefix rule for `addr` (already checked to be this family's length). */
  match(addr: Uint8Array, removed: ReadonlySet<number> | null): number {
    this.lastRank = -1;
    const order = this.order;
    if (order.length === 0) return NO_MATCH;
    const wc = this.wordCount;
    const mask = this.ranks.length - 1;
    const keys = this.keys;
    const ranks = this.ranks;
    // The address words are read once; each rank only masks them (an IPv6 lookup probes
    // several ranks, and re-reading 16 bytes per rank cost it a third of its speed).
    for (let w = 0, b = 0; w < wc; w++, b += 4) {
      addrWords[w] = (addr[b]! << 24) | (addr[b + 1]! << 16) | (addr[b + 2]! << 8) | addr[b + 3]!;
    }
    for (let o = 0; o < order.length; o++) {
      const rank = order[o]!;
      for (let w = 0; w < wc; w++) masked[w] = addrWords[w]! & maskFor(rank, w);
      for (let s = hashKey(rank, masked, wc) & mask; ranks[s] !== 0; s = (s + 1) & mask) {
        if (ranks[s] !== rank + 1 || !sameKey(keys, s * wc, masked, wc)) continue;
        const h = this.handles[s]!;
        if (removed !== null && removed.has(h)) break;
        this.lastRank = rank;
        return h;
      }
    }
    return NO_MATCH;
  }

  /** The handle stored under exactly this key (cold path), or NO_MATCH. */
  find(bytes: Uint8Array, rank: number): number {
    const key = new Int32Array(4);
    wordsOf(bytes, key);
    for (let w = 0; w < this.wordCount; w++) key[w] = key[w]! & maskFor(rank, w);
    const mask = this.ranks.length - 1;
    for (let s = hashKey(rank, key, this.wordCount) & mask; this.ranks[s] !== 0; s = (s + 1) & mask) {
      if (this.ranks[s] === rank + 1 && sameKey(this.keys, s * this.wordCount, key, this.wordCount)) return this.handles[s]!;
    }
    return NO_MATCH;
  }
}
