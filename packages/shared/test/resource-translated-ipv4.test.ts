import { describe, expect, it } from 'vitest';
import { parseResource } from '../src/resource/index.js';
import { seededRandom } from '../src/seeded-random.js';

/**
 * IPv6 forms that reach an IPv4 address (resource/ip-policy.ts): NAT64 64:ff9b::/96 and the
 * local-use 64:ff9b:1::/48 (RFC 6052, RFC 8215), 6to4 2002::/16 (RFC 3056), IPv4-mapped and
 * IPv4-compatible (RFC 4291 §2.5.5). Property, seeded: such an address is refused exactly when
 * the IPv4 address it reaches is refused.
 */
const v4Refused = (v4: string) => !parseResource(v4).ok;

function hex(a: number, b: number): string {
  return ((a << 8) | b).toString(16);
}

const FORMS: { name: string; write: (o: number[]) => string }[] = [
  { name: 'NAT64', write: (o) => `64:ff9b::${hex(o[0]!, o[1]!)}:${hex(o[2]!, o[3]!)}` },
  { name: 'NAT64 dotted', write: (o) => `64:ff9b::${o.join('.')}` },
  { name: 'local-use NAT64 /96', write: (o) => `64:ff9b:1::${hex(o[0]!, o[1]!)}:${hex(o[2]!, o[3]!)}` },
  // RFC 6052 /48: octets 1-2 in bits 48-63, the u octet (0), octets 3-4 in bits 72-87
  { name: 'local-use NAT64 /48', write: (o) => `64:ff9b:1:${hex(o[0]!, o[1]!)}:${hex(0, o[2]!)}:${hex(o[3]!, 0)}::` },
  { name: '6to4', write: (o) => `2002:${hex(o[0]!, o[1]!)}:${hex(o[2]!, o[3]!)}::1` },
  { name: 'IPv4-mapped', write: (o) => `::ffff:${o.join('.')}` },
];

/** Mostly addresses in or next to the reserved ranges, where a wrong bit shows. */
const FIRST_OCTETS = [0, 1, 8, 9, 10, 11, 100, 126, 127, 128, 169, 172, 185, 192, 198, 203, 223, 224, 239, 240, 255];

describe('IPv6 forms of IPv4 addresses', () => {
  it('are refused exactly when the IPv4 address they reach is refused (2,000 seeded cases)', () => {
    const next = seededRandom(6052);
    for (let i = 0; i < 2000; i++) {
      const o = [FIRST_OCTETS[Math.floor(next() * FIRST_OCTETS.length)]!, Math.floor(next() * 256), Math.floor(next() * 256), 1 + Math.floor(next() * 254)];
      const form = FORMS[i % FORMS.length]!;
      const written = form.write(o);
      const v4 = o.join('.');
      expect(!parseResource(written).ok, `${form.name} ${written} (${v4})`).toBe(v4Refused(v4));
    }
  });

  it('a prefix is refused when it covers the form of any refused range', () => {
    expect(parseResource('64:ff9b::/96').ok).toBe(false);
    expect(parseResource('2002::/19').ok).toBe(false);
    expect(parseResource('64:ff9b::808:0/112').ok).toBe(true);
    expect(parseResource('2002:808::/32').ok).toBe(true);
  });
});
