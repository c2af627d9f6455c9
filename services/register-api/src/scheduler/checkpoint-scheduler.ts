import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { signHead } from '../domain/log-checkpoints.js';
import { PeriodicTask } from './periodic-task.js';

/**
 * Signs the log head periodically when it has moved. Several API processes may sign the same
 * head; the checkpoint table keeps the first signature for a seq.
 */
export class CheckpointScheduler {
  readonly #task: PeriodicTask;

  constructor(options: { db: Kysely<DB>; key: KeyObject; logger: Logger; intervalMs: number }) {
    this.#task = new PeriodicTask('checkpoint signing', async () => void (await signHead(options.db, options.key)), options.logger, options.intervalMs);
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  tick(): Promise<void> {
    return this.#task.tick();
  }
}
