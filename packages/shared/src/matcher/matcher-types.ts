import type { FeedRule, ResourceKind, RuleMode } from '../feed-types.js';

/** Returned by every match function when no rule applies. */
export const NO_MATCH = -1;

/**
 * An immutable rule matcher. Lookups return a small integer handle (or NO_MATCH) so the hot
 * path allocates nothing; details are read through the handle. A handle is valid only for
 * the matcher that returned it.
 */
export interface Matcher {
  readonly ruleCount: number;
  /**
   * A DNS wire-format name (length-prefixed labels ending in a zero byte, no compression
   * pointers) starting at `offset` in `buf`. ASCII case-insensitive. Matches `domain` rules
   * exactly and `domain_suffix` rules on the name itself and every name under it.
   * Most specific rule wins (exact over suffix, longer suffix over shorter).
   */
  matchWireName(buf: Uint8Array, offset: number): number;
  /** The same for a host name as text: any case, optional trailing dot, A-labels. */
  matchHost(host: string): number;
  /** `ip` and `cidr` rules; `addr` is 4 bytes (IPv4) or 16 bytes (IPv6). Longest prefix wins. */
  matchIp(addr: Uint8Array): number;
  /**
   * `url` rules (same host, path is a prefix of the request path on a segment boundary
   * or exact), then host rules as matchHost does. `path` starts with `/` and may carry a query.
   */
  matchUrl(host: string, path: string): number;
  /** Log entry of the rule behind a handle. */
  entryOf(handle: number): number;
  modeOf(handle: number): RuleMode;
  /** Epoch milliseconds a suspension ends, or 0 for none. */
  untilOf(handle: number): number;
  /** The rule for cold paths (block page, logs); allocates. */
  ruleOf(handle: number): MatchedRule;
}

/** What a matcher keeps of a rule: the feed rule without its register id. */
export type MatchedRule = Omit<FeedRule, 'id'>;

/** A change to apply to a matcher; `remove` is identified by kind and value. */
export interface RuleChange {
  op: 'add' | 'remove';
  rule: FeedRule;
}

export type { FeedRule, ResourceKind, RuleMode };
