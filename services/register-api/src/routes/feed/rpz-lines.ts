import { parseIpText } from '@tizilim/shared';
import type { RuleMode } from '@tizilim/shared';
import type { ActiveRuleRow } from '../../repositories/feed-repository.js';

/**
 * The register as Response Policy Zone records (draft-vixie-dnsop-dns-rpz): `CNAME .` is the
 * NXDOMAIN action, `CNAME rpz-passthru.` an exception's. Owner names are relative to $ORIGIN, so the resolver's configuration must
 * name the same zone.
 */
export function rpzHeader(origin: string, serial: number): string {
  return [
    `; Tizilim register as RPZ. Version (SOA serial) ${serial}. Each rule names its public log entry.`,
    `$ORIGIN ${origin}`,
    `$TTL 60`,
    `@ IN SOA localhost. hostmaster.tizilim.invalid. ${serial} 3600 600 86400 60`,
    `@ IN NS localhost.`,
    '',
  ].join('\n');
}

/**
 * What the lines of one rule need to know of the others: the suffix rules in force (name →
 * mode). Resolvers such as Unbound apply a wildcard `*.S` only where S is the closest encloser
 * of the query among the zone's owner names, so a rule on `www.S` (an exception, or an exact
 * restriction) would hide `*.S` from `a.www.S`. Each name rule under a suffix rule therefore
 * repeats that rule's action as `*.X` for the names X between them (and for its own name when
 * it is an exact rule): the zone then says what the gateway decides, most specific rule first.
 */
export class RpzContext {
  /** Wildcard owners already written, so a name with many rules under it is written once. */
  readonly #written = new Set<string>();

  constructor(readonly suffixModes: ReadonlyMap<string, RuleMode>) {}

  /** `*.X` lines that keep the nearest suffix rule above `value` in force below it. */
  coverBelow(value: string, exact: boolean): string {
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
    if (nearest === undefined) return '';
    if (exact && !this.suffixModes.has(value)) between.push(value);
    let out = '';
    for (const name of between) {
      if (this.#written.has(name)) continue;
      this.#written.add(name);
      out += `*.${name} CNAME ${rpzAction(nearest)}\n`;
    }
    return out;
  }
}

/** The action of a rule: an exception passes through (the most specific trigger wins); anything else is NXDOMAIN. */
function rpzAction(mode: RuleMode): string {
  return mode === 'allow' ? 'rpz-passthru.' : '.';
}

/**
 * `apex_ruled`: a suffix row whose apex name also has an exact rule. That rule alone writes the
 * apex's record (exact wins, as in the gateway), so one owner never carries two CNAMEs.
 */
export function rpzLines(row: ActiveRuleRow & { apex_ruled?: boolean | null }, context?: RpzContext): string {
  const note = `; entry ${Number(row.add_seq ?? 0)} ${row.mode}${row.ends_at ? ` until ${row.ends_at.toISOString()}` : ''}\n`;
  const action = rpzAction(row.mode);
  switch (row.kind) {
    case 'domain':
      return `${note}${row.value} CNAME ${action}\n${context?.coverBelow(row.value, true) ?? ''}`;
    case 'domain_suffix':
      return `${note}${row.apex_ruled ? '' : `${row.value} CNAME ${action}\n`}*.${row.value} CNAME ${action}\n${context?.coverBelow(row.value, false) ?? ''}`;
    case 'ip':
    case 'cidr': {
      const owner = rpzIpOwner(row.value);
      return owner ? `${note}${owner}.rpz-ip CNAME ${action}\n` : '';
    }
    case 'url':
      // HTTPS hides the path: a URL rule cannot be enforced by a resolver without blocking the host.
      return `; entry ${Number(row.add_seq ?? 0)} url ${row.value} is enforced by the HTTP gateway, not in DNS\n`;
  }
}

/** `prefix.reversed-address` as RPZ writes IP triggers; IPv6 with `zz` for the longest zero run. */
export function rpzIpOwner(value: string): string | undefined {
  const [addr = '', len] = value.split('/');
  const bytes = parseIpText(addr);
  if (!bytes) return undefined;
  if (bytes.length === 4) return `${len ?? 32}.${[...bytes].reverse().join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const parts = bestLen >= 2 ? [...groups.slice(0, bestStart), 'zz', ...groups.slice(bestStart + bestLen)] : groups;
  return `${len ?? 128}.${parts.reverse().join('.')}`;
}
