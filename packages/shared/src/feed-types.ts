/** Shapes of the feed from register-api to gateways (DESIGN.md, "The feed"). */

export type ResourceKind = 'domain' | 'domain_suffix' | 'url' | 'ip' | 'cidr';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['domain', 'domain_suffix', 'url', 'ip', 'cidr'];

/**
 * `allow` is an exception: a restoration carved out of a wider rule (a name under a suffix
 * rule, a URL on a restricted host, a suffix under a wider suffix). The most specific rule
 * covering a name decides, so an allow rule lets through exactly what it names.
 */
export type RuleMode = 'restrict' | 'suspend' | 'allow';

/**
 * One active rule, as a snapshot line carries it. `value` is normalised: A-label host names
 * in lower case without trailing dot; `*.` is not written for suffixes (the kind says it);
 * IPs in canonical text form; CIDRs as `addr/len`; URLs as normalised absolute URLs.
 */
export interface FeedRule {
  id: string;
  kind: ResourceKind;
  value: string;
  mode: RuleMode;
  /** ISO-8601 instant a suspension ends; absent for restrictions. */
  until?: string;
  /** Public log sequence number of the entry that added this rule. */
  entry: number;
}

/** First line of `GET /v1/feed/snapshot`. */
export interface SnapshotHeader {
  version: number;
  count: number;
  generatedAt: string;
}

export interface FeedChange {
  seq: number;
  op: 'add' | 'remove';
  id: string;
  kind: ResourceKind;
  value: string;
  mode: RuleMode;
  until?: string;
  entry: number;
}

/** Body of `GET /v1/feed/changes`. */
export interface FeedChangesPage {
  from: number;
  to: number;
  changes: FeedChange[];
}
