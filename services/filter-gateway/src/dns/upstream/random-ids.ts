import { getRandomValues } from 'node:crypto';

/**
 * Unpredictable 16-bit query IDs (RFC 5452) from a block of CSPRNG output refilled when used
 * up: one system call per 4096 upstream queries instead of one per query.
 */
export class RandomIds {
  readonly #pool = new Uint16Array(4096);
  #next = this.#pool.length;

  next(): number {
    if (this.#next >= this.#pool.length) {
      getRandomValues(this.#pool);
      this.#next = 0;
    }
    return this.#pool[this.#next++]!;
  }
}
