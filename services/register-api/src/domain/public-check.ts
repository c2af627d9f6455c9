import type { Kysely } from 'kysely';
import { normaliseHost, parseResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { fieldError } from '../errors/error-catalogue.js';
import { spansCovering, type CheckTarget } from '../repositories/public-query-repository.js';
import { publicEntry, type PublicEntry } from './public-view.js';
import type { ActiveRules } from './active-rules.js';

export interface CheckResult {
  name: string;
  at: string;
  restricted: boolean;
  /** rules that block what was asked */
  matches: PublicEntry[];
  /** URL rules on the asked host: they block some pages, not the host itself */
  related: PublicEntry[];
}

/**
 * Is this name, URL or address restricted at `at`, and by which entries? Answers with every
 * rule in force that covers it, so a citizen sees the exact decision and legal basis.
 *
 * Now, when the in-memory copy of the active rules is current and no rule covers the host, the
 * address or any URL on the host, the answer (not restricted, nothing related) needs no
 * database. `at` absent means now; `rules` is the in-memory copy, when there is one.
 */
export async function checkName(
  db: Kysely<DB>, name: string, at: Date | undefined, publicBaseUrl: string, rules?: ActiveRules,
): Promise<CheckResult> {
  const target = toTarget(name);
  let cacheAt: number | undefined;
  if (at === undefined && rules?.ready) {
    if (rules.nothingCovers(target.check)) {
      rules.answered++;
      return { name, at: new Date().toISOString(), restricted: false, matches: [], related: [] };
    }
    cacheAt = rules.version;
    const known = rules.answers.get(name, cacheAt);
    if (known) return { ...known, at: new Date().toISOString() };
  }
  at ??= new Date();
  const rows = await spansCovering(db, target.check, at);
  const matches: PublicEntry[] = [];
  const related: PublicEntry[] = [];
  for (const row of rows) {
    const entry = publicEntry(row, publicBaseUrl);
    if (row.kind !== 'url') matches.push(entry);
    else if (target.path !== undefined && urlCovers(row.value, target.url!)) matches.push(entry);
    else related.push(entry);
  }
  const result = { name, at: at.toISOString(), restricted: matches.length > 0, matches, related };
  if (cacheAt !== undefined) rules!.answers.set(name, cacheAt, result);
  return result;
}

function toTarget(name: string): { check: CheckTarget; url?: string; path?: string } {
  const trimmed = name.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    const parsed = parseResource(trimmed);
    if (!parsed.ok || parsed.resource.kind !== 'url') throw fieldError('name', parsed.ok ? 'is not an http(s) URL' : parsed.reason);
    const host = parsed.resource.host!;
    return { check: hostTarget(host), url: parsed.resource.value, path: new URL(parsed.resource.value).pathname };
  }
  const asResource = parseResource(trimmed);
  if (asResource.ok && asResource.resource.kind === 'ip') return { check: { ip: asResource.resource.value } };
  const host = normaliseHost(trimmed);
  if (!host) throw fieldError('name', 'must be a host name, an http(s) URL or an IP address');
  return { check: hostTarget(host) };
}

function hostTarget(host: string): CheckTarget {
  const parents: string[] = [];
  for (let i = -1; i < host.length; i = host.indexOf('.', i + 1)) {
    parents.push(host.slice(i + 1));
    if (host.indexOf('.', i + 1) === -1) break;
  }
  return { host, parents };
}

/** A URL rule covers the asked URL when it is the same URL or a path prefix on a segment boundary. */
function urlCovers(rule: string, asked: string): boolean {
  if (asked === rule) return true;
  const r = new URL(rule);
  const a = new URL(asked);
  if (r.host !== a.host) return false;
  const rp = r.pathname + r.search;
  const ap = a.pathname + a.search;
  return ap.startsWith(rp) && (rp.endsWith('/') || '/?#'.includes(ap[rp.length] ?? ''));
}
