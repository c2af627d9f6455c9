import { sql, type Expression, type Insertable, type Kysely, type Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import type { DB, PublicLogTable, ResourceRow } from '../db/schema.js';
import type { Write } from '../db/one-statement.js';
import type { LogEntryBody, LogReason, PublicLogEntry, RuleMode } from '@tizilim/shared';
import { canonicalJson, entryHash } from '@tizilim/shared/public-log/index';
import { isSensitiveCategory } from '../domain/categories.js';

/** What a caller knows about an entry before it is placed in the chain. */
export interface LogEntryDraft {
  op: 'add' | 'remove';
  reason: LogReason;
  mode: RuleMode;
  until: Date | null;
  resource: Pick<ResourceRow, 'id' | 'kind' | 'value' | 'display' | 'host'>;
  category: string;
  decision: { id: string; action: 'restrict' | 'suspend' | 'restore'; effectiveFrom: Date };
  legalBasis: { id: string; kind: 'court_ruling' | 'prosecutor_recommendation' | 'ministry_order'; authority: string; documentNumber: string; issuedAt: string };
}

/** Channel NOTIFYed with the new head seq when entries are appended (delivered on commit). */
export const LOG_CHANNEL = 'tizilim_public_log';

/** The last entry of the log: where the next one is chained on. */
export interface LogHead {
  seq: number;
  hash: string;
}

/** Entries placed in the chain after a head, ready to be written. */
export interface ChainedEntries {
  rows: Insertable<PublicLogTable>[];
  seqs: number[];
  /** The head once these entries are in. */
  head: LogHead;
}

/**
 * Places drafts in the chain after `head` (which the caller holds locked: see
 * `enterEnforcementSection`): gapless seqs, each prevHash the hash of the entry before it.
 */
export function chainEntries(head: LogHead, drafts: readonly LogEntryDraft[], at: Date): ChainedEntries {
  let seq = head.seq;
  let prevHash = head.hash;
  const rows: Insertable<PublicLogTable>[] = [];
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
  return { rows, seqs, head: { seq, hash: prevHash } };
}

/**
 * The writes that append chained entries: the rows, and the head moved to the last of them.
 * Run them in the transaction that locked the head, together with `logAppendedNotice`; a
 * rollback takes the entries and the head move back together.
 */
export function logAppendWrites(trx: Transaction<DB>, chained: ChainedEntries): Write[] {
  if (chained.rows.length === 0) return [];
  return [
    trx.insertInto('public_log').values(chained.rows),
    trx.updateTable('public_log_head').set({ seq: chained.head.seq, hash: chained.head.hash }).where('id', '=', 1),
  ];
}

/** NOTIFY of the new head, for every API process's long-polls; Postgres delivers it on commit. */
export function logAppendedNotice(chained: ChainedEntries): Expression<unknown> | undefined {
  return chained.rows.length === 0 ? undefined : sql`pg_notify(${LOG_CHANNEL}, ${String(chained.head.seq)})`;
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

export async function logHead(db: Kysely<DB> | Transaction<DB>): Promise<LogHead> {
  const head = await db.selectFrom('public_log_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}
