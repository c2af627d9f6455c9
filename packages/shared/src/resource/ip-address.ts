import { isIP } from 'node:net';

export interface IpAddress {
  version: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
  /** Canonical text: dotted decimal, or IPv6 compressed lower case as WHATWG URL prints it. */
  text: string;
}

/** Leading zeros are refused: some software reads them as octal (`010` = 8), others as decimal. */
const IPV4 = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;

function parseIpv4(text: string): IpAddress | undefined {
  if (!IPV4.test(text)) return undefined;
  const octets = text.split('.').map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return { version: 4, bytes: Uint8Array.from(octets), text };
}

/** Reads the canonical form only (hex groups, at most one `::`, no embedded dotted quad). */
function canonicalIpv6ToBytes(canonical: string): Uint8Array {
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return bytes;
}

/** The WHATWG URL serialiser gives the RFC 5952-style form the rest of the system compares against. */
function canonicaliseIpv6(text: string): string | undefined {
  // Zone ids (`fe80::1%eth0`) only mean something on one machine.
  if (text.includes('%') || isIP(text) !== 6) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function parseIpv6(text: string): IpAddress | undefined {
  const canonical = canonicaliseIpv6(text);
  if (canonical === undefined) return undefined;
  return { version: 6, bytes: canonicalIpv6ToBytes(canonical), text: canonical };
}

/** An IPv4 or IPv6 address in text, strictly; undefined when it is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function formatIpBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicaliseIpv6(groups.join(':')) ?? groups.join(':');
}

/** The first `prefix` bits of `bytes`, the rest zero. */
export function maskToPrefix(bytes: Uint8Array, prefix: number): Uint8Array {
  const masked = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.min(8, Math.max(0, prefix - i * 8));
    masked[i] = (bytes[i] ?? 0) & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return masked;
}

/** Whether two prefixes of the same family share any address: the shorter one contains the other. */
export function prefixesOverlap(a: Uint8Array, aLen: number, b: Uint8Array, bLen: number): boolean {
  const common = Math.min(aLen, bLen);
  const ma = maskToPrefix(a, common);
  const mb = maskToPrefix(b, common);
  return ma.every((v, i) => v === mb[i]);
}
