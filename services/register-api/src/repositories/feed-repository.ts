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
 * The active rules for the RPZ export, each with `shadowed`: a more specific rule in force
 * writes this rule's first record (its name or address owner), as rpzOwnerRivals
 * (packages/shared/src/rpz/rpz-precedence.ts) decides for the gateway's zone transfers:
 * a suffix whose apex has an exact name rule, a /32 (or /128) CIDR whose address has an IP
 * rule. Only that rule writes the owner: two CNAMEs on one owner, a restriction and an
 * exception, would make the zone invalid.
 */
export function rpzRulesQuery(db: Conn) {
  const inForce = (kind: string, value: ReturnType<typeof sql>) => sql`EXISTS (
    SELECT 1 FROM resources r2 JOIN enforcement_periods p2 ON p2.resource_id = r2.id AND p2.closed_at IS NULL
    WHERE r2.kind = ${sql.lit(kind)} AND r2.value = ${value})`;
  return activeRulesQuery(db).select(sql<boolean>`CASE
    WHEN r.kind = 'domain_suffix' THEN ${inForce('domain', sql`r.value`)}
    WHEN r.kind = 'cidr' AND r.value LIKE (CASE WHEN strpos(r.value, ':') > 0 THEN '%/128' ELSE '%/32' END)
      THEN ${inForce('ip', sql`split_part(r.value, '/', 1)`)}
    ELSE false END`.as('shadowed'));
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
