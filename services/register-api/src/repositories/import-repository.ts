import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, ImportRow } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

export interface ImportError {
  line: number;
  reason: string;
}

/** One decision an import wrote (or, in a dry run, would write). */
export interface ImportedDecision {
  id: string | null;
  authority: string;
  documentNumber: string;
  date: string;
  kind: string;
  legalBasisId: string | null;
  legalBasisReused: boolean;
  part: number;
  parts: number;
  resources: number;
  lines: number[];
}

/** At most this many errors are kept with an import; error_count keeps the total. */
export const STORED_ERRORS_LIMIT = 100_000;

export interface NewImport {
  id: string;
  createdBy: string;
  fileSha256: string;
  fileBytes: number;
  encoding: string;
  dumpUpdated: string | null;
  category: string;
  rows: number;
  errors: readonly ImportError[];
}

/** Written before the first decision, so an import cut short still has its row. */
export async function insertImport(db: Conn, input: NewImport): Promise<ImportRow> {
  return db
    .insertInto('imports')
    .values({
      id: input.id,
      created_by: input.createdBy,
      file_sha256: input.fileSha256,
      file_bytes: input.fileBytes,
      encoding: input.encoding,
      dump_updated: input.dumpUpdated,
      category: input.category,
      rows: input.rows,
      error_count: input.errors.length,
      errors: JSON.stringify(input.errors.slice(0, STORED_ERRORS_LIMIT)),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface ImportProgress {
  decisions: readonly ImportedDecision[];
  resources: number;
  legalBasesCreated: number;
  legalBasesReused: number;
}

/** Called in the transaction that wrote these decisions: the report and the register move together. */
export async function recordImportProgress(trx: Transaction<DB>, id: string, progress: ImportProgress): Promise<void> {
  await trx
    .updateTable('imports')
    .set((eb) => ({
      decisions: eb('decisions', '+', progress.decisions.length),
      resources: eb('resources', '+', progress.resources),
      legal_bases_created: eb('legal_bases_created', '+', progress.legalBasesCreated),
      legal_bases_reused: eb('legal_bases_reused', '+', progress.legalBasesReused),
      report: sql`report || ${JSON.stringify(progress.decisions)}::jsonb`,
    }))
    .where('id', '=', id)
    .execute();
}

/** Closes the import with its complete error list (parse errors and groups that failed). */
export async function finishImport(trx: Conn, id: string, errors: readonly ImportError[]): Promise<ImportRow> {
  return trx
    .updateTable('imports')
    .set({
      status: 'completed',
      finished_at: sql<Date>`now()`,
      error_count: errors.length,
      errors: JSON.stringify(errors.slice(0, STORED_ERRORS_LIMIT)),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findImport(db: Conn, id: string): Promise<ImportRow | undefined> {
  return db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Newest first, without the (possibly large) error lists and decision reports. */
export async function listImports(db: Conn, opts: { limit: number; before?: { createdAt: Date; id: string } | undefined }) {
  let q = db
    .selectFrom('imports')
    .select(['id', 'created_by', 'created_at', 'finished_at', 'status', 'file_sha256', 'file_bytes', 'encoding', 'dump_updated', 'category', 'rows', 'decisions', 'resources', 'legal_bases_created', 'legal_bases_reused', 'error_count'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit);
  if (opts.before) {
    const { createdAt, id } = opts.before;
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  return q.execute();
}

export type ImportSummaryRow = Awaited<ReturnType<typeof listImports>>[number];

export function importSummaryView(row: ImportSummaryRow) {
  return {
    importId: row.id,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    sha256: row.file_sha256,
    bytes: row.file_bytes,
    encoding: row.encoding,
    updated: row.dump_updated,
    category: row.category,
    rows: row.rows,
    created: row.decisions,
    resources: row.resources,
    legalBasesCreated: row.legal_bases_created,
    legalBasesReused: row.legal_bases_reused,
    errorCount: row.error_count,
  };
}

/** The errors listed in one answer; the rest are paged with `errorsFrom`. */
export const ERRORS_PER_ANSWER = 10_000;

/** What a report is made from: a stored import, or the plan of a dry run that stores nothing. */
export type ImportReportSource = Omit<ImportRow, 'id' | 'errors' | 'report'> & {
  id: string | null;
  errors: readonly ImportError[];
  report: readonly ImportedDecision[];
};

/** The line-by-line report: every decision with its dump lines, then the bad lines with reasons. */
export function importReportView(source: ImportReportSource, options: { dryRun: boolean; errorsFrom?: number }) {
  const from = options.errorsFrom ?? 0;
  const errors = source.errors.slice(from, from + ERRORS_PER_ANSWER);
  const landed = new Set<number>();
  for (const decision of source.report) for (const line of decision.lines) landed.add(line);
  return {
    ...importSummaryView({ ...source, id: source.id as string }),
    importId: source.id,
    dryRun: options.dryRun,
    linesImported: landed.size,
    decisions: source.report.map((d) => ({ ...d })),
    errors: errors.map((e) => ({ line: e.line, reason: e.reason })),
    errorsFrom: from,
    // Errors past this page, including any beyond what is stored with the import.
    errorsOmitted: Math.max(0, source.error_count - from - errors.length),
  };
}
