import { parseIpText } from '../matcher/ip-text.js';

/**
 * Whether a relay may connect to a destination (DESIGN "Never a relay into the inside"). The
 * block page's proxy and the SNI and QUIC relays go where a client names; without this, a
 * client could make the gateway reach the machine it runs on, the ISP's private network or a
 * cloud metadata service (server-side request forgery). One function decides for all three.
 *
 * Refused: loopback, unspecified and "this network", private (RFC 1918, IPv6 ULA), link-local
 * (which holds the 169.254.169.254 metadata address), carrier-grade NAT (RFC 6598), IETF
 * protocol assignments and benchmarking ranges, multicast, reserved and broadcast, and every
 * IPv6 form that carries an IPv4 address to one of those: IPv4-mapped and -compatible,
 * SIIT-translated, NAT64 (RFC 6052 well-known prefix) and 6to4. The NAT64 local-use prefix
 * (RFC 8215) and Teredo are refused whole: what they reach is decided elsewhere.
 */

interface Range { bytes: Uint8Array; prefix: number; what: string }

const LOOPBACK = 'loopback: it is the gateway itself';
const PRIVATE = 'a private range inside the network';
const LINK_LOCAL = 'link-local, where cloud metadata services (169.254.169.254) live';

function range(text: string, prefix: number, what: string): Range {
  const bytes = parseIpText(text);
  if (!bytes) throw new Error(`bad range ${text}`);
  return { bytes, prefix, what };
}

const INSIDE_V4: readonly Range[] = [
  range('0.0.0.0', 8, 'the unspecified address or "this network"'),
  range('10.0.0.0', 8, PRIVATE),
  range('100.64.0.0', 10, 'carrier-grade NAT space inside the ISP'),
  range('127.0.0.0', 8, LOOPBACK),
  range('169.254.0.0', 16, LINK_LOCAL),
  range('172.16.0.0', 12, PRIVATE),
  range('192.0.0.0', 24, 'IETF protocol assignments, not a public host'),
  range('192.168.0.0', 16, PRIVATE),
  range('198.18.0.0', 15, 'the benchmarking range, used inside networks'),
  range('224.0.0.0', 4, 'multicast'),
  range('240.0.0.0', 4, 'reserved, or the broadcast address'),
];

const INSIDE_V6: readonly Range[] = [
  range('::', 128, 'the unspecified address'),
  range('::1', 128, LOOPBACK),
  range('64:ff9b:1::', 48, 'the local-use NAT64 prefix'),
  range('100::', 64, 'the discard prefix'),
  range('2001::', 32, 'Teredo, a tunnel to an address we cannot check'),
  range('fc00::', 7, 'unique local addresses, ' + PRIVATE),
  range('fe80::', 10, 'link-local'),
  range('fec0::', 10, 'site-local, a private range inside the network'),
  range('ff00::', 8, 'multicast'),
];

function inRange(b: Uint8Array, r: Range): boolean {
  const full = r.prefix >> 3;
  for (let i = 0; i < full; i++) if (b[i] !== r.bytes[i]) return false;
  const bits = r.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (b[full]! & mask) === (r.bytes[full]! & mask);
}

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/** The IPv4 address an IPv6 address leads to, where it embeds one in a way routers honour. */
function embeddedIpv4(b: Uint8Array): { v4: Uint8Array; form: string } | undefined {
  const tail = b.subarray(12, 16);
  if (allZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return { v4: tail, form: 'an IPv4-mapped address' };
  if (allZero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return { v4: tail, form: 'an IPv4-translated address' };
  if (allZero(b, 0, 12) && !allZero(b, 12, 16)) return { v4: tail, form: 'an IPv4-compatible address' };
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && allZero(b, 4, 12)) return { v4: tail, form: 'a NAT64 address' };
  if (b[0] === 0x20 && b[1] === 0x02) return { v4: b.subarray(2, 6), form: 'a 6to4 address' };
  return undefined;
}

/** Why `bytes` (4 or 16) is no place for a relay to go, or undefined when it is public. */
export function insideAddressReason(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) {
    for (const r of INSIDE_V4) if (inRange(bytes, r)) return r.what;
    return undefined;
  }
  if (bytes.length !== 16) return 'not an IP address';
  const e = embeddedIpv4(bytes);
  if (e) {
    const why = insideAddressReason(e.v4);
    return why === undefined ? undefined : `${e.form} of ${Array.from(e.v4).join('.')}, ${why}`;
  }
  for (const r of INSIDE_V6) if (inRange(bytes, r)) return r.what;
  return undefined;
}

/** `localhost` and its subdomains always mean this machine (RFC 6761 §6.3), whatever DNS says. */
const LOCALHOST = /(?:^|\.)localhost\.?$/i;
/**
 * Names WHATWG URL and inet_aton read as IPv4 (`2130706433`, `0x7f.1`, `127.1`, `0177.0.0.1`):
 * a last label that is a number. No public name ends in one (host-name.ts refuses them too).
 */
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)\.?$/i;

/**
 * Why a destination named by a client (an address, possibly bracketed or IPv4-mapped, or a
 * host name) is refused before any lookup, or undefined when it may be resolved and tried.
 * Resolved addresses are checked again with {@link insideAddressReason}.
 */
export function insideDestinationReason(hostOrAddress: string): string | undefined {
  let t = hostOrAddress.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  // A zone id (`fe80::1%eth0`) only exists on this machine.
  if (t.includes('%')) return `${t} names a local interface`;
  const bytes = parseIpText(t);
  if (bytes) {
    const why = insideAddressReason(bytes);
    return why === undefined ? undefined : `${t} is ${why}`;
  }
  if (t.includes(':')) return `${t} is not a valid address`;
  if (LOCALHOST.test(t)) return `${t} is this machine (RFC 6761)`;
  if (NUMERIC_LAST_LABEL.test(t)) return `${t} reads as an IPv4 address in an unusual form`;
  return undefined;
}

/**
 * Splits resolved addresses into those a relay may use and the reason the first refused one
 * was refused (for the error message when none is left).
 */
export function outsideAddresses(addresses: readonly string[]): { allowed: string[]; refused: string | undefined } {
  const allowed: string[] = [];
  let refused: string | undefined;
  for (const a of addresses) {
    const why = insideDestinationReason(a);
    if (why === undefined) allowed.push(a);
    else refused ??= why;
  }
  return { allowed, refused };
}
