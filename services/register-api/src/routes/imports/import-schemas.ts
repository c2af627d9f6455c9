import { z } from 'zod';
import { LEGAL_BASIS_KINDS } from '@tizilim/shared';
import { CATEGORIES } from '../../domain/categories.js';
import type { LegalBasisKind } from '../../domain/legal-basis-kind-guess.js';

/** The dump travels as it is on disk; its encoding (UTF-8 or windows-1251) is detected. */
export const IMPORT_CONTENT_TYPES = ['text/csv', 'application/octet-stream'];
/** Tens of thousands of rows are a few MiB; this leaves room for the largest real dumps. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

export const importBody = z
  .custom<Buffer>((value) => Buffer.isBuffer(value) && value.length > 0, { error: 'must be a register dump: the file itself, not empty' })
  .meta({
    type: 'string',
    format: 'binary',
    description: 'The dump file as is: lines `IP;domain;URL;authority;decision number;date`, an optional first line `Updated: …`, UTF-8 or windows-1251; several IPs or URLs in one field separated by ` | `.',
  });

const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

export const importQuery = z
  .object({
    category: z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }).default('other'),
    kind: (z.enum(LEGAL_BASIS_KINDS as [string, ...string[]], { error: `must be one of ${LEGAL_BASIS_KINDS.join(', ')}` }) as z.ZodType<LegalBasisKind>)
      .optional()
      .meta({ description: 'Kind of every legal basis this import records. Without it, guessed from the authority: a court (суд, соты, court) → court_ruling; a prosecutor (прокуратура, прокурор, prosecutor) → prosecutor_recommendation; anything else → ministry_order.' }),
    dryRun: booleanFlag.default(false).meta({ description: 'true: report what would be imported, write nothing.' }),
  })
  .strict();

export const importReportQuery = z
  .object({ errorsFrom: z.coerce.number().int().min(0).default(0).meta({ description: 'Index of the first error listed (errors are paged 10,000 at a time).' }) })
  .strict();

const importedDecision = z.object({
  id: z.string().nullable().meta({ description: 'null in a dry run' }),
  authority: z.string(),
  documentNumber: z.string(),
  date: z.string(),
  kind: z.string(),
  legalBasisId: z.string().nullable(),
  legalBasisReused: z.boolean(),
  part: z.number().meta({ description: 'A group of more than 1000 resources is split into several decisions' }),
  parts: z.number(),
  resources: z.number(),
  lines: z.array(z.number()).meta({ description: 'The dump lines (1-based, counting an Updated: line) whose resources this decision holds' }),
});

export const importSummary = z
  .object({
    importId: z.string().nullable(),
    status: z.enum(['running', 'completed']).meta({ description: 'running: not finished (or cut short); the report lists what has landed' }),
    createdBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    sha256: z.string(),
    bytes: z.number(),
    encoding: z.string(),
    updated: z.string().nullable(),
    category: z.string(),
    rows: z.number().meta({ description: 'Data lines read, good and bad' }),
    created: z.number().meta({ description: 'Decisions created, pending approval' }),
    resources: z.number(),
    legalBasesCreated: z.number(),
    legalBasesReused: z.number(),
    errorCount: z.number(),
  })
  .meta({ id: 'ImportSummary' });

export const importReport = importSummary
  .extend({
    dryRun: z.boolean(),
    linesImported: z.number(),
    decisions: z.array(importedDecision),
    errors: z.array(z.object({ line: z.number(), reason: z.string() })),
    errorsFrom: z.number(),
    errorsOmitted: z.number().meta({ description: 'Errors not listed in this answer; page with ?errorsFrom=' }),
  })
  .meta({ id: 'ImportReport' });
