import { MAX_NAME_WIRE } from './constants.js';

/**
 * Copies the possibly compressed name at `i` in `msg` into `out` as plain wire labels (no
 * pointers), so the matcher, which reads uncompressed names only, can match it. Pointers
 * must point backwards (RFC 1035 4.1.4), which also bounds the walk. Returns the name's
 * length in `out`, or -1 when it is malformed or longer than 255 bytes.
 */
export function readNameInto(msg: Uint8Array, i: number, out: Uint8Array): number {
  const len = msg.length;
  let o = 0;
  let limit = i; // a pointer must go before where this name (or the last pointer) started
  for (;;) {
    if (i >= len) return -1;
    const l = msg[i]!;
    if (l === 0) {
      if (o + 1 > MAX_NAME_WIRE) return -1;
      out[o++] = 0;
      return o;
    }
    if ((l & 0xc0) === 0xc0) {
      if (i + 1 >= len) return -1;
      const to = ((l & 0x3f) << 8) | msg[i + 1]!;
      if (to >= limit) return -1;
      limit = to;
      i = to;
      continue;
    }
    if (l > 63 || i + 1 + l > len || o + 1 + l >= MAX_NAME_WIRE) return -1;
    out[o++] = l;
    for (let k = 1; k <= l; k++) out[o++] = msg[i + k]!;
    i += l + 1;
  }
}
