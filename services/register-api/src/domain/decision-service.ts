import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB, DecisionRow, DecisionStatus } from '../db/schema.js';
import { RegisterError, fieldError, notFound } from '../errors/error-catalogue.js';
import { auditWrite, recordAudit } from '../repositories/audit-repository.js';
import { decisionResources, decisionView, findDecision, insertDecision, lockDecision, lockDecisionForApproval, type DecisionView } from '../repositories/decision-repository.js';
import { transactionWithConfirmedCommit } from '../db/confirmed-transaction.js';
import { writeInOneStatement } from '../db/one-statement.js';
import { findLegalBasis } from '../repositories/legal-basis-repository.js';
import { upsertResources } from '../repositories/resource-repository.js';
import { decidingSpanAt } from './resource-state.js';
import { blocks } from './coverage.js';
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

/**
 * Renewed access is only for what is blocked at the time it takes effect: by its own rule, or
 * by a wider one covering it (a wildcard above a name, a host above a URL, a suffix above a
 * suffix), in which case the restoration becomes an exception (see activateDecision).
 */
async function assertRestorable(trx: Transaction<DB>, resources: readonly ParsedResource[], at: Date): Promise<void> {
  for (const [i, r] of resources.entries()) {
    const { span } = await decidingSpanAt(trx, r, at);
    if (span?.mode === 'allow') {
      throw fieldError(`resources[${i}]`, `${r.display} is already accessible at ${at.toISOString()} by an exception (entry ${Number(span.add_seq ?? 0)}); there is nothing to restore`);
    }
    if (!blocks(span)) throw fieldError(`resources[${i}]`, `${r.display} is not restricted or suspended at ${at.toISOString()}; there is nothing to restore`);
  }
}

export interface ApprovalResult {
  decision: DecisionView;
  logEntries: number[];
}

/**
 * Approves a decision and, when its time has come, puts it into force. What cannot change while
 * it waits (the decision, locked; its legal basis; its resources) is read in one query before
 * the enforcement section, so the log head stays locked only for the section's own reads and
 * one statement that writes everything: log entries, spans, the decision and the audit record.
 */
export async function approveDecision(db: Kysely<DB>, id: string, actor: Actor): Promise<ApprovalResult> {
  return db.transaction().execute(async (trx) => {
    const found = await lockDecisionForApproval(trx, id);
    if (!found) throw notFound('decision');
    const { decision, basis, resources } = found;
    if (decision.status !== 'pending_approval') {
      throw new RegisterError('INVALID_STATE', `decision is ${decision.status}; only a decision pending approval can be approved`);
    }
    if (decision.created_by === actor.id) {
      throw new RegisterError('SELF_APPROVAL', 'a decision must be approved by someone other than its author');
    }
    const section = await enterEnforcementSection(trx);
    // Approved now, it would end in the same instant: no log entry, nothing ever enforced. Say
    // so and write nothing (the transaction rolls back) rather than answer 200 with 'ended'.
    if (decision.effective_until !== null && decision.effective_until <= section.at) {
      throw new RegisterError('WINDOW_PASSED',
        `the decision's window ended at ${decision.effective_until.toISOString()}, before this approval (${section.at.toISOString()}); it would never be in force. Reject it and draft a new one with a later effectiveUntil`);
    }
    const approval = { approved_by: actor.id, approved_at: section.at };
    const audit = (status: DecisionStatus, logEntries: number[]) => auditWrite(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'decision.approve', targetType: 'decision', targetId: id,
      before: { status: decision.status }, after: { status, logEntries },
    });

    // The decision row is locked and every column that changes is set here: its new state is
    // known without reading it back.
    let after: DecisionRow;
    let logEntries: number[] = [];
    if (decision.effective_from <= section.at) {
      const activation = await activateDecision(trx, section, decision, basis, resources, {
        decision: approval,
        writes: (a) => [audit(a.status, a.seqs)],
      });
      logEntries = activation.seqs;
      after = activation.status === 'ended'
        ? { ...decision, ...approval, status: 'ended', ended_at: section.at, end_reason: 'expired' }
        : { ...decision, ...approval, status: 'in_force' };
    } else {
      await writeInOneStatement(trx, [
        trx.updateTable('decisions').set({ ...approval, status: 'scheduled' }).where('id', '=', id),
        audit('scheduled', []),
      ]);
      after = { ...decision, ...approval, status: 'scheduled' };
    }
    return { decision: decisionView(after, resources), logEntries };
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
