import { z } from 'zod';
import { fieldError } from '../errors/error-catalogue.js';

/** A calendar date `YYYY-MM-DD` that exists (no 2025-02-30). */
export const isoDate = z.iso.date({ error: 'must be a date written YYYY-MM-DD' });

/** An instant with its offset, e.g. `2026-11-24T10:00:00Z`; read as a Date. */
export const isoInstant = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with an offset, e.g. 2026-11-24T10:00:00Z' })
  .transform((s) => new Date(s));

export const uuid = z.uuid({ error: 'must be a UUID' });

export const idParams = z.object({ id: uuid });

/** Free text a person wrote: trimmed, not empty, bounded. */
export const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

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
