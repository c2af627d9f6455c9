import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { transactionNow } from '../domain/enforcement.js';
import { recordAudit } from '../repositories/audit-repository.js';
import { markDueOrdersOverdue } from '../repositories/order-repository.js';

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
  readonly #intervalMs: number;
  readonly #batchSize: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failing = false;

  constructor(options: OrderSchedulerOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#batchSize = options.batchSize ?? 200;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass; overlapping calls share the pass in progress. */
  tick(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    try {
      let total = 0;
      for (;;) {
        const marked = await this.#markBatch();
        total += marked;
        if (marked < this.#batchSize) break;
      }
      if (total > 0) this.#logger.info({ overdue: total }, 'orders past their 24 hours marked overdue');
      if (this.#failing) this.#logger.info('order scheduler recovered');
      this.#failing = false;
    } catch (err) {
      // Postgres may be restarting; the next tick retries. Log once per outage, not per tick.
      if (!this.#failing) this.#logger.warn({ err }, 'order scheduler pass failed; will retry');
      this.#failing = true;
    }
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
