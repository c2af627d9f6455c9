import type { Kysely } from 'kysely';
import { normaliseHost, parseResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { fieldError } from '../errors/error-catalogue.js';
import { spansCovering, type CheckTarget } from '../repositories/public-query-repository.js';
import { publicEntry, type PublicEntry, type PublicEntrySource } from './public-view.js';
import type { ActiveRules } from './active-rules.js';
import { blocks, coverageQuestion, decidingRule, hostTarget, urlCovers, type Asked } from './coverage.js';

/** Re-exported: tests hold the register's URL coverage to the gateway's (test/canonical-url-agreement). */
export { urlCovers };

/** How long a check waits for the in-memory copy to apply a change it has heard of, before asking the database. */
const CATCH_UP_WAIT_MS = 250;

export interface CheckResult {
  name: string;
  at: string;
  restricted: boolean;
  /** the most specific rule in force covering what was asked (see coverage.ts): a restriction, or an exception that keeps it accessible */
  decidedBy: PublicEntry | null;
  /** rules in force that cover what was asked, restrictions and exceptions, by entry */
  matches: PublicEntry[];
  /** URL rules on the asked host: they block some pages, not the host itself */
  related: PublicEntry[];
}

/**
 * Is this name, URL or address restricted at `at`, and by which entries? Answers with every
 * rule in force that covers it, so a citizen sees the exact decision and legal basis.
 *
 * Now (`at` absent) the answer comes from the in-memory copy of the active rules (`rules`)
 * when it is current, and from the database otherwise; both give the same answer. A past
 * instant always asks the database, which alone keeps closed spans.
 */
export async function checkName(
  db: Kysely<DB>, name: string, at: Date | undefined, publicBaseUrl: string, rules?: ActiveRules,
): Promise<CheckResult> {
  const target = toTarget(name);
  if (at === undefined && rules) {
    if (!rules.ready) await rules.waitCurrent(CATCH_UP_WAIT_MS);
    const now = new Date();
    const rows = rules.coveringSpans(target.check, now.getTime());
    if (rows) {
      rules.answered++;
      return answer(name, target, now, rows, publicBaseUrl);
    }
  }
  at ??= new Date();
  return answer(name, target, at, await spansCovering(db, target.check, at), publicBaseUrl);
}

/** The answer at `now` from the in-memory copy only; undefined when it cannot give one (tests compare it with the database's). */
export function checkNameInCopy(rules: ActiveRules, name: string, now: Date, publicBaseUrl: string): CheckResult | undefined {
  const target = toTarget(name);
  const rows = rules.coveringSpans(target.check, now.getTime());
  return rows && answer(name, target, now, rows, publicBaseUrl);
}

type Target = ReturnType<typeof toTarget>;

/** Spans ordered by entry, as either source gives them, sorted into what covers the name and what is only related. */
function answer(name: string, target: Target, at: Date, rows: readonly PublicEntrySource[], publicBaseUrl: string): CheckResult {
  const matches: PublicEntry[] = [];
  const related: PublicEntry[] = [];
  const decider = decidingRule(rows, target.asked);
  let decidedBy: PublicEntry | null = null;
  for (const row of rows) {
    const entry = publicEntry(row, publicBaseUrl);
    if (row === decider) decidedBy = entry;
    if (row.kind !== 'url') matches.push(entry);
    else if (target.url !== undefined && urlCovers(row.value, target.url)) matches.push(entry);
    else related.push(entry);
  }
  return { name, at: at.toISOString(), restricted: blocks(decider), decidedBy, matches, related };
}

function toTarget(name: string): { check: CheckTarget; asked: Asked; url?: string } {
  const trimmed = name.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    const parsed = parseResource(trimmed);
    if (!parsed.ok || parsed.resource.kind !== 'url') throw fieldError('name', parsed.ok ? 'is not an http(s) URL' : parsed.reason);
    const { asked, target } = coverageQuestion(parsed.resource);
    return { check: target, asked, url: parsed.resource.value };
  }
  const asResource = parseResource(trimmed);
  if (asResource.ok && asResource.resource.kind === 'ip') return { check: { ip: asResource.resource.value }, asked: { kind: 'address' } };
  const host = normaliseHost(trimmed);
  if (!host) throw fieldError('name', 'must be a host name, an http(s) URL or an IP address');
  return { check: hostTarget(host), asked: { kind: 'host', host } };
}
