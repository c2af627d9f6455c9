import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, OrderOutcome, OrderRow, OrderStatus, ResourceRow } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

/** How long a platform has to act on an order. The database checks the same 24 hours. */
export const ORDER_DEADLINE_MS = 24 * 60 * 60 * 1000;

export interface NewOrder {
  id: string;
  platformId: string;
  legalBasisId: string;
  category: string;
  issuedAt: Date;
  note: string | null;
  createdBy: string;
}

export async function insertOrder(trx: Transaction<DB>, o: NewOrder, contentResourceIds: readonly string[]): Promise<OrderRow> {
  const row = await trx
    .insertInto('orders')
    .values({
      id: o.id,
      platform_id: o.platformId,
      legal_basis_id: o.legalBasisId,
      category: o.category,
      issued_at: o.issuedAt,
      due_at: new Date(o.issuedAt.getTime() + ORDER_DEADLINE_MS),
      note: o.note,
      created_by: o.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('order_content_urls')
    .values(contentResourceIds.map((resource_id, position) => ({ order_id: row.id, resource_id, position })))
    .execute();
  return row;
}

export async function findOrder(db: Conn, id: string) {
  return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks the order so an outcome, an escalation and the overdue tick take turns. */
export async function lockOrder(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function orderContentUrls(db: Conn, orderIds: readonly string[]): Promise<Map<string, ResourceRow[]>> {
  const out = new Map<string, ResourceRow[]>();
  if (orderIds.length === 0) return out;
  const rows = await db
    .selectFrom('order_content_urls as oc')
    .innerJoin('resources as r', 'r.id', 'oc.resource_id')
    .selectAll('r')
    .select('oc.order_id')
    .where('oc.order_id', 'in', orderIds)
    .orderBy('oc.order_id')
    .orderBy('oc.position')
    .execute();
  for (const { order_id, ...r } of rows) {
    const list = out.get(order_id) ?? [];
    list.push(r);
    out.set(order_id, list);
  }
  return out;
}

export interface EscalationRow {
  order_id: string;
  decision_id: string;
  target: 'content' | 'domains';
  created_by: string;
  created_at: Date;
  decision_status: string;
}

/** Each order's escalations, oldest first, with where their decisions stand now. */
export async function orderEscalations(db: Conn, orderIds: readonly string[]): Promise<Map<string, EscalationRow[]>> {
  const out = new Map<string, EscalationRow[]>();
  if (orderIds.length === 0) return out;
  const rows = await db
    .selectFrom('order_escalations as e')
    .innerJoin('decisions as d', 'd.id', 'e.decision_id')
    .selectAll('e')
    .select('d.status as decision_status')
    .where('e.order_id', 'in', orderIds)
    .orderBy('e.created_at')
    .execute();
  for (const r of rows) {
    const list = out.get(r.order_id) ?? [];
    list.push(r);
    out.set(r.order_id, list);
  }
  return out;
}

export async function insertEscalation(trx: Transaction<DB>, e: { orderId: string; decisionId: string; target: 'content' | 'domains'; createdBy: string }) {
  await trx.insertInto('order_escalations').values({ order_id: e.orderId, decision_id: e.decisionId, target: e.target, created_by: e.createdBy }).execute();
}

export async function setOutcome(
  trx: Transaction<DB>,
  id: string,
  o: { outcome: OrderOutcome; at: Date; evidence: string; late: boolean; recordedBy: string; recordedAt: Date },
): Promise<OrderRow> {
  return trx
    .updateTable('orders')
    .set({
      status: o.outcome,
      outcome: o.outcome,
      outcome_at: o.at,
      evidence: o.evidence,
      late: o.late,
      outcome_recorded_by: o.recordedBy,
      outcome_recorded_at: o.recordedAt,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Claims open orders whose 24 hours have passed and marks them overdue. SKIP LOCKED lets
 * several API processes tick at once without taking the same order, and without waiting on
 * an order an operator is recording an outcome for.
 */
export async function markDueOrdersOverdue(trx: Transaction<DB>, now: Date, limit: number): Promise<OrderRow[]> {
  const due = await trx
    .selectFrom('orders')
    .select('id')
    .where('status', '=', 'open')
    .where('due_at', '<=', now)
    .orderBy('due_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  if (due.length === 0) return [];
  return trx
    .updateTable('orders')
    .set({ status: 'overdue', overdue_at: now })
    .where('id', 'in', due.map((d) => d.id))
    .where('status', '=', 'open')
    .returningAll()
    .execute();
}

export interface OrderFilter {
  platformId?: string | undefined;
  status?: OrderStatus | undefined;
  limit: number;
  before?: { createdAt: Date; id: string } | undefined;
}

export async function listOrders(db: Conn, f: OrderFilter): Promise<OrderRow[]> {
  let q = db.selectFrom('orders').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit);
  if (f.platformId) q = q.where('platform_id', '=', f.platformId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.before) {
    const { createdAt, id } = f.before;
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  return q.execute();
}

export interface ComplianceRow {
  platform_id: string;
  orders: number;
  on_time: number;
  late: number;
  refused: number;
  overdue: number;
  open: number;
  median_hours: number | null;
}

/**
 * Compliance per platform: orders acted on (removed or limited) in time and late, refused,
 * overdue with no answer, still open; and the median time from issue to action.
 */
export async function complianceByPlatform(db: Conn, platformIds: readonly string[]): Promise<Map<string, ComplianceRow>> {
  if (platformIds.length === 0) return new Map();
  const { rows } = await sql<ComplianceRow>`
    SELECT platform_id,
      count(*)::int AS orders,
      (count(*) FILTER (WHERE outcome IN ('removed','limited') AND NOT late))::int AS on_time,
      (count(*) FILTER (WHERE outcome IN ('removed','limited') AND late))::int AS late,
      (count(*) FILTER (WHERE outcome = 'refused'))::int AS refused,
      (count(*) FILTER (WHERE status = 'overdue'))::int AS overdue,
      (count(*) FILTER (WHERE status = 'open'))::int AS open,
      (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM outcome_at - issued_at))
        FILTER (WHERE outcome IN ('removed','limited')) / 3600.0)::float8 AS median_hours
    FROM orders
    WHERE platform_id IN (${sql.join(platformIds)})
    GROUP BY platform_id`.execute(db);
  return new Map(rows.map((r) => [r.platform_id, r]));
}
