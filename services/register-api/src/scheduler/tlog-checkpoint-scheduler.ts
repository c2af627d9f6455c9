import type { Logger } from 'pino';
import type { TlogService } from '../domain/tlog-service.js';
import { PeriodicTask } from './periodic-task.js';

/**
 * Signs a transparency-log checkpoint whenever the tree has grown (a cheap look at the head
 * otherwise), so entries get inclusion proofs against a signed root within one interval.
 */
export class TlogCheckpointScheduler {
  readonly #task: PeriodicTask;

  constructor(options: { tlog: TlogService; logger: Logger; intervalMs: number }) {
    this.#task = new PeriodicTask('tlog checkpoint signing', async () => void (await options.tlog.signAndWitness()), options.logger, options.intervalMs);
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
