import { maskToPrefix, parseIpAddress, prefixesOverlap, type IpAddress } from './ip-address.js';
import { quoteInput } from './quote-input.js';

/**
 * The widest prefixes the register takes. An IPv4 /8 and an IPv6 /19 are about the largest
 * blocks ever allocated to a single holder; anything wider spans several networks and is far
 * more likely a typo than a decision, and it would black out a large part of the internet.
 */
export const MIN_PREFIX_IPV4 = 8;
export const MIN_PREFIX_IPV6 = 19;

interface ReservedRange {
  network: string;
  prefix: number;
  /** Completes "… is in <range>, <what>". */
  what: string;
}

const PRIVATE = "a private range: restricting it would hit networks inside the ISP, not resources on the internet";

/**
 * Ranges that are not internet destinations. A rule on them can only break the ISP's own
 * network or its subscribers' home networks. Documentation ranges (192.0.2.0/24,
 * 2001:db8::/32, …) are deliberately absent: they are harmless and tests use them.
 */
const RESERVED_IPV4: readonly ReservedRange[] = [
  { network: '0.0.0.0', prefix: 8, what: '"this network" and the unspecified address, never a destination' },
  { network: '10.0.0.0', prefix: 8, what: PRIVATE },
  { network: '100.64.0.0', prefix: 10, what: 'the shared space ISPs use for carrier-grade NAT inside their own networks' },
  { network: '127.0.0.0', prefix: 8, what: 'loopback: it is the machine itself' },
  { network: '169.254.0.0', prefix: 16, what: 'link-local: it never leaves the local link' },
  { network: '172.16.0.0', prefix: 12, what: PRIVATE },
  { network: '192.168.0.0', prefix: 16, what: PRIVATE },
  { network: '224.0.0.0', prefix: 4, what: 'multicast, not a host that serves anything' },
  { network: '240.0.0.0', prefix: 4, what: 'reserved, and holds the broadcast address' },
];

const RESERVED_IPV6: readonly ReservedRange[] = [
  { network: '::', prefix: 128, what: 'the unspecified address, never a destination' },
  { network: '::1', prefix: 128, what: 'loopback: it is the machine itself' },
  { network: 'fc00::', prefix: 7, what: 'unique local addresses, ' + PRIVATE.slice('a '.length) },
  { network: 'fe80::', prefix: 10, what: 'link-local: it never leaves the local link' },
  { network: 'ff00::', prefix: 8, what: 'multicast, not a host that serves anything' },
];

function withBytes(ranges: readonly ReservedRange[]): { range: ReservedRange; bytes: Uint8Array }[] {
  return ranges.map((range) => {
    const parsed = parseIpAddress(range.network);
    if (!parsed) throw new Error(`bad reserved range ${range.network}`);
    return { range, bytes: parsed.bytes };
  });
}

const RESERVED_IPV4_BYTES = withBytes(RESERVED_IPV4);
const RESERVED_IPV6_BYTES = withBytes(RESERVED_IPV6);

/** `::ffff:a.b.c.d` reaches the IPv4 address a.b.c.d, so it must obey the IPv4 rules. */
function embeddedIpv4(bytes: Uint8Array, prefix: number): { bytes: Uint8Array; prefix: number } | undefined {
  if (bytes.length !== 16 || prefix < 96) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
  return { bytes: bytes.subarray(12), prefix: prefix - 96 };
}

function checkFamily(bytes: Uint8Array, prefix: number, isSingleAddress: boolean, written: string): string | undefined {
  const v4 = bytes.length === 4;
  const minPrefix = v4 ? MIN_PREFIX_IPV4 : MIN_PREFIX_IPV6;
  if (!isSingleAddress && prefix < minPrefix) {
    return `${quoteInput(written)} is wider than /${minPrefix}, the widest IPv${v4 ? 4 : 6} prefix the register takes: it would black out a large part of the internet.`;
  }
  for (const { range, bytes: rangeBytes } of v4 ? RESERVED_IPV4_BYTES : RESERVED_IPV6_BYTES) {
    if (prefixesOverlap(bytes, prefix, rangeBytes, range.prefix)) {
      const where = isSingleAddress || prefix >= range.prefix ? 'is in' : 'overlaps';
      return `${quoteInput(written)} ${where} ${range.network}/${range.prefix}, ${range.what}.`;
    }
  }
  return undefined;
}

/** Why an address (`prefix` = full length) or a prefix cannot be restricted, or undefined; `written` is echoed in the reason. */
export function refuseIpPrefix(address: IpAddress, prefix: number, isSingleAddress: boolean, written: string): string | undefined {
  const v4 = embeddedIpv4(address.bytes, prefix);
  if (v4) return checkFamily(v4.bytes, v4.prefix, isSingleAddress, written);
  return checkFamily(address.bytes, prefix, isSingleAddress, written);
}

export function hasHostBits(address: IpAddress, prefix: number): boolean {
  return !maskToPrefix(address.bytes, prefix).every((v, i) => v === address.bytes[i]);
}
