import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { activateDecision, enterEnforcementSection, expireDuePeriods } from '../domain/enforcement.js';
import { findLegalBasis } from '../repositories/legal-basis-repository.js';
import { PeriodicTask } from './periodic-task.js';

export interface SchedulerOptions {
  db: Kysely<DB>;
  logger: Logger;
  intervalMs?: number;
}

/**
 * Starts scheduled decisions and ends suspensions with nobody calling the API. Every tick
 * claims due rows with FOR UPDATE SKIP LOCKED, so several API processes over one Postgres
 * share the work without doing any of it twice.
 */
export class DecisionScheduler {
  readonly #db: Kysely<DB>;
  readonly #logger: Logger;
  readonly #task: PeriodicTask;

  constructor(options: SchedulerOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#task = new PeriodicTask('decision scheduler', () => this.#pass(), options.logger, options.intervalMs ?? 1000);
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
    const started = await this.#startScheduled();
    const expired = await this.#db.transaction().execute(async (trx) => expireDuePeriods(trx, await enterEnforcementSection(trx)));
    if (started.length || expired.length) this.#logger.info({ started: started.length, expiredEntries: expired.length }, 'scheduler applied due changes');
  }

  async #startScheduled(): Promise<string[]> {
    return this.#db.transaction().execute(async (trx) => {
      const now = await enterEnforcementSection(trx);
      const due = await trx
        .selectFrom('decisions')
        .selectAll()
        .where('status', '=', 'scheduled')
        .where('effective_from', '<=', now)
        .orderBy('effective_from')
        .limit(100)
        .forUpdate()
        .skipLocked()
        .execute();
      for (const d of due) {
        const basis = await findLegalBasis(trx, d.legal_basis_id);
        if (basis) await activateDecision(trx, d, basis, now);
      }
      return due.map((d) => d.id);
    });
  }
}
