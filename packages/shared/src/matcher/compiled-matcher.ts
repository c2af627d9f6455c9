import { NO_MATCH, type Matcher, type MatchedRule, type ResourceKind, type RuleMode } from './matcher-types.js';
import type { DomainTable } from './domain-table.js';
import type { CidrTable } from './cidr-table.js';
import { normaliseHost, parseUrlRule, type UrlRules } from './url-rules.js';
import { parseIpRuleValue } from './ip-text.js';
import type { RuleStore } from './rule-store.js';

/**
 * An immutable matcher over one build: the domain table, one CIDR table per address family,
 * the URL rules and the rule records. Built by MatcherBuilder.
 */
export class CompiledMatcher implements Matcher {
  constructor(
    readonly domains: DomainTable,
    readonly cidr4: CidrTable,
    readonly cidr6: CidrTable,
    readonly urls: UrlRules,
    readonly store: RuleStore,
  ) {}

  get ruleCount(): number { return this.store.liveCount; }
  /** One past the largest handle; overlays number their own rules from here. */
  get handleCount(): number { return this.store.handleCount; }
  /** Bytes held in typed arrays (outside the V8 heap's `heapUsed`). */
  get byteSize(): number { return this.domains.byteSize + this.cidr4.byteSize + this.cidr6.byteSize + this.store.byteSize; }

  matchWireName(buf: Uint8Array, offset: number): number { return this.domains.matchWire(buf, offset, null); }
  matchHost(host: string): number { return this.domains.matchText(host, null); }
  matchIp(addr: Uint8Array): number { return this.ipMatch(addr, null); }
  matchUrl(host: string, path: string): number {
    if (this.urls.size === 0) return this.domains.matchText(host, null);
    const h = this.urls.match(normaliseHost(host), path, null);
    return h !== NO_MATCH ? h : this.domains.matchText(host, null);
  }

  /** Longest-prefix IP rule skipping `removed`; the table that answered keeps the rank. */
  ipMatch(addr: Uint8Array, removed: ReadonlySet<number> | null): number {
    if (addr.length === 4) return this.cidr4.match(addr, removed);
    if (addr.length === 16) return this.cidr6.match(addr, removed);
    return NO_MATCH;
  }

  entryOf(handle: number): number { return this.store.entry[handle]!; }
  modeOf(handle: number): RuleMode { return this.store.modeOf(handle); }
  untilOf(handle: number): number { return this.store.untilOf(handle); }

  ruleOf(handle: number): MatchedRule {
    const s = this.store;
    if (!(handle >= 0 && handle < s.handleCount)) throw new RangeError(`no rule behind handle ${handle}`);
    const kind = s.kindOf(handle);
    const value = kind === 'domain' || kind === 'domain_suffix' ? this.domains.nameOf(s.ref[handle]!) : s.values[s.ref[handle]!]!;
    const rule: MatchedRule = { kind, value, mode: s.modeOf(handle), entry: s.entry[handle]! };
    const until = s.untilText.get(handle);
    if (until !== undefined) rule.until = until;
    return rule;
  }

  /** The live rule with this kind and value (as the builder would key it), or NO_MATCH. */
  findRule(kind: ResourceKind, value: string): number {
    switch (kind) {
      case 'domain': return this.domains.find(value, false);
      case 'domain_suffix': return this.domains.find(value, true);
      case 'ip':
      case 'cidr': {
        const ip = parseIpRuleValue(kind, value);
        if (!ip) return NO_MATCH;
        const rank = kind === 'ip' ? ip.prefix + 1 : ip.prefix;
        return (ip.bytes.length === 4 ? this.cidr4 : this.cidr6).find(ip.bytes, rank);
      }
      case 'url': {
        const u = parseUrlRule(value);
        return u ? this.urls.find(u.host, u.path) : NO_MATCH;
      }
    }
  }

  /** Every live rule except those in `skip`, in handle order (cold path: compaction). */
  *liveRules(skip: ReadonlySet<number>): Generator<MatchedRule> {
    for (let h = 0; h < this.store.handleCount; h++) {
      if (this.store.isLive(h) && !skip.has(h)) yield this.ruleOf(h);
    }
  }
}
