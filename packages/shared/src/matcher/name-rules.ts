/**
 * The rules on one name, in one 32-bit word of the domain table's slot record: a name nearly
 * always carries one rule, so the word holds that handle and whether it is the suffix rule
 * (`handle × 2 + suffix`). The rare name with both an exact and a suffix rule holds
 * `-2 - pair` instead, and the two handles sit in a separate pairs array. -1: no rule.
 */
export const NO_RULES = -1;

export function exactOf(word: number, pairs: Int32Array): number {
  if (word >= 0) return (word & 1) === 0 ? word >>> 1 : -1;
  return word === NO_RULES ? -1 : pairs[(-2 - word) * 2]!;
}

export function suffixOf(word: number, pairs: Int32Array): number {
  if (word >= 0) return (word & 1) === 1 ? word >>> 1 : -1;
  return word === NO_RULES ? -1 : pairs[(-2 - word) * 2 + 1]!;
}

/** Growable pairs for the builder. */
export class RulePairs {
  #pairs = new Int32Array(64);
  #count = 0;
  /** The handle the last set() replaced, or -1. */
  replaced = -1;

  get pairs(): Int32Array { return this.#pairs; }

  /**
   * The word after setting the exact or suffix rule of a name whose word is `word`; the
   * handle it replaces is left in `replaced`.
   */
  set(word: number, suffix: boolean, handle: number): number {
    const exact = suffix ? exactOf(word, this.#pairs) : handle;
    const suffixRule = suffix ? handle : suffixOf(word, this.#pairs);
    this.replaced = suffix ? suffixOf(word, this.#pairs) : exactOf(word, this.#pairs);
    if (exact < 0 || suffixRule < 0) return exact >= 0 ? exact * 2 : suffixRule * 2 + 1;
    const pair = word <= -2 ? -2 - word : this.#count++;
    if (pair * 2 + 2 > this.#pairs.length) {
      const next = new Int32Array(this.#pairs.length * 2);
      next.set(this.#pairs);
      this.#pairs = next;
    }
    this.#pairs[pair * 2] = exact;
    this.#pairs[pair * 2 + 1] = suffixRule;
    return -2 - pair;
  }

  /** The pairs for a built table: right-sized. */
  toArray(): Int32Array { return this.#pairs.slice(0, this.#count * 2); }
}
