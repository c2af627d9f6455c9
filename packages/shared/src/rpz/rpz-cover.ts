import type { RuleMode } from '../feed-types.js';
import { isRpzReservedName, type RpzAction, type RpzRecord } from './rpz-records.js';

/**
 * Wildcards kept in force below name rules (draft-vixie-dnsop-dns-rpz §4.1 leaves wildcard
 * matching to DNS's closest-encloser rule, RFC 4592 §2.2). Resolvers such as Unbound apply
 * `*.S` only where S is the closest encloser of the query among the zone's owner names, so a
 * rule on `www.S` (an exception, or an exact restriction) would hide `*.S` from `a.www.S`.
 * Each name rule under a suffix rule therefore repeats that rule's action as `*.X` for the
 * names X between them (and for its own name when it is an exact rule): the zone then says
 * what the gateway decides, most specific rule first.
 *
 * The context knows the suffix rules in force (name → mode) and which `*.X` it has already
 * written, so a name with many rules under it is written once per zone.
 */
export class RpzCoverContext {
  readonly #written = new Set<string>();

  constructor(readonly suffixModes: ReadonlyMap<string, RuleMode>) {}

  /** `*.X` records that keep the nearest suffix rule above `value` in force below it. */
  coverBelow(value: string, exact: boolean, entry: number): RpzRecord[] {
    if (isRpzReservedName(value)) return [];
    let parent = value.indexOf('.');
    let nearest: RuleMode | undefined;
    const between: string[] = [];
    while (parent >= 0) {
      const name = value.slice(parent + 1);
      nearest = this.suffixModes.get(name);
      if (nearest !== undefined) break;
      between.push(name);
      parent = value.indexOf('.', parent + 1);
    }
    if (nearest === undefined) return [];
    if (exact && !this.suffixModes.has(value)) between.push(value);
    const action: RpzAction = nearest === 'allow' ? 'passthru' : 'nxdomain';
    const out: RpzRecord[] = [];
    for (const name of between) {
      if (this.#written.has(name)) continue;
      this.#written.add(name);
      out.push({ owner: `*.${name}`, action, entry });
    }
    return out;
  }
}

/** A rule set as the zone sees it: rules by key (`kind value`, rpzRuleKey). */
export type RpzRuleLookup = (key: string) => { mode: RuleMode; entry: number } | undefined;

/** The nearest suffix rule strictly above `name` in `lookup`, if any. */
function nearestSuffixAbove(name: string, lookup: RpzRuleLookup): { mode: RuleMode; entry: number } | undefined {
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
    const s = lookup(`domain_suffix ${name.slice(dot + 1)}`);
    if (s) return s;
  }
  return undefined;
}

/**
 * The record at owner `*.name` in the zone a rule set writes, as one function of the rules, so
 * a difference between two rule sets can be taken owner by owner (the zone journal's IXFR).
 * A suffix rule on `name` writes it itself. Otherwise it is a cover wildcard
 * (RpzCoverContext.coverBelow), present exactly when a suffix rule lies above `name` and
 * either an exact rule sits on `name` or some name or suffix rule lies below it: the topmost
 * such rule under `name` has no suffix rule between it and `name`, so its cover reaches
 * `*.name`. It carries the nearest suffix's action; `hasRulesBelow(name)` says whether any
 * `domain`/`domain_suffix` rule lies strictly below `name` in the same rule set.
 */
export function rpzWildcardAt(name: string, lookup: RpzRuleLookup, hasRulesBelow: (name: string) => boolean): RpzRecord | undefined {
  if (isRpzReservedName(name)) return undefined;
  const own = lookup(`domain_suffix ${name}`);
  if (own) return { owner: `*.${name}`, action: own.mode === 'allow' ? 'passthru' : 'nxdomain', entry: own.entry };
  const nearest = nearestSuffixAbove(name, lookup);
  if (!nearest) return undefined;
  if (!lookup(`domain ${name}`) && !hasRulesBelow(name)) return undefined;
  return { owner: `*.${name}`, action: nearest.mode === 'allow' ? 'passthru' : 'nxdomain', entry: nearest.entry };
}
