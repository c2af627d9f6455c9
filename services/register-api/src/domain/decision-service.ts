import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { RegisterError, fieldError, notFound } from '../errors/error-catalogue.js';
import { recordAudit } from '../repositories/audit-repository.js';
import { decisionResources, decisionView, findDecision, insertDecision, lockDecision, type DecisionView } from '../repositories/decision-repository.js';
import { transactionWithConfirmedCommit } from '../db/confirmed-transaction.js';
import { findLegalBasis } from '../repositories/legal-basis-repository.js';
import { findResources, upsertResources } from '../repositories/resource-repository.js';
import { periodCovering } from '../repositories/enforcement-repository.js';
import { activateDecision, enterEnforcementSection, transactionNow } from './enforcement.js';
import type { Category } from './categories.js';

export interface Actor {
  id: string;
  sourceIp: string | null;
}

export interface NewDecisionInput {
  action: 'restrict' | 'suspend' | 'restore';
  resources: ParsedResource[];
  legalBasisId: string;
  category: Category;
  effectiveFrom?: Date | undefined;
  effectiveUntil?: Date | undefined;
  note?: string | undefined;
}

/** Drafts a decision; nothing is enforced until a different person approves it. */
export async function createDecision(db: Kysely<DB>, input: NewDecisionInput, actor: Actor): Promise<DecisionView> {
  const id = randomUUID();
  const committed = async (conn: Kysely<DB>) => (await findDecision(conn, id)) !== undefined;
  return transactionWithConfirmedCommit(db, (trx) => draftDecision(trx, input, actor, id), committed);
}

/**
 * The drafting itself, inside the caller's transaction: for acts that draft a decision as
 * part of something larger (escalating an order) and must commit or fail as one.
 */
export async function draftDecision(trx: Transaction<DB>, input: NewDecisionInput, actor: Actor, id: string = randomUUID()): Promise<DecisionView> {
  const now = await transactionNow(trx);
  const effectiveFrom = input.effectiveFrom ?? now;
  if (input.effectiveUntil && input.effectiveUntil <= effectiveFrom) {
    throw fieldError('effectiveUntil', 'must be later than effectiveFrom');
  }
  if (!(await findLegalBasis(trx, input.legalBasisId))) throw fieldError('legalBasisId', 'no legal basis with this id');
  if (input.action === 'restore') await assertRestorable(trx, input.resources, effectiveFrom);

  const rows = await upsertResources(trx, input.resources);
  const decision = await insertDecision(
    trx,
    {
      id,
      action: input.action,
      category: input.category,
      legal_basis_id: input.legalBasisId,
      effective_from: effectiveFrom,
      effective_until: input.effectiveUntil ?? null,
      note: input.note ?? null,
      created_by: actor.id,
    },
    rows.map((r) => r.id),
  );
  const view = decisionView(decision, rows);
  await recordAudit(trx, { actorId: actor.id, sourceIp: actor.sourceIp, action: 'decision.create', targetType: 'decision', targetId: decision.id, after: view });
  return view;
}

/** Renewed access is only for what is restricted or suspended at the time it takes effect. */
async function assertRestorable(trx: Transaction<DB>, resources: readonly ParsedResource[], at: Date): Promise<void> {
  const known = await findResources(trx, resources);
  const byKey = new Map(known.map((r) => [`${r.kind} ${r.value}`, r]));
  for (const [i, r] of resources.entries()) {
    const row = byKey.get(`${r.kind} ${r.value}`);
    const period = row ? await periodCovering(trx, row.id, at) : undefined;
    if (!period) throw fieldError(`resources[${i}]`, `${r.display} is not restricted or suspended at ${at.toISOString()}; there is nothing to restore`);
  }
}

export interface ApprovalResult {
  decision: DecisionView;
  logEntries: number[];
}

export async function approveDecision(db: Kysely<DB>, id: string, actor: Actor): Promise<ApprovalResult> {
  return db.transaction().execute(async (trx) => {
    const decision = await lockDecision(trx, id);
    if (!decision) throw notFound('decision');
    if (decision.status !== 'pending_approval') {
      throw new RegisterError('INVALID_STATE', `decision is ${decision.status}; only a decision pending approval can be approved`);
    }
    if (decision.created_by === actor.id) {
      throw new RegisterError('SELF_APPROVAL', 'a decision must be approved by someone other than its author');
    }
    const basis = await findLegalBasis(trx, decision.legal_basis_id);
    if (!basis) throw new Error(`decision ${id} has no legal basis row`); // impossible: foreign key
    const now = await enterEnforcementSection(trx);
    await trx.updateTable('decisions').set({ approved_by: actor.id, approved_at: now, status: 'scheduled' }).where('id', '=', id).execute();

    let logEntries: number[] = [];
    if (decision.effective_from <= now) logEntries = await activateDecision(trx, decision, basis, now);

    const after = (await lockDecision(trx, id))!;
    const resources = (await decisionResources(trx, [id])).get(id) ?? [];
    const view = decisionView(after, resources);
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'decision.approve', targetType: 'decision', targetId: id,
      before: { status: decision.status }, after: { status: after.status, logEntries },
    });
    return { decision: view, logEntries };
  });
}

export async function rejectDecision(db: Kysely<DB>, id: string, reason: string, actor: Actor): Promise<DecisionView> {
  return db.transaction().execute(async (trx) => {
    const decision = await lockDecision(trx, id);
    if (!decision) throw notFound('decision');
    if (decision.status !== 'pending_approval') {
      throw new RegisterError('INVALID_STATE', `decision is ${decision.status}; only a decision pending approval can be rejected`);
    }
    const now = await transactionNow(trx);
    const updated = await trx
      .updateTable('decisions')
      .set({ status: 'rejected', rejected_by: actor.id, rejected_at: now, reject_reason: reason })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const resources = (await decisionResources(trx, [id])).get(id) ?? [];
    const view = decisionView(updated, resources);
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'decision.reject', targetType: 'decision', targetId: id,
      before: { status: decision.status }, after: { status: 'rejected', reason },
    });
    return view;
  });
}
