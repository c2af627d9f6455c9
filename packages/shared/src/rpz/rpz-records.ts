import type { ResourceKind, RuleMode } from '../feed-types.js';
import { rpzIpOwner } from './rpz-ip-owner.js';

/**
 * The one definition of what the register looks like as a Response Policy Zone
 * (draft-vixie-dnsop-dns-rpz): the HTTP export (`/v1/feed/rpz`, text) and the gateway's zone
 * transfers (AXFR/IXFR, wire) both write these records, so a resolver sees the same zone
 * either way.
 */

/** What a policy record does: `CNAME .` answers NXDOMAIN (§5.1), `CNAME rpz-passthru.` lets the name through (§5.5). */
export type RpzAction = 'nxdomain' | 'passthru';

/** The CNAME target of each action, as a fully qualified name. */
export const RPZ_ACTION_TARGET: Readonly<Record<RpzAction, string>> = { nxdomain: '.', passthru: 'rpz-passthru.' };

/** One policy record. `owner` is relative to the zone origin, without trailing dot. */
export interface RpzRecord {
  owner: string;
  action: RpzAction;
  /** The public log entry that put the rule in force. */
  entry: number;
}

/** What a rule needs to become records: a feed rule, or the register's own row. */
export interface RpzRuleInput {
  kind: ResourceKind;
  value: string;
  mode: RuleMode;
  entry: number;
  until?: string | undefined;
}

/** The records one rule contributes; none for a URL (HTTPS hides the path from a resolver). */
export function rpzRecordsOf(rule: RpzRuleInput): RpzRecord[] {
  const action: RpzAction = rule.mode === 'allow' ? 'passthru' : 'nxdomain';
  const entry = rule.entry;
  switch (rule.kind) {
    case 'domain':
      return [{ owner: rule.value, action, entry }];
    case 'domain_suffix':
      // The name itself and every name under it: RPZ's wildcard does not cover the apex (§4.1).
      return [{ owner: rule.value, action, entry }, { owner: `*.${rule.value}`, action, entry }];
    case 'ip':
    case 'cidr': {
      const ip = rpzIpOwner(rule.value);
      return ip ? [{ owner: `${ip}.rpz-ip`, action, entry }] : [];
    }
    case 'url':
      return [];
  }
}

/** Same owner and same action: the record a secondary would have to delete to undo it. */
export function sameRpzRecord(a: RpzRecord, b: RpzRecord): boolean {
  return a.owner === b.owner && a.action === b.action;
}
