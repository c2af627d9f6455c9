import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { activeRuleLinesQuery, countActiveRules } from '../../repositories/feed-repository.js';
import { logHead } from '../../repositories/public-log-repository.js';
import { snapshotHeader } from './feed-lines.js';
import { FETCH_ROWS, write, writeLines } from './feed-stream.js';
import type { SnapshotCache } from './snapshot-cache.js';

/**
 * Writes the current snapshot into the cache with no client waiting: what an API process does
 * once at start, so that no gateway pays for the million-row query (several seconds here) and
 * every later version is derived from this copy and the log. Resolves with the version written,
 * or undefined when another copy was being written; `signal` stops it (the transaction rolls
 * back and the partial files go).
 */
export async function warmSnapshotCopy(db: Kysely<DB>, cache: SnapshotCache, signal: AbortSignal): Promise<number | undefined> {
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    await sql`SET LOCAL cursor_tuple_fraction = 1`.execute(trx);
    const version = (await logHead(trx)).seq;
    const count = await countActiveRules(trx);
    const writer = cache.begin(version, count);
    if (!writer) return undefined;
    try {
      await write(writer.identity, snapshotHeader(version, count));
      await writeLines(activeRuleLinesQuery(trx).stream(FETCH_ROWS), (row) => row.line, (text) => {
        signal.throwIfAborted();
        return write(writer.identity, text);
      });
      writer.identity.end();
      await writer.commit();
      return version;
    } catch (err) {
      writer.abort();
      throw err;
    }
  });
}
