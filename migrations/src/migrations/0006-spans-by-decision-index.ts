import { sql, type Kysely } from 'kysely';

/**
 * A decision's spans by the decision. Whether a decision has any span left open, and why its
 * last one closed, are asked inside the enforcement section (the log head locked) each time a
 * supersession, restoration or expiry closes spans; without this, each question was a scan of
 * every span (~200 ms at 1M) with every appender waiting.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX enforcement_decision_idx ON enforcement_periods (decision_id, closed_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX enforcement_decision_idx`.execute(db);
}
