import type { FeedRule, MatchedRule } from './matcher-types.js';
import { DomainTrieBuilder, validateRuleName } from './domain-trie.js';
import { CidrTableBuilder } from './cidr-table.js';
import { UrlRulesBuilder, parseUrlRule } from './url-rules.js';
import { parseIpRuleValue } from './ip-text.js';
import { KIND_CODE, RuleStoreBuilder } from './rule-store.js';
import { CompiledMatcher } from './compiled-matcher.js';

/**
 * Builds a matcher one rule at a time, so a snapshot can be streamed line by line without
 * holding every rule as an object. Adding a kind and value seen before replaces that rule.
 * `add` throws a TypeError for a rule it cannot hold and leaves the builder as it was.
 */
export class MatcherBuilder {
  readonly #store: RuleStoreBuilder;
  readonly #trie: DomainTrieBuilder;
  readonly #cidr4 = new CidrTableBuilder(4);
  readonly #cidr6 = new CidrTableBuilder(16);
  readonly #urls = new UrlRulesBuilder();
  #built = false;

  /**
   * `expectedRules` (e.g. a snapshot header's `count`) sizes the first allocations, saving
   * the copies of growing; any number of rules may still be added.
   */
  constructor(options: { expectedRules?: number } = {}) {
    const n = options.expectedRules ?? 0;
    this.#store = new RuleStoreBuilder(n);
    // Typical registers: about 1.1 trie nodes per domain rule once the upper labels are shared.
    this.#trie = new DomainTrieBuilder(n * 1.2);
  }

  add(rule: FeedRule | MatchedRule): void {
    if (this.#built) throw new Error('MatcherBuilder.add after build()');
    const { kind, value, mode, entry, until } = rule;
    if (mode !== 'restrict' && mode !== 'suspend') throw new TypeError(`rule ${kind} ${value}: unknown mode ${String(mode)}`);
    if (typeof entry !== 'number') throw new TypeError(`rule ${kind} ${value}: entry is not a number`);
    switch (kind) {
      case 'domain':
      case 'domain_suffix': {
        const end = validateRuleName(value);
        if (end < 0) throw new TypeError(`rule ${kind} ${value}: not a host name of A-labels`);
        const node = this.#trie.insertName(value, end);
        const h = this.#store.add(kind, mode, entry, until, node);
        const previous = this.#trie.setRule(node, kind === 'domain_suffix', h);
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

  /** The matcher; the builder cannot be used afterwards. */
  build(): CompiledMatcher {
    this.#built = true;
    const { trie, slotOf } = this.#trie.build();
    const markDead = (h: number): void => this.#store.markDead(h);
    const cidr4 = this.#cidr4.build(markDead);
    const cidr6 = this.#cidr6.build(markDead);
    for (let h = 0; h < this.#store.count; h++) {
      const code = this.#store.kindCodeOf(h);
      if (code === KIND_CODE.domain || code === KIND_CODE.domain_suffix) this.#store.setRef(h, slotOf[this.#store.refOf(h)]!);
    }
    return new CompiledMatcher(trie, cidr4, cidr6, this.#urls.build(), this.#store.build());
  }
}
