import type { Logger } from 'pino';

/**
 * The loop every scheduler in the register shares: a pass every `intervalMs` on an unref'd
 * timer, overlapping calls sharing the pass in progress, and failures (Postgres restarting)
 * logged once per outage instead of once per tick. What a pass does stays with its owner.
 */
export class PeriodicTask {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failing = false;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<void>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass now; resolves when it is done, never rejects. */
  tick(): Promise<void> {
    this.#running ??= this.#guarded().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #guarded(): Promise<void> {
    try {
      await this.pass();
      if (this.#failing) this.logger.info(`${this.name} recovered`);
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.logger.warn({ err }, `${this.name} failed; will retry`);
      this.#failing = true;
    }
  }
}
