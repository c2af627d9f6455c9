import { sql, type Transaction, type Updateable } from 'kysely';
import type { DB, DecisionRow, DecisionsTable, EndReason } from '../db/schema.js';
import { writeInOneStatement, type Write } from '../db/one-statement.js';
import { chainEntries, logAppendWrites, logAppendedNotice, type LogEntryDraft, type LogHead } from '../repositories/public-log-repository.js';
import { closeSpansWrites, endDecisionsWithoutOpenSpansWrite, lockExpiredPeriods, lockOpenPeriods, openSpansWrite, type OpenPeriod } from '../repositories/enforcement-repository.js';
import type { DecisionResource, LogLegalBasis } from '../repositories/decision-repository.js';
import { spansCovering } from '../repositories/public-query-repository.js';
import type { RuleMode } from '@tizilim/shared';
import { blocks, coverageQuestion, decidingRule } from './coverage.js';

/**
 * How decisions change what is enforced. Every change of the enforced set goes through here
 * and leaves exactly one public log entry per resource entering or leaving it, in the same
 * transaction as the change itself.
 *
 * Everything between entering the section and COMMIT holds the log head's lock, which every
 * appender in every API process queues for: the section reads what it must and then writes
 * each change in one statement, so the lock is held for a few round trips, not one per write.
 */

/** The database's clock, so several API processes agree on "now". */
export async function transactionNow(trx: Transaction<DB>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(trx);
  return rows[0]!.now;
}

/** The enforcement section as one transaction holds it. */
export interface EnforcementSection {
  /** The clock, read once the head was locked: the time of everything this transaction changes. */
  readonly at: Date;
  /** The log head, moved on as this transaction appends. */
  head: LogHead;
}

/**
 * Enters the one critical section of the register: changes of the enforced set. It locks the
 * log head first and reads the clock only then, so that among concurrent transactions the one
 * that appends later also has the later time: log times never go backwards, and a span is
 * never closed before it was opened. The head it returns is the latest committed one (a
 * locking read waits for the holder and reads the row as it left it).
 */
export async function enterEnforcementSection(trx: Transaction<DB>): Promise<EnforcementSection> {
  const { rows } = await sql<{ now: Date; seq: number; hash: string }>`SELECT clock_timestamp() AS now, seq, hash FROM public_log_head WHERE id = 1 FOR UPDATE`.execute(trx);
  const row = rows[0]!;
  return { at: row.now, head: { seq: Number(row.seq), hash: row.hash } };
}

/** What putting a decision into force did. */
export interface Activation {
  /** The decision's status now: in force, or ended (a suspension approved after its end). */
  status: 'in_force' | 'ended';
  /** The log entries it wrote. */
  seqs: number[];
}

/** What a caller writes together with an activation, in the same statement. */
export interface ActivationExtras {
  /** More columns of the decision, set with its new status (an approval's approver and time). */
  decision?: Updateable<DecisionsTable>;
  /** More writes, once the outcome is known (an approval's audit record). */
  writes?: (activation: Activation) => Write[];
}

/**
 * Puts a decision into force at the section's time: closes the spans it supersedes or
 * restores, opens its own, appends the log entries and sets its status. `resources` are the
 * decision's (they never change once it is drafted, so the caller may read them before
 * entering the section).
 */
export async function activateDecision(
  trx: Transaction<DB>,
  section: EnforcementSection,
  decision: DecisionRow,
  basis: LogLegalBasis,
  resources: readonly DecisionResource[],
  extras: ActivationExtras = {},
): Promise<Activation> {
  const at = section.at;
  const until = decision.effective_until;
  if (decision.action !== 'restore' && until && until <= at) {
    // A suspension approved after its end: it never takes effect, and says why.
    const activation: Activation = { status: 'ended', seqs: [] };
    await writeInOneStatement(trx, [
      trx.updateTable('decisions').set({ ...extras.decision, status: 'ended', ended_at: at, end_reason: 'expired' }).where('id', '=', decision.id),
      ...(extras.writes?.(activation) ?? []),
    ]);
    return activation;
  }

  const restore = decision.action === 'restore';
  const open = await lockOpenPeriods(trx, resources.map((r) => r.id));
  // A restoration leaves an exception already open as it is: the resource is accessible already.
  const closing = restore ? open.filter((p) => p.mode !== 'allow') : open;
  const drafts = await closeSpans(trx, closing, at, restore ? 'restored' : 'superseded', decision.id);
  const opened: { resourceId: string; draftIndex: number }[] = [];
  let mode: RuleMode = decision.action === 'suspend' ? 'suspend' : 'restrict';
  if (restore) {
    // What a wider rule still covers once its own span is closed becomes an exception.
    mode = 'allow';
    const excepted = new Set(open.filter((p) => p.mode === 'allow').map((p) => p.resource_id));
    for (const r of resources) {
      if (excepted.has(r.id) || !(await coveredByWiderRule(trx, r, resources, at))) continue;
      opened.push({ resourceId: r.id, draftIndex: drafts.length });
      drafts.push(addDraft(r, decision, basis, mode));
    }
  } else {
    for (const r of resources) {
      opened.push({ resourceId: r.id, draftIndex: drafts.length });
      drafts.push(addDraft(r, decision, basis, mode));
    }
  }
  const chained = chainEntries(section.head, drafts, at);
  const activation: Activation = { status: 'in_force', seqs: chained.seqs };
  // The decision itself never has open spans here (it was pending or scheduled), and two
  // writes of one statement must not touch the same row.
  const touched = [...new Set(closing.map((p) => p.decision_id))].filter((id) => id !== decision.id);
  const writes: (Write | undefined)[] = [
    ...logAppendWrites(trx, chained),
    opened.length > 0
      ? openSpansWrite(trx, opened.map((o) => ({ resourceId: o.resourceId, addSeq: chained.seqs[o.draftIndex]! })), { id: decision.id, mode, until }, at)
      : undefined,
    trx.updateTable('decisions').set({ ...extras.decision, status: 'in_force' }).where('id', '=', decision.id),
    endDecisionsWithoutOpenSpansWrite(trx, touched, at),
    ...(extras.writes?.(activation) ?? []),
  ];
  await writeInOneStatement(trx, writes.filter((w) => w !== undefined), logAppendedNotice(chained));
  section.head = chained.head;
  return activation;
}

/**
 * Whether a rule in force at `at`, other than those on the decision's own resources (which it
 * is restoring), decides `resource` and blocks it: then its restoration is an exception.
 */
async function coveredByWiderRule(trx: Transaction<DB>, resource: DecisionResource, own: readonly DecisionResource[], at: Date): Promise<boolean> {
  const { asked, target } = coverageQuestion(resource);
  const ownKeys = new Set(own.map((r) => `${r.kind} ${r.value}`));
  const wider = (await spansCovering(trx, target, at)).filter((s) => !ownKeys.has(`${s.kind} ${s.value}`));
  return blocks(decidingRule(wider, asked));
}

/** Closes every span whose planned end has passed (inside the enforcement section); returns the seqs written. */
export async function expireDuePeriods(trx: Transaction<DB>, section: EnforcementSection, limit = 500): Promise<number[]> {
  const due = await lockExpiredPeriods(trx, section.at, limit);
  if (due.length === 0) return [];
  const drafts = await closeSpans(trx, due, section.at, 'expired', null);
  const chained = chainEntries(section.head, drafts, section.at);
  const writes = [...logAppendWrites(trx, chained), endDecisionsWithoutOpenSpansWrite(trx, [...new Set(due.map((p) => p.decision_id))], section.at)];
  await writeInOneStatement(trx, writes.filter((w) => w !== undefined), logAppendedNotice(chained));
  section.head = chained.head;
  return chained.seqs;
}

/** Closes open spans at `at` in one statement; returns their `remove` log entries, in the order given. */
async function closeSpans(trx: Transaction<DB>, spans: readonly OpenPeriod[], at: Date, reason: EndReason, endedBy: string | null): Promise<LogEntryDraft[]> {
  if (spans.length === 0) return [];
  const endNow: number[] = [];
  const alreadyOver: number[] = [];
  const drafts = spans.map((p) => {
    // A suspension whose end passed before the scheduler got to it ended at its planned end,
    // whatever closes it now.
    const over = p.ends_at !== null && p.ends_at <= at;
    (over ? alreadyOver : endNow).push(p.id);
    return removeDraft(p, over ? 'expired' : reason);
  });
  await writeInOneStatement(trx, closeSpansWrites(trx, { endNow, alreadyOver }, at, reason, endedBy));
  return drafts;
}

function removeDraft(p: OpenPeriod, reason: EndReason): LogEntryDraft {
  return {
    op: 'remove',
    reason,
    mode: p.mode,
    until: p.ends_at,
    resource: { id: p.resource_id, kind: p.resource_kind, value: p.resource_value, display: p.resource_display, host: p.resource_host },
    category: p.category,
    decision: { id: p.decision_id, action: p.action, effectiveFrom: p.effective_from },
    legalBasis: { id: p.basis_id, kind: p.basis_kind, authority: p.authority, documentNumber: p.document_number, issuedAt: p.issued_at },
  };
}

function addDraft(r: DecisionResource, d: DecisionRow, b: LogLegalBasis, mode: RuleMode): LogEntryDraft {
  return {
    op: 'add',
    reason: d.status === 'scheduled' ? 'scheduled_start' : 'approved',
    mode,
    until: d.effective_until,
    resource: r,
    category: d.category,
    decision: { id: d.id, action: d.action, effectiveFrom: d.effective_from },
    legalBasis: { id: b.id, kind: b.kind, authority: b.authority, documentNumber: b.document_number, issuedAt: b.issued_at },
  };
}
