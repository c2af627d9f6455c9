import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

/**
 * The enforcement span of a resource that covers instant `at`, with the decision and legal
 * basis behind it. At most one exists: the table's exclusion constraint forbids overlaps.
 */
export async function periodCovering(db: Conn, resourceId: string, at: Date) {
  return db
    .selectFrom('enforcement_periods as p')
    .innerJoin('decisions as d', 'd.id', 'p.decision_id')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .select([
      'p.id', 'p.mode', 'p.starts_at', 'p.ends_at', 'p.decision_id', 'p.add_seq',
      'd.category',
      'b.id as basis_id', 'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at',
    ])
    .where('p.resource_id', '=', resourceId)
    .where('p.starts_at', '<=', at)
    .where((eb) => eb.or([eb('p.ends_at', 'is', null), eb('p.ends_at', '>', at)]))
    .executeTakeFirst();
}

/** Spans with everything a `remove` log entry needs about them: resource, decision, legal basis. */
function spansForLog(trx: Transaction<DB>) {
  return trx
    .selectFrom('enforcement_periods as p')
    .innerJoin('decisions as d', 'd.id', 'p.decision_id')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .innerJoin('resources as r', 'r.id', 'p.resource_id')
    .select([
      'p.id', 'p.mode', 'p.starts_at', 'p.ends_at', 'p.resource_id', 'p.decision_id',
      'd.action', 'd.category', 'd.effective_from',
      'b.id as basis_id', 'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at',
      'r.kind as resource_kind', 'r.value as resource_value', 'r.display as resource_display', 'r.host as resource_host',
    ])
    .where('p.closed_at', 'is', null);
}

/** Open spans of the given resources, locked. */
export async function lockOpenPeriods(trx: Transaction<DB>, resourceIds: readonly string[]) {
  if (resourceIds.length === 0) return [];
  return spansForLog(trx).where('p.resource_id', 'in', resourceIds).orderBy('p.id').forUpdate('p').execute();
}

/** Open spans whose planned end has passed; SKIP LOCKED lets several API processes share the work. */
export async function lockExpiredPeriods(trx: Transaction<DB>, now: Date, limit: number) {
  return spansForLog(trx).where('p.ends_at', '<=', now).orderBy('p.ends_at').limit(limit).forUpdate('p').skipLocked().execute();
}

export type OpenPeriod = Awaited<ReturnType<typeof lockOpenPeriods>>[number];

export async function countOpenPeriods(trx: Transaction<DB>, decisionId: string): Promise<number> {
  const row = await trx
    .selectFrom('enforcement_periods')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('decision_id', '=', decisionId)
    .where('closed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
