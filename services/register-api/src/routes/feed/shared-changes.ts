import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { changesSince } from '../../repositories/feed-repository.js';
import { changeFromLogRow } from './feed-lines.js';

export type ChangesPage = { from: number; to: number; changes: ReturnType<typeof changeFromLogRow>[] };

/** A page and its JSON, encoded once for every long-poll that shares it. */
export interface SharedPage { page: ChangesPage; json: string }

/**
 * One changes query per (since, limit) at a time, shared by every long-poll asking it. When an
 * approval lands, every gateway waiting on this process wakes with the same `since`: hundreds
 * of identical queries (and as many row decodings) become one, and the gateways get their
 * answer as fast as one query takes, not a queue of them behind the connection pool. The JSON
 * is encoded once too, for all of them.
 */
export class SharedChanges {
  readonly #inFlight = new Map<string, Promise<SharedPage>>();

  constructor(private readonly db: Kysely<DB>) {}

  page(since: number, limit: number): Promise<SharedPage> {
    const key = `${since}:${limit}`;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = changesSince(this.db, since, limit).then((rows) => {
        const changes = rows.map(changeFromLogRow);
        const page: ChangesPage = { from: since, to: changes.at(-1)?.seq ?? since, changes };
        return { page, json: JSON.stringify(page) };
      }).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }
}
