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

/**
 * IPv6 forms that reach an IPv4 address, so they must obey the IPv4 rules: `64:ff9b::10.0.0.1`
 * is 10.0.0.1 through any NAT64 gateway. Each: the IPv6 prefix, and where the IPv4 address's
 * 32 bits sit (bit offsets in the IPv6 address; RFC 6052 §2.2 skips bits 64–71, the u octet).
 */
interface Translation {
  name: string;
  network: Uint8Array;
  prefix: number;
  /** Bit offset of each IPv4 octet in the IPv6 address. */
  octetBits: readonly [number, number, number, number];
}

function v6(text: string): Uint8Array {
  const parsed = parseIpAddress(text);
  if (!parsed || parsed.bytes.length !== 16) throw new Error(`bad translation prefix ${text}`);
  return parsed.bytes;
}

const TRANSLATIONS: readonly Translation[] = [
  // RFC 4291 §2.5.5.2, IPv4-mapped
  { name: 'IPv4-mapped', network: v6('::ffff:0:0'), prefix: 96, octetBits: [96, 104, 112, 120] },
  // RFC 4291 §2.5.5.1, IPv4-compatible (deprecated, still parsed by stacks)
  { name: 'IPv4-compatible', network: v6('::'), prefix: 96, octetBits: [96, 104, 112, 120] },
  // RFC 6052 well-known NAT64 prefix
  { name: 'NAT64', network: v6('64:ff9b::'), prefix: 96, octetBits: [96, 104, 112, 120] },
  // RFC 8215 local-use NAT64 prefix: ISPs carve /96s (IPv4 at the end) or use it as a /48 (RFC 6052 layout)
  { name: 'local-use NAT64', network: v6('64:ff9b:1::'), prefix: 96, octetBits: [96, 104, 112, 120] },
  { name: 'local-use NAT64', network: v6('64:ff9b:1::'), prefix: 48, octetBits: [48, 56, 72, 80] },
  // RFC 3056 6to4
  { name: '6to4', network: v6('2002::'), prefix: 16, octetBits: [16, 24, 32, 40] },
];

/**
 * The IPv4 prefixes an IPv6 address or prefix reaches through each translation it falls in.
 * A prefix that ends before an octet covers every value of it: the IPv4 prefix is cut there.
 */
function embeddedIpv4(bytes: Uint8Array, prefix: number): { bytes: Uint8Array; prefix: number; name: string }[] {
  if (bytes.length !== 16) return [];
  const out: { bytes: Uint8Array; prefix: number; name: string }[] = [];
  for (const t of TRANSLATIONS) {
    // The IPv4-compatible /96 overlaps '::' and '::1'; those are refused as themselves.
    if (!prefixesOverlap(bytes, prefix, t.network, t.prefix)) continue;
    if (t.name === 'IPv4-compatible' && prefix < 96) continue;
    // The local-use prefix holds either layout. One address is read one way: IPv4 in the last
    // 32 bits when they are set, else in the /48 layout (whose suffix is zero). A prefix may
    // cover both, and is judged by both.
    if (t.name === 'local-use NAT64' && prefix === 128) {
      const tailSet = bytes[12]! | bytes[13]! | bytes[14]! | bytes[15]!;
      if ((t.prefix === 96) !== (tailSet !== 0)) continue;
    }
    const v4 = new Uint8Array(4);
    let v4Prefix = 0;
    for (let i = 0; i < 4; i++) {
      const bit = t.octetBits[i]!;
      const known = Math.max(0, Math.min(8, prefix - bit));
      v4[i] = bytes[bit / 8]! & ((0xff << (8 - known)) & 0xff);
      if (known === 8 && v4Prefix === i * 8) v4Prefix = (i + 1) * 8;
      else if (v4Prefix === i * 8) v4Prefix = i * 8 + known;
    }
    out.push({ bytes: v4, prefix: v4Prefix, name: t.name });
  }
  return out;
}

/** Only the reserved IPv4 ranges: a wide IPv6 prefix is judged by the IPv6 width rule. */
function refuseReservedIpv4(bytes: Uint8Array, prefix: number, isSingleAddress: boolean, written: string, form: string): string | undefined {
  for (const { range, bytes: rangeBytes } of RESERVED_IPV4_BYTES) {
    if (!prefixesOverlap(bytes, prefix, rangeBytes, range.prefix)) continue;
    const reached = isSingleAddress || prefix >= range.prefix ? 'is the' : 'covers the';
    return `${quoteInput(written)} ${reached} ${form} form of ${range.network}/${range.prefix}, ${range.what}.`;
  }
  return undefined;
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
  // As itself first (`::1` is loopback before it is the IPv4-compatible form of 0.0.0.1).
  const direct = address.bytes.length === 16 ? checkFamily(address.bytes, prefix, isSingleAddress, written) : undefined;
  if (direct) return direct;
  for (const v4 of embeddedIpv4(address.bytes, prefix)) {
    // An IPv4-mapped address is that IPv4 address: all the IPv4 rules, the width too.
    if (v4.name === 'IPv4-mapped' && prefix >= 96) {
      const refused = checkFamily(v4.bytes, v4.prefix, isSingleAddress, written);
      if (refused) return refused;
      continue;
    }
    const refused = refuseReservedIpv4(v4.bytes, v4.prefix, isSingleAddress, written, v4.name);
    if (refused) return refused;
  }
  return checkFamily(address.bytes, prefix, isSingleAddress, written);
}

export function hasHostBits(address: IpAddress, prefix: number): boolean {
  return !maskToPrefix(address.bytes, prefix).every((v, i) => v === address.bytes[i]);
}
