import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, EndReason } from '../db/schema.js';
import type { Write } from '../db/one-statement.js';

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

/**
 * Closes spans at `at`: those in `endNow` end there for `reason`; those in `alreadyOver` (a
 * planned end that passed before anyone closed them) keep their planned end and say they
 * expired. Two writes at most, on different rows; run them before anything is opened on the
 * same resources (the exclusion constraint checks each new span as it goes in).
 */
export function closeSpansWrites(
  trx: Transaction<DB>,
  spans: { endNow: readonly number[]; alreadyOver: readonly number[] },
  at: Date,
  reason: EndReason,
  endedByDecisionId: string | null,
): Write[] {
  const writes: Write[] = [];
  if (spans.endNow.length > 0) {
    writes.push(trx.updateTable('enforcement_periods')
      .set({ ends_at: at, closed_at: at, end_reason: reason, ended_by_decision_id: endedByDecisionId })
      .where('id', 'in', spans.endNow));
  }
  if (spans.alreadyOver.length > 0) {
    writes.push(trx.updateTable('enforcement_periods')
      .set({ closed_at: at, end_reason: 'expired', ended_by_decision_id: null })
      .where('id', 'in', spans.alreadyOver));
  }
  return writes;
}

/** The insert of new open spans, each naming the log entry that opened it. */
export function openSpansWrite(
  trx: Transaction<DB>,
  spans: readonly { resourceId: string; addSeq: number }[],
  decision: { id: string; mode: 'restrict' | 'suspend' | 'allow'; until: Date | null },
  at: Date,
): Write {
  return trx.insertInto('enforcement_periods').values(spans.map((s) => ({
    resource_id: s.resourceId, decision_id: decision.id, mode: decision.mode, starts_at: at, ends_at: decision.until, add_seq: s.addSeq,
  })));
}

/**
 * Ends, at `at`, each of the decisions in force that has no open span left, with the reason its
 * last span closed for. Reads the spans as they were before the statement it is part of: run
 * it after the statement that closed them.
 */
export function endDecisionsWithoutOpenSpansWrite(trx: Transaction<DB>, decisionIds: readonly string[], at: Date): Write | undefined {
  if (decisionIds.length === 0) return undefined;
  return trx
    .updateTable('decisions as d')
    .set({
      status: 'ended',
      ended_at: at,
      end_reason: sql<EndReason>`coalesce((SELECT p.end_reason FROM enforcement_periods p WHERE p.decision_id = d.id ORDER BY p.closed_at DESC LIMIT 1), 'expired')`,
    })
    .where('d.id', 'in', decisionIds)
    .where('d.status', '=', 'in_force')
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('enforcement_periods as p').select(sql.lit(1).as('one')).whereRef('p.decision_id', '=', 'd.id').where('p.closed_at', 'is', null),
    )));
}

/** Whether the scheduler has anything to do: a scheduled decision whose start, or an open span whose end, has come. */
export async function dueEnforcementWork(db: Conn): Promise<{ starts: boolean; ends: boolean }> {
  const { rows } = await sql<{ starts: boolean; ends: boolean }>`
    SELECT EXISTS (SELECT 1 FROM decisions WHERE status = 'scheduled' AND effective_from <= now()) AS starts,
           EXISTS (SELECT 1 FROM enforcement_periods WHERE closed_at IS NULL AND ends_at <= now()) AS ends`.execute(db);
  return rows[0]!;
}
