/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
 * length (1, 2, 4 or 8 bytes). Values above 2^53 cannot be a length or offset we would honour,
 * so the 8-byte form is read as a double and callers bound it.
 */

/** Reads a varint at `p`; returns -1 when it runs past `end`. The byte length is `varintLength(b[p])`. */
export function readVarint(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const first = b[p]!;
  const len = 1 << (first >> 6);
  if (p + len > end) return -1;
  let v = first & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + b[p + i]!;
  return v;
}

/** Bytes the varint starting with `firstByte` occupies. */
export function varintLength(firstByte: number): number {
  return 1 << (firstByte >> 6);
}

/** Encodes `v` in the shortest form (test encoders and fixtures). */
export function encodeVarint(v: number): Uint8Array {
  if (v < 0x40) return Uint8Array.of(v);
  if (v < 0x4000) return Uint8Array.of(0x40 | (v >> 8), v & 0xff);
  if (v < 0x40000000) return Uint8Array.of(0x80 | (v >>> 24), (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const out = new Uint8Array(8);
  let x = v;
  for (let i = 7; i >= 0; i--) { out[i] = x % 256; x = Math.floor(x / 256); }
  out[0]! |= 0xc0;
  return out;
}
