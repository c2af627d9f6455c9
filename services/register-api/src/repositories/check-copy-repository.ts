import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

/**
 * What the in-memory copy for public checks reads: every open span with the resource text a
 * public entry shows, in the order its log entries were written. Decisions and legal bases
 * come separately (`openSpanDecisions`): thousands of rows instead of the same few repeated a
 * million times.
 */
export function openSpansQuery(db: Conn) {
  return db
    .selectFrom('enforcement_periods as p')
    .innerJoin('resources as r', 'r.id', 'p.resource_id')
    .select(['p.add_seq', 'p.mode', 'p.starts_at', 'p.ends_at', 'p.decision_id', 'r.id', 'r.kind', 'r.value', 'r.display', 'r.host'])
    .where('p.closed_at', 'is', null)
    .orderBy('p.add_seq');
}

/** Every decision with an open span, with its legal basis as the public sees it. */
export async function openSpanDecisions(db: Conn) {
  return db
    .selectFrom('decisions as d')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .select(['d.id', 'd.category', 'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at'])
    .where('d.id', 'in', (eb) => eb.selectFrom('enforcement_periods').select('decision_id').where('closed_at', 'is', null))
    .execute();
}

/**
 * Log entries after `since` (as `changesSince`), each `add` with the span it opened and that
 * span's decision and legal basis. The span is found through the entry's resource (indexed),
 * not by `add_seq`, whose index covers open spans only and the span may be closed by now.
 */
export async function changesWithSpansSince(db: Conn, since: number, limit: number) {
  return db
    .selectFrom('public_log as l')
    .innerJoin('resources as r', 'r.id', 'l.resource_id')
    .leftJoin('enforcement_periods as p', (join) => join.onRef('p.resource_id', '=', 'l.resource_id').onRef('p.add_seq', '=', 'l.seq'))
    .leftJoin('decisions as d', 'd.id', 'p.decision_id')
    .leftJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .select([
      'l.seq', 'l.op', 'l.body', 'r.id', 'r.kind', 'r.value', 'r.display', 'r.host',
      'p.mode as span_mode', 'p.starts_at', 'p.decision_id', 'd.category', 'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at',
    ])
    .where('l.seq', '>', since)
    .orderBy('l.seq')
    .limit(limit)
    .execute();
}

export type ChangeWithSpan = Awaited<ReturnType<typeof changesWithSpansSince>>[number];
