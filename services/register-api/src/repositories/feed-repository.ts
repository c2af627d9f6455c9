import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

/** The active rule set: every open enforcement span, in the order its log entries were written. */
export function activeRulesQuery(db: Conn) {
  return db
    .selectFrom('enforcement_periods as p')
    .innerJoin('resources as r', 'r.id', 'p.resource_id')
    .select(['r.id', 'r.kind', 'r.value', 'p.mode', 'p.ends_at', 'p.add_seq'])
    .where('p.closed_at', 'is', null)
    .orderBy('p.add_seq');
}

export type ActiveRuleRow = Awaited<ReturnType<ReturnType<typeof activeRulesQuery>['execute']>>[number];

/**
 * The active rules for the RPZ export: each suffix rule says whether its apex also has an exact
 * rule in force (then only that one writes the apex's record: two CNAMEs on one owner, a
 * restriction and an exception, would make the zone invalid).
 */
export function rpzRulesQuery(db: Conn) {
  return activeRulesQuery(db).select(sql<boolean>`r.kind = 'domain_suffix' AND EXISTS (
    SELECT 1 FROM resources r2 JOIN enforcement_periods p2 ON p2.resource_id = r2.id AND p2.closed_at IS NULL
    WHERE r2.kind = 'domain' AND r2.value = r.value)`.as('apex_ruled'));
}

export type RpzRuleRow = Awaited<ReturnType<ReturnType<typeof rpzRulesQuery>['execute']>>[number];

/** Every suffix rule in force, name → mode (a few percent of the rules; see packages/shared/src/rpz/rpz-cover.ts). */
export async function activeSuffixModes(db: Conn): Promise<Map<string, ActiveRuleRow['mode']>> {
  const rows = await db
    .selectFrom('enforcement_periods as p')
    .innerJoin('resources as r', 'r.id', 'p.resource_id')
    .select(['r.value', 'p.mode'])
    .where('p.closed_at', 'is', null)
    .where('r.kind', '=', 'domain_suffix')
    .execute();
  return new Map(rows.map((row) => [row.value, row.mode]));
}

/**
 * The same rules as `activeRulesQuery`, each already as its snapshot line: byte for byte what
 * `snapshotLine` (routes/feed/feed-lines.ts) makes of the row, which the feed tests hold it
 * to. Built in Postgres because handing a million rows of six fields to Node and building the
 * lines there cost 4.2-4.8 s of the API's CPU; one text column costs 1.6-1.8 s.
 */
export function activeRuleLinesQuery(db: Conn) {
  const until = sql<string>`coalesce(',"until":"' || to_char(p.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', '')`;
  return db
    .selectFrom('enforcement_periods as p')
    .innerJoin('resources as r', 'r.id', 'p.resource_id')
    .select(sql<string>`'{"id":"' || r.id::text || '","kind":"' || r.kind::text || '","value":' || to_json(r.value)::text
      || ',"mode":"' || p.mode::text || '"' || ${until} || ',"entry":' || coalesce(p.add_seq, 0)::text || E'}\n'`.as('line'))
    .where('p.closed_at', 'is', null)
    .orderBy('p.add_seq');
}

export async function countActiveRules(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('enforcement_periods')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('closed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Log entries after `since`, with the full (never redacted) value the ISPs need. */
export async function changesSince(db: Conn, since: number, limit: number) {
  return db
    .selectFrom('public_log as l')
    .innerJoin('resources as r', 'r.id', 'l.resource_id')
    .select(['l.seq', 'l.op', 'l.body', 'r.id', 'r.kind', 'r.value'])
    .where('l.seq', '>', since)
    .orderBy('l.seq')
    .limit(limit)
    .execute();
}
