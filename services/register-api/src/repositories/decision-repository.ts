import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, DecisionRow, DecisionStatus, LegalBasisRow, NewDecision, ResourceRow } from '../db/schema.js';
import { resourceView } from './resource-repository.js';

type Conn = Kysely<DB> | Transaction<DB>;

/** A decision's resource, as the public log and the decision's view need it. */
export type DecisionResource = Pick<ResourceRow, 'id' | 'kind' | 'value' | 'display' | 'host'>;

/** What a public log entry says of a legal basis. */
export type LogLegalBasis = Pick<LegalBasisRow, 'id' | 'kind' | 'authority' | 'document_number' | 'issued_at'>;

export async function insertDecision(trx: Transaction<DB>, decision: NewDecision, resourceIds: readonly string[]) {
  const row = await trx.insertInto('decisions').values(decision).returningAll().executeTakeFirstOrThrow();
  await trx
    .insertInto('decision_resources')
    .values(resourceIds.map((resource_id, position) => ({ decision_id: row.id, resource_id, position })))
    .execute();
  return row;
}

export async function findDecision(db: Conn, id: string) {
  return db.selectFrom('decisions').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * `lockDecision`, with everything an approval needs that does not change while the decision
 * waits: what the public log says of its legal basis (legal bases are never changed) and its
 * resources, in their order (fixed when it was drafted). One round trip.
 */
export async function lockDecisionForApproval(trx: Transaction<DB>, id: string): Promise<{ decision: DecisionRow; basis: LogLegalBasis; resources: DecisionResource[] } | undefined> {
  const row = await trx
    .selectFrom('decisions as d')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .selectAll('d')
    .select(['b.kind as basis_kind', 'b.authority as basis_authority', 'b.document_number as basis_document_number', 'b.issued_at as basis_issued_at'])
    .select(sql<DecisionResource[]>`(
      SELECT coalesce(json_agg(json_build_object('id', r.id, 'kind', r.kind, 'value', r.value, 'display', r.display, 'host', r.host) ORDER BY dr.position), '[]')
      FROM decision_resources dr JOIN resources r ON r.id = dr.resource_id
      WHERE dr.decision_id = d.id)`.as('resources'))
    .where('d.id', '=', id)
    .forUpdate('d')
    .executeTakeFirst();
  if (!row) return undefined;
  const { basis_kind, basis_authority, basis_document_number, basis_issued_at, resources, ...decision } = row;
  return {
    decision,
    basis: { id: decision.legal_basis_id, kind: basis_kind, authority: basis_authority, document_number: basis_document_number, issued_at: basis_issued_at },
    resources,
  };
}

/** Locks the decision row so concurrent approvals and rejections of it take turns. */
export async function lockDecision(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('decisions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function decisionResources(db: Conn, decisionIds: readonly string[]): Promise<Map<string, ResourceRow[]>> {
  const out = new Map<string, ResourceRow[]>();
  if (decisionIds.length === 0) return out;
  const rows = await db
    .selectFrom('decision_resources as dr')
    .innerJoin('resources as r', 'r.id', 'dr.resource_id')
    .selectAll('r')
    .select('dr.decision_id')
    .where('dr.decision_id', 'in', decisionIds)
    .orderBy('dr.decision_id')
    .orderBy('dr.position')
    .execute();
  for (const { decision_id, ...r } of rows) {
    const list = out.get(decision_id) ?? [];
    list.push(r);
    out.set(decision_id, list);
  }
  return out;
}

export async function listDecisions(db: Conn, opts: { status?: DecisionStatus | undefined; limit: number; before?: { createdAt: Date; id: string } | undefined }) {
  let q = db.selectFrom('decisions').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.before) {
    const { createdAt, id } = opts.before;
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  return q.execute();
}

export async function countDecisionsByStatus(db: Conn) {
  return db
    .selectFrom('decisions')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
    .execute();
}

export function decisionView(row: DecisionRow, resources: readonly Pick<ResourceRow, 'kind' | 'value' | 'display'>[]) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: row.id,
    action: row.action,
    status: row.status,
    category: row.category,
    legalBasisId: row.legal_basis_id,
    effectiveFrom: row.effective_from.toISOString(),
    effectiveUntil: iso(row.effective_until),
    note: row.note,
    resources: resources.map(resourceView),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    approvedBy: row.approved_by,
    approvedAt: iso(row.approved_at),
    rejectedBy: row.rejected_by,
    rejectedAt: iso(row.rejected_at),
    rejectReason: row.reject_reason,
    endedAt: iso(row.ended_at),
    endReason: row.end_reason,
  };
}

export type DecisionView = ReturnType<typeof decisionView>;
