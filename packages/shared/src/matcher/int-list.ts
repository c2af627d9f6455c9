/**
 * A growable list of 32-bit integers. Builders stream an unknown number of rules, and a JS
 * number[] would cost ~4x the memory once values leave the small-integer range.
 */
export class IntList {
  #data: Int32Array;
  #length = 0;

  constructor(initialCapacity = 1024) {
    this.#data = new Int32Array(Math.max(4, initialCapacity));
  }

  get length(): number { return this.#length; }

  push(value: number): number {
    if (this.#length === this.#data.length) this.#grow();
    this.#data[this.#length] = value;
    return this.#length++;
  }

  get(index: number): number { return this.#data[index]!; }

  set(index: number, value: number): void { this.#data[index] = value; }

  /** A right-sized copy; the list stays usable. */
  toInt32Array(): Int32Array { return this.#data.slice(0, this.#length); }

  #grow(): void {
    const next = new Int32Array(this.#data.length * 2);
    next.set(this.#data);
    this.#data = next;
  }
}
