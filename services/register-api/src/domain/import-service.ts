import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parseRegisterDump } from '@tizilim/shared/register-dump/index';
import type { DB } from '../db/schema.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { recordAudit } from '../repositories/audit-repository.js';
import {
  finishImport, insertImport, recordImportProgress, type ImportError, type ImportReportSource, type ImportedDecision,
} from '../repositories/import-repository.js';
import { findLegalBasesByDocument, writeImportBatch, type BatchContext, type WrittenGroup } from './import-batch-writer.js';
import { planImport, type PlannedDecision, type PlannedGroup } from './import-plan.js';
import type { LegalBasisKind } from './legal-basis-kind-guess.js';
import type { Category } from './categories.js';
import type { Actor } from './decision-service.js';

export interface ImportInput {
  bytes: Uint8Array;
  category: Category;
  /** For every derived legal basis; guessed from each authority when absent. */
  kind?: LegalBasisKind | undefined;
  /** Report what would be written, write nothing. */
  dryRun: boolean;
}

export interface ImportLogger {
  error(obj: object, msg: string): void;
}

/**
 * A batch is one transaction: big enough that tens of thousands of rows take a few dozen
 * round trips, small enough that the fallback below (group by group) stays cheap.
 */
const BATCH_RESOURCES = 5_000;
const BATCH_GROUPS = 500;

const GROUP_FAILED = 'This line belongs to a decision group the database refused to store; nothing of that group (legal basis, decisions, resources) was written.';
const DATABASE_LOST = 'The database became unavailable while this line\'s decision group was being written; the stored report of this import (GET /v1/imports/{id}) lists every decision that landed.';

/**
 * Imports a register dump: every group of rows citing one document becomes a legal basis (an
 * existing one for the same kind, authority, number and date is reused) and one or more
 * decisions `restrict` pending approval. Bad rows are reported by line and never stop it.
 *
 * Each batch of groups is one transaction that also advances the stored report, so the report
 * always says what landed, even if the client goes away or the process stops midway; a batch
 * that fails is retried group by group so one bad group never takes the others with it.
 */
export async function importRegisterDump(db: Kysely<DB>, input: ImportInput, actor: Actor, log: ImportLogger): Promise<ImportReportSource> {
  const startedAt = new Date();
  const dump = parseRegisterDump(input.bytes);
  const plan = planImport(dump, { kind: input.kind, today: startedAt.toISOString().slice(0, 10) });
  const header = {
    created_by: actor.id,
    file_sha256: createHash('sha256').update(input.bytes).digest('hex'),
    file_bytes: input.bytes.length,
    encoding: dump.encoding,
    dump_updated: dump.updated,
    category: input.category,
    rows: plan.rows,
  };
  if (input.dryRun) return dryRunReport(db, plan.groups, plan.errors, header, startedAt);

  const importId = randomUUID();
  await insertImport(db, {
    id: importId, createdBy: actor.id, fileSha256: header.file_sha256, fileBytes: header.file_bytes, encoding: header.encoding,
    dumpUpdated: header.dump_updated, category: header.category, rows: header.rows, errors: plan.errors,
  });
  const ctx: BatchContext = {
    importId, category: input.category, actorId: actor.id, sourceIp: actor.sourceIp,
    note: (group, decision) => decisionNote(importId, dump.updated, decision),
  };

  const errors: ImportError[] = [...plan.errors];
  let databaseLost = false;
  for (const batch of batches(plan.groups)) {
    if (databaseLost) {
      for (const group of batch) for (const line of group.lines) errors.push({ line, reason: DATABASE_LOST });
      continue;
    }
    try {
      await writeAndRecord(db, batch, ctx);
      continue;
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        databaseLost = true;
        for (const group of batch) for (const line of group.lines) errors.push({ line, reason: DATABASE_LOST });
        continue;
      }
    }
    // Something in this batch was refused: find which group, keep the others.
    for (const group of batch) {
      if (!databaseLost) {
        try {
          await writeAndRecord(db, [group], ctx);
          continue;
        } catch (err) {
          databaseLost = isDatabaseUnavailable(err);
          // The cause stays in the server log: it may hold SQL or values the client need not see.
          if (!databaseLost) log.error({ err, importId, authority: group.authority, documentNumber: group.documentNumber, firstLine: group.lines[0] }, 'import: a decision group was refused');
        }
      }
      for (const line of group.lines) errors.push({ line, reason: databaseLost ? DATABASE_LOST : GROUP_FAILED });
    }
  }

  errors.sort((a, b) => a.line - b.line);
  return db.transaction().execute(async (trx) => {
    const row = await finishImport(trx, importId, errors);
    await recordAudit(trx, {
      actorId: actor.id, sourceIp: actor.sourceIp, action: 'import.create', targetType: 'import', targetId: importId,
      after: {
        sha256: row.file_sha256, bytes: row.file_bytes, updated: row.dump_updated, category: row.category, rows: row.rows,
        decisions: row.decisions, resources: row.resources, legalBasesCreated: row.legal_bases_created,
        legalBasesReused: row.legal_bases_reused, errors: row.error_count,
      },
    });
    return { ...row, errors, report: row.report as ImportedDecision[] };
  });
}

async function writeAndRecord(db: Kysely<DB>, groups: readonly PlannedGroup[], ctx: BatchContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const written = await writeImportBatch(trx, groups, ctx);
    await recordImportProgress(trx, ctx.importId, {
      decisions: written.flatMap(reportOf),
      resources: groups.reduce((n, g) => n + g.decisions.reduce((m, d) => m + d.resources.length, 0), 0),
      legalBasesCreated: written.filter((w) => !w.legalBasisReused).length,
      legalBasesReused: written.filter((w) => w.legalBasisReused).length,
    });
  });
}

function reportOf(written: Pick<WrittenGroup, 'group' | 'legalBasisReused'> & { legalBasisId: string | null; decisionIds: (string | null)[] }): ImportedDecision[] {
  const { group } = written;
  return group.decisions.map((d, i) => ({
    id: written.decisionIds[i] ?? null,
    authority: group.authority,
    documentNumber: group.documentNumber,
    date: group.date,
    kind: group.kind,
    legalBasisId: written.legalBasisId,
    legalBasisReused: written.legalBasisReused,
    part: d.part,
    parts: d.parts,
    resources: d.resources.length,
    lines: d.lines,
  }));
}

function* batches(groups: readonly PlannedGroup[]): Generator<PlannedGroup[]> {
  let batch: PlannedGroup[] = [];
  let resources = 0;
  for (const group of groups) {
    batch.push(group);
    resources += group.decisions.reduce((n, d) => n + d.resources.length, 0);
    if (resources >= BATCH_RESOURCES || batch.length >= BATCH_GROUPS) {
      yield batch;
      batch = [];
      resources = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/** Says where the decision came from, so every imported decision is attributable to its import. */
function decisionNote(importId: string, updated: string | null, decision: PlannedDecision): string {
  const first = decision.lines[0];
  const last = decision.lines.at(-1);
  const lines = first === undefined ? '' : first === last ? ` line ${first}` : ` lines ${first}–${last}`;
  const part = decision.parts > 1 ? `, part ${decision.part} of ${decision.parts}` : '';
  const dump = updated ? `dump ${updated.slice(0, 100)}` : 'dump';
  return `imported from ${dump}${lines}${part} (import ${importId})`;
}

/** What an import would write: existing legal bases are looked up, nothing is written. */
async function dryRunReport(
  db: Kysely<DB>,
  groups: readonly PlannedGroup[],
  errors: readonly ImportError[],
  header: Omit<ImportReportSource, 'id' | 'errors' | 'report' | 'created_at' | 'finished_at' | 'status' | 'decisions' | 'resources' | 'legal_bases_created' | 'legal_bases_reused' | 'error_count'>,
  startedAt: Date,
): Promise<ImportReportSource> {
  const report: ImportedDecision[] = [];
  let reused = 0;
  const CHUNK = 1000;
  for (let start = 0; start < groups.length; start += CHUNK) {
    const chunk = groups.slice(start, start + CHUNK);
    const existing = await findLegalBasesByDocument(db, chunk);
    chunk.forEach((group, i) => {
      const legalBasisId = existing.get(i) ?? null;
      if (legalBasisId) reused++;
      report.push(...reportOf({ group, legalBasisId, legalBasisReused: legalBasisId !== null, decisionIds: group.decisions.map(() => null) }));
    });
  }
  return {
    ...header,
    id: null,
    created_at: startedAt,
    finished_at: new Date(),
    status: 'completed',
    decisions: report.length,
    resources: report.reduce((n, d) => n + d.resources, 0),
    legal_bases_created: groups.length - reused,
    legal_bases_reused: reused,
    error_count: errors.length,
    errors,
    report,
  };
}
