import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { activateDecision, enterEnforcementSection, expireDuePeriods } from '../domain/enforcement.js';
import { findLegalBasis } from '../repositories/legal-basis-repository.js';
import { decisionResources } from '../repositories/decision-repository.js';
import { dueEnforcementWork } from '../repositories/enforcement-repository.js';
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
    // Most passes find nothing due. Asking first, without the log head's lock, keeps idle
    // schedulers (one in every API process, every second) from making approvals queue behind
    // them; what becomes due in between is found by the next pass.
    const due = await dueEnforcementWork(this.#db);
    const started = due.starts ? await this.#startScheduled() : [];
    const expired = due.ends ? await this.#db.transaction().execute(async (trx) => expireDuePeriods(trx, await enterEnforcementSection(trx))) : [];
    if (started.length || expired.length) this.#logger.info({ started: started.length, expiredEntries: expired.length }, 'scheduler applied due changes');
  }

  async #startScheduled(): Promise<string[]> {
    return this.#db.transaction().execute(async (trx) => {
      const section = await enterEnforcementSection(trx);
      const due = await trx
        .selectFrom('decisions')
        .selectAll()
        .where('status', '=', 'scheduled')
        .where('effective_from', '<=', section.at)
        .orderBy('effective_from')
        .limit(100)
        .forUpdate()
        .skipLocked()
        .execute();
      const resources = await decisionResources(trx, due.map((d) => d.id));
      for (const d of due) {
        const basis = await findLegalBasis(trx, d.legal_basis_id);
        if (basis) await activateDecision(trx, section, d, basis, resources.get(d.id) ?? []);
      }
      return due.map((d) => d.id);
    });
  }
}
