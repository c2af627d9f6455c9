import { z } from 'zod';
import { fieldError } from '../errors/error-catalogue.js';

/**
 * The years the register takes a date in. Nothing it records happened before 1900 or will
 * happen after 2200; a year 0000 or 9999 is a typo, and some (year 0, 10000+) break Postgres
 * or JavaScript dates further on.
 */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2200;
const YEAR_RANGE = `must be between the years ${MIN_YEAR} and ${MAX_YEAR}`;

/** Whether the instant falls in MIN_YEAR-01-01 … MAX_YEAR-12-31 (UTC). */
export function inYearRange(d: Date): boolean {
  const y = d.getUTCFullYear();
  return Number.isFinite(d.getTime()) && y >= MIN_YEAR && y <= MAX_YEAR;
}

/** A calendar date `YYYY-MM-DD` that exists (no 2025-02-30), in the years the register takes. */
export const isoDate = z.iso.date({ error: 'must be a date written YYYY-MM-DD' })
  .refine((s) => inYearRange(new Date(`${s}T00:00:00Z`)), YEAR_RANGE);

/** An instant with its offset, e.g. `2026-11-24T10:00:00Z`; read as a Date, in the years the register takes. */
export const isoInstant = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with an offset, e.g. 2026-11-24T10:00:00Z' })
  .transform((s) => new Date(s))
  .refine(inYearRange, YEAR_RANGE);

export const uuid = z.uuid({ error: 'must be a UUID' });

export const idParams = z.object({ id: uuid });

/**
 * Control characters (C0, DEL, C1) and lone surrogates: NUL breaks Postgres text, the others
 * hide or rewrite what a reader sees. Multi-line text keeps tab, line feed and carriage return.
 */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` is text a person could have written on one line (or several, with `multiline`). */
export function isCleanText(s: string, multiline = false): boolean {
  return !(multiline ? CONTROL_EXCEPT_LINES : CONTROL).test(s) && !LONE_SURROGATE.test(s);
}

const CONTROL_MESSAGE = 'must not contain control characters (such as NUL) or broken Unicode';

/**
 * Free text a person wrote: trimmed, not empty, bounded, and free of control characters. Every
 * free-text field of the API is one of these; notes and reasons may span lines.
 */
export const text = (max: number, options: { multiline?: boolean } = {}) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
    .refine((s) => isCleanText(s, options.multiline), options.multiline ? `${CONTROL_MESSAGE}; tab and line breaks are fine` : CONTROL_MESSAGE);

/** A query or path value that is looked up, not stored: bounded and free of control characters. */
export const queryText = (max: number) =>
  z.string().min(1, 'is required').max(max, `must be at most ${max} characters`).refine((s) => isCleanText(s), CONTROL_MESSAGE);

export const limitQuery = z.coerce.number().int().min(1).max(500).default(50);

/** Opaque page cursors: base64url of JSON, so clients never build them. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  let parsed: z.ZodSafeParseResult<T> | undefined;
  try {
    parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw fieldError('cursor', 'is not a cursor this API gave out');
  return parsed.data;
}

export const createdAtCursor = z.object({ t: z.iso.datetime(), id: z.uuid() }).transform((c) => ({ createdAt: new Date(c.t), id: c.id }));
