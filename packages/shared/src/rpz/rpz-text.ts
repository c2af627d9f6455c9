import type { RpzCoverContext } from './rpz-cover.js';
import { rpzWrittenRecords } from './rpz-precedence.js';
import { RPZ_ACTION_TARGET, rpzOwnerFits, rpzRecordsOf, type RpzRecord, type RpzRuleInput } from './rpz-records.js';
import { RPZ_NS, RPZ_SOA, RPZ_TTL, rpzSerial } from './rpz-soa.js';

/** Master-file text (RFC 1035 §5) of the zone head: origin, TTL, SOA (serial = version), NS. */
export function rpzZoneHeader(origin: string, version: number): string {
  const s = RPZ_SOA;
  return [
    `; Tizilim register as RPZ. Version (SOA serial) ${rpzSerial(version)}. Each rule names its public log entry.`,
    `$ORIGIN ${origin}`,
    `$TTL ${RPZ_TTL}`,
    `@ IN SOA ${s.mname} ${s.rname} ${rpzSerial(version)} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`,
    `@ IN NS ${RPZ_NS}`,
    '',
  ].join('\n');
}

/**
 * One rule as text: a comment naming its register entry, then its records. `present` says
 * which other rules are active (by `kind value` key), so a record a more specific rule writes
 * is left to that rule; without it every record is written. `cover`, when given, adds the
 * wildcards that keep a wider suffix rule in force below this one (rpz-cover.ts).
 */
export function rpzRuleText(
  rule: RpzRuleInput, present?: (key: string) => boolean, cover?: RpzCoverContext, originWireLength?: number,
): string {
  // A record whose owner and origin exceed 255 octets makes the whole master file unloadable
  // (BIND: "ran out of space"); zone transfers leave it out, and so does the text.
  const line = (r: RpzRecord): string => (originWireLength === undefined || rpzOwnerFits(r.owner, originWireLength)
    ? `${r.owner} CNAME ${RPZ_ACTION_TARGET[r.action]}\n`
    : `; ${r.owner.length > 40 ? `${r.owner.slice(0, 40)}…` : r.owner} is too long to be written under the origin\n`);
  if (rule.kind === 'url') {
    return `; entry ${rule.entry} url ${rule.value} is enforced by the HTTP gateway, not in DNS\n`;
  }
  const all = rpzRecordsOf(rule);
  const records = present ? rpzWrittenRecords(rule, (k) => (present(k) ? rule : undefined)) : all;
  if (all.length === 0) return `; entry ${rule.entry} ${rule.kind} ${rule.value} cannot be written as RPZ\n`;
  let out = `; entry ${rule.entry} ${rule.mode}${rule.until ? ` until ${rule.until}` : ''}\n`;
  for (const r of records) out += line(r);
  if (cover && (rule.kind === 'domain' || rule.kind === 'domain_suffix')) {
    for (const r of cover.coverBelow(rule.value, rule.kind === 'domain', rule.entry)) out += line(r);
  }
  return out;
}
