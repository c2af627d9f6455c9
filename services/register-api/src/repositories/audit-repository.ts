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

export interface AuditFilter {
  actorId?: string | undefined;
  targetId?: string | undefined;
  /** An exact action, or a prefix when it ends with `*` (`decision.*`). */
  action?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

/** Newest first, each record with its actor's name (the actor is a user, never deleted). */
export async function listAudit(db: Kysely<DB>, opts: AuditFilter & { beforeId?: number; limit: number }) {
  let q = db
    .selectFrom('audit_log as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .selectAll('a')
    .select('u.name as actor_name')
    .orderBy('a.id', 'desc')
    .limit(opts.limit);
  if (opts.beforeId !== undefined) q = q.where('a.id', '<', opts.beforeId);
  if (opts.actorId !== undefined) q = q.where('a.actor_id', '=', opts.actorId);
  if (opts.targetId !== undefined) q = q.where('a.target_id', '=', opts.targetId);
  if (opts.action !== undefined) {
    q = opts.action.endsWith('*')
      ? q.where('a.action', 'like', `${opts.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      : q.where('a.action', '=', opts.action);
  }
  if (opts.since !== undefined) q = q.where('a.at', '>=', opts.since);
  if (opts.until !== undefined) q = q.where('a.at', '<', opts.until);
  return q.execute();
}
