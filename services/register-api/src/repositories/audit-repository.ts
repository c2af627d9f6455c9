import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';

export interface AuditRecord {
  actorId: string | null;
  sourceIp: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

/** Written in the same transaction as the change it describes: both land, or neither. */
export async function recordAudit(trx: Transaction<DB> | Kysely<DB>, record: AuditRecord): Promise<void> {
  await auditWrite(trx, record).execute();
}

/** The insert of `recordAudit`, not yet run: for a caller that writes it together with its change in one statement. */
export function auditWrite(trx: Transaction<DB> | Kysely<DB>, record: AuditRecord) {
  return trx
    .insertInto('audit_log')
    .values({
      actor_id: record.actorId,
      source_ip: record.sourceIp,
      action: record.action,
      target_type: record.targetType,
      target_id: record.targetId,
      before: record.before === undefined ? null : JSON.stringify(record.before),
      after: record.after === undefined ? null : JSON.stringify(record.after),
    });
}

export async function listAudit(db: Kysely<DB>, opts: { beforeId?: number; limit: number }) {
  let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(opts.limit);
  if (opts.beforeId !== undefined) q = q.where('id', '<', opts.beforeId);
  return q.execute();
}
