import { z } from 'zod';

/**
 * `?lang=` on every page. An unknown language is not an error a reader should see a 400 for:
 * it is ignored and the page falls back to Accept-Language.
 */
export const langQuery = z.string().max(16).optional();

/** HTML forms send empty strings for fields left blank: those mean "no filter". */
export function blankAsMissing<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
}
