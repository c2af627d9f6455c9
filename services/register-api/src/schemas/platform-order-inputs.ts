import { z } from 'zod';
import { parseResource, type ParsedResource } from '@tizilim/shared/resource/index';
import { MAX_YEAR, MIN_YEAR, inYearRange } from './common-schemas.js';

/**
 * Input fields shared by the platform, order and ISP routes: country codes, instants that may
 * be written as plain dates, and resources restricted to the kind the field is about.
 */

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** ISO 3166-1 alpha-2, upper-cased; ICU knows every assigned code and echoes unknown ones back. */
export const countryCode = z
  .string({ error: 'must be an ISO 3166-1 alpha-2 country code, e.g. CN' })
  .trim()
  .transform((raw, ctx) => {
    const code = raw.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code) || code === 'ZZ' || regionNames.of(code) === code) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 3166-1 alpha-2 country code, e.g. CN' });
      return z.NEVER;
    }
    return code;
  });

const INSTANT_OR_DATE = 'must be an ISO-8601 date-time with an offset (2026-11-24T10:00:00Z) or a date (2026-11-24, read as 00:00 UTC)';
const instantSchema = z.iso.datetime({ offset: true });
const dateSchema = z.iso.date();

/** An instant, or a calendar date standing for 00:00 UTC of that day; read as a Date. */
export const instantOrDate = z.string({ error: INSTANT_OR_DATE }).transform((raw, ctx) => {
  const at = instantSchema.safeParse(raw).success ? new Date(raw) : dateSchema.safeParse(raw).success ? new Date(`${raw}T00:00:00Z`) : undefined;
  if (!at) {
    ctx.addIssue({ code: 'custom', message: INSTANT_OR_DATE });
    return z.NEVER;
  }
  if (!inYearRange(at)) {
    ctx.addIssue({ code: 'custom', message: `must be between the years ${MIN_YEAR} and ${MAX_YEAR}` });
    return z.NEVER;
  }
  return at;
});

function resourceOf(kinds: readonly ParsedResource['kind'][], wrongKind: string) {
  return z
    .string({ error: `must be a string: ${wrongKind}` })
    .max(2048, 'must be at most 2048 characters')
    .transform((raw, ctx): ParsedResource => {
      const parsed = parseResource(raw);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.reason });
        return z.NEVER;
      }
      if (!kinds.includes(parsed.resource.kind)) {
        ctx.addIssue({ code: 'custom', message: `is a ${parsed.resource.kind}; ${wrongKind}` });
        return z.NEVER;
      }
      return parsed.resource;
    });
}

/** A platform's domain: one name (`tiktok.com`) or a name and everything under it (`*.tiktok.com`). */
export const platformDomain = resourceOf(['domain', 'domain_suffix'], 'must be a domain name or *.suffix');

/** The address of a piece of content an order names. */
export const contentUrl = resourceOf(['url'], 'must be an http(s) URL of the content');

/** Flags the list must not repeat (`bad.kz` and `BAD.kz.` are one resource); the issue names the repeat. */
export function refineNoRepeats(field: string) {
  return (list: readonly ParsedResource[], ctx: z.RefinementCtx): void => {
    const seen = new Map<string, number>();
    list.forEach((r, i) => {
      const key = `${r.kind} ${r.value}`;
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `repeats ${field}[${first}] (${r.display})` });
      else seen.set(key, i);
    });
  };
}

/** `true`/`false` in a query string. */
export const booleanQuery = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
