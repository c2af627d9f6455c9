import type { CoarseClock } from './clock.js';

export interface Deadline {
  deadline: number;
  expire(): void;
}

/**
 * Timeouts for in-flight work, checked on the coarse clock's tick instead of arming a timer
 * per upstream query.
 */
export class Deadlines {
  readonly #pending = new Set<Deadline>();
  readonly #stop: () => void;

  constructor(clock: CoarseClock) {
    this.#stop = clock.onTick((now) => {
      if (this.#pending.size === 0) return;
      for (const d of this.#pending) {
        if (now >= d.deadline) {
          this.#pending.delete(d);
          d.expire();
        }
      }
    });
  }

  add(d: Deadline): void {
    this.#pending.add(d);
  }

  delete(d: Deadline): void {
    this.#pending.delete(d);
  }

  /** Expires everything now (shutdown), so no caller waits on a closed process. */
  close(): void {
    this.#stop();
    for (const d of this.#pending) d.expire();
    this.#pending.clear();
  }
}
