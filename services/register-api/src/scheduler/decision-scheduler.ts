import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { activateDecision, enterEnforcementSection, expireDuePeriods } from '../domain/enforcement.js';
import { findLegalBasis } from '../repositories/legal-basis-repository.js';

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
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failing = false;

  constructor(options: SchedulerOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? 1000;
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
      const started = await this.#startScheduled();
      const expired = await this.#db.transaction().execute(async (trx) => expireDuePeriods(trx, await enterEnforcementSection(trx)));
      if (started.length || expired.length) this.#logger.info({ started: started.length, expiredEntries: expired.length }, 'scheduler applied due changes');
      if (this.#failing) this.#logger.info('scheduler recovered');
      this.#failing = false;
    } catch (err) {
      // Postgres may be restarting; the next tick retries. Log once per outage, not per tick.
      if (!this.#failing) this.#logger.warn({ err }, 'scheduler pass failed; will retry');
      this.#failing = true;
    }
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
