import { z } from 'zod';
import type { Kysely } from 'kysely';
import { LEGAL_BASIS_KINDS } from '@tizilim/shared';
import { normaliseHost } from '@tizilim/shared/resource/index';
import type { DB } from '../../db/schema.js';
import type { ActiveRules } from '../../domain/active-rules.js';
import { CATEGORIES } from '../../domain/categories.js';
import { checkName, type CheckResult } from '../../domain/public-check.js';
import { publicEntry, type PublicEntry } from '../../domain/public-view.js';
import { RegisterError } from '../../errors/error-catalogue.js';
import { entriesQuery } from '../../repositories/public-query-repository.js';
import { decodeCursor, encodeCursor, isoDate } from '../../schemas/common-schemas.js';
import { blankAsMissing, langQuery } from '../pages/page-query.js';

export const PAGE_SIZE = 50;

/** The public API's filters (`/public/v1/entries`), as a search form sends them. */
export const searchQuery = z.object({
  q: blankAsMissing(z.string().max(2048, 'must be at most 2048 characters')),
  category: blankAsMissing(z.enum(CATEGORIES)),
  basisKind: blankAsMissing(z.enum(LEGAL_BASIS_KINDS as [string, ...string[]])),
  authority: blankAsMissing(z.string().max(300, 'must be at most 300 characters')),
  since: blankAsMissing(isoDate),
  until: blankAsMissing(isoDate),
  state: blankAsMissing(z.enum(['active', 'ended'])),
  cursor: blankAsMissing(z.string().max(100)),
  lang: langQuery,
});

export type SearchQuery = z.infer<typeof searchQuery>;

export interface SearchResult {
  /** the public check's answer when `q` names something checkable */
  check: CheckResult | undefined;
  /** `q` is neither a name, a URL nor an address */
  invalidQuery: boolean;
  entries: PublicEntry[];
  nextCursor: string | null;
}

const spanCursor = z.object({ s: z.number().int() });

/**
 * One page of results. `q` is first asked of the public check (from the in-memory copy: "is it
 * restricted now?") and what it found leads the results; a host name then also lists every
 * span on it and the names under it, paged, like `/public/v1/entries?domain=`.
 */
export async function runSearch(db: Kysely<DB>, rules: ActiveRules | undefined, publicBaseUrl: string, q: SearchQuery): Promise<SearchResult> {
  let check: CheckResult | undefined;
  let domain: string | undefined;
  if (q.q !== undefined) {
    try {
      check = await checkName(db, q.q.trim(), undefined, publicBaseUrl, rules);
    } catch (err) {
      if (err instanceof RegisterError && err.status === 400) return { check: undefined, invalidQuery: true, entries: [], nextCursor: null };
      throw err;
    }
    domain = normaliseHost(q.q.trim().replace(/^\*\./, '')) || undefined;
    if (!domain) return { check, invalidQuery: false, entries: [...check.matches, ...check.related], nextCursor: null };
  }
  const after = decodeCursor(q.cursor, spanCursor);
  const rows = await entriesQuery(db, {
    domain,
    category: q.category,
    basisKind: q.basisKind,
    authority: q.authority,
    since: q.since ? new Date(`${q.since}T00:00:00Z`) : undefined,
    until: q.until ? new Date(`${q.until}T00:00:00Z`) : undefined,
    active: q.state === undefined ? undefined : q.state === 'active',
    afterSpan: after?.s,
  }).limit(PAGE_SIZE).execute();
  const last = rows.at(-1);
  const found = rows.map((r) => publicEntry(r, publicBaseUrl));
  // The first page leads with what the check found (a suffix rule above the name, say), which
  // the name filter below it would not list; later pages are the filter's alone.
  const checked = check && after === undefined ? [...check.matches, ...check.related] : [];
  const shown = new Set(checked.map((e) => e.entry));
  return {
    check,
    invalidQuery: false,
    entries: [...checked, ...found.filter((e) => !shown.has(e.entry))],
    nextCursor: last && rows.length === PAGE_SIZE ? encodeCursor({ s: Number(last.span_id) }) : null,
  };
}
