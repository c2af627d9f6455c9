import { parseIpText } from '../matcher/ip-text.js';

/**
 * An IP trigger's owner as RPZ writes it (draft-vixie-dnsop-dns-rpz §4.2):
 * `prefix.reversed-address`, IPv6 with `zz` for the longest run of zero groups.
 * Undefined when the value is not an address or prefix.
 */
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
