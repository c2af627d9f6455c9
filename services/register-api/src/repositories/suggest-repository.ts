import { sql, type Kysely, type SqlBool } from 'kysely';
import type { DB } from '../db/schema.js';
import { CATEGORIES, isSensitiveCategory } from '../domain/categories.js';
import { publicSpans } from './public-query-repository.js';

const SENSITIVE_CATEGORIES = CATEGORIES.filter(isSensitiveCategory);

/** The text a key is made of (see suggestKeys): lower case, no scheme, no leading `*.`. */
const keyOf = (column: 'r.value' | 'r.display') => sql<string>`lower(regexp_replace(${sql.ref(column)}, '^(https?://|\\*\\.)', ''))`;

/** Longest the database may spend on one suggestion list: a type-ahead answer late is no answer. */
const FALLBACK_TIMEOUT_MS = 250;
/** Postgres: the statement was cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';

/**
 * Type-ahead from the database, for the seconds while the in-memory copy loads: restrictions
 * in force at `at` whose value or Unicode form starts with `prefix` (in `suggestPrefix` form),
 * sorted by that key. The same rules as the index: no exception (`allow`), no URL of a
 * sensitive category. A scan of the open spans, not an index range: it is the slow path, so
 * it is cut off after FALLBACK_TIMEOUT_MS and then suggests nothing (the form still works).
 */
export async function suggestFromDatabase(db: Kysely<DB>, prefix: string, limit: number, at: Date) {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('statement_timeout', ${String(FALLBACK_TIMEOUT_MS)}, true)`.execute(trx);
      return suggestQuery(trx, prefix, limit, at).execute();
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === QUERY_CANCELED) return [];
    throw err;
  }
}

function suggestQuery(db: Kysely<DB>, prefix: string, limit: number, at: Date) {
  const like = `${prefix.replace(/[%_\\]/g, '\\$&')}%`;
  return publicSpans(db)
    .where('p.closed_at', 'is', null)
    .where('p.mode', '<>', 'allow')
    .where('p.starts_at', '<=', at)
    .where((eb) => eb.or([eb('p.ends_at', 'is', null), eb('p.ends_at', '>', at)]))
    .where((eb) => eb.not(eb.and([eb('r.kind', '=', 'url'), eb('d.category', 'in', SENSITIVE_CATEGORIES)])))
    .where((eb) => eb.or([sql<SqlBool>`${keyOf('r.value')} LIKE ${like}`, sql<SqlBool>`${keyOf('r.display')} LIKE ${like}`]))
    .orderBy(sql`(CASE WHEN ${keyOf('r.value')} LIKE ${like} THEN ${keyOf('r.value')} ELSE ${keyOf('r.display')} END) COLLATE "C"`)
    .limit(limit);
}
