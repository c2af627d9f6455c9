import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';
import { isDatabaseUnavailable } from './database-errors.js';

/**
 * Runs a creating transaction and, when the connection is lost while COMMIT is in flight,
 * finds out whether the commit happened before answering. Without this, a Postgres restart at
 * the wrong instant leaves a row that was written although the client was told it was not —
 * the one way "every 201 is in the database and nothing else is" could break.
 *
 * `confirm` looks for the row by an id the caller chose before the transaction began.
 */
export async function transactionWithConfirmedCommit<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  confirm: (db: Kysely<DB>) => Promise<boolean>,
  options: { confirmForMs?: number } = {},
): Promise<T> {
  let result: { value: T } | undefined;
  try {
    return await db.transaction().execute(async (trx) => {
      const value = await work(trx);
      result = { value };
      return value;
    });
  } catch (err) {
    // Only an interrupted COMMIT is ambiguous; a failure inside `work` rolled everything back.
    if (!result || !isDatabaseUnavailable(err)) throw err;
    const deadline = Date.now() + (options.confirmForMs ?? 15_000);
    let delay = 100;
    while (Date.now() < deadline) {
      try {
        if (await confirm(db)) return result.value;
        throw err; // the database answers and the row is not there: it was not committed
      } catch (lookupErr) {
        if (lookupErr === err || !isDatabaseUnavailable(lookupErr)) throw err;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
    throw err;
  }
}
