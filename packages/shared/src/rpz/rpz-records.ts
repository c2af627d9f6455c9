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

/**
 * A name whose top label starts with `rpz-` (no TLD does): written under the origin it would be
 * an RPZ trigger (`rpz-ip`, `rpz-nsip`, `rpz-nsdname`, `rpz-client-ip`), not a QNAME rule, so
 * the zone never writes it, nor any wildcard for it. The register refuses such names
 * (resource/name-policy.ts); this keeps rules recorded before that out of resolvers' policy.
 */
export function isRpzReservedName(value: string): boolean {
  return value.slice(value.lastIndexOf('.') + 1).toLowerCase().startsWith('rpz-');
}

/**
 * Whether `owner` (relative to the origin) and the origin together fit a DNS name's 255
 * octets (RFC 1035 §2.3.4). `originWireLength` is the origin's wire length with its root
 * octet (13 for `rpz.tizilim.`). A register name of up to 253 characters can exceed it once
 * the origin is appended: zone transfers leave such a record out (the message writer counts
 * it as skipped), and the text export must too, or the whole file fails to load.
 */
export function rpzOwnerFits(owner: string, originWireLength: number): boolean {
  return owner.length + 1 + originWireLength <= 255;
}

/** The wire length of an origin such as `rpz.tizilim.` (labels, their length octets, the root). */
export function rpzOriginWireLength(origin: string): number {
  const bare = origin.endsWith('.') ? origin.slice(0, -1) : origin;
  return bare.length === 0 ? 1 : bare.length + 2;
}

/** The records one rule contributes; none for a URL (HTTPS hides the path from a resolver). */
export function rpzRecordsOf(rule: RpzRuleInput): RpzRecord[] {
  const action: RpzAction = rule.mode === 'allow' ? 'passthru' : 'nxdomain';
  const entry = rule.entry;
  switch (rule.kind) {
    case 'domain':
      if (isRpzReservedName(rule.value)) return [];
      return [{ owner: rule.value, action, entry }];
    case 'domain_suffix':
      if (isRpzReservedName(rule.value)) return [];
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
