import { sql, type Transaction } from 'kysely';
import type { DB, DecisionRow, EndReason, LegalBasisRow, ResourceRow } from '../db/schema.js';
import { appendLogEntries, type LogEntryDraft } from '../repositories/public-log-repository.js';
import { countOpenPeriods, lockExpiredPeriods, lockOpenPeriods, type OpenPeriod } from '../repositories/enforcement-repository.js';
import { decisionResources } from '../repositories/decision-repository.js';

/**
 * How decisions change what is enforced. Every change of the enforced set goes through here
 * and leaves exactly one public log entry per resource entering or leaving it, in the same
 * transaction as the change itself.
 */

/** The database's clock, so several API processes agree on "now". */
export async function transactionNow(trx: Transaction<DB>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(trx);
  return rows[0]!.now;
}

/**
 * Enters the one critical section of the register: changes of the enforced set. It locks the
 * log head first and reads the clock only then, so that among concurrent transactions the one
 * that appends later also has the later time: log times never go backwards, and a span is
 * never closed before it was opened.
 */
export async function enterEnforcementSection(trx: Transaction<DB>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT clock_timestamp() AS now FROM public_log_head WHERE id = 1 FOR UPDATE`.execute(trx);
  return rows[0]!.now;
}

/**
 * Puts an approved decision into force at `at`; returns the seqs of the log entries it wrote.
 * The caller is inside the enforcement section and took `at` from it.
 */
export async function activateDecision(trx: Transaction<DB>, decision: DecisionRow, basis: LegalBasisRow, at: Date): Promise<number[]> {
  const resources = (await decisionResources(trx, [decision.id])).get(decision.id) ?? [];
  const open = await lockOpenPeriods(trx, resources.map((r) => r.id));
  const drafts: LogEntryDraft[] = [];
  const opened: { resourceId: string; draftIndex: number }[] = [];
  const touchedDecisions = new Set<string>();
  const mode = decision.action === 'suspend' ? 'suspend' : 'restrict';

  if (decision.action === 'restore') {
    for (const p of open) {
      drafts.push(await closePeriod(trx, p, at, 'restored', decision.id));
      touchedDecisions.add(p.decision_id);
    }
    await trx.updateTable('decisions').set({ status: 'in_force' }).where('id', '=', decision.id).execute();
  } else {
    const until = decision.effective_until;
    if (until && until <= at) {
      // A suspension approved after its end: it never takes effect, and says why.
      await trx.updateTable('decisions').set({ status: 'ended', ended_at: at, end_reason: 'expired' }).where('id', '=', decision.id).execute();
      return [];
    }
    for (const p of open) {
      drafts.push(await closePeriod(trx, p, at, 'superseded', decision.id));
      touchedDecisions.add(p.decision_id);
    }
    for (const r of resources) {
      opened.push({ resourceId: r.id, draftIndex: drafts.length });
      drafts.push(addDraft(r, decision, basis, mode));
    }
    await trx.updateTable('decisions').set({ status: 'in_force' }).where('id', '=', decision.id).execute();
  }
  for (const id of touchedDecisions) await endDecisionIfDone(trx, id, at);
  const seqs = await appendLogEntries(trx, drafts, at);
  // The new spans go in after the old ones were closed (the exclusion constraint checks on
  // insert), in one statement, each naming the log entry that opened it.
  if (opened.length > 0) {
    await trx
      .insertInto('enforcement_periods')
      .values(opened.map(({ resourceId, draftIndex }) => ({
        resource_id: resourceId, decision_id: decision.id, mode, starts_at: at, ends_at: decision.effective_until, add_seq: seqs[draftIndex]!,
      })))
      .execute();
  }
  return seqs;
}

/** Closes every span whose planned end has passed (inside the enforcement section); returns the seqs written. */
export async function expireDuePeriods(trx: Transaction<DB>, now: Date, limit = 500): Promise<number[]> {
  const due = await lockExpiredPeriods(trx, now, limit);
  const drafts: LogEntryDraft[] = [];
  const touched = new Set<string>();
  for (const p of due) {
    drafts.push(await closePeriod(trx, p, now, 'expired', null));
    touched.add(p.decision_id);
  }
  for (const id of touched) await endDecisionIfDone(trx, id, now);
  return appendLogEntries(trx, drafts, now);
}

async function closePeriod(trx: Transaction<DB>, p: OpenPeriod, at: Date, reason: EndReason, endedBy: string | null): Promise<LogEntryDraft> {
  // A suspension whose end passed before the scheduler got to it ended at its planned end,
  // whatever closes it now.
  const alreadyOver = p.ends_at !== null && p.ends_at <= at;
  const endReason: EndReason = alreadyOver ? 'expired' : reason;
  await trx
    .updateTable('enforcement_periods')
    .set({ ends_at: alreadyOver ? p.ends_at : at, closed_at: at, end_reason: endReason, ended_by_decision_id: alreadyOver ? null : endedBy })
    .where('id', '=', p.id)
    .execute();
  return {
    op: 'remove',
    reason: endReason,
    mode: p.mode,
    until: p.ends_at,
    resource: { id: p.resource_id, kind: p.resource_kind, value: p.resource_value, display: p.resource_display, host: p.resource_host },
    category: p.category,
    decision: { id: p.decision_id, action: p.action, effectiveFrom: p.effective_from },
    legalBasis: { id: p.basis_id, kind: p.basis_kind, authority: p.authority, documentNumber: p.document_number, issuedAt: p.issued_at },
  };
}

function addDraft(r: ResourceRow, d: DecisionRow, b: LegalBasisRow, mode: 'restrict' | 'suspend'): LogEntryDraft {
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

async function endDecisionIfDone(trx: Transaction<DB>, decisionId: string, at: Date): Promise<void> {
  if ((await countOpenPeriods(trx, decisionId)) > 0) return;
  const last = await trx
    .selectFrom('enforcement_periods')
    .select('end_reason')
    .where('decision_id', '=', decisionId)
    .orderBy('closed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  await trx
    .updateTable('decisions')
    .set({ status: 'ended', ended_at: at, end_reason: last?.end_reason ?? 'expired' })
    .where('id', '=', decisionId)
    .where('status', '=', 'in_force')
    .execute();
}
