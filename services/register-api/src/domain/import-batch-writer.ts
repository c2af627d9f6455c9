import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import type { LegalBasisKind } from './legal-basis-kind-guess.js';
import type { PlannedDecision, PlannedGroup } from './import-plan.js';

/**
 * Writes a batch of planned groups inside the caller's transaction with a fixed number of
 * statements whatever the batch size: every row set travels as one JSON parameter expanded by
 * jsonb_to_recordset, so there is no per-row round trip and no bind-parameter limit.
 */

export interface BatchContext {
  importId: string;
  category: string;
  actorId: string;
  sourceIp: string | null;
  note(group: PlannedGroup, decision: PlannedDecision): string;
}

export interface WrittenGroup {
  group: PlannedGroup;
  legalBasisId: string;
  legalBasisReused: boolean;
  /** One id per planned decision, in the same order. */
  decisionIds: string[];
}

export interface DocumentKey {
  kind: LegalBasisKind;
  authority: string;
  documentNumber: string;
  date: string;
}

/**
 * Imports from different requests or processes must not both create the basis for one document;
 * the lock makes find-or-create of legal bases take turns for the length of a batch transaction.
 */
const LEGAL_BASIS_LOCK = sql`pg_advisory_xact_lock(hashtext('tizilim.import.legal-bases'))`;

/** The oldest legal basis for each document, by the index of its key. */
export async function findLegalBasesByDocument(conn: Kysely<DB> | Transaction<DB>, keys: readonly DocumentKey[]): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (keys.length === 0) return found;
  const json = JSON.stringify(keys.map((k, i) => ({ i, kind: k.kind, authority: k.authority, document_number: k.documentNumber, issued_at: k.date })));
  const { rows } = await sql<{ i: number; id: string }>`
    SELECT DISTINCT ON (k.i) k.i, lb.id
    FROM jsonb_to_recordset(${json}::jsonb) AS k(i int, kind text, authority text, document_number text, issued_at date)
    JOIN legal_bases lb ON lb.authority = k.authority AND lb.document_number = k.document_number
      AND lb.kind = k.kind AND lb.issued_at = k.issued_at
    ORDER BY k.i, lb.created_at, lb.id`.execute(conn);
  for (const row of rows) found.set(row.i, row.id);
  return found;
}

export async function writeImportBatch(trx: Transaction<DB>, groups: readonly PlannedGroup[], ctx: BatchContext): Promise<WrittenGroup[]> {
  await sql`SELECT ${LEGAL_BASIS_LOCK}`.execute(trx);
  const bases = await findOrCreateLegalBases(trx, groups, ctx);
  const resourceIds = await upsertResourceIds(trx, groups.flatMap((g) => g.decisions.flatMap((d) => d.resources)));

  const written: WrittenGroup[] = groups.map((group, i) => ({
    group,
    legalBasisId: bases[i]!.id,
    legalBasisReused: bases[i]!.reused,
    decisionIds: group.decisions.map(() => randomUUID()),
  }));
  const decisions = written.flatMap((w) =>
    w.group.decisions.map((d, part) => ({ id: w.decisionIds[part]!, legal_basis_id: w.legalBasisId, note: ctx.note(w.group, d), decision: d })),
  );

  await sql`
    INSERT INTO decisions (id, action, category, legal_basis_id, effective_from, note, created_by)
    SELECT d.id, 'restrict', ${ctx.category}, d.legal_basis_id, now(), d.note, ${ctx.actorId}::uuid
    FROM jsonb_to_recordset(${JSON.stringify(decisions.map(({ decision: _, ...row }) => row))}::jsonb) AS d(id uuid, legal_basis_id uuid, note text)`.execute(trx);

  const links = decisions.flatMap((d) => d.decision.resources.map((r, position) => ({ decision_id: d.id, resource_id: resourceIds.get(resourceKey(r))!, position })));
  await sql`
    INSERT INTO decision_resources (decision_id, resource_id, position)
    SELECT l.decision_id, l.resource_id, l.position
    FROM jsonb_to_recordset(${JSON.stringify(links)}::jsonb) AS l(decision_id uuid, resource_id uuid, position int)`.execute(trx);

  // The same audit trail POST /v1/decisions leaves, one record per decision, each naming the import.
  const audits = [
    ...written.filter((w) => !w.legalBasisReused).map((w) => ({
      action: 'legal_basis.create',
      target_type: 'legal_basis',
      target_id: w.legalBasisId,
      after: { id: w.legalBasisId, kind: w.group.kind, authority: w.group.authority, documentNumber: w.group.documentNumber, issuedAt: w.group.date, importId: ctx.importId },
    })),
    ...decisions.map((d) => ({
      action: 'decision.create',
      target_type: 'decision',
      target_id: d.id,
      after: {
        id: d.id, action: 'restrict', status: 'pending_approval', category: ctx.category, legalBasisId: d.legal_basis_id, note: d.note,
        importId: ctx.importId, resources: d.decision.resources.map((r) => ({ kind: r.kind, value: r.value, display: r.display })),
      },
    })),
  ];
  await sql`
    INSERT INTO audit_log (actor_id, source_ip, action, target_type, target_id, after)
    SELECT ${ctx.actorId}::uuid, ${ctx.sourceIp}, a.action, a.target_type, a.target_id, a.after
    FROM jsonb_to_recordset(${JSON.stringify(audits)}::jsonb) AS a(action text, target_type text, target_id text, after jsonb)`.execute(trx);
  return written;
}

async function findOrCreateLegalBases(trx: Transaction<DB>, groups: readonly PlannedGroup[], ctx: BatchContext): Promise<{ id: string; reused: boolean }[]> {
  const existing = await findLegalBasesByDocument(trx, groups);
  const bases = groups.map((_, i) => {
    const id = existing.get(i);
    return id ? { id, reused: true } : { id: randomUUID(), reused: false };
  });
  const created = groups.flatMap((g, i) => (bases[i]!.reused ? [] : [{
    id: bases[i]!.id, kind: g.kind, authority: g.authority, document_number: g.documentNumber, issued_at: g.date,
    summary: `Recorded by bulk import ${ctx.importId} from a register dump that cites this document; the dump names no provisions of law.`,
  }]));
  if (created.length > 0) {
    await sql`
      INSERT INTO legal_bases (id, kind, authority, document_number, issued_at, provisions, summary, created_by)
      SELECT b.id, b.kind, b.authority, b.document_number, b.issued_at, '[]'::jsonb, b.summary, ${ctx.actorId}::uuid
      FROM jsonb_to_recordset(${JSON.stringify(created)}::jsonb) AS b(id uuid, kind text, authority text, document_number text, issued_at date, summary text)`.execute(trx);
  }
  return bases;
}

const resourceKey = (r: Pick<ParsedResource, 'kind' | 'value'>) => `${r.kind} ${r.value}`;

/** Resources are shared by every decision naming them: one row per (kind, value), created if new. */
async function upsertResourceIds(trx: Transaction<DB>, resources: readonly ParsedResource[]): Promise<Map<string, string>> {
  const unique = new Map<string, ParsedResource>();
  for (const r of resources) unique.set(resourceKey(r), r);
  // A fixed order keeps two imports inserting overlapping sets from deadlocking on each other.
  const rows = [...unique.values()].sort((a, b) => (a.kind === b.kind ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.kind < b.kind ? -1 : 1));
  const json = JSON.stringify(rows.map((r) => ({ kind: r.kind, value: r.value, display: r.display, host: r.host })));
  await sql`
    INSERT INTO resources (kind, value, display, host)
    SELECT r.kind, r.value, r.display, r.host FROM jsonb_to_recordset(${json}::jsonb) AS r(kind text, value text, display text, host text)
    ON CONFLICT (kind, value) DO NOTHING`.execute(trx);
  const { rows: found } = await sql<{ id: string; kind: string; value: string }>`
    SELECT res.id, res.kind, res.value
    FROM jsonb_to_recordset(${json}::jsonb) AS r(kind text, value text)
    JOIN resources res ON res.kind = r.kind AND res.value = r.value`.execute(trx);
  return new Map(found.map((r) => [`${r.kind} ${r.value}`, r.id]));
}
