/**
 * A Bloom filter of the second-level names (`example.com`, keyed by their suffix hash, domain-name-hash.ts) that
 * have any node under them. Most names a resolver is asked about are covered by no rule, and
 * at a million rules the domain table no longer fits in cache: checking this filter (16 bits per
 * name, two bits in one 32-bit word, so one read) lets a miss stop before it touches the table.
 *
 * A false positive only costs the table probe it would have done anyway; there are no false
 * negatives, so answers never depend on it.
 */

const BITS_PER_NAME = 16;
const MIN_WORDS = 32;

/** Word index from the top bits, bit positions from the low ten: independent of slot and tag. */
function mixed(suffixHash: number): number {
  return Math.imul(suffixHash ^ (suffixHash >>> 15), 0x2c1b3c6d);
}

/** The filter words for `count` names; `shift` turns a mixed hash into a word index. */
export function filterShape(count: number): { words: number; shift: number } {
  let words = MIN_WORDS;
  let shift = 27;
  while (words * 32 < count * BITS_PER_NAME) { words *= 2; shift--; }
  return { words, shift };
}

export function addToFilter(bits: Int32Array, shift: number, suffixHash: number): void {
  const g = mixed(suffixHash);
  bits[g >>> shift]! |= (1 << (g & 31)) | (1 << ((g >>> 5) & 31));
}

/** False when no second-level name with this path hash has a node. */
export function mayContain(bits: Int32Array, shift: number, suffixHash: number): boolean {
  const g = mixed(suffixHash);
  const want = (1 << (g & 31)) | (1 << ((g >>> 5) & 31));
  return (bits[g >>> shift]! & want) === want;
}
