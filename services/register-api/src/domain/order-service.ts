import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB, OrderOutcome, OrderRow, ResourceRow } from '../db/schema.js';
import { transactionWithConfirmedCommit } from '../db/confirmed-transaction.js';
import { RegisterError, fieldError, notFound } from '../errors/error-catalogue.js';
import { recordAudit } from '../repositories/audit-repository.js';
import { findLegalBasis } from '../repositories/legal-basis-repository.js';
import {
  findOrder, insertEscalation, insertOrder, lockOrder, orderContentUrls, orderEscalations, setOutcome,
} from '../repositories/order-repository.js';
import { currentDomains, findPlatform } from '../repositories/platform-repository.js';
import { upsertResources } from '../repositories/resource-repository.js';
import type { DecisionView } from '../repositories/decision-repository.js';
import type { Category } from './categories.js';
import { draftDecision, type Actor } from './decision-service.js';
import { transactionNow } from './enforcement.js';
import { orderView, type OrderView } from './order-view.js';

/** Clocks disagree a little; an instant this far ahead of the database's is still "now". */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface NewOrderInput {
  platformId: string;
  contentUrls: ParsedResource[];
  legalBasisId: string;
  category: Category;
  issuedAt?: Date | undefined;
  note?: string | undefined;
}

/** Issues an order to a platform; it is due 24 hours after `issuedAt` (default now). */
export async function createOrder(db: Kysely<DB>, input: NewOrderInput, actor: Actor): Promise<OrderView> {
  const id = randomUUID();
  const committed = async (conn: Kysely<DB>) => (await findOrder(conn, id)) !== undefined;
  return transactionWithConfirmedCommit(db, async (trx) => {
    const now = await transactionNow(trx);
    const issuedAt = input.issuedAt ?? now;
    if (issuedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) throw fieldError('issuedAt', `must not be in the future (now is ${now.toISOString()})`);
    if (!(await findPlatform(trx, input.platformId))) throw fieldError('platformId', 'no platform with this id');
    if (!(await findLegalBasis(trx, input.legalBasisId))) throw fieldError('legalBasisId', 'no legal basis with this id');
    const urls = await upsertResources(trx, input.contentUrls);
    const row = await insertOrder(trx, {
      id,
      platformId: input.platformId,
      legalBasisId: input.legalBasisId,
      category: input.category,
      issuedAt,
      note: input.note ?? null,
      createdBy: actor.id,
    }, urls.map((u) => u.id));
    const view = orderView(row, urls, []);
    await recordAudit(trx, { actorId: actor.id, sourceIp: actor.sourceIp, action: 'order.create', targetType: 'order', targetId: id, after: view });
    return view;
  }, committed);
}

export interface OutcomeInput {
  outcome: OrderOutcome;
  at: Date;
  evidence: string;
}

/**
 * Records what the platform did. After `dueAt`, or on an order already marked overdue, the
 * outcome is late. An outcome is final: a correction would rewrite the compliance record.
 */
export async function recordOrderOutcome(db: Kysely<DB>, id: string, input: OutcomeInput, actor: Actor): Promise<OrderView> {
  return db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, id);
    if (!order) throw notFound('order');
    if (order.status !== 'open' && order.status !== 'overdue') {
      throw new RegisterError('INVALID_STATE', `order already has the outcome ${order.status}, recorded at ${order.outcome_recorded_at?.toISOString()}`);
    }
    const now = await transactionNow(trx);
    if (input.at < order.issued_at) throw fieldError('at', `must not be before the order was issued (${order.issued_at.toISOString()})`);
    if (input.at.getTime() > now.getTime() + CLOCK_SKEW_MS) throw fieldError('at', `must not be in the future (now is ${now.toISOString()})`);
    const late = input.at > order.due_at || order.status === 'overdue';
    const updated = await setOutcome(trx, id, { ...input, late, recordedBy: actor.id, recordedAt: now });
    const view = await loadView(trx, updated);
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'order.outcome', targetType: 'order', targetId: id,
      before: { status: order.status }, after: { status: updated.status, outcome: input.outcome, at: input.at.toISOString(), evidence: input.evidence, late },
    });
    return view;
  });
}

export type EscalationTarget = 'content' | 'domains';

/**
 * Turns an overdue or refused order into a restriction decision draft — on the content URLs
 * or on the platform's domains — citing the order and its legal basis. The draft waits for
 * approval like any other; the draft and its link to the order commit together.
 */
export async function escalateOrder(
  db: Kysely<DB>, id: string, input: { target: EscalationTarget; note?: string | undefined }, actor: Actor,
): Promise<DecisionView> {
  return db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, id);
    if (!order) throw notFound('order');
    if (order.status !== 'overdue' && order.status !== 'refused') {
      throw new RegisterError('INVALID_STATE', `order is ${order.status}; only an overdue or refused order can be escalated`);
    }
    const earlier = ((await orderEscalations(trx, [id])).get(id) ?? []).find((e) => e.target === input.target && e.decision_status !== 'rejected');
    if (earlier) {
      throw new RegisterError('CONFLICT', `order was already escalated on its ${input.target} to decision ${earlier.decision_id} (${earlier.decision_status})`);
    }
    const resources = await escalationResources(trx, order, input.target);
    const platform = await findPlatform(trx, order.platform_id);
    const cites = `Escalation of order ${order.id} to ${platform?.name ?? order.platform_id} (issued ${order.issued_at.toISOString()}, due ${order.due_at.toISOString()}, ${order.status})`;
    const decision = await draftDecision(trx, {
      action: 'restrict',
      resources,
      legalBasisId: order.legal_basis_id,
      category: 'order_noncompliance',
      note: (input.note ? `${cites}. ${input.note}` : cites).slice(0, 2000),
    }, actor);
    await insertEscalation(trx, { orderId: id, decisionId: decision.id, target: input.target, createdBy: actor.id });
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'order.escalate', targetType: 'order', targetId: id,
      after: { decisionId: decision.id, target: input.target, resources: decision.resources },
    });
    return decision;
  });
}

async function escalationResources(trx: Transaction<DB>, order: OrderRow, target: EscalationTarget): Promise<ParsedResource[]> {
  const rows: ResourceRow[] = target === 'content'
    ? (await orderContentUrls(trx, [order.id])).get(order.id) ?? []
    : (await currentDomains(trx, [order.platform_id])).get(order.platform_id) ?? [];
  if (rows.length === 0) {
    throw new RegisterError('INVALID_STATE', target === 'domains' ? 'the platform has no domains on record to restrict' : 'the order names no content');
  }
  return rows.map((r) => ({ kind: r.kind, value: r.value, display: r.display, host: r.host }));
}

async function loadView(db: Kysely<DB> | Transaction<DB>, row: OrderRow): Promise<OrderView> {
  const [urls, escalations] = await Promise.all([orderContentUrls(db, [row.id]), orderEscalations(db, [row.id])]);
  return orderView(row, urls.get(row.id) ?? [], escalations.get(row.id) ?? []);
}

/** One order as the API shows it. */
export async function getOrderView(db: Kysely<DB>, id: string): Promise<OrderView | undefined> {
  const row = await findOrder(db, id);
  return row ? loadView(db, row) : undefined;
}
