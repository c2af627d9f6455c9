import { LOWER } from './domain-name-hash.js';

/**
 * The domain table keeps each rule name once, lower case, in wire form without the final
 * zero (`3ads7example3com`), behind a length byte. A query's suffix is compared with it in
 * place: wire bytes as they arrive, text names label by label. Nothing here allocates.
 */

/** Whether the wire suffix of `len` bytes at `start` (up to the final zero) is the name at `off`. */
export function wireSuffixIs(pool: Uint8Array, off: number, buf: Uint8Array, start: number, len: number): boolean {
  if (pool[off] !== len) return false;
  const p = off + 1 - start;
  // Length bytes are ≤ 63, so LOWER leaves them alone and they compare like the rest.
  for (let j = start, stop = start + len; j < stop; j++) if (pool[p + j] !== LOWER[buf[j]!]) return false;
  return true;
}

/**
 * Whether the text name `name[start, end)` (no trailing dot) is the name at `off`, ASCII case
 * ignored. Characters beyond ASCII never equal a stored byte; neither does an empty label.
 */
export function textSuffixIs(pool: Uint8Array, off: number, name: string, start: number, end: number): boolean {
  if (pool[off] !== end - start + 1) return false;
  let p = off + 1;
  for (let i = start; i < end; i++) {
    let j = i;
    while (j < end && name.charCodeAt(j) !== 46) j++;
    if (pool[p++] !== j - i) return false;
    for (; i < j; i++) {
      const c = name.charCodeAt(i);
      if (c > 0x7f || pool[p++] !== (c >= 65 && c <= 90 ? c + 32 : c)) return false;
    }
  }
  return true;
}

/** Writes the lower-case wire form of a validated text name at `off`; returns the bytes written. */
export function writeName(pool: Uint8Array, off: number, name: string, end: number): number {
  pool[off] = end + 1;
  let lenAt = off + 1;
  let p = lenAt + 1;
  for (let i = 0; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      pool[lenAt] = p - lenAt - 1;
      lenAt = p++;
    } else {
      pool[p++] = c >= 65 && c <= 90 ? c + 32 : c;
    }
  }
  pool[lenAt] = p - lenAt - 1;
  return p - off;
}

/** The dotted text of the name at `off` (cold path). */
export function nameText(pool: Uint8Array, off: number): string {
  const labels: string[] = [];
  for (let p = off + 1, stop = off + 1 + pool[off]!; p < stop; p += pool[p]! + 1) {
    labels.push(String.fromCharCode(...pool.subarray(p + 1, p + 1 + pool[p]!)));
  }
  return labels.join('.');
}
