import { FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD } from './constants.js';

/**
 * Turns the query header at the start of `buf` into a response header in place: the ID and
 * the question stay, only flags and counts change. Opcode, RD and CD are echoed (RFC 1035,
 * RFC 4035 3.2.2); RA because we do recurse on the client's behalf.
 */
export function writeResponseHeader(
  buf: Uint8Array, queryFlags: number, rcode: number, qd: number, an: number, ns: number, ar: number,
): void {
  const flags = FLAG_QR | (queryFlags & (0x7800 | FLAG_RD | FLAG_CD)) | FLAG_RA | (rcode & 0xf);
  buf[2] = flags >> 8;
  buf[3] = flags & 0xff;
  buf[4] = qd >> 8; buf[5] = qd & 0xff;
  buf[6] = an >> 8; buf[7] = an & 0xff;
  buf[8] = ns >> 8; buf[9] = ns & 0xff;
  buf[10] = ar >> 8; buf[11] = ar & 0xff;
}

export function readU16(buf: Uint8Array, i: number): number {
  return (buf[i]! << 8) | buf[i + 1]!;
}

export function readU32(buf: Uint8Array, i: number): number {
  return ((buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!) >>> 0;
}

export function writeU32(buf: Uint8Array, i: number, v: number): void {
  buf[i] = v >>> 24; buf[i + 1] = (v >>> 16) & 0xff; buf[i + 2] = (v >>> 8) & 0xff; buf[i + 3] = v & 0xff;
}
