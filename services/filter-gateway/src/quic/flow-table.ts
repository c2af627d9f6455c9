/**
 * Per-flow state keyed by the client's address and port, bounded two ways: a cap on flows
 * (a new flow past it is refused, so a flood of spoofed sources cannot evict the flows already
 * relayed) and a deadline per flow, swept on a timer rather than one timer per flow.
 */
export interface TimedFlow {
  /** performance.now() past which the flow is expired. */
  deadline: number;
}

export class FlowTable<F extends TimedFlow> {
  readonly #flows = new Map<string, F>();
  readonly #max: number;

  constructor(maxFlows: number) {
    this.#max = maxFlows;
  }

  get size(): number { return this.#flows.size; }

  get(key: string): F | undefined { return this.#flows.get(key); }

  /** False when the table is full. */
  add(key: string, flow: F): boolean {
    if (this.#flows.size >= this.#max) return false;
    this.#flows.set(key, flow);
    return true;
  }

  delete(key: string): void { this.#flows.delete(key); }

  /** Removes every flow whose deadline has passed, calling `onExpire` for each. */
  sweep(now: number, onExpire: (key: string, flow: F) => void): void {
    for (const [key, flow] of this.#flows) {
      if (flow.deadline <= now) {
        this.#flows.delete(key);
        onExpire(key, flow);
      }
    }
  }

  clear(onEach: (key: string, flow: F) => void): void {
    for (const [key, flow] of this.#flows) onEach(key, flow);
    this.#flows.clear();
  }
}
