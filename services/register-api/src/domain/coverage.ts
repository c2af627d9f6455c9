import type { ResourceKind, RuleMode } from '@tizilim/shared';
import { canonicalUrl, type ParsedResource } from '@tizilim/shared/resource/index';
import { pathCovers } from '@tizilim/shared/matcher/url-rules';
import type { CheckTarget } from '../repositories/public-query-repository.js';

/**
 * Coverage: which rule or exception decides a name. Several rules in force may cover one name
 * (a wildcard and the exact name, a host and a URL on it, nested prefixes); the most specific
 * one decides, as in the gateway's matcher (packages/shared/src/matcher/matcher-types.ts):
 *
 *   URL rule on the asked URL (longest path first)  >  exact name  >  suffix (longest first);
 *   for addresses, the longest prefix.
 *
 * An exception (`allow`) is a rule like the others here: when it is the most specific, the
 * name is accessible. So an exception on `www.x` does not reopen `a.www.x` (the wildcard above
 * decides there) unless it is itself a suffix exception (`*.www.x`); a restriction narrower
 * than an exception closes its own part again.
 */

/** What is asked about. */
export type Asked =
  | { kind: 'host'; host: string }
  | { kind: 'url'; host: string; url: string }
  | { kind: 'suffix'; apex: string }
  | { kind: 'address' };

/** The fields of a span coverage looks at. */
export interface CoveringRule {
  kind: ResourceKind;
  value: string;
  mode: RuleMode;
}

const URL_RANK = 3_000_000;
const EXACT_RANK = 2_000_000;
const SUFFIX_RANK = 1_000_000;

/** How specific `rule` is for what was asked; -1 when it does not decide it. */
export function specificity(rule: CoveringRule, asked: Asked): number {
  switch (rule.kind) {
    case 'url':
      return asked.kind === 'url' && urlCovers(rule.value, asked.url) ? URL_RANK + urlPathLength(rule.value) : -1;
    case 'domain':
      return (asked.kind === 'host' || asked.kind === 'url') && rule.value === asked.host ? EXACT_RANK : -1;
    case 'domain_suffix':
      // Every suffix row a query finds is a parent of the name: the longer, the nearer.
      return asked.kind === 'address' ? -1 : SUFFIX_RANK + rule.value.length;
    case 'ip':
      return asked.kind === 'address' ? 200 : -1;
    case 'cidr': {
      if (asked.kind !== 'address') return -1;
      const slash = rule.value.lastIndexOf('/');
      return slash < 0 ? 200 : Number(rule.value.slice(slash + 1));
    }
  }
}

/** The rule that decides what was asked, among the rules in force that cover it; undefined: none does. */
export function decidingRule<R extends CoveringRule>(rules: readonly R[], asked: Asked): R | undefined {
  let best: R | undefined;
  let bestRank = -1;
  for (const r of rules) {
    const rank = specificity(r, asked);
    if (rank > bestRank) { best = r; bestRank = rank; }
  }
  return best;
}

/** Whether the deciding rule blocks: an exception, or nothing at all, leaves the name accessible. */
export function blocks(rule: CoveringRule | undefined): boolean {
  return rule !== undefined && rule.mode !== 'allow';
}

/** What to ask the database (or the in-memory copy) for, to decide a resource of the register. */
export function coverageQuestion(resource: Pick<ParsedResource, 'kind' | 'value' | 'host'>): { asked: Asked; target: CheckTarget } {
  switch (resource.kind) {
    case 'domain':
      return { asked: { kind: 'host', host: resource.value }, target: hostTarget(resource.value) };
    case 'domain_suffix':
      // A suffix is decided by suffix rules on its apex and above, never by the apex's exact rule.
      return { asked: { kind: 'suffix', apex: resource.value }, target: { parents: parentsOf(resource.value) } };
    case 'url':
      return { asked: { kind: 'url', host: resource.host!, url: resource.value }, target: hostTarget(resource.host!) };
    case 'ip':
    case 'cidr':
      return { asked: { kind: 'address' }, target: { ip: resource.value } };
  }
}

export function hostTarget(host: string): CheckTarget {
  return { host, parents: parentsOf(host) };
}

/** The name and every parent of it: candidates for suffix rules. */
export function parentsOf(host: string): string[] {
  const parents: string[] = [];
  for (let i = -1; i < host.length; i = host.indexOf('.', i + 1)) {
    parents.push(host.slice(i + 1));
    if (host.indexOf('.', i + 1) === -1) break;
  }
  return parents;
}

/**
 * A URL rule covers the asked URL when, both in canonical form, it is the same URL or a path
 * prefix on a segment boundary, as the gateway matches (matcher/url-rules.ts). The rule is
 * canonicalised again here: rows recorded before the canonical form must answer the same.
 * Like the gateway, the port is not compared: a decision names a page, not a port.
 */
export function urlCovers(rule: string, asked: string): boolean {
  if (asked === rule) return true;
  const r = canonicalUrl(rule);
  const a = canonicalUrl(asked);
  if (!r || !a || r.host !== a.host) return false;
  return pathCovers(r.path, a.path);
}

function urlPathLength(rule: string): number {
  const u = new URL(rule);
  return (u.pathname + u.search).length;
}
