import { sql, type Kysely, type Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import type { DB, ResourceRow } from '../db/schema.js';
import type { LogEntryBody, LogReason, PublicLogEntry } from '@tizilim/shared';
import { canonicalJson, entryHash } from '@tizilim/shared/public-log/index';
import { isSensitiveCategory } from '../domain/categories.js';

/** What a caller knows about an entry before it is placed in the chain. */
export interface LogEntryDraft {
  op: 'add' | 'remove';
  reason: LogReason;
  mode: 'restrict' | 'suspend';
  until: Date | null;
  resource: Pick<ResourceRow, 'id' | 'kind' | 'value' | 'display' | 'host'>;
  category: string;
  decision: { id: string; action: 'restrict' | 'suspend' | 'restore'; effectiveFrom: Date };
  legalBasis: { id: string; kind: 'court_ruling' | 'prosecutor_recommendation' | 'ministry_order'; authority: string; documentNumber: string; issuedAt: string };
}

/** Channel NOTIFYed with the new head seq when entries are appended (delivered on commit). */
export const LOG_CHANNEL = 'tizilim_public_log';

/**
 * Appends entries to the public log inside the caller's transaction. The head row lock
 * serialises appenders across API processes, so seq stays gapless and every prevHash is the
 * hash of the entry before it; a rollback takes the entries and the head move back together.
 */
export async function appendLogEntries(trx: Transaction<DB>, drafts: readonly LogEntryDraft[], at: Date): Promise<number[]> {
  if (drafts.length === 0) return [];
  const head = await trx.selectFrom('public_log_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
  let seq = Number(head.seq);
  let prevHash = head.hash;
  const rows = [];
  const seqs: number[] = [];
  for (const d of drafts) {
    seq += 1;
    const body = publicBody(d, seq, at);
    const hash = entryHash(prevHash, body);
    rows.push({
      seq,
      time: at,
      op: d.op,
      resource_id: d.resource.id,
      decision_id: d.decision.id,
      category: d.category,
      body: canonicalJson(body),
      prev_hash: prevHash,
      hash,
    });
    seqs.push(seq);
    prevHash = hash;
  }
  await trx.insertInto('public_log').values(rows).execute();
  await trx.updateTable('public_log_head').set({ seq, hash: prevHash }).where('id', '=', 1).execute();
  await sql`SELECT pg_notify(${LOG_CHANNEL}, ${String(seq)})`.execute(trx);
  return seqs;
}

/** The hashed, published form; sensitive categories publish the host and a hash, not the value. */
function publicBody(d: LogEntryDraft, seq: number, at: Date): LogEntryBody {
  const valueSha256 = createHash('sha256').update(d.resource.value, 'utf8').digest('hex');
  const redact = isSensitiveCategory(d.category) && d.resource.kind === 'url';
  return {
    seq,
    time: at.toISOString(),
    op: d.op,
    reason: d.reason,
    mode: d.mode,
    until: d.until ? d.until.toISOString() : null,
    resource: {
      kind: d.resource.kind,
      value: redact ? null : d.resource.value,
      host: d.resource.host,
      display: redact ? null : d.resource.display,
      valueSha256,
    },
    category: d.category,
    decision: { id: d.decision.id, action: d.decision.action, effectiveFrom: d.decision.effectiveFrom.toISOString() },
    legalBasis: {
      id: d.legalBasis.id,
      kind: d.legalBasis.kind,
      authority: d.legalBasis.authority,
      documentNumber: d.legalBasis.documentNumber,
      issuedAt: d.legalBasis.issuedAt,
    },
  };
}

export function rowToPublicEntry(row: { body: string; prev_hash: string; hash: string }): PublicLogEntry {
  return { ...(JSON.parse(row.body) as LogEntryBody), prevHash: row.prev_hash, hash: row.hash };
}

export async function logHead(db: Kysely<DB> | Transaction<DB>): Promise<{ seq: number; hash: string }> {
  const head = await db.selectFrom('public_log_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}
