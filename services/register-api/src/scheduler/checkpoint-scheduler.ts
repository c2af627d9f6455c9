import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { signHead } from '../domain/log-checkpoints.js';

/**
 * Signs the log head periodically when it has moved. Several API processes may sign the same
 * head; the checkpoint table keeps the first signature for a seq.
 */
export class CheckpointScheduler {
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(private readonly options: { db: Kysely<DB>; key: KeyObject; logger: Logger; intervalMs: number }) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async tick(): Promise<void> {
    try {
      await signHead(this.options.db, this.options.key);
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.options.logger.warn({ err }, 'checkpoint signing failed; will retry');
      this.#failing = true;
    }
  }
}
