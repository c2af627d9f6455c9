import type { RpzRecord } from '@tizilim/shared';

/** One version step of the zone: what a secondary at `from` deletes and adds to reach `to` (RFC 1995 §4). */
export interface JournalStep {
  from: number;
  to: number;
  deleted: readonly RpzRecord[];
  added: readonly RpzRecord[];
}

export interface JournalLimits {
  /** Versions kept; an IXFR from further back is answered with the whole zone. */
  maxSteps: number;
  /** Records kept over all steps, so one huge batch cannot pin memory. */
  maxRecords: number;
}

/**
 * Recent versions of the zone as differences, for IXFR (RFC 1995). Built from the feed's
 * change batches as they arrive; a full reload starts it afresh (the difference is unknown),
 * after which older clients get AXFR-style answers until the journal reaches them.
 */
export class ZoneJournal {
  #steps: JournalStep[] = [];
  #head = 0;
  #records = 0;

  constructor(private readonly limits: JournalLimits) {}

  get oldest(): number | undefined {
    return this.#steps[this.#head]?.from;
  }

  get size(): number {
    return this.#steps.length - this.#head;
  }

  clear(): void {
    this.#steps = [];
    this.#head = 0;
    this.#records = 0;
  }

  append(step: JournalStep): void {
    const last = this.#steps[this.#steps.length - 1];
    if (last && last.to !== step.from) this.clear();
    this.#steps.push(step);
    this.#records += step.deleted.length + step.added.length;
    while (this.size > this.limits.maxSteps || (this.#records > this.limits.maxRecords && this.size > 0)) {
      const gone = this.#steps[this.#head++]!;
      this.#records -= gone.deleted.length + gone.added.length;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#steps.length) {
      this.#steps = this.#steps.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The steps from `serial` to the newest, or undefined when the journal does not reach back to it. */
  since(serial: number): JournalStep[] | undefined {
    if (this.size > 0 && this.#steps[this.#steps.length - 1]!.to === serial) return [];
    // Steps are contiguous and ascending, so the one starting at `serial` is found by bisection.
    let lo = this.#head;
    let hi = this.#steps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = this.#steps[mid]!.from;
      if (f === serial) return this.#steps.slice(mid);
      if (f < serial) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}
