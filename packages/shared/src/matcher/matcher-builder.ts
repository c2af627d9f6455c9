import type { FeedRule, MatchedRule } from './matcher-types.js';
import { validateRuleName } from './domain-name-hash.js';
import { DomainTableBuilder } from './domain-table-builder.js';
import { CidrTableBuilder } from './cidr-table.js';
import { UrlRulesBuilder, parseUrlRule } from './url-rules.js';
import { parseIpRuleValue } from './ip-text.js';
import { KIND_CODE, RuleStoreBuilder, kindCodeOf } from './rule-store.js';
import { CompiledMatcher } from './compiled-matcher.js';

/**
 * Builds a matcher one rule at a time, so a snapshot can be streamed line by line without
 * holding every rule as an object. Adding a kind and value seen before replaces that rule.
 * `add` throws a TypeError for a rule it cannot hold and leaves the builder as it was.
 */
export class MatcherBuilder {
  readonly #store: RuleStoreBuilder;
  readonly #domains: DomainTableBuilder;
  readonly #cidr4 = new CidrTableBuilder(4);
  readonly #cidr6 = new CidrTableBuilder(16);
  readonly #urls = new UrlRulesBuilder();
  #built = false;

  /**
   * `expectedRules` (e.g. a snapshot header's `count`) sizes the first allocations, saving
   * the copies of growing; any number of rules may still be added. `expectedNameBytes` does
   * the same for the domain names' storage (a compaction knows it).
   */
  constructor(options: { expectedRules?: number; expectedNameBytes?: number } = {}) {
    const n = options.expectedRules ?? 0;
    this.#store = new RuleStoreBuilder(n);
    // Typical registers are nearly all domain rules, rarely two on one name.
    this.#domains = new DomainTableBuilder(n, options.expectedNameBytes ?? 0);
  }

  add(rule: FeedRule | MatchedRule): void {
    if (this.#built) throw new Error('MatcherBuilder.add after build()');
    const { kind, value, mode, entry, until } = rule;
    if (mode !== 'restrict' && mode !== 'suspend' && mode !== 'allow') throw new TypeError(`rule ${kind} ${value}: unknown mode ${String(mode)}`);
    if (typeof entry !== 'number') throw new TypeError(`rule ${kind} ${value}: entry is not a number`);
    switch (kind) {
      case 'domain':
      case 'domain_suffix': {
        const end = validateRuleName(value);
        if (end < 0) throw new TypeError(`rule ${kind} ${value}: not a host name of A-labels`);
        const slot = this.#domains.insertName(value, end);
        const h = this.#store.add(kind, mode, entry, until, this.#domains.nameAt(slot));
        const previous = this.#domains.setRule(slot, kind === 'domain_suffix', h);
        if (previous >= 0) this.#store.markDead(previous);
        return;
      }
      case 'ip':
      case 'cidr': {
        const ip = parseIpRuleValue(kind, value);
        if (!ip) throw new TypeError(`rule ${kind} ${value}: not ${kind === 'ip' ? 'an address' : 'addr/len'}`);
        const h = this.#store.add(kind, mode, entry, until, this.#store.keepValue(value));
        const table = ip.bytes.length === 4 ? this.#cidr4 : this.#cidr6;
        table.add(ip.bytes, kind === 'ip' ? table.fullBits + 1 : ip.prefix, h);
        return;
      }
      case 'url': {
        const u = parseUrlRule(value);
        if (!u) throw new TypeError(`rule url ${value}: not an absolute URL`);
        const h = this.#store.add(kind, mode, entry, until, this.#store.keepValue(value));
        const previous = this.#urls.add(u.host, u.path, h);
        if (previous >= 0) this.#store.markDead(previous);
        return;
      }
      default:
        throw new TypeError(`rule ${String(kind)} ${value}: unknown kind`);
    }
  }

  /** Re-adds a live rule of a built matcher (a compaction) without going through its text. */
  addFrom(base: CompiledMatcher, handle: number): void {
    if (this.#built) throw new Error('MatcherBuilder.add after build()');
    const store = base.store;
    const code = kindCodeOf(store.flags[handle]!);
    if (code !== KIND_CODE.domain && code !== KIND_CODE.domain_suffix) {
      this.add(base.ruleOf(handle));
      return;
    }
    const slot = this.#domains.insertStored(base.domains.namePool, store.ref[handle]!);
    const h = this.#store.copy(store, handle, this.#domains.nameAt(slot));
    const previous = this.#domains.setRule(slot, code === KIND_CODE.domain_suffix, h);
    if (previous >= 0) this.#store.markDead(previous);
  }

  /** The matcher; the builder cannot be used afterwards. */
  build(): CompiledMatcher {
    const steps = this.buildSteps();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** Faults in the presized arrays' pages in steps (see prefault.ts); optional. */
  *prefault(): Generator<void, void> {
    yield* this.#domains.prefault();
    yield* this.#store.prefault();
  }

  /** build() in steps of a few milliseconds each, for a compaction that yields between them. */
  *buildSteps(): Generator<void, CompiledMatcher> {
    if (this.#built) throw new Error('MatcherBuilder.build twice');
    this.#built = true;
    const table = this.#domains.build();
    yield;
    const markDead = (h: number): void => this.#store.markDead(h);
    const cidr4 = this.#cidr4.build(markDead);
    const cidr6 = this.#cidr6.build(markDead);
    const urls = this.#urls.build();
    yield;
    return new CompiledMatcher(table, cidr4, cidr6, urls, this.#store.build());
  }
}
