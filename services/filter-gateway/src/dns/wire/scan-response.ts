import {
  FLAG_QR, FLAG_TC, HEADER_SIZE, RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_OPT, TYPE_SOA,
} from './constants.js';
import { readU16, readU32 } from './header.js';
import { skipName } from './parse-query.js';

/** Longest we keep anything, whatever the upstream says. */
export const MAX_CACHE_TTL = 86_400;
/** RFC 2308 section 5: negative answers are kept at most a few hours. */
export const MAX_NEGATIVE_TTL = 10_800;

export interface ScannedResponse {
  rcode: number;
  truncated: boolean;
  ttlOffsets: Uint16Array;
  cacheTtl: number;
}

/**
 * Checks that `resp` answers `question` (bytes from offset 12 to the end of the question in
 * the upstream query, compared without case: a spoofed or stray datagram must not be taken
 * for the answer) and walks every record once to note TTL offsets and the cacheable TTL.
 * Returns undefined when it is not a well-formed answer to that question.
 */
export function scanResponse(resp: Uint8Array, id: number, question: Uint8Array): ScannedResponse | undefined {
  const len = resp.length;
  if (len < HEADER_SIZE + question.length) return undefined;
  if (readU16(resp, 0) !== id) return undefined;
  const flags = readU16(resp, 2);
  if (!(flags & FLAG_QR)) return undefined;
  if (readU16(resp, 4) !== 1) return undefined;
  for (let k = 0; k < question.length; k++) {
    let a = resp[HEADER_SIZE + k]!;
    let b = question[k]!;
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return undefined;
  }
  const rcode = flags & 0xf;
  const truncated = (flags & FLAG_TC) !== 0;
  const an = readU16(resp, 6);
  const ns = readU16(resp, 8);
  const ar = readU16(resp, 10);
  const offsets: number[] = [];
  let minTtl = Number.MAX_SAFE_INTEGER;
  let soaNegTtl = -1;
  let i = HEADER_SIZE + question.length;
  const total = an + ns + ar;
  for (let n = 0; n < total; n++) {
    i = skipName(resp, i);
    if (i < 0 || i + 10 > len) return truncated ? { rcode, truncated, ttlOffsets: new Uint16Array(0), cacheTtl: 0 } : undefined;
    const type = readU16(resp, i);
    const ttl = readU32(resp, i + 4);
    const rdlen = readU16(resp, i + 8);
    const rdata = i + 10;
    if (rdata + rdlen > len) return truncated ? { rcode, truncated, ttlOffsets: new Uint16Array(0), cacheTtl: 0 } : undefined;
    if (type !== TYPE_OPT) {
      offsets.push(i + 4);
      if (ttl < minTtl) minTtl = ttl;
      if (type === TYPE_SOA && n >= an && n < an + ns) {
        // RFC 2308 5: the negative TTL is the lesser of the SOA's TTL and its MINIMUM.
        const minimum = rdlen >= 20 ? readU32(resp, rdata + rdlen - 4) : 0;
        soaNegTtl = Math.min(ttl, minimum);
      }
    }
    i = rdata + rdlen;
  }
  let cacheTtl = 0;
  if (!truncated) {
    if (rcode === RCODE_NXDOMAIN || (rcode === RCODE_NOERROR && an === 0)) {
      // Without an SOA there is no negative TTL to honour (RFC 2308 5): do not cache.
      cacheTtl = soaNegTtl > 0 ? Math.min(soaNegTtl, MAX_NEGATIVE_TTL) : 0;
    } else if (rcode === RCODE_NOERROR && offsets.length > 0) {
      cacheTtl = Math.min(minTtl, MAX_CACHE_TTL);
    }
  }
  return { rcode, truncated, ttlOffsets: Uint16Array.from(offsets), cacheTtl };
}
