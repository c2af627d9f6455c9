import { sql, type Expression, type OperationNodeSource, type Transaction } from 'kysely';
import type { DB } from './schema.js';

/** A statement not yet run: an insert, update or delete query builder of Kysely. */
export type Write = OperationNodeSource;

/**
 * Runs several writes as the data-modifying CTEs of one statement: one round trip instead of
 * one per write. Inside the enforcement section every round trip is time the log head stays
 * locked, and on a busy machine it is the round trips (each waiting for this process and the
 * backend to be scheduled), not the work, that make the lock's tail.
 *
 * What this changes, and why callers can live with it: the writes see the database as it was
 * before the statement (not each other's rows), so none may read what another one writes;
 * immediate constraints (unique, exclusion, checks) are checked row by row as each write runs;
 * foreign keys at the end of the statement, when every write is in. Two writes must not touch
 * the same row. `select` is what the statement returns after the writes (e.g. a pg_notify).
 */
export async function writeInOneStatement(trx: Transaction<DB>, writes: readonly Write[], select?: Expression<unknown>): Promise<void> {
  if (writes.length === 0 && select === undefined) return;
  const ctes = writes.map((w, i) => sql`${sql.id(`write_${i}`)} AS (${w})`);
  const tail = sql`SELECT ${select ?? sql`1`}`;
  await (ctes.length > 0 ? sql`WITH ${sql.join(ctes)} ${tail}` : tail).execute(trx);
}
