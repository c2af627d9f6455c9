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
