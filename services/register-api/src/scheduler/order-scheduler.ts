import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { transactionNow } from '../domain/enforcement.js';
import { recordAudit } from '../repositories/audit-repository.js';
import { markDueOrdersOverdue } from '../repositories/order-repository.js';
import { PeriodicTask } from './periodic-task.js';

export interface OrderSchedulerOptions {
  db: Kysely<DB>;
  logger: Logger;
  intervalMs?: number;
  /** Orders marked per transaction; a backlog is worked off over several passes in one tick. */
  batchSize?: number;
}

/**
 * Marks orders overdue once their 24 hours pass with no outcome, with nobody calling the API.
 * Each batch claims its orders with FOR UPDATE SKIP LOCKED, so several API processes share
 * the work, and writes one audit record per order (no actor: the register did it).
 */
export class OrderScheduler {
  readonly #db: Kysely<DB>;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #task: PeriodicTask;

  constructor(options: OrderSchedulerOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#batchSize = options.batchSize ?? 200;
    this.#task = new PeriodicTask('order scheduler', () => this.#pass(), options.logger, options.intervalMs ?? 1000);
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** One pass; overlapping calls share the pass in progress. */
  tick(): Promise<void> {
    return this.#task.tick();
  }

  async #pass(): Promise<void> {
    let total = 0;
    for (;;) {
      const marked = await this.#markBatch();
      total += marked;
      if (marked < this.#batchSize) break;
    }
    if (total > 0) this.#logger.info({ overdue: total }, 'orders past their 24 hours marked overdue');
  }

  async #markBatch(): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const now = await transactionNow(trx);
      const marked = await markDueOrdersOverdue(trx, now, this.#batchSize);
      for (const o of marked) {
        await recordAudit(trx, {
          actorId: null, sourceIp: null, action: 'order.overdue', targetType: 'order', targetId: o.id,
          before: { status: 'open' }, after: { status: 'overdue', dueAt: o.due_at.toISOString(), overdueAt: now.toISOString() },
        });
      }
      return marked.length;
    });
  }
}
